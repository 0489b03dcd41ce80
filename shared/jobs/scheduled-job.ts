import { addGrain, windowsInRange } from '../time/window.js';
import type { BackfillSummary } from './backfill.js';
import {
  type DetectionDeps,
  detectionHistoryFrom,
  guardCounts,
  type JudgeResult,
  judgeWindows,
} from './detection.js';
import { coveredBy, NoLakeDataError } from './lake-coverage.js';
import type { LeaseOptions } from './lease.js';
import { type RecomputeOptions, recomputeWindows } from './recompute.js';
import type { Tick } from './schedule.js';

export interface ScheduledJobOptions extends DetectionDeps, RecomputeOptions {
  /** Called once the recompute is done, before detection (callers report failed windows even if detection then throws). */
  readonly onRecomputed?: (summary: BackfillSummary) => void;
  /** Who holds the window leases, and for how long (shared/jobs/lease.ts). */
  readonly lease?: LeaseOptions;
  /** Windows of the same grain computed at once (default 2). */
  readonly concurrency?: number;
}

export interface ScheduledJobResult extends JudgeResult {
  readonly recompute: BackfillSummary;
}

/**
 * One firing of a scheduled job (shared/jobs/schedule.ts): recompute the tick's windows (late data;
 * windows the lake does not cover at all are never written as zeros) → data-quality guard →
 * detection of the windows not judged yet → incidents → alerts through the outbox. Rerunning a
 * tick is safe: windows are replaced whole, judged windows are skipped, the outbox dedupes.
 * Throws NoLakeDataError when the lake holds nothing for the tick nor its history.
 */
export async function runScheduledJob(o: ScheduledJobOptions, tick: Tick): Promise<ScheduledJobResult> {
  const { grain } = tick;
  const end = tick.target.end;
  const judgeFrom = tick.recompute[0]?.start ?? tick.target.start;
  // One partition-count query serves the guard and tells which windows the lake covers at all.
  const counts = await guardCounts(o, detectionHistoryFrom(grain, tick.historyFrom, judgeFrom), end);
  const covered = coveredBy(counts, grain, tick.recompute);
  if (
    covered.length === 0 &&
    coveredBy(counts, grain, windowsInRange(grain, tick.historyFrom, end)).length === 0
  )
    throw new NoLakeDataError(
      `the lake has no partitions for the ${grain} tick at ${tick.at.toISOString()} nor its ${Math.round((end.getTime() - tick.historyFrom.getTime()) / 86_400_000)} days of history`,
    );
  // Incremental (changed partitions only) and rolled up from hours when the lake is listed.
  const { backfill: recompute, judgeTo } = await recomputeWindows(o, grain, covered, end);
  o.onRecomputed?.(recompute);
  // Never judge a window that failed, that another run holds, or whose partitions are still being written.
  const result = await judgeWindows(o, grain, tick.historyFrom, judgeFrom, judgeTo, counts);
  return { ...result, recompute };
}

/** A tick with its recompute range or lookback changed (tests and reruns). */
export function withOverrides(tick: Tick, o: { recompute?: number; lookbackDays?: number }): Tick {
  const end = tick.target.end;
  return {
    ...tick,
    ...(o.recompute !== undefined
      ? { recompute: windowsInRange(tick.grain, addGrain(end, tick.grain, -Math.max(1, o.recompute)), end) }
      : {}),
    ...(o.lookbackDays !== undefined ? { historyFrom: addGrain(end, 'day', -o.lookbackDays) } : {}),
  };
}
