import type { AllReadouts, ExperimentConfig } from '../experiments/index.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ReportAnalysis } from '../report/model.js';
import type { WrittenReport } from '../report/write.js';
import type { Grain } from '../time/window.js';
import { runDailyTick } from './daily-tick.js';
import { runHourlyTick } from './hourly-tick.js';
import type { Tick } from './schedule.js';
import type { ScheduledJobOptions, ScheduledJobResult } from './scheduled-job.js';

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

/** One grain's firing; the Lambda handlers import only their own (shared/jobs/hourly-tick.ts, daily-tick.ts). */
export type TickRunner = (o: TickOptions, at: Date, tick?: Tick) => Promise<TickResult>;

/** The firing of each grain's schedule. */
export const TICKS: Readonly<Record<Grain, TickRunner>> = { hour: runHourlyTick, day: runDailyTick };

/**
 * One firing of the hourly or daily schedule at `at`, exactly as the Lambda handler and
 * `vigil run hourly|daily --at` run it (and `vigil replay`, tick after tick). The daily firing also
 * reads out every experiment and policy of the config and writes the report into the store, where
 * every alert's link points.
 */
export function runTick(
  o: TickOptions,
  grain: Grain,
  at: Date,
  /** The firing's windows; a replay's one pass widens them to all of its ticks (replay.ts). */
  tick?: Tick,
): Promise<TickResult> {
  return TICKS[grain](o, at, tick);
}
