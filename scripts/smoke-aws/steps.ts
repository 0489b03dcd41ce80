import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { S3ObjectStore } from '../../shared/adapters/s3/s3-object-store.js';
import { SOURCE_NAMES } from '../../shared/lake/sources.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import type { Alert } from '../../shared/ports/alert-sink.js';
import { reportKey } from '../../shared/report/write.js';
import { prefixOf, STORAGE_LAYOUT } from '../../shared/storage/layout.js';
import { addGrain, formatIso, type Grain, parseUtc, windowsInRange } from '../../shared/time/window.js';

/** The stack outputs the smoke reads (infra/vigil-stack.ts declares them). */
export const STACK_OUTPUTS = [
  'LakeBucketName',
  'ResultsBucketName',
  'AlertTopicArn',
  'HourlyFunctionName',
  'DailyFunctionName',
  'RerunFunctionName',
  'RerunStateMachineArn',
] as const;
export type StackOutputs = Record<(typeof STACK_OUTPUTS)[number], string>;

/** The SDK clients the steps use: real AWS from `npm run smoke:aws`, the emulation in the tests. */
export interface SmokeClients {
  readonly s3: S3Client;
  readonly lambda: LambdaClient;
  readonly sfn: SFNClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

/**
 * What the smoke runs, fixed: a 7-day lake (seed 7) whose classifier outage starts 2026-01-05 13:00,
 * a metrics backfill through the rerun state machine (history for the hourly detector's warm-up),
 * the hourly tick that judges the outage's first hours, and the daily tick of the day after.
 */
export const SMOKE_SCENARIO = {
  lake: { seed: 7, start: '2026-01-01T00:00:00Z', days: 7, impressions: 40_000 },
  backfill: { grain: 'hour', from: '2026-01-03T00:00:00Z', to: '2026-01-05T12:00:00Z', jobs: ['metrics'] },
  hourlyAt: '2026-01-05T15:15:00Z',
  dailyAt: '2026-01-06T01:30:00Z',
} as const;

/** A failed check: one line naming the step and what was found. */
export class SmokeFailure extends Error {
  override readonly name = 'SmokeFailure';
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
  }
}

export type Log = (line: string) => void;

export interface AlertQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly subscriptionArn: string;
}

/**
 * A temporary SQS queue subscribed to the alert topic: only that topic may send to it (queue
 * policy on `aws:SourceArn`), messages live an hour. Removed by `removeAlertQueue`.
 */
export async function subscribeAlertQueue(
  c: SmokeClients,
  topicArn: string,
  queueName: string,
): Promise<AlertQueue> {
  const { QueueUrl } = await c.sqs.send(
    new CreateQueueCommand({
      QueueName: queueName,
      Attributes: { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '3600' },
    }),
  );
  const queueUrl = QueueUrl!;
  const attrs = await c.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = attrs.Attributes?.QueueArn;
  if (!queueArn) throw new SmokeFailure('subscribe', `queue ${queueUrl} has no QueueArn`);
  await c.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AlertTopicOnly',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: queueArn,
              Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
            },
          ],
        }),
      },
    }),
  );
  const sub = await c.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      ReturnSubscriptionArn: true,
    }),
  );
  return { queueUrl, queueArn, subscriptionArn: sub.SubscriptionArn! };
}

/** Unsubscribes and deletes the queue; both are tried, and what failed is returned (not thrown). */
export async function removeAlertQueue(c: SmokeClients, q: Partial<AlertQueue>): Promise<string[]> {
  const errors: string[] = [];
  if (q.subscriptionArn)
    await c.sns
      .send(new UnsubscribeCommand({ SubscriptionArn: q.subscriptionArn }))
      .catch((e: Error) => errors.push(`unsubscribe ${q.subscriptionArn}: ${e.name}: ${e.message}`));
  if (q.queueUrl)
    await c.sqs
      .send(new DeleteQueueCommand({ QueueUrl: q.queueUrl }))
      .catch((e: Error) => errors.push(`delete queue ${q.queueUrl}: ${e.name}: ${e.message}`));
  return errors;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Uploads a generated lake's six source folders (Parquet and `_SUCCESS` markers) under the lake prefix. */
export async function uploadLake(
  c: SmokeClients,
  bucket: string,
  lakeDir: string,
  prefix = '',
  concurrency = 16,
): Promise<{ objects: number; bytes: number }> {
  const files: string[] = [];
  for (const s of SOURCE_NAMES) files.push(...(await filesUnder(path.join(lakeDir, s))));
  if (files.length === 0) throw new SmokeFailure('upload lake', `no source folders in ${lakeDir}`);
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      const body = await readFile(f);
      bytes += body.length;
      const key = `${prefix}${path.relative(lakeDir, f).split(path.sep).join('/')}`;
      await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { objects: files.length, bytes };
}

/** A synchronous invocation; a handler error fails the step with its type and message. */
export async function invokeJob(c: SmokeClients, functionName: string, event: unknown): Promise<unknown> {
  const r = await c.lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  const text = r.Payload ? new TextDecoder().decode(r.Payload) : 'null';
  if (r.FunctionError) {
    const e = JSON.parse(text) as { errorType?: string; errorMessage?: string };
    throw new SmokeFailure(`invoke ${functionName}`, `${e.errorType}: ${e.errorMessage}`);
  }
  return JSON.parse(text) as unknown;
}

/** Starts the rerun state machine and waits for its end; anything but SUCCEEDED fails the step. */
export async function runRerunExecution(
  c: SmokeClients,
  stateMachineArn: string,
  input: unknown,
  o: { name: string; pollMs: number; timeoutMs: number },
): Promise<{ executionArn: string; ms: number }> {
  const started = Date.now();
  const { executionArn } = await c.sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: o.name, input: JSON.stringify(input) }),
  );
  for (;;) {
    const d = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status === 'SUCCEEDED') return { executionArn: executionArn!, ms: Date.now() - started };
    if (d.status !== 'RUNNING')
      throw new SmokeFailure(
        'rerun',
        `execution ${o.name} ${d.status}: ${d.error ?? ''} ${d.cause ?? ''}`.trim(),
      );
    if (Date.now() - started > o.timeoutMs)
      throw new SmokeFailure('rerun', `execution ${o.name} still RUNNING after ${o.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}

async function listKeys(c: SmokeClients, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await c.s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) keys.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Every window of `[from, to)` has a manifest (read as the jobs read it) naming a data file that
 * exists and holds rows.
 */
export async function checkManifests(
  c: SmokeClients,
  bucket: string,
  grain: Grain,
  from: string,
  to: string,
): Promise<{ windows: number; rows: number }> {
  const store = new MetricStore(new S3ObjectStore({ client: c.s3, bucket }));
  let rows = 0;
  const windows = windowsInRange(grain, parseUtc(from, 'from'), parseUtc(to, 'to'));
  for (const w of windows) {
    const m = await store.readManifest(grain, w.start);
    const at = `${grain} ${w.start.toISOString()}`;
    if (!m) throw new SmokeFailure('manifests', `no manifest for the ${at} window`);
    if (m.rows <= 0) throw new SmokeFailure('manifests', `the ${at} manifest names no rows`);
    await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: m.data })).catch((e: Error) => {
      throw new SmokeFailure(
        'manifests',
        `the ${at} manifest names ${m.data}, which is not there (${e.name})`,
      );
    });
    rows += m.rows;
  }
  return { windows: windows.length, rows };
}

/** The outbox after a delivering run: sent records, nothing pending. Returns the sent alerts. */
export async function checkOutbox(c: SmokeClients, bucket: string): Promise<Alert[]> {
  const keys = await listKeys(c, bucket, prefixOf('alertOutbox'));
  const pending = keys.filter((k) => k.includes('/pending/'));
  if (pending.length > 0)
    throw new SmokeFailure('outbox', `${pending.length} alerts still pending: ${pending[0]}`);
  const sent = keys.filter((k) => k.includes('/sent/'));
  if (sent.length === 0) throw new SmokeFailure('outbox', 'no alert was sent');
  const store = new S3ObjectStore({ client: c.s3, bucket });
  const alerts: Alert[] = [];
  for (const k of sent) {
    const obj = await store.get(k);
    alerts.push((JSON.parse(new TextDecoder().decode(obj!.body)) as { alert: Alert }).alert);
  }
  return alerts;
}

/**
 * No run holds a lease on a window of `[from, to)` once the jobs have returned. Leases of other
 * windows are not the smoke's: the sandbox stack's own schedules keep firing on the current hours.
 */
export async function checkNoLeases(
  c: SmokeClients,
  bucket: string,
  from: string,
  to: string,
): Promise<void> {
  const held = (await listKeys(c, bucket, prefixOf('leases'))).filter((k) => {
    const m = /window=(\d{4}-\d{2}-\d{2}T\d{2})(\d{2})(\d{2})Z/.exec(k);
    if (!m) return true;
    const at = `${m[1]}:${m[2]}:${m[3]}Z`;
    return at >= from && at < to;
  });
  if (held.length > 0) throw new SmokeFailure('leases', `${held.length} leases left behind: ${held[0]}`);
}

/** The daily job wrote the report every alert links to. */
export async function checkReport(c: SmokeClients, bucket: string): Promise<string> {
  const key = reportKey(STORAGE_LAYOUT.report.prefix);
  await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((e: Error) => {
    throw new SmokeFailure('report', `s3://${bucket}/${key} is not there (${e.name})`);
  });
  return key;
}

/** The fields of the alert format every message carries (DESIGN: Alert format). */
const ALERT_FIELDS = [
  'dedupeKey',
  'kind',
  'status',
  'severity',
  'metric',
  'slice',
  'grain',
  'since',
  'windowStart',
  'observed',
  'expected',
  'direction',
  'topSlices',
  'summary',
  'subject',
] as const;
/** Message attributes subscribers filter on, with their SNS data types. */
const ATTRIBUTES = {
  severity: 'String',
  metric: 'String.Array',
  status: 'String',
  kind: 'String',
  region: 'String.Array',
};

export interface ReceivedAlert {
  readonly alert: Alert & { readonly subject: string };
  /** The SNS subject (what e-mail subscribers see). */
  readonly subject?: string;
  readonly attributes: Record<string, { Type: string; Value: string }>;
}

/**
 * Long-polls the queue until SNS delivers a message of the alert topic carrying one of `expected`
 * (the outbox's sent alerts); checks its envelope, body and attributes, then deletes it.
 */
export async function receiveAlert(
  c: SmokeClients,
  q: AlertQueue,
  topicArn: string,
  expected: readonly Alert[],
  timeoutMs: number,
): Promise<ReceivedAlert> {
  const keys = new Set(expected.map((a) => `${a.dedupeKey}\n${a.status}\n${a.windowStart}`));
  const until = Date.now() + timeoutMs;
  const seen: string[] = [];
  while (Date.now() < until) {
    const wait = Math.max(0, Math.min(20, Math.floor((until - Date.now()) / 1000)));
    const r = await c.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: wait }),
    );
    for (const m of r.Messages ?? []) {
      const env = JSON.parse(m.Body ?? '{}') as {
        Type?: string;
        TopicArn?: string;
        Subject?: string;
        Message?: string;
        MessageAttributes?: Record<string, { Type: string; Value: string }>;
      };
      await c.sqs.send(new DeleteMessageCommand({ QueueUrl: q.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      if (env.Type !== 'Notification' || env.TopicArn !== topicArn) continue;
      const alert = JSON.parse(env.Message ?? '{}') as Alert & { subject: string };
      seen.push(`${alert.metric} ${alert.status} ${alert.windowStart}`);
      if (!keys.has(`${alert.dedupeKey}\n${alert.status}\n${alert.windowStart}`)) continue;
      const missing = ALERT_FIELDS.filter((f) => !(f in alert));
      if (missing.length > 0) throw new SmokeFailure('alert', `message lacks ${missing.join(', ')}`);
      const attributes = env.MessageAttributes ?? {};
      for (const [name, type] of Object.entries(ATTRIBUTES))
        if (attributes[name]?.Type !== type)
          throw new SmokeFailure(
            'alert',
            `attribute ${name} is ${JSON.stringify(attributes[name])}, not ${type}`,
          );
      const metrics = JSON.parse(attributes.metric?.Value ?? '[]') as unknown;
      if (attributes.status?.Value !== alert.status || !Array.isArray(metrics) || metrics[0] !== alert.metric)
        throw new SmokeFailure('alert', 'the status/metric attributes disagree with the message');
      return { alert, attributes, ...(env.Subject ? { subject: env.Subject } : {}) };
    }
  }
  throw new SmokeFailure(
    'alert',
    `no alert of the outbox arrived on the queue in ${timeoutMs} ms (${seen.length ? `got ${seen.join('; ')}` : 'none arrived'})`,
  );
}

export interface SmokeOptions {
  /** A generated lake (SMOKE_SCENARIO.lake) on disk. */
  readonly lakeDir: string;
  /** Name of the temporary alert queue (unique per run). */
  readonly queueName: string;
  /** Name of the rerun execution (unique per run). */
  readonly executionName: string;
  readonly pollMs: number;
  readonly rerunTimeoutMs: number;
  readonly receiveTimeoutMs: number;
  readonly log: Log;
  /** Checked between steps: an aborted run stops there (and still removes its queue). */
  readonly signal?: AbortSignal;
}

/** The smoke lake's time range: the windows the smoke's runs compute. */
function lakeRange(): { from: string; to: string } {
  const start = parseUtc(SMOKE_SCENARIO.lake.start, 'start');
  return { from: formatIso(start), to: formatIso(addGrain(start, 'day', SMOKE_SCENARIO.lake.days)) };
}

export interface SmokeReport {
  readonly lake: { objects: number; bytes: number };
  readonly rerun: { executionArn: string; ms: number; windows: number };
  readonly hourly: unknown;
  readonly daily: unknown;
  readonly alert: ReceivedAlert;
  readonly report: string;
}

interface TickSummary {
  jobs: [{ from: string; to: string; grain: Grain; failed: unknown[] }, { undelivered: unknown[] }];
}

function summaryOf(step: string, value: unknown): TickSummary {
  const s = value as TickSummary;
  if (!Array.isArray(s?.jobs) || s.jobs.length !== 2)
    throw new SmokeFailure(step, `unexpected result ${JSON.stringify(value)}`);
  if (s.jobs[0].failed.length > 0)
    throw new SmokeFailure(step, `windows failed: ${JSON.stringify(s.jobs[0].failed)}`);
  if (s.jobs[1].undelivered.length > 0)
    throw new SmokeFailure(step, `alerts not delivered: ${JSON.stringify(s.jobs[1].undelivered)}`);
  return s;
}

/**
 * Runs a scheduled job as its schedule would (a scheduled time, nothing else), then checks that the
 * windows it names have their manifests and that no run left a lease on the smoke lake's windows.
 */
async function runScheduledJob(
  c: SmokeClients,
  functionName: string,
  job: 'hourly' | 'daily',
  scheduledTime: string,
  results: string,
): Promise<TickSummary> {
  const summary = summaryOf(job, await invokeJob(c, functionName, { job, scheduledTime }));
  const w = summary.jobs[0];
  await checkManifests(c, results, w.grain, w.from, w.to);
  const lake = lakeRange();
  await checkNoLeases(c, results, lake.from, lake.to);
  return summary;
}

/**
 * The smoke's steps on a deployed stack: subscribe a queue to the alert topic, upload the lake,
 * backfill through the rerun state machine, run the hourly and daily jobs as their schedules would,
 * and check manifests, leases, the outbox, the SNS message on the queue and the report. The queue
 * and its subscription are removed whatever happens.
 */
export async function runSmoke(c: SmokeClients, out: StackOutputs, o: SmokeOptions): Promise<SmokeReport> {
  const results = out.ResultsBucketName;
  o.log(`subscribe: queue ${o.queueName} to ${out.AlertTopicArn}`);
  const queue: Partial<AlertQueue> = {};
  try {
    Object.assign(queue, await subscribeAlertQueue(c, out.AlertTopicArn, o.queueName));
    const next = () => {
      if (o.signal?.aborted) throw new SmokeFailure('interrupted', 'stopped between steps');
    };
    next();
    const uploaded = await uploadLake(c, out.LakeBucketName, o.lakeDir);
    o.log(`upload lake: ${uploaded.objects} objects, ${(uploaded.bytes / 1024 ** 2).toFixed(1)} MiB`);
    next();
    const b = SMOKE_SCENARIO.backfill;
    const rerun = await runRerunExecution(c, out.RerunStateMachineArn, b, {
      name: o.executionName,
      pollMs: o.pollMs,
      timeoutMs: o.rerunTimeoutMs,
    });
    const backfilled = await checkManifests(c, results, b.grain, b.from, b.to);
    o.log(`rerun: ${backfilled.windows} hour windows in ${(rerun.ms / 1000).toFixed(0)} s, manifests ok`);
    next();
    const hourly = await runScheduledJob(
      c,
      out.HourlyFunctionName,
      'hourly',
      SMOKE_SCENARIO.hourlyAt,
      results,
    );
    const h = hourly.jobs[0];
    const sent = await checkOutbox(c, results);
    o.log(`hourly: windows ${h.from} → ${h.to}, manifests ok, ${sent.length} alerts sent`);
    next();
    const alert = await receiveAlert(c, queue as AlertQueue, out.AlertTopicArn, sent, o.receiveTimeoutMs);
    o.log(`alert: "${alert.subject}" received through SQS`);
    next();
    const daily = await runScheduledJob(c, out.DailyFunctionName, 'daily', SMOKE_SCENARIO.dailyAt, results);
    const d = daily.jobs[0];
    const report = await checkReport(c, results);
    o.log(`daily: windows ${d.from} → ${d.to}, manifests ok, report at s3://${results}/${report}`);
    return {
      lake: uploaded,
      rerun: { ...rerun, windows: backfilled.windows },
      hourly,
      daily,
      alert,
      report,
    };
  } finally {
    const errors = await removeAlertQueue(c, queue);
    for (const e of errors) o.log(`cleanup: ${e}`);
  }
}
