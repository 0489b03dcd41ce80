import type { Deadline } from '../ports/deadline.js';
import { addGrain, floorToGrain, windowsInRange } from '../time/window.js';
import { type BackfillSummary, judgeableEnd, runBackfill } from './backfill.js';
import { type DetectionDeps, type JudgeResult, judgeWindows } from './detection.js';
import { newestJudgeable, SCHEDULE } from './schedule.js';

export interface DailyJobOptions extends DetectionDeps {
  /** The newest day to judge; defaults to the newest one the schedule's lag allows (yesterday, UTC). */
  readonly day?: Date;
  /** Days recomputed before judging, ending with the judged one (default 2: late data of yesterday). */
  readonly recomputeDays?: number;
  /** Called once the recompute is done, before detection (callers report failed windows even if detection then throws). */
  readonly onRecomputed?: (summary: BackfillSummary) => void;
  /** The invocation's deadline: bounds every query, stops the recompute in time to release leases. */
  readonly deadline?: Deadline;
  /** Who holds the windows' leases while recomputing (a request id; default a random run id). */
  readonly leaseOwner?: string;
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
  const backfill = await runBackfill({
    engine: o.engine,
    store: o.store,
    config: o.config,
    grain: 'day',
    windows: windowsInRange('day', addGrain(end, 'day', -recompute), end),
    clock: o.clock,
    // Two runs of one window (schedule + manual rerun): one computes it, the other skips it.
    lease: { store: o.objectStore, ...(o.leaseOwner ? { owner: o.leaseOwner } : {}) },
    ...(o.deadline ? { deadline: o.deadline } : {}),
  });
  o.onRecomputed?.(backfill);
  const historyFrom = addGrain(end, 'day', -(o.lookbackDays ?? SCHEDULE.day.lookbackDays));
  const result = await judgeWindows(
    o,
    'day',
    historyFrom,
    addGrain(end, 'day', -recompute),
    // Never judge a window whose metrics failed or are being written by another run: a retry will.
    judgeableEnd(backfill, end),
  );
  return { ...result, recomputed: backfill.written, failedWindows: backfill.failed };
}
