import { floorToGrain } from '../time/window.js';
import type { BackfillSummary } from './backfill.js';
import type { JudgeResult } from './detection.js';
import { newestJudgeable, tickOfWindow } from './schedule.js';
import { runScheduledJob, type ScheduledJobOptions, withOverrides } from './scheduled-job.js';

export interface HourlyJobOptions extends ScheduledJobOptions {
  /** The newest hour to judge; defaults to the newest one the schedule's lag allows (SCHEDULE.hour). */
  readonly hour?: Date;
  /** Hours recomputed before judging, ending with the judged one (default: SCHEDULE.hour). */
  readonly recomputeHours?: number;
  /** Days of metric history the detector learns from (default: SCHEDULE.hour). */
  readonly lookbackDays?: number;
}

export interface HourlyJobResult extends JudgeResult {
  readonly recomputed: number;
  readonly failedWindows: readonly { readonly window: string; readonly error: string }[];
  readonly recompute: BackfillSummary;
}

/**
 * The hourly job: the firing of the hourly schedule that closes `hour` (shared/jobs/schedule.ts):
 * recompute the last few hours (late data), then judge every hour not judged yet, and send alerts.
 */
export async function runHourlyJob(o: HourlyJobOptions): Promise<HourlyJobResult> {
  const hour = floorToGrain(o.hour ?? newestJudgeable('hour', o.clock.now()), 'hour');
  const tick = withOverrides(tickOfWindow('hour', hour), {
    ...(o.recomputeHours !== undefined ? { recompute: o.recomputeHours } : {}),
    ...(o.lookbackDays !== undefined ? { lookbackDays: o.lookbackDays } : {}),
  });
  const r = await runScheduledJob(o, tick);
  return { ...r, recomputed: r.recompute.written, failedWindows: r.recompute.failed };
}
