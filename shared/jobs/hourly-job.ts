import type { Deadline } from '../ports/deadline.js';
import { addGrain, floorToGrain, windowsInRange } from '../time/window.js';
import { type BackfillSummary, judgeableEnd, runBackfill } from './backfill.js';
import { type DetectionDeps, type JudgeResult, judgeWindows } from './detection.js';
import { newestJudgeable, SCHEDULE } from './schedule.js';

export interface HourlyJobOptions extends DetectionDeps {
  /** The newest hour to judge; defaults to the newest one the schedule's lag allows (SCHEDULE.hour). */
  readonly hour?: Date;
  /** Hours recomputed before judging, ending with the judged one: late data lands in them (default 3). */
  readonly recomputeHours?: number;
  /** Called once the recompute is done, before detection (callers report failed windows even if detection then throws). */
  readonly onRecomputed?: (summary: BackfillSummary) => void;
  /** The invocation's deadline: bounds every query, stops the recompute in time to release leases. */
  readonly deadline?: Deadline;
  /** Who holds the windows' leases while recomputing (a request id; default a random run id). */
  readonly leaseOwner?: string;
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
  const backfill = await runBackfill({
    engine: o.engine,
    store: o.store,
    config: o.config,
    grain: 'hour',
    windows: windowsInRange('hour', addGrain(end, 'hour', -recompute), end),
    clock: o.clock,
    // Two runs of one window (schedule + manual rerun): one computes it, the other skips it.
    lease: { store: o.objectStore, ...(o.leaseOwner ? { owner: o.leaseOwner } : {}) },
    ...(o.deadline ? { deadline: o.deadline } : {}),
  });
  o.onRecomputed?.(backfill);
  const historyFrom = addGrain(end, 'day', -(o.lookbackDays ?? SCHEDULE.hour.lookbackDays));
  // Judge from the recompute range at most: older hours were judged (or are out of reach).
  const result = await judgeWindows(
    o,
    'hour',
    historyFrom,
    addGrain(end, 'hour', -recompute),
    // Never judge a window whose metrics failed or are being written by another run: a retry will.
    judgeableEnd(backfill, end),
  );
  return { ...result, recomputed: backfill.written, failedWindows: backfill.failed };
}
