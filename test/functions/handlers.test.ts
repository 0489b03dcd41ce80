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
    const [summary] = out.jobs;
    expect(summary).toMatchObject({ job: 'metrics', grain: 'hour', windows: 3, written: 3, failed: [] });
    expect(summary!.from).toBe('2026-01-05T07:00:00Z');
    expect(summary!.bytesScanned).toBe(1000 * summary!.queries);
    // One scan per source for the whole batch, partition-pruned, on the Glue database.
    expect(sqls).toHaveLength(summary!.queries);
    for (const sql of sqls) {
      expect(sql).toMatch(/FROM "vigil"\."\w+"/);
      expect(sql).toContain(`("dt" = '2026-01-05' AND "hour" IN ('07', '08', '09'))`);
    }
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(start.WorkGroup).toBe('vigil');
    const csv = new TextDecoder().decode(
      [...objects.entries()].find(([k]) => k.includes('T070000Z/run-'))![1].body,
    );
    expect(csv.split('\n')[0]).toBe(
      'metric,grain,window_start,slice,value,numerator,denominator,ci_low,ci_high',
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
    ).rejects.toThrow(/metrics job failed for 3 of 3 hour windows.*FAILED on Athena.*HIVE_CANNOT_OPEN_SPLIT/);
    expect(manifests(objects)).toEqual([]);
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
    expect(manifests(objects)).toEqual(['metrics/grain=day/window=2026-01-05T000000Z/_manifest.json']);
    expect(out.jobs[0]).toMatchObject({ grain: 'day', windows: 1, written: 1 });
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
    expect('jobs' in out && out.jobs?.[0]?.written).toBe(6);
    expect(manifests(objects)).toHaveLength(6);
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
