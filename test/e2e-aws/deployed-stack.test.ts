import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { SOURCE_NAMES } from '../../shared/lake/sources.js';
import { prefixOf } from '../../shared/storage/layout.js';
import { EmulatedStack } from './deploy.js';
import type { Statement } from './iam.js';
import { type Invocation, invoke } from './lambda.js';
import { synthStack } from './synth.js';
import { selfSignedIdentity } from './tls.js';

/**
 * The deployed artefacts end to end: the stack synthesized with bundling ON, its three Lambda
 * bundles run in Node with their synthesized environment against the S3, Athena (on DuckDB) and SNS
 * emulations over HTTPS, every request authorized against the template's IAM policies.
 */
const ENV = { account: '123456789012', region: 'eu-west-1' };
const STACK = 'VigilE2E';
/** The hour the hourly schedule fires for: the planted classifier outage starts at 13:00. */
const T0 = '2026-01-05T15:15:00Z';
/** History enough for hourly detection's 48-hour warm-up. */
const BACKFILL = { from: '2026-01-03T00:00:00Z', to: '2026-01-05T12:00:00Z' };

let out: string;
let stack: EmulatedStack;
let lakeManifest: LakeManifest;
let resultsBucket: string;
let snapshot: string;
let lakeDir: string | undefined;

/** A fresh lake each run: a cached one from an older generator (no _SUCCESS markers) never settles. */
async function lake(): Promise<{ dir: string; manifest: LakeManifest }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-lake-'));
  lakeDir = dir;
  const scenario = buildScenario({
    seed: 7,
    start: new Date('2026-01-01T00:00:00Z'),
    days: 7,
    impressions: 40_000,
  });
  return { dir, manifest: await generateLake(scenario, dir) };
}

const results = () => stack.s3.keys(resultsBucket);
const manifests = (grain: string) =>
  results().filter(
    (k) => k.startsWith(`${prefixOf('metrics')}grain=${grain}/`) && k.endsWith('_manifest.json'),
  );

function expectOk(r: Invocation): void {
  if (!r.ok)
    throw new Error(`invocation failed: ${r.error?.name}: ${r.error?.message}\n${r.logs.slice(-3000)}`);
}

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-aws-'));
  synthStack(out, STACK, ENV);
  const l = await lake();
  lakeManifest = l.manifest;
  stack = new EmulatedStack({ assembly: out, stackName: STACK, ...ENV, tls: await selfSignedIdentity() });
  await stack.start();
  resultsBucket = stack.output('ResultsBucketName');
  const lakeBucket = stack.output('LakeBucketName');
  for (const s of SOURCE_NAMES)
    cpSync(path.join(l.dir, s), stack.s3.pathOf(lakeBucket, s), { recursive: true });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
  if (lakeDir) rmSync(lakeDir, { recursive: true, force: true });
});

describe('the deployed stack on emulated AWS', () => {
  it('runs a rerun execution: plan, then every chunk as the state machine Map would, 0 denials', async () => {
    const rerun = stack.fn('JobsRerun');
    const plan = await invoke(rerun, {
      action: 'plan',
      grain: 'hour',
      ...BACKFILL,
      jobs: ['metrics'],
      chunkWindows: 48,
    });
    expectOk(plan);
    const chunks = (plan.value as { chunks: unknown[] }).chunks;
    expect(chunks).toHaveLength(2);
    for (const chunk of chunks) expectOk(await invoke(rerun, chunk));
    expect(stack.account.denials).toEqual([]);
    expect(manifests('hour')).toHaveLength(60);
    expect(results().some((k) => k.startsWith(prefixOf('leases')))).toBe(false); // released
    expect(results().some((k) => k.startsWith(prefixOf('athenaResults')))).toBe(true);
    snapshot = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-snapshot-'));
    cpSync(stack.s3.pathOf(resultsBucket, 'x').slice(0, -1), snapshot, { recursive: true });
  }, 120_000);

  it('runs the hourly job: recompute, detect the planted outage, alert on SNS, 0 denials', async () => {
    const r = await invoke(stack.fn('JobsHourly'), { job: 'hourly', scheduledTime: T0 });
    expectOk(r);
    expect(stack.account.denials).toEqual([]);
    const [m, d] = (r.value as { jobs: Record<string, unknown>[] }).jobs;
    expect(m).toMatchObject({ job: 'metrics', windows: 3, written: 3, failed: [] });
    expect(m!.bytesScanned).toBeGreaterThan(0);
    expect(d).toMatchObject({ job: 'detection', judged: 3, undelivered: [] });
    expect(stack.sns.published.length).toBeGreaterThan(0);
    const planted = lakeManifest.incidents
      .filter((i) => i.start < '2026-01-05T15:00:00Z' && i.end > '2026-01-05T12:00:00Z')
      .flatMap((i) => i.metrics.map((x) => x.metric));
    const alerted = stack.sns.published.flatMap(
      (p) => JSON.parse(p.attributes.metric?.StringValue ?? '[]') as string[],
    );
    expect(alerted.some((m) => planted.includes(m))).toBe(true);
    for (const p of stack.sns.published) {
      expect(p.topicArn).toBe(stack.output('AlertTopicArn'));
      expect(p.attributes.status?.StringValue).toBe('open');
    }
    expect(results().some((k) => k.startsWith(`${prefixOf('alertOutbox')}sent/`))).toBe(true);
    expect(results().some((k) => k.startsWith(prefixOf('alertState')))).toBe(true);
    // Athena wrote its results into the workgroup location with the function's credentials.
    expect(stack.athena.history.every((q) => q.state === 'SUCCEEDED')).toBe(true);
  }, 120_000);

  it('runs the same hourly tick again idempotently: nothing new is sent, 0 denials', async () => {
    const before = stack.sns.published.length;
    const windows = manifests('hour').length;
    const r = await invoke(stack.fn('JobsHourly'), { job: 'hourly', scheduledTime: T0 });
    expectOk(r);
    expect(stack.account.denials).toEqual([]);
    expect(stack.sns.published.length).toBe(before);
    expect(manifests('hour')).toHaveLength(windows);
    expect((r.value as { jobs: Record<string, unknown>[] }).jobs[1]).toMatchObject({ judged: 0, alerts: 0 });
  }, 120_000);

  it('runs the daily job with 0 denials, merging its days from the hours without a day scan', async () => {
    // The hourly runs stored their windows' distinct keys and value counts.
    expect(results().some((k) => k.startsWith(prefixOf('intermediates')) && k.endsWith('.json.gz'))).toBe(
      true,
    );
    const queried = stack.athena.history.length;
    const r = await invoke(stack.fn('JobsDaily'), { job: 'daily', scheduledTime: '2026-01-06T01:30:00Z' });
    expectOk(r);
    expect(stack.account.denials).toEqual([]);
    expect(manifests('day').length).toBeGreaterThanOrEqual(2);
    // Days roll up (additive) and merge (distinct counts, percentiles): no metric scan (the queries
    // with a window column; the privacy guard's distinct-user counts are others) reads a whole day.
    const scans = stack.athena.history.slice(queried).filter((q) => / AS w,\n/.test(q.sql));
    expect(scans.filter((q) => /WHERE "dt" (=|BETWEEN) /.test(q.sql)).map((q) => q.sql)).toEqual([]);
  }, 120_000);
});

describe('every grant of the job policies is needed', () => {
  // Needs the alerting run above (outbox, SNS and its key are only used when an alert is sent).
  it('fails the hourly run, with a denial, when any one statement is removed', async () => {
    const hourly = stack.fn('JobsHourly');
    const principal = stack.principalOf(hourly);
    const accessKey = hourly.env.AWS_ACCESS_KEY_ID!;
    const all = principal.policies.flatMap((doc, di) =>
      [doc.Statement].flat().map((s, si) => ({ di, si, s: s as Statement })),
    );
    // Lambda itself uses these with the role, not the handler: logs and X-Ray segments (the runtime)
    // and the dead-letter queue (async invocation failures); the emulation runs none of them.
    const jobs = all.filter(
      ({ s }) => ![s.Action].flat().every((a) => /^(logs|xray):|^sqs:SendMessage$/.test(String(a))),
    );
    expect(jobs.length).toBeGreaterThanOrEqual(10);
    const passed: string[] = [];
    for (const { di, si, s } of jobs) {
      rmSync(stack.s3.pathOf(resultsBucket, 'x').slice(0, -1), { recursive: true, force: true });
      cpSync(snapshot, stack.s3.pathOf(resultsBucket, 'x').slice(0, -1), { recursive: true });
      stack.account.denials.length = 0;
      const policies = principal.policies.map((doc, i) =>
        i !== di ? doc : { ...doc, Statement: [doc.Statement].flat().filter((_, j) => j !== si) },
      );
      stack.account.addPrincipal(accessKey, { ...principal, policies });
      try {
        const r = await invoke(hourly, { job: 'hourly', scheduledTime: T0 });
        const label = `${s.Sid ?? JSON.stringify(s.Action)}`;
        if (r.ok || stack.account.denials.length === 0) passed.push(label);
      } finally {
        stack.account.addPrincipal(accessKey, principal);
      }
    }
    expect(passed, 'statements whose removal did not fail the run').toEqual([]);
  }, 600_000);
});
