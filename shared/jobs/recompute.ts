import type { MetricConfig } from '../config/schema.js';
import type { MetricStore } from '../metrics/metric-store.js';
import { planMetrics } from '../metrics/plan.js';
import type { Clock } from '../ports/clock.js';
import type { Deadline } from '../ports/deadline.js';
import { type LakeInventory, memoizedInventory } from '../ports/lake-inventory.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { addGrain, type Grain, type Window, windowsInRange } from '../time/window.js';
import { type BackfillSummary, judgeableEnd, runBackfill } from './backfill.js';
import type { ScanStat } from './compute-metrics.js';
import type { ScanBudget } from './cost.js';
import { settledEnd, type Unsettled } from './lake-state.js';
import type { LeaseOptions } from './lease.js';
import { SCHEDULE } from './schedule.js';

/** What the scheduled jobs take beyond detection's dependencies: time, cost and lake state. */
export interface RecomputeOptions {
  /** The invocation's deadline: bounds every query, stops the recompute in time to release leases. */
  readonly deadline?: Deadline;
  /** Who holds the windows' leases while recomputing (a request id; default a random run id). */
  readonly leaseOwner?: string;
  /**
   * The lake's objects: with it, windows whose partitions did not change are not rescanned, day
   * windows roll up from hourly aggregates, the newest window is judged only once its partitions
   * are settled, and `budget` is enforced.
   */
  readonly inventory?: LakeInventory;
  readonly budget?: ScanBudget;
  readonly onScan?: (scan: ScanStat) => void;
}

interface Deps {
  readonly engine: QueryEngine;
  readonly store: MetricStore;
  readonly objectStore: ObjectStore;
  readonly config: MetricConfig;
  readonly clock: Clock;
  /** Who holds the window leases, and for how long (shared/jobs/lease.ts). */
  readonly lease?: LeaseOptions;
  /** Windows of the same grain computed at once (default 2). */
  readonly concurrency?: number;
}

export interface Recomputed {
  readonly backfill: BackfillSummary;
  /** Windows before this may be judged: none failed, none held by another run, all settled. */
  readonly judgeTo: Date;
  /** The partition that holds the newest window back, if one does. */
  readonly unsettled?: Unsettled;
}

/**
 * The scheduled recompute of `windows` (ending at `end`): incrementally when the lake is listed
 * (only windows whose partitions changed are rescanned) and, for days, rolled up from the stored
 * hours; then the end up to which they may be judged (failures, other runs' leases and the
 * completeness watermark hold windows back).
 */
export async function recomputeWindows(
  o: Deps & RecomputeOptions,
  grain: Grain,
  windows: readonly Window[],
  end: Date,
): Promise<Recomputed> {
  const inventory = o.inventory ? memoizedInventory(o.inventory) : undefined;
  const backfill = await runBackfill({
    engine: o.engine,
    store: o.store,
    config: o.config,
    grain,
    windows,
    clock: o.clock,
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
    // Two runs of one window (schedule + manual rerun): one computes it, the other skips it.
    lease: { ...o.lease, ...(o.leaseOwner ? { owner: o.leaseOwner } : {}), store: o.objectStore },
    ...(o.deadline ? { deadline: o.deadline } : {}),
    ...(inventory ? { inventory, incremental: true, rollup: true } : {}),
    ...(o.budget ? { budget: o.budget } : {}),
    ...(o.onScan ? { onScan: o.onScan } : {}),
  });
  // Never judge a window whose metrics failed or are being written by another run: a retry will.
  let judgeTo = judgeableEnd(backfill, end);
  if (!inventory || windows.length === 0) return { backfill, judgeTo };
  // Nor one whose partitions are still being written (the completeness watermark).
  const sources = planMetrics(o.config, grain, new Date(0), new Date(0)).scans.map((s) => s.source);
  const settled = await settledEnd(inventory, o.config, sources, windows, o.clock.now(), SCHEDULE[grain]);
  const settledTo = settled.end ?? windows[0]!.start;
  if (settledTo < judgeTo) judgeTo = settledTo;
  return { backfill, judgeTo, ...(settled.unsettled ? { unsettled: settled.unsettled } : {}) };
}

/** The last `recompute` windows ending at `end`, recomputed as a scheduled run does. */
export function recomputeRecent(
  o: Deps & RecomputeOptions,
  grain: Grain,
  end: Date,
  recompute: number,
): Promise<Recomputed> {
  return recomputeWindows(o, grain, windowsInRange(grain, addGrain(end, grain, -recompute), end), end);
}
