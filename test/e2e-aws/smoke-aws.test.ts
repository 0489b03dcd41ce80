import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyClients, smokeClients } from '../../scripts/smoke-aws/clients.js';
import { QUEUE_PREFIX, smokePolicy } from '../../scripts/smoke-aws/policy.js';
import {
  checkNoLeases,
  invokeJob,
  runSmoke,
  SMOKE_SCENARIO,
  type SmokeClients,
  type SmokeReport,
  STACK_OUTPUTS,
  type StackOutputs,
} from '../../scripts/smoke-aws/steps.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { prefixOf } from '../../shared/storage/layout.js';
import { EmulatedStack } from './deploy.js';
import type { TlsIdentity } from './loopback.js';
import { synthStack } from './synth.js';
import { selfSignedIdentity, trusting } from './tls.js';

/**
 * `npm run smoke:aws`'s steps (scripts/smoke-aws/steps.ts) run against the emulation instead of a
 * sandbox account: the synthesized stack "deployed" (bundles, roles, bucket and topic policies, the
 * rerun state machine), every service over HTTPS with a certificate made for this run, and the
 * steps' caller holding only the policy the smoke documents (scripts/smoke-aws/policy.ts).
 */
const ENV = { account: '123456789012', region: 'eu-west-1' };
const STACK = 'VigilSmoke';
const OPERATOR = 'AKIASMOKEOPERATOR';

let out: string;
let lakeDir: string;
let tls: TlsIdentity;
let stack: EmulatedStack;
let outputs: StackOutputs;
let clients: SmokeClients;
let report: SmokeReport;
const log: string[] = [];

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'vigil-smoke-cdk-'));
  synthStack(out, STACK, ENV);
  lakeDir = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-smoke-lake-')), 'lake');
  const l = SMOKE_SCENARIO.lake;
  await generateLake(
    buildScenario({ seed: l.seed, start: new Date(l.start), days: l.days, impressions: l.impressions }),
    lakeDir,
  );
  tls = await selfSignedIdentity();
  stack = new EmulatedStack({ assembly: out, stackName: STACK, ...ENV, tls });
  await stack.start();
  outputs = Object.fromEntries(STACK_OUTPUTS.map((k) => [k, stack.output(k)])) as StackOutputs;
  stack.addCaller(OPERATOR, 'smoke-operator', [smokePolicy(outputs, ENV.region, ENV.account)]);
  clients = smokeClients({
    region: ENV.region,
    credentials: { accessKeyId: OPERATOR, secretAccessKey: 'emulated' },
    endpoints: stack.endpoints(),
    ...trusting(tls),
  });
}, 300_000);

afterAll(async () => {
  if (clients) destroyClients(clients);
  await stack?.stop();
  for (const d of [out, lakeDir && path.dirname(lakeDir)]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('the smoke:aws steps on the emulated stack', () => {
  it('uploads the lake, backfills through the state machine, runs hourly and daily, gets the alert through SQS', async () => {
    report = await runSmoke(clients, outputs, {
      lakeDir,
      queueName: `${QUEUE_PREFIX}test`,
      executionName: 'smoke-test',
      pollMs: 200,
      rerunTimeoutMs: 240_000,
      receiveTimeoutMs: 5_000,
      log: (l) => log.push(l),
    });
    // Every request of the steps, the state machine and the functions was allowed.
    expect(stack.account.denials).toEqual([]);
    expect(stack.sns.undelivered).toEqual([]);
    // The backfill ran through the state machine's definition: a plan, then one chunk per day.
    const reruns = stack.lambda.invocations.filter((i) => i.name === stack.fn('JobsRerun').name);
    expect(reruns.map((i) => (i.event as { action: string }).action)).toEqual(['plan', 'run', 'run', 'run']);
    expect(report.rerun.windows).toBe(60);
    // The message SQS received is the design's alert JSON, the one the outbox recorded as sent.
    const { alert, attributes } = report.alert;
    expect(alert).toMatchObject({ kind: 'metric_incident', status: 'open', grain: 'hour' });
    expect(alert.windowStart >= '2026-01-05T12:00:00Z' && alert.windowStart < '2026-01-05T15:00:00Z').toBe(
      true,
    );
    expect(alert.subject).toBe(report.alert.subject);
    expect(JSON.parse(attributes.region!.Value)).toEqual(alert.regions.length ? alert.regions : ['ALL']);
    // What the smoke made it also removed; the stack's own resources are left to cdk destroy.
    expect(stack.sqs.names()).toEqual([]);
    expect(stack.sns.subscriptionArns()).toEqual([]);
    expect(log.map((l) => l.split(':')[0])).toEqual([
      'subscribe',
      'upload lake',
      'rerun',
      'hourly',
      'alert',
      'daily',
    ]);
    expect(stack.s3.keys(outputs.ResultsBucketName, prefixOf('report')).length).toBeGreaterThan(0);
  }, 600_000);

  it('stops between steps when interrupted, and still removes its queue and subscription', async () => {
    const abort = new AbortController();
    abort.abort();
    const before = stack.lambda.invocations.length;
    await expect(
      runSmoke(clients, outputs, {
        lakeDir,
        queueName: `${QUEUE_PREFIX}interrupted`,
        executionName: 'smoke-interrupted',
        pollMs: 200,
        rerunTimeoutMs: 1_000,
        receiveTimeoutMs: 1_000,
        log: () => {},
        signal: abort.signal,
      }),
    ).rejects.toThrow(/^interrupted: stopped between steps$/);
    expect(stack.lambda.invocations.length).toBe(before);
    expect(stack.sqs.names()).toEqual([]);
    expect(stack.sns.subscriptionArns()).toEqual([]);
  });

  it("counts only leases on the smoke lake's windows (the sandbox's schedules hold today's)", async () => {
    const bucket = outputs.ResultsBucketName;
    const lease = (window: string) => `${prefixOf('leases')}metrics/grain=hour/window=${window}.json`;
    stack.s3.write(bucket, lease('2026-12-01T100000Z'), '{}');
    await checkNoLeases(clients, bucket, '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z');
    stack.s3.write(bucket, lease('2026-01-05T120000Z'), '{}');
    await expect(
      checkNoLeases(clients, bucket, '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z'),
    ).rejects.toThrow(
      /^leases: 1 leases left behind: leases\/metrics\/grain=hour\/window=2026-01-05T120000Z\.json$/,
    );
    for (const w of ['2026-12-01T100000Z', '2026-01-05T120000Z']) rmSync(stack.s3.pathOf(bucket, lease(w)));
  });

  it('fails a step with one line naming it and the function error', async () => {
    await expect(invokeJob(clients, outputs.HourlyFunctionName, { job: 'weekly' })).rejects.toThrow(
      /^invoke [^:]+: InputError: hourly schedule event: .+$/,
    );
  }, 120_000);
});

describe('aws:SecureTransport follows the connection', () => {
  const client = (endpoint: string, key: string) =>
    new S3Client({
      region: ENV.region,
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: key, secretAccessKey: 'emulated' },
      ...trusting(tls),
    });

  it("denies plain HTTP to the stack's buckets by their TLS-only policy, and allows HTTPS", async () => {
    const rerun = stack.fn('JobsRerun');
    const key = rerun.env.AWS_ACCESS_KEY_ID!;
    stack.account.denials.length = 0;
    const results = outputs.ResultsBucketName;
    const get = (c: S3Client) =>
      c.send(new GetObjectCommand({ Bucket: results, Key: 'config/vigil.json' })).then(
        async (r) => (await r.Body!.transformToString()).length > 0,
        (e: Error) => e.name,
      );
    expect(await get(client(stack.s3.endpoint, key))).toBe(true);
    expect(stack.account.denials).toEqual([]);
    expect(await get(client(stack.s3.httpEndpoint, key))).toBe('AccessDenied');
    const put = (c: S3Client) =>
      c
        .send(
          new PutObjectCommand({ Bucket: outputs.LakeBucketName, Key: 'impressions/x.parquet', Body: 'x' }),
        )
        .then(
          () => 'ok',
          (e: Error) => e.name,
        );
    expect(await put(client(stack.s3.httpEndpoint, OPERATOR))).toBe('AccessDenied');
    expect(await put(client(stack.s3.endpoint, OPERATOR))).toBe('ok');
    // Both refusals were the buckets' explicit SecureTransport deny, not a missing grant.
    expect(stack.account.denials.map((d) => [d.action, d.decision])).toEqual([
      ['s3:GetObject', 'ExplicitDeny'],
      ['s3:PutObject', 'ExplicitDeny'],
    ]);
  });
});
