import { floorToGrain } from '../time/window.js';
import type { BackfillSummary } from './backfill.js';
import type { JudgeResult } from './detection.js';
import { newestJudgeable, tickOfWindow } from './schedule.js';
import { runScheduledJob, type ScheduledJobOptions, withOverrides } from './scheduled-job.js';

export interface DailyJobOptions extends ScheduledJobOptions {
  /** The newest day to judge; defaults to the newest one the schedule's lag allows (yesterday, UTC). */
  readonly day?: Date;
  /** Days recomputed before judging, ending with the judged one (default: SCHEDULE.day). */
  readonly recomputeDays?: number;
  /** Days of metric history the detector learns from (default: SCHEDULE.day). */
  readonly lookbackDays?: number;
}

export interface DailyJobResult extends JudgeResult {
  readonly recomputed: number;
  readonly failedWindows: readonly { readonly window: string; readonly error: string }[];
  readonly recompute: BackfillSummary;
}

/**
 * The daily job's metrics and detection: the hourly chain on day windows (data gaps hold a day back,
 * silently). The readouts and the report are added by shared/jobs/tick.ts.
 */
export async function runDailyJob(o: DailyJobOptions): Promise<DailyJobResult> {
  const day = floorToGrain(o.day ?? newestJudgeable('day', o.clock.now()), 'day');
  const tick = withOverrides(tickOfWindow('day', day), {
    ...(o.recomputeDays !== undefined ? { recompute: o.recomputeDays } : {}),
    ...(o.lookbackDays !== undefined ? { lookbackDays: o.lookbackDays } : {}),
  });
  const r = await runScheduledJob(o, tick);
  return { ...r, recomputed: r.recompute.written, failedWindows: r.recompute.failed };
}
