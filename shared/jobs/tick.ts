import { type AllReadouts, analyzeAll, type ExperimentConfig } from '../experiments/index.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ReportAnalysis } from '../report/model.js';
import type { WrittenReport } from '../report/write.js';
import type { Grain } from '../time/window.js';
import { saveReadouts } from './readouts-store.js';
import { NoStoredWindowsError, writeStoredReport } from './report-job.js';
import { type Tick, tickAt } from './schedule.js';
import { runScheduledJob, type ScheduledJobOptions, type ScheduledJobResult } from './scheduled-job.js';

export interface TickOptions extends ScheduledJobOptions {
  /** Experiments and policies the daily job reads out (none when absent). */
  readonly experiments?: ExperimentConfig;
  /** Days of history the daily report charts (default 28). */
  readonly reportDays?: number;
  /** Extra tables for the daily report. */
  readonly analyses?: (tick: Tick) => Promise<readonly ReportAnalysis[]>;
  /** Where the daily report is written (default: the results store's report/). */
  readonly reportOut?: { readonly store: ObjectStore; readonly prefix: string };
}

export interface TickResult {
  readonly tick: Tick;
  readonly job: ScheduledJobResult;
  /** Daily ticks: the readouts written to the store. */
  readonly readouts?: AllReadouts;
  /** Daily ticks: the report written to the store. */
  readonly report?: WrittenReport;
}

/**
 * One firing of the hourly or daily schedule at `at`, exactly as the Lambda handler and
 * `vigil run hourly|daily --at` run it (and `vigil replay`, tick after tick). The daily firing also
 * reads out every experiment and policy of the config and writes the report into the store, where
 * every alert's link points.
 */
export async function runTick(
  o: TickOptions,
  grain: Grain,
  at: Date,
  /** The firing's windows; a replay's one pass widens them to all of its ticks (replay.ts). */
  tick: Tick = tickAt(grain, at),
): Promise<TickResult> {
  const job = await runScheduledJob(o, tick);
  if (grain === 'hour') return { tick, job };
  const asOf = tick.target.end;
  const readouts = o.experiments
    ? await analyzeAll({ engine: o.engine, config: o.experiments, asOf })
    : { experiments: [], policies: [], skipped: [] };
  await saveReadouts(o.objectStore, asOf, readouts);
  try {
    const report = await writeStoredReport({
      objectStore: o.objectStore,
      config: o.config,
      to: asOf,
      ...(o.reportDays ? { days: o.reportDays } : {}),
      ...(o.analyses ? { analyses: await o.analyses(tick) } : {}),
      ...(o.reportOut ? { out: o.reportOut } : {}),
      // The lake counts the people behind each slice series, so the report may chart them.
      engine: o.engine,
      ...(o.privacy ? { privacy: o.privacy } : {}),
      now: o.clock.now(),
    });
    return { tick, job, readouts, report: { key: report.key, url: report.url, bytes: report.bytes } };
  } catch (err) {
    // Only daily windows so far (no hourly job ran): the report has nothing to chart yet.
    if (err instanceof NoStoredWindowsError) return { tick, job, readouts };
    throw err;
  }
}
