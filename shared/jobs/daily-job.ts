import { addGrain, floorToGrain } from '../time/window.js';
import type { BackfillSummary } from './backfill.js';
import { type DetectionDeps, type JudgeResult, judgeWindows } from './detection.js';
import { type RecomputeOptions, recomputeRecent } from './recompute.js';
import { newestJudgeable, SCHEDULE } from './schedule.js';

export interface DailyJobOptions extends DetectionDeps, RecomputeOptions {
  /** The newest day to judge; defaults to the newest one the schedule's lag allows (yesterday, UTC). */
  readonly day?: Date;
  /** Days recomputed before judging, ending with the judged one (default 2: late data of yesterday). */
  readonly recomputeDays?: number;
  /** Called once the recompute is done, before detection (callers report failed windows even if detection then throws). */
  readonly onRecomputed?: (summary: BackfillSummary) => void;
  /** Days of metric history the detector learns from (default 56). */
  readonly lookbackDays?: number;
}

export interface DailyJobResult extends JudgeResult {
  readonly recomputed: number;
  readonly failedWindows: readonly { readonly window: string; readonly error: string }[];
}

/** The daily job: the hourly job's chain on day windows (data gaps hold a day back, silently). */
export async function runDailyJob(o: DailyJobOptions): Promise<DailyJobResult> {
  const day = floorToGrain(o.day ?? newestJudgeable('day', o.clock.now()), 'day');
  const end = addGrain(day, 'day');
  const recompute = Math.max(1, o.recomputeDays ?? SCHEDULE.day.recompute);
  const { backfill, judgeTo } = await recomputeRecent(o, 'day', end, recompute);
  o.onRecomputed?.(backfill);
  const historyFrom = addGrain(end, 'day', -(o.lookbackDays ?? SCHEDULE.day.lookbackDays));
  const result = await judgeWindows(
    o,
    'day',
    historyFrom,
    addGrain(end, 'day', -recompute),
    // Never judge a window that failed, that another run holds, or whose partitions are still being written.
    judgeTo,
  );
  return { ...result, recomputed: backfill.written, failedWindows: backfill.failed };
}
