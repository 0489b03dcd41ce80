import type { MetricConfig } from '../config/schema.js';
import { evaluatePlan } from '../metrics/evaluate.js';
import type { MetricRow } from '../metrics/metric-row.js';
import { planMetrics } from '../metrics/plan.js';
import { renderPlan } from '../metrics/sql-render.js';
import type { Deadline } from '../ports/deadline.js';
import type { QueryEngine, QueryResult } from '../ports/query-engine.js';
import type { Grain, Window } from '../time/window.js';

export interface ScanStat {
  readonly source: string;
  readonly rows: number;
  readonly ms: number;
  readonly bytesScanned?: number;
}

export interface ComputedMetrics {
  readonly rows: MetricRow[];
  readonly scans: ScanStat[];
}

/**
 * Computes a config's metrics for contiguous windows of one grain: one query per source
 * (all measures and slices in it), joined across sources after aggregation.
 */
export async function computeMetrics(
  engine: QueryEngine,
  cfg: MetricConfig,
  grain: Grain,
  windows: readonly Window[],
  options: { readonly deadline?: Deadline } = {},
): Promise<ComputedMetrics> {
  if (windows.length === 0) return { rows: [], scans: [] };
  const from = windows[0]!.start;
  const to = windows[windows.length - 1]!.end;
  const plan = planMetrics(cfg, grain, from, to);
  const queries = renderPlan(plan, cfg, engine.dialect);
  const scans: ScanStat[] = [];
  const results = new Map<string, QueryResult>();
  await Promise.all(
    queries.map(async (q) => {
      const started = performance.now();
      const result = await engine.query(q.sql, {
        label: `metrics scan of ${q.source}`,
        ...(options.deadline ? { deadline: options.deadline } : {}),
      });
      results.set(q.source, result);
      scans.push({
        source: q.source,
        rows: result.rowCount,
        ms: performance.now() - started,
        ...(result.bytesScanned !== undefined ? { bytesScanned: result.bytesScanned } : {}),
      });
    }),
  );
  return { rows: evaluatePlan(plan, results, windows), scans };
}

/** Splits windows into contiguous batches so one plan covers many windows (fewer scans). */
export function batchWindows(windows: readonly Window[], size: number): Window[][] {
  const out: Window[][] = [];
  for (let i = 0; i < windows.length; i += size) out.push(windows.slice(i, i + size));
  return out;
}
