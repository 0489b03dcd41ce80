import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { QueryStats } from '../../shared/adapters/athena/athena-engine.js';
import { VigilError } from '../../shared/errors.js';
import { type BackfillSummary, runBackfill } from '../../shared/jobs/backfill.js';
import { scanCost } from '../../shared/jobs/cost.js';
import { type DetectionDeps, type JudgeResult, judgeWindows } from '../../shared/jobs/detection.js';
import { SCHEDULE, tickAt } from '../../shared/jobs/schedule.js';
import type { TickResult, TickRunner } from '../../shared/jobs/tick.js';
import { Deadline } from '../../shared/ports/deadline.js';
import { withDeadline } from '../../shared/ports/query-engine.js';
import { addGrain, formatIso, type Grain, type Window } from '../../shared/time/window.js';
import type { Container } from './container.js';
import type { RerunJob } from './events.js';
import type { JobMetricName } from './job-metrics.js';
import { logger, metrics } from './powertools.js';

/** A job finished with failed windows or undelivered alerts: the invocation fails so Lambda retries and the DLQ see it. */
export class JobFailedError extends VigilError {}

/** Windows the scheduled jobs recompute before judging (late data), from the one schedule declaration. */
export const RECOMPUTE = { hour: SCHEDULE.hour.recompute, day: SCHEDULE.day.recompute } as const;
/** Days of metric history detection learns from (shared/jobs/schedule.ts). */
export const LOOKBACK_DAYS = { hour: SCHEDULE.hour.lookbackDays, day: SCHEDULE.day.lookbackDays } as const;

export interface MetricsSummary {
  readonly job: 'metrics';
  readonly grain: Grain;
  readonly from: string;
  readonly to: string;
  readonly windows: number;
  readonly written: number;
  readonly rows: number;
  readonly queries: number;
  readonly bytesScanned: number;
  /** What the queries cost at VIGIL_PRICE_PER_TB (Athena bills ≥ 10 MB a query). */
  readonly dollars: number;
  /** Windows left as stored: their partitions did not change since they were computed. */
  readonly unchanged: number;
  /** Windows another run held (its lease): that run writes them. */
  readonly skipped: readonly { readonly window: string; readonly heldBy: string }[];
  readonly failed: readonly { readonly window: string; readonly error: string }[];
  readonly ms: number;
}

export interface DetectionSummary {
  readonly job: 'detection';
  readonly grain: Grain;
  /** The range whose not-yet-judged windows were judged. */
  readonly from: string;
  readonly to: string;
  readonly judged: number;
  /** Alerts newly recorded in the outbox by this run. */
  readonly alerts: number;
  /** Alerts published (this run's and earlier pending ones). */
  readonly sent: number;
  /** Alerts SNS did not accept: they stay pending in the outbox for the next run. */
  readonly undelivered: readonly {
    readonly dedupeKey: string;
    readonly status: string;
    readonly error: string;
  }[];
  readonly dataIssues: number;
  readonly openIncidents: number;
  readonly queries: number;
  readonly bytesScanned: number;
  readonly dollars: number;
  readonly ms: number;
}

export type JobSummary = MetricsSummary | DetectionSummary;

const isMetricsQuery = (q: QueryStats) => q.label.startsWith('metrics ');
const sumBytes = (qs: readonly QueryStats[]) => qs.reduce((s, q) => s + q.bytesScanned, 0);
const dollarsOf = (c: Container, qs: readonly QueryStats[]) =>
  scanCost(
    qs.map((q) => q.bytesScanned),
    c.env.VIGIL_PRICE_PER_TB,
  ).dollars;

function metricsSummary(
  c: Container,
  grain: Grain,
  windows: readonly Window[],
  r: BackfillSummary | undefined,
  ms: number,
): MetricsSummary {
  const qs = c.queries.filter(isMetricsQuery);
  return {
    job: 'metrics',
    grain,
    from: windows.length > 0 ? formatIso(windows[0]!.start) : '',
    to: windows.length > 0 ? formatIso(windows[windows.length - 1]!.end) : '',
    windows: windows.length,
    written: r?.written ?? 0,
    rows: r?.rows ?? 0,
    queries: qs.length,
    bytesScanned: sumBytes(qs),
    dollars: dollarsOf(c, qs),
    unchanged: r?.unchanged ?? 0,
    skipped: (r?.skipped ?? []).map((x) => ({ window: x.window, heldBy: x.heldBy })),
    failed: r?.failed ?? [],
    ms,
  };
}

function detectionSummary(
  c: Container,
  grain: Grain,
  from: Date,
  to: Date,
  r: JudgeResult,
  ms: number,
): DetectionSummary {
  const qs = c.queries.filter((q) => !isMetricsQuery(q));
  return {
    job: 'detection',
    grain,
    from: formatIso(from),
    to: formatIso(to),
    judged: r.judged,
    alerts: r.alerts.length,
    sent: r.delivery.sent.length,
    undelivered: r.delivery.failed.map((f) => ({
      dedupeKey: f.alert.dedupeKey,
      status: f.alert.status,
      error: f.error,
    })),
    dataIssues: r.dataIssues.length,
    openIncidents: r.open.length,
    queries: qs.length,
    bytesScanned: sumBytes(qs),
    dollars: dollarsOf(c, qs),
    ms,
  };
}

const publish = (name: JobMetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) =>
  metrics.addMetric(name, unit, value);

/** Logs and publishes a summary (one structured line per job). */
function report(s: JobSummary): void {
  if (s.job === 'metrics') {
    publish('WindowsWritten', MetricUnit.Count, s.written);
    publish('WindowsFailed', MetricUnit.Count, s.failed.length);
  } else {
    publish('WindowsJudged', MetricUnit.Count, s.judged);
    publish('AlertsSent', MetricUnit.Count, s.sent);
    publish('AlertsUndelivered', MetricUnit.Count, s.undelivered.length);
    publish('DataIssues', MetricUnit.Count, s.dataIssues);
  }
  publish('AthenaQueries', MetricUnit.Count, s.queries);
  publish('AthenaBytesScanned', MetricUnit.Bytes, s.bytesScanned);
  publish('AthenaDollars', MetricUnit.NoUnit, s.dollars);
  logger.info('job summary', { summary: s });
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Throws when any part failed — failed windows, a detection error, undelivered alerts — after
 * logging which. The message names the first failure of each kind; the log line has them all.
 */
function failIfAny(
  summaries: readonly JobSummary[],
  error: unknown,
  skipped?: string,
  failedJob = 'detection',
): void {
  const problems: string[] = [];
  for (const s of summaries) {
    if (s.job === 'metrics' && s.failed.length > 0)
      problems.push(
        `metrics job failed for ${s.failed.length} of ${s.windows} ${s.grain} windows; first: ${s.failed[0]!.window}: ${s.failed[0]!.error}`,
      );
    if (s.job === 'detection' && s.undelivered.length > 0)
      problems.push(
        `${s.undelivered.length} alert(s) not delivered, kept pending for the next run; first: ${s.undelivered[0]!.dedupeKey}: ${s.undelivered[0]!.error}`,
      );
  }
  if (error !== undefined) problems.push(`${failedJob} job failed: ${messageOf(error)}`);
  if (skipped) problems.push(skipped);
  if (problems.length === 0) return;
  logger.error('job failed', {
    problems,
    failedWindows: summaries.flatMap((s) => (s.job === 'metrics' ? s.failed : [])),
    undelivered: summaries.flatMap((s) => (s.job === 'detection' ? s.undelivered : [])),
    ...(error !== undefined ? { error } : {}),
  });
  throw new JobFailedError(problems.join('; '), error !== undefined ? { cause: error } : undefined);
}

/** The lake listing and the scan budget, when the stack provides them. */
function costOptions(c: Container) {
  return {
    ...(c.inventory ? { inventory: c.inventory } : {}),
    ...(c.env.VIGIL_LAKE_BYTES_PER_DAY
      ? { budget: { lakeBytesPerDay: c.env.VIGIL_LAKE_BYTES_PER_DAY } }
      : {}),
  };
}

async function detectionDeps(c: Container, deadline: Deadline): Promise<DetectionDeps> {
  return {
    // Every query of the invocation, detection's included, is bounded by its one deadline.
    engine: withDeadline(c.engine, deadline),
    store: c.store,
    objectStore: c.objects,
    sink: c.sink,
    config: await c.config(),
    clock: c.clock,
  };
}

/**
 * One firing of the grain's schedule at `at` (shared/jobs/tick.ts — the same use case as
 * `vigil run hourly|daily --at` and `vigil replay`): recompute the tick's windows (late data) →
 * data-quality guard → detection → alerts; the daily firing also reads out every experiment and
 * policy and writes the report into the results bucket. Returns the two summaries, or throws.
 */
export async function runScheduled(
  c: Container,
  grain: Grain,
  /** The grain's tick (shared/jobs/hourly-tick.ts or daily-tick.ts): each bundle holds only its own. */
  runTick: TickRunner,
  at: Date,
  deadline: Deadline = Deadline.none(),
  leaseOwner?: string,
): Promise<{ jobs: [MetricsSummary, DetectionSummary]; report?: string }> {
  const deps = await detectionDeps(c, deadline);
  // The whole vigil.yaml: the daily tick reads out its experiments and policies.
  const experiments = await c.config();
  const run = { deadline, ...(leaseOwner ? { leaseOwner } : {}), ...costOptions(c) };
  c.queries.length = 0;
  const tick = tickAt(grain, at);
  const started = Date.now();
  let recomputed: BackfillSummary | undefined;
  let metricsMs = 0;
  const onRecomputed = (s: BackfillSummary) => {
    recomputed = s;
    metricsMs = Date.now() - started;
  };
  let result: TickResult | undefined;
  let error: unknown;
  try {
    result = await runTick({ ...deps, experiments, onRecomputed, ...run }, at);
  } catch (err) {
    error = err;
  }
  const m = metricsSummary(c, grain, tick.recompute, recomputed, metricsMs);
  report(m);
  if (!result) {
    // Before the recompute (the guard's partition count) the whole job failed, else detection did.
    const stage = recomputed ? 'detection' : grain === 'hour' ? 'hourly' : 'daily';
    failIfAny([m], error ?? new Error('no result'), undefined, stage);
    throw error; // unreachable: failIfAny throws
  }
  const d = detectionSummary(
    c,
    grain,
    tick.recompute[0]!.start,
    tick.target.end,
    result.job,
    Date.now() - started - metricsMs,
  );
  report(d);
  failIfAny([m, d], undefined);
  return { jobs: [m, d], ...(result.report ? { report: result.report.url } : {}) };
}

/**
 * A rerun: the named jobs over the windows, metrics first. Detection judges the windows of the range
 * that were never judged (e.g. after an outage) and delivers pending alerts; it is skipped when
 * metrics failed for any window, since it would judge windows without their data.
 */
export async function runRerun(
  c: Container,
  jobs: readonly RerunJob[],
  grain: Grain,
  windows: readonly Window[],
  deadline: Deadline = Deadline.none(),
  leaseOwner?: string,
): Promise<{ jobs: JobSummary[] }> {
  const deps = await detectionDeps(c, deadline);
  c.queries.length = 0;
  const out: JobSummary[] = [];
  if (windows.length === 0) return { jobs: out };
  const from = windows[0]!.start;
  const to = windows[windows.length - 1]!.end;
  if (jobs.includes('metrics')) {
    const started = Date.now();
    const r = await runBackfill({
      engine: deps.engine,
      store: deps.store,
      config: deps.config,
      grain,
      windows,
      clock: deps.clock,
      concurrency: c.env.VIGIL_CONCURRENCY,
      // The same leases as the schedules: a rerun and a scheduled run never write one window at once.
      lease: { store: c.objects, ...(leaseOwner ? { owner: leaseOwner } : {}) },
      deadline,
      // A rerun recomputes every window (no `incremental`), recording fingerprints for the schedules.
      ...costOptions(c),
    });
    const m = metricsSummary(c, grain, windows, r, Date.now() - started);
    report(m);
    out.push(m);
    if (m.failed.length > 0)
      failIfAny(out, undefined, jobs.includes('detection') ? 'detection skipped' : undefined);
  }
  if (jobs.includes('detection')) {
    const started = Date.now();
    let result: JudgeResult;
    try {
      result = await judgeWindows(deps, grain, addGrain(from, 'day', -LOOKBACK_DAYS[grain]), from, to);
    } catch (err) {
      failIfAny(out, err);
      throw err; // unreachable: failIfAny throws
    }
    const d = detectionSummary(c, grain, from, to, result, Date.now() - started);
    report(d);
    out.push(d);
  }
  failIfAny(out, undefined);
  return { jobs: out };
}
