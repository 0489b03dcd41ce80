import type { MetricConfig } from '../config/schema.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { MetricStore } from '../metrics/metric-store.js';
import type { Clock } from '../ports/clock.js';
import type { Deadline } from '../ports/deadline.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { checkRows, type RowQualityWarning } from '../quality/row-checks.js';
import { formatIso, type Grain, type Window } from '../time/window.js';
import { batchWindows, computeMetrics } from './compute-metrics.js';
import { type Lease, LeaseManager, type LeaseOptions } from './lease.js';
import { mapWithConcurrency } from './pool.js';

export interface BackfillOptions {
  readonly engine: QueryEngine;
  readonly store: MetricStore;
  readonly config: MetricConfig;
  readonly grain: Grain;
  readonly windows: readonly Window[];
  readonly clock: Clock;
  readonly concurrency?: number;
  /** Windows computed by one plan (one scan per source); a day of hours by default. */
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Leases windows in this store before computing them (shared/jobs/lease.ts): a window another run
   * holds is skipped and reported in `skipped` (not failed); that run writes it.
   */
  readonly lease?: LeaseOptions & { readonly store: ObjectStore };
  /** Also runs the row-level data-quality checks (shared/quality/row-checks.ts) of each batch. */
  readonly rowChecks?: boolean;
  /**
   * The invocation's deadline: every query is bounded by it, no batch starts past it, and leases
   * last no longer than it (plus a margin), so a killed run's windows free up quickly.
   */
  readonly deadline?: Deadline;
}

export interface BackfillSummary {
  readonly windows: number;
  readonly written: number;
  readonly rows: number;
  readonly scans: number;
  /** Bytes the scans read (Athena: billed; DuckDB: estimated from the partition files). */
  readonly bytesScanned: number;
  /** Windows another run had meanwhile stored from a later scan: kept, ours dropped. */
  readonly superseded: number;
  readonly failed: readonly { readonly window: string; readonly error: string }[];
  /** Windows held by another run's lease: not computed here, not a failure. */
  readonly skipped: readonly {
    readonly window: string;
    readonly heldBy: string;
    readonly expiresAt: string;
  }[];
  /** Row-level data-quality warnings (with `rowChecks`). */
  readonly warnings: readonly RowQualityWarning[];
}

/**
 * The end up to which windows are safe to judge: the start of the earliest window that failed or
 * that another run holds (its stored metrics may be stale), else `end`.
 */
export function judgeableEnd(summary: BackfillSummary, end: Date): Date {
  const blocked = [...summary.failed.map((f) => f.window), ...summary.skipped.map((s) => s.window)].sort();
  return blocked.length > 0 ? new Date(blocked[0]!) : end;
}

/**
 * Computes and stores every window; idempotent (each window is replaced whole). Failures are
 * reported per window, not hidden: the caller exits non-zero when any window failed.
 */
export async function runBackfill(o: BackfillOptions): Promise<BackfillSummary> {
  const batches = batchWindows(o.windows, o.batchSize ?? (o.grain === 'hour' ? 24 : 7));
  let done = 0;
  let rows = 0;
  let scans = 0;
  let written = 0;
  let bytesScanned = 0;
  let superseded = 0;
  const failed: { window: string; error: string }[] = [];
  const skipped: { window: string; heldBy: string; expiresAt: string }[] = [];
  const warnings: RowQualityWarning[] = [];
  const remaining = o.deadline?.remainingMs() ?? Number.POSITIVE_INFINITY;
  // A lease outliving the invocation only delays the next run after a crash.
  const ttlMs = Number.isFinite(remaining)
    ? Math.min(o.lease?.ttlMs ?? 15 * 60_000, remaining + 60_000)
    : o.lease?.ttlMs;
  const leases = o.lease
    ? new LeaseManager(o.lease.store, o.clock, { ...o.lease, ...(ttlMs !== undefined ? { ttlMs } : {}) })
    : undefined;
  const leaseName = (w: Window) =>
    `metrics/grain=${o.grain}/window=${formatIso(w.start).replaceAll(':', '')}`;
  const skippedAt = new Set<number>();
  const results = await mapWithConcurrency(batches, o.concurrency ?? 2, async (all) => {
    const held: Lease[] = [];
    try {
      o.deadline?.check(`${o.grain} windows from ${formatIso(all[0]!.start)} not computed`);
      let batch = all;
      if (leases) {
        batch = [];
        for (const w of all) {
          const got = await leases.acquire(leaseName(w));
          if (got.acquired) {
            held.push(got.lease);
            batch.push(w);
          } else {
            skippedAt.add(w.start.getTime());
            skipped.push({ window: formatIso(w.start), heldBy: got.heldBy, expiresAt: got.expiresAt });
            o.onProgress?.(++done, o.windows.length);
          }
        }
      }
      await computeBatch(batch);
    } finally {
      await Promise.all(held.map((l) => leases!.release(l).catch(() => false)));
    }
  });
  async function computeBatch(batch: Window[]): Promise<void> {
    if (batch.length === 0) return;
    const computedAt = o.clock.now();
    const computed = await computeMetrics(o.engine, o.config, o.grain, batch, {
      ...(o.deadline ? { deadline: o.deadline } : {}),
    });
    if (o.rowChecks) {
      const sources = [...new Set(computed.scans.map((x) => x.source))].sort();
      warnings.push(
        ...(await checkRows(o.engine, o.config, sources, batch[0]!.start, batch[batch.length - 1]!.end)),
      );
    }
    scans += computed.scans.length;
    bytesScanned += computed.scans.reduce((n, x) => n + (x.bytesScanned ?? 0), 0);
    const byWindow = new Map<number, MetricRow[]>(batch.map((w) => [w.start.getTime(), []]));
    for (const r of computed.rows) byWindow.get(r.windowStart.getTime())?.push(r);
    for (const w of batch) {
      try {
        const windowRows = byWindow.get(w.start.getTime()) ?? [];
        const outcome = await o.store.writeWindow(o.grain, w.start, windowRows, o.clock.now(), {
          computedAt,
        });
        if (outcome.written) rows += windowRows.length;
        else superseded++;
        written++;
      } catch (err) {
        failed.push({ window: formatIso(w.start), error: err instanceof Error ? err.message : String(err) });
      }
      o.onProgress?.(++done, o.windows.length);
    }
  }
  results.forEach((r, i) => {
    if (r.ok) return;
    const message = r.error instanceof Error ? r.error.message : String(r.error);
    // Windows leased by another run are in `skipped`, not failed.
    for (const w of batches[i]!.filter((x) => !skippedAt.has(x.start.getTime()))) {
      failed.push({ window: formatIso(w.start), error: message });
      o.onProgress?.(++done, o.windows.length);
    }
  });
  failed.sort((a, b) => a.window.localeCompare(b.window));
  skipped.sort((a, b) => a.window.localeCompare(b.window));
  return {
    windows: o.windows.length,
    written,
    rows,
    scans,
    bytesScanned,
    superseded,
    failed,
    skipped,
    warnings,
  };
}
