import { addGrain, floorToGrain } from '../time/window.js';
import type { BackfillSummary } from './backfill.js';
import { type DetectionDeps, type JudgeResult, judgeWindows } from './detection.js';
import { type RecomputeOptions, recomputeRecent } from './recompute.js';
import { newestJudgeable, SCHEDULE } from './schedule.js';

export interface HourlyJobOptions extends DetectionDeps, RecomputeOptions {
  /** The newest hour to judge; defaults to the newest one the schedule's lag allows (SCHEDULE.hour). */
  readonly hour?: Date;
  /** Hours recomputed before judging, ending with the judged one: late data lands in them (default 3). */
  readonly recomputeHours?: number;
  /** Called once the recompute is done, before detection (callers report failed windows even if detection then throws). */
  readonly onRecomputed?: (summary: BackfillSummary) => void;
  /** Days of metric history the detector learns from (default 14). */
  readonly lookbackDays?: number;
}

export interface HourlyJobResult extends JudgeResult {
  readonly recomputed: number;
  readonly failedWindows: readonly { readonly window: string; readonly error: string }[];
}

/**
 * The hourly job: recompute the last few hours of metrics (late data), then judge every hour not
 * judged yet up to the target hour (at most the lookback), and send alerts. Rerunning an hour is safe.
 */
export async function runHourlyJob(o: HourlyJobOptions): Promise<HourlyJobResult> {
  const hour = floorToGrain(o.hour ?? newestJudgeable('hour', o.clock.now()), 'hour');
  const end = addGrain(hour, 'hour');
  const recompute = Math.max(1, o.recomputeHours ?? SCHEDULE.hour.recompute);
  const { backfill, judgeTo } = await recomputeRecent(o, 'hour', end, recompute);
  o.onRecomputed?.(backfill);
  const historyFrom = addGrain(end, 'day', -(o.lookbackDays ?? SCHEDULE.hour.lookbackDays));
  // Judge from the recompute range at most: older hours were judged (or are out of reach).
  const result = await judgeWindows(
    o,
    'hour',
    historyFrom,
    addGrain(end, 'hour', -recompute),
    // Never judge a window that failed, that another run holds, or whose partitions are still being written.
    judgeTo,
  );
  return { ...result, recomputed: backfill.written, failedWindows: backfill.failed };
}
