import {
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ALERT } from '../adapters/aws/alert-fixture.js';
import { athena, fakeAthena, fakeS3, lambdaContext, resetAws, sns } from './fake-aws.js';

const ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  VIGIL_WORKGROUP: 'vigil',
  VIGIL_DATABASE: 'vigil',
  VIGIL_RESULTS_BUCKET: 'results',
  VIGIL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  VIGIL_POLL_MS: '1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
};

let hourly: typeof import('../../functions/hourly.js');
let daily: typeof import('../../functions/daily.js');
let rerun: typeof import('../../functions/rerun.js');
let container: typeof import('../../functions/lib/container.js');

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) vi.stubEnv(k, v);
  hourly = await import('../../functions/hourly.js');
  daily = await import('../../functions/daily.js');
  rerun = await import('../../functions/rerun.js');
  container = await import('../../functions/lib/container.js');
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => {
  resetAws();
  container.resetContainer();
  vi.stubEnv('VIGIL_QUERY_TIMEOUT_MS', '240000');
});

const manifests = (objects: Map<string, unknown>) =>
  [...objects.keys()].filter((k) => k.endsWith('_manifest.json')).sort();

describe('hourly handler', () => {
  it('recomputes the last 3 complete hours through Athena and stores each window', async () => {
    const { sqls } = fakeAthena();
    const objects = fakeS3();
    const out = await hourly.handler({ job: 'hourly', scheduledTime: '2026-01-05T10:15:00Z' }, lambdaContext);
    expect(manifests(objects)).toEqual([
      'metrics/grain=hour/window=2026-01-05T070000Z/_manifest.json',
      'metrics/grain=hour/window=2026-01-05T080000Z/_manifest.json',
      'metrics/grain=hour/window=2026-01-05T090000Z/_manifest.json',
    ]);
    const [summary, detection] = out.jobs;
    expect(summary).toMatchObject({ job: 'metrics', grain: 'hour', windows: 3, written: 3, failed: [] });
    expect(summary.from).toBe('2026-01-05T07:00:00Z');
    expect(summary.bytesScanned).toBe(1000 * summary.queries);
    // One scan per source for the whole batch, partition-pruned, on the Glue database…
    const scans = sqls.filter((q) => !q.includes(' AS source, '));
    expect(scans).toHaveLength(summary.queries);
    expect(summary.queries).toBe(5);
    for (const sql of scans) {
      expect(sql).toMatch(/FROM "vigil"\."\w+"/);
      expect(sql).toContain(`("dt" = '2026-01-05' AND "hour" IN ('07', '08', '09'))`);
    }
    // …then the data-quality guard's one partition-count query (pruned to the days it judges) and detection.
    const counts = sqls.filter((q) => q.includes(' AS source, '));
    expect(counts).toHaveLength(1);
    expect(counts[0]).toContain(`WHERE "dt" >= '2025-12-15' AND "dt" <= '2026-01-05'`);
    expect(detection).toMatchObject({
      job: 'detection',
      grain: 'hour',
      judged: 3,
      queries: 1,
      undelivered: [],
    });
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(start.WorkGroup).toBe('vigil');
    const csv = new TextDecoder().decode(
      [...objects.entries()].find(([k]) => k.includes('T070000Z/run-'))![1].body,
    );
    // The output CSV's columns and the store's own `samples` (a percentile's volume).
    expect(csv.split('\n')[0]).toBe(
      'metric,grain,window_start,slice,value,numerator,denominator,ci_low,ci_high,samples',
    );
    expect(csv).toContain('impressions,hour,2026-01-05T07:00:00Z,,10,');
  });

  it('accepts an EventBridge "Scheduled Event" and a manual empty invoke', async () => {
    fakeAthena();
    const objects = fakeS3();
    await hourly.handler(
      { 'detail-type': 'Scheduled Event', time: '2026-01-05T10:15:00Z', source: 'aws.events' },
      lambdaContext,
    );
    expect(manifests(objects)).toHaveLength(3);
    await expect(hourly.handler({}, lambdaContext)).resolves.toBeDefined();
  });

  it('fails the invocation when Athena reports FAILED, with the reason, and writes nothing', async () => {
    fakeAthena();
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: 'HIVE_CANNOT_OPEN_SPLIT: corrupt file',
          AthenaError: { ErrorType: 1101 },
        },
      },
    });
    const objects = fakeS3();
    await expect(
      hourly.handler({ job: 'hourly', scheduledTime: '2026-01-05T10:15:00Z' }, lambdaContext),
    ).rejects.toThrow(/hourly job failed: partition row counts FAILED on Athena.*HIVE_CANNOT_OPEN_SPLIT/);
    expect(manifests(objects)).toEqual([]);
    // The guard's partition count runs first (it also tells which windows the lake covers): nothing
    // was computed, no state advanced, nothing sent.
    expect(objects.has('alerts/state/hour.json')).toBe(false);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('rides out Athena throttling and succeeds', async () => {
    const throttle = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    const { sqls, starts } = fakeAthena({ throttleFirst: 3, throttle });
    const objects = fakeS3();
    const out = await hourly.handler({ job: 'hourly', scheduledTime: '2026-01-05T10:15:00Z' }, lambdaContext);
    expect(out.jobs[0]!.written).toBe(3);
    expect(manifests(objects)).toHaveLength(3);
    expect(starts()).toBe(sqls.length + 3);
  });

  it('times out a stuck query: stops it and fails the invocation', async () => {
    vi.stubEnv('VIGIL_QUERY_TIMEOUT_MS', '30');
    fakeAthena();
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    fakeS3();
    await expect(
      hourly.handler({ job: 'hourly', scheduledTime: '2026-01-05T10:15:00Z' }, lambdaContext),
    ).rejects.toThrow(/timed out on Athena/);
    expect(athena.commandCalls(StopQueryExecutionCommand).length).toBeGreaterThan(0);
  });

  it('rejects a malformed schedule event', async () => {
    await expect(
      hourly.handler({ job: 'hourly', scheduledTime: 'yesterday' }, lambdaContext),
    ).rejects.toThrow(/hourly schedule event/);
    await expect(
      hourly.handler({ job: 'weekly', scheduledTime: '2026-01-05T10:15:00Z' }, lambdaContext),
    ).rejects.toThrow();
  });
});

describe('daily handler', () => {
  it('computes yesterday at day grain', async () => {
    fakeAthena();
    const objects = fakeS3();
    const out = await daily.handler({ job: 'daily', scheduledTime: '2026-01-06T01:30:00Z' }, lambdaContext);
    // Yesterday, and the day before for its late data.
    expect(manifests(objects)).toEqual([
      'metrics/grain=day/window=2026-01-04T000000Z/_manifest.json',
      'metrics/grain=day/window=2026-01-05T000000Z/_manifest.json',
    ]);
    expect(out.jobs[0]).toMatchObject({ grain: 'day', windows: 2, written: 2 });
    expect(out.jobs[1]).toMatchObject({ job: 'detection', grain: 'day', judged: 2, undelivered: [] });
  });
});

describe('rerun handler', () => {
  it('runs a small range now', async () => {
    fakeAthena();
    const objects = fakeS3();
    const out = await rerun.handler(
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T00:00:00Z',
        to: '2026-01-05T06:00:00Z',
        jobs: ['metrics'],
      },
      lambdaContext,
    );
    expect('jobs' in out && out.jobs[0]).toMatchObject({ job: 'metrics', written: 6 });
    expect('jobs' in out && out.jobs).toHaveLength(1);
    expect(manifests(objects)).toHaveLength(6);
  });

  it('plans a year of single-hour chunks into a state far below the 256 KB Step Functions limit', async () => {
    for (const grain of ['hour', 'day'] as const) {
      const out = (await rerun.handler(
        {
          action: 'plan',
          grain,
          from: '2025-01-01T00:00:00Z',
          to: grain === 'hour' ? '2026-01-01T00:00:00Z' : '2049-01-01T00:00:00Z',
          chunkWindows: 1,
        },
        lambdaContext,
      )) as { windows: number; chunks: { from: string; to: string }[] };
      expect(out.chunks.length).toBeLessThanOrEqual(rerun.MAX_PLAN_CHUNKS * 1.3);
      expect(out.chunks[0]!.from).toBe('2025-01-01T00:00:00Z');
      // The input, the plan's chunks and the Map's (discarded) results: the state is the plan.
      expect(Buffer.byteLength(JSON.stringify({ plan: out }))).toBeLessThan(256 * 1024 * 0.6);
    }
  });

  it("takes the schedules' leases: a window a scheduled run holds is skipped, not written twice", async () => {
    fakeAthena();
    const objects = fakeS3();
    // The hourly job of another invocation holds 02:00 (its lease has not expired).
    const lease = {
      owner: 'hourly-invocation',
      token: 't',
      acquiredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
    };
    const key = 'leases/metrics/grain=hour/window=2026-01-05T020000Z.json';
    objects.set(key, { body: new TextEncoder().encode(JSON.stringify(lease)), etag: '"held"' });
    const out = await rerun.handler(
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T00:00:00Z',
        to: '2026-01-05T04:00:00Z',
        jobs: ['metrics'],
      },
      lambdaContext,
    );
    expect('jobs' in out && out.jobs[0]).toMatchObject({
      job: 'metrics',
      written: 3,
      skipped: [{ window: '2026-01-05T02:00:00Z', heldBy: 'hourly-invocation' }],
    });
    expect(manifests(objects)).not.toContain('metrics/grain=hour/window=2026-01-05T020000Z/_manifest.json');
    expect(manifests(objects)).toHaveLength(3);
    // Its own leases are released; the other run's is left alone.
    expect([...objects.keys()].filter((k) => k.startsWith('leases/'))).toEqual([key]);
  });

  it('plans a backfill into chunks for the state machine', async () => {
    const out = await rerun.handler(
      { action: 'plan', grain: 'hour', from: '2026-01-01T00:00:00Z', to: '2026-01-03T12:00:00Z' },
      lambdaContext,
    );
    expect(out).toEqual({
      windows: 60,
      chunks: [
        {
          action: 'run',
          grain: 'hour',
          from: '2026-01-01T00:00:00Z',
          to: '2026-01-02T00:00:00Z',
          jobs: ['metrics'],
        },
        {
          action: 'run',
          grain: 'hour',
          from: '2026-01-02T00:00:00Z',
          to: '2026-01-03T00:00:00Z',
          jobs: ['metrics'],
        },
        {
          action: 'run',
          grain: 'hour',
          from: '2026-01-03T00:00:00Z',
          to: '2026-01-03T12:00:00Z',
          jobs: ['metrics'],
        },
      ],
    });
  });

  it.each([
    [
      'SQL in the payload',
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T00:00:00Z',
        to: '2026-01-05T01:00:00Z',
        sql: 'DROP TABLE x',
      },
      /Unrecognized key/,
    ],
    [
      'an unknown job',
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T00:00:00Z',
        to: '2026-01-05T01:00:00Z',
        jobs: ['shell'],
      },
      /jobs\.0/,
    ],
    [
      'a bad grain',
      { action: 'run', grain: 'week', from: '2026-01-05T00:00:00Z', to: '2026-01-06T00:00:00Z' },
      /grain/,
    ],
    [
      'a non-ISO time',
      { action: 'run', grain: 'hour', from: 'last tuesday', to: '2026-01-05T01:00:00Z' },
      /from/,
    ],
    [
      'an unaligned window',
      { action: 'run', grain: 'day', from: '2026-01-05T03:00:00Z', to: '2026-01-06T00:00:00Z' },
      /not aligned/,
    ],
    [
      'an empty range',
      { action: 'run', grain: 'hour', from: '2026-01-05T01:00:00Z', to: '2026-01-05T01:00:00Z' },
      /must be before/,
    ],
    [
      'too many windows for one run',
      { action: 'run', grain: 'hour', from: '2026-01-01T00:00:00Z', to: '2026-01-05T00:00:00Z' },
      /state machine/,
    ],
    [
      'a job named twice',
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T00:00:00Z',
        to: '2026-01-05T01:00:00Z',
        jobs: ['metrics', 'metrics'],
      },
      /jobs: a job is named twice/,
    ],
    [
      'detection in a plan (it cannot fan out)',
      {
        action: 'plan',
        grain: 'hour',
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-05T00:00:00Z',
        jobs: ['metrics', 'detection'],
      },
      /detection judges windows in time order/,
    ],
    [
      'too many windows for one detection run',
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-16T00:00:00Z',
        jobs: ['detection'],
      },
      /360 hour windows is more than one detection run may judge \(336\)/,
    ],
    [
      'an oversized payload',
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T00:00:00Z',
        to: '2026-01-05T01:00:00Z',
        note: 'x'.repeat(5000),
      },
      /rerun payload: \(root\): \d+ bytes is more than 4096/,
    ],
    ['no action', { grain: 'hour', from: '2026-01-05T00:00:00Z', to: '2026-01-05T01:00:00Z' }, /action/],
    ['not an object', 'rerun please', /rerun payload/],
  ])('rejects %s', async (_, payload, message) => {
    fakeAthena();
    fakeS3();
    await expect(rerun.handler(payload, lambdaContext)).rejects.toThrow(message);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });
});

describe('alert sink in the container', () => {
  it('throws when SNS fails, so the caller never marks the alert sent', async () => {
    sns.on(PublishCommand).rejectsOnce(new Error('InternalError')).resolves({ MessageId: 'm' });
    const c = container.container();
    let marked = false;
    const deliver = async () => {
      await c.sink.send(ALERT);
      marked = true;
    };
    await expect(deliver()).rejects.toThrow('InternalError');
    expect(marked).toBe(false);
    await deliver();
    expect(marked).toBe(true);
    expect(sns.commandCalls(PublishCommand)[1]!.args[0].input.TopicArn).toBe(ENV.VIGIL_TOPIC_ARN);
  });
});

describe('hourly handler: detection and alerts through SNS', () => {
  const EVENT = { job: 'hourly', scheduledTime: '2026-01-05T10:15:00Z' };
  const INCIDENT = Date.parse('2026-01-05T07:00:00Z');
  const H = 3_600_000;
  /** Counts near 1000 an hour (a little deterministic noise) collapse to 10 from 07:00: every ratio stays 1. */
  const value = (w: number) => (w * 1000 >= INCIDENT ? '10' : String(1000 + (((w / 3600) * 37) % 61)));
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

  /** Two weeks of hourly metric history before the incident, written by 48-hour metrics reruns. */
  async function seedHistory(): Promise<void> {
    for (let t = INCIDENT - 14 * 24 * H; t < INCIDENT; t += 48 * H)
      await rerun.handler(
        { action: 'run', grain: 'hour', from: iso(t), to: iso(t + 48 * H), jobs: ['metrics'] },
        lambdaContext,
      );
  }

  type Rec = { status: string; attempts: number; lastError?: string; alert: { dedupeKey: string } };
  const records = (objects: ReturnType<typeof fakeS3>, folder: 'pending' | 'sent'): Rec[] =>
    [...objects.entries()]
      .filter(([k]) => k.startsWith(`alerts/outbox/${folder}/`))
      .map(([, o]) => JSON.parse(new TextDecoder().decode(o.body)) as Rec);

  it('recomputes, guards, detects the collapse and publishes one message per incident', async () => {
    fakeAthena({ value });
    const objects = fakeS3();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await seedHistory();
    const out = await hourly.handler(EVENT, lambdaContext);
    const [m, d] = out.jobs;
    expect(m).toMatchObject({ job: 'metrics', windows: 3, written: 3, failed: [] });
    expect(d).toMatchObject({
      job: 'detection',
      from: '2026-01-05T07:00:00Z',
      to: '2026-01-05T10:00:00Z',
      judged: 3,
      dataIssues: 0,
      undelivered: [],
    });
    expect(d.alerts).toBeGreaterThan(0);
    expect(d.sent).toBe(d.alerts);
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(d.alerts);
    // `metric` names every metric an incident covers, its head first (String.Array).
    const covered = (p: (typeof published)[number]) =>
      JSON.parse(p.MessageAttributes!.metric!.StringValue!) as string[];
    const metrics = published.flatMap(covered);
    // Counts collapsed; ratios (10/10 against ~1000/~1000) did not move. Removals moved with their
    // exposure (impressions), so they are judged against it and raise nothing of their own.
    expect(metrics).toContain('impressions');
    expect(metrics).not.toContain('removals');
    expect(metrics).not.toContain('automated_action_share');
    expect(metrics).not.toContain('removals_per_10k_impressions');
    const impressions = published.find((p) => covered(p)[0] === 'impressions')!;
    expect(impressions.TopicArn).toBe(ENV.VIGIL_TOPIC_ARN);
    expect(impressions.Subject).toMatch(
      // The exposure's own move is a traffic notice; a collapse to 1% is an outage, never low.
      /^\[Vigil (CRITICAL|HIGH)\] TRAFFIC impressions total down since 2026-01-05T07:00:00Z$/,
    );
    // E-mail gets the readable text; every other protocol the alert JSON.
    const bodies = JSON.parse(impressions.Message!) as { default: string; email: string };
    expect(bodies.email).toMatch(/\nobserved: +10\.0\nexpected: +10[0-6]\d\n/);
    expect(bodies.email).toContain('Report: https://');
    expect(JSON.parse(bodies.default)).toMatchObject({
      kind: 'metric_incident',
      metric: 'impressions',
      status: 'open',
      observed: 10,
      subject: impressions.Subject,
      reportUrl: expect.stringMatching(/^https:\/\//),
    });
    expect(impressions.MessageAttributes).toMatchObject({
      severity: { DataType: 'String', StringValue: expect.stringMatching(/^(critical|high|medium|low)$/) },
      metric: { DataType: 'String.Array', StringValue: '["impressions"]' },
      region: { DataType: 'String.Array', StringValue: '["ALL"]' },
      status: { DataType: 'String', StringValue: 'open' },
    });
    // Outbox: everything sent once, nothing pending; the incident state moved to the judged hour.
    expect(records(objects, 'pending')).toEqual([]);
    expect(records(objects, 'sent').map((r) => r.status)).toEqual(published.map(() => 'sent'));
    const book = JSON.parse(new TextDecoder().decode(objects.get('alerts/state/hour.json')!.body));
    expect(book.processedThrough).toBe('2026-01-05T09:00:00Z');
  });

  it('keeps alerts pending in the S3 outbox when SNS fails, fails the invocation, then sends each exactly once', async () => {
    fakeAthena({ value });
    const objects = fakeS3();
    await seedHistory();
    sns.on(PublishCommand).rejects(new Error('InternalErrorException: SNS unavailable'));
    await expect(hourly.handler(EVENT, lambdaContext)).rejects.toThrow(
      /\d+ alert\(s\) not delivered, kept pending for the next run; first: metric_incident:.*InternalErrorException/,
    );
    const pending = records(objects, 'pending');
    expect(pending.length).toBeGreaterThan(0);
    for (const r of pending)
      expect(r).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastError: expect.stringContaining('SNS unavailable'),
      });
    expect(records(objects, 'sent')).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(pending.length);

    // The retry of the same event (Lambda's own, or the next hour's run) with SNS back.
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const out = await hourly.handler(EVENT, lambdaContext);
    expect(out.jobs[1]).toMatchObject({ judged: 0, alerts: 0, sent: pending.length, undelivered: [] });
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(published).toHaveLength(pending.length);
    expect(new Set(published).size).toBe(pending.length);
    expect(records(objects, 'pending')).toEqual([]);
    const sent = records(objects, 'sent');
    expect(sent.map((r) => r.alert.dedupeKey).sort()).toEqual(pending.map((r) => r.alert.dedupeKey).sort());
    for (const r of sent) expect(r).toMatchObject({ status: 'sent', attempts: 2 });

    // A third run sends nothing again.
    await hourly.handler(EVENT, lambdaContext);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(pending.length);
  });

  it('rerun runs metrics then detection over a range (whatever the order named)', async () => {
    fakeAthena({ value });
    const objects = fakeS3();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await seedHistory();
    const out = await rerun.handler(
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T07:00:00Z',
        to: '2026-01-05T10:00:00Z',
        jobs: ['detection', 'metrics'],
      },
      lambdaContext,
    );
    if (!('jobs' in out)) throw new Error('expected a run');
    expect(out.jobs.map((j) => j.job)).toEqual(['metrics', 'detection']);
    expect(out.jobs[1]).toMatchObject({ judged: 3, undelivered: [] });
    expect(sns.commandCalls(PublishCommand).length).toBeGreaterThan(0);
    expect(records(objects, 'pending')).toEqual([]);
    // Detection never judges a window twice: a second detection rerun records nothing new.
    const again = await rerun.handler(
      {
        action: 'run',
        grain: 'hour',
        from: '2026-01-05T07:00:00Z',
        to: '2026-01-05T10:00:00Z',
        jobs: ['detection'],
      },
      lambdaContext,
    );
    expect('jobs' in again && again.jobs).toEqual([
      expect.objectContaining({ job: 'detection', judged: 0, alerts: 0 }),
    ]);
  });
});
