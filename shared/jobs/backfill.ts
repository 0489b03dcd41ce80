import type { MetricConfig } from '../config/schema.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { MetricStore } from '../metrics/metric-store.js';
import type { Clock } from '../ports/clock.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { formatIso, type Grain, type Window } from '../time/window.js';
import { batchWindows, computeMetrics } from './compute-metrics.js';
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
}

export interface BackfillSummary {
  readonly windows: number;
  readonly written: number;
  readonly rows: number;
  readonly scans: number;
  readonly failed: readonly { readonly window: string; readonly error: string }[];
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
  const failed: { window: string; error: string }[] = [];
  const results = await mapWithConcurrency(batches, o.concurrency ?? 2, async (batch) => {
    const computed = await computeMetrics(o.engine, o.config, o.grain, batch);
    scans += computed.scans.length;
    const byWindow = new Map<number, MetricRow[]>(batch.map((w) => [w.start.getTime(), []]));
    for (const r of computed.rows) byWindow.get(r.windowStart.getTime())?.push(r);
    for (const w of batch) {
      try {
        const windowRows = byWindow.get(w.start.getTime()) ?? [];
        await o.store.writeWindow(o.grain, w.start, windowRows, o.clock.now());
        rows += windowRows.length;
        written++;
      } catch (err) {
        failed.push({ window: formatIso(w.start), error: err instanceof Error ? err.message : String(err) });
      }
      o.onProgress?.(++done, o.windows.length);
    }
  });
  results.forEach((r, i) => {
    if (r.ok) return;
    const message = r.error instanceof Error ? r.error.message : String(r.error);
    for (const w of batches[i]!) {
      failed.push({ window: formatIso(w.start), error: message });
      o.onProgress?.(++done, o.windows.length);
    }
  });
  failed.sort((a, b) => a.window.localeCompare(b.window));
  return { windows: o.windows.length, written, rows, scans, failed };
}
