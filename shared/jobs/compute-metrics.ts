import type { MetricConfig } from '../config/schema.js';
import { evaluatePlan } from '../metrics/evaluate.js';
import { splitResult } from '../metrics/intermediates.js';
import type { MetricRow } from '../metrics/metric-row.js';
import { type MetricPlan, planMetrics, withIntermediates } from '../metrics/plan.js';
import { renderPlan } from '../metrics/sql-render.js';
import type { Deadline } from '../ports/deadline.js';
import type { QueryEngine, QueryResult } from '../ports/query-engine.js';
import type { Grain, Window } from '../time/window.js';

export interface ScanStat {
  readonly source: string;
  readonly rows: number;
  readonly ms: number;
  readonly bytesScanned?: number;
  /** The range of events the scan read (its partitions: the hours of [from, to)). */
  readonly from: Date;
  readonly to: Date;
}

export interface ComputedMetrics {
  readonly rows: MetricRow[];
  readonly scans: ScanStat[];
  readonly plan: MetricPlan;
  /** The raw per-source results (aggregates by window, grouping set and slice). */
  readonly results: ReadonlyMap<string, QueryResult>;
  /** With `intermediates`: each source's intermediate rows (shared/metrics/intermediates.ts). */
  readonly keys: ReadonlyMap<string, QueryResult>;
}

export interface PlanScans {
  readonly results: Map<string, QueryResult>;
  readonly keys: Map<string, QueryResult>;
  readonly scans: ScanStat[];
}

/** Runs a plan's scans (one query per source, concurrently). */
export async function runPlanScans(
  engine: QueryEngine,
  cfg: MetricConfig,
  plan: MetricPlan,
  options: { readonly deadline?: Deadline } = {},
): Promise<PlanScans> {
  const queries = renderPlan(plan, cfg, engine.dialect);
  const scans: ScanStat[] = [];
  const results = new Map<string, QueryResult>();
  const keys = new Map<string, QueryResult>();
  await Promise.all(
    queries.map(async (q) => {
      const started = performance.now();
      const result = await engine.query(q.sql, {
        label: `metrics scan of ${q.source}`,
        ...(options.deadline ? { deadline: options.deadline } : {}),
      });
      const split = splitResult(plan, plan.scans.find((s) => s.source === q.source)!, result);
      results.set(q.source, split.rows);
      if (split.keys) keys.set(q.source, split.keys);
      scans.push({
        source: q.source,
        rows: result.rowCount,
        ms: performance.now() - started,
        from: plan.from,
        to: plan.to,
        ...(result.bytesScanned !== undefined ? { bytesScanned: result.bytesScanned } : {}),
      });
    }),
  );
  return { results, keys, scans };
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
  options: { readonly deadline?: Deadline; readonly intermediates?: boolean } = {},
): Promise<ComputedMetrics> {
  const from = windows[0]?.start ?? new Date(0);
  const to = windows[windows.length - 1]?.end ?? from;
  const planned = planMetrics(cfg, grain, from, to);
  const plan = options.intermediates ? withIntermediates(planned) : planned;
  if (windows.length === 0) return { rows: [], scans: [], plan, results: new Map(), keys: new Map() };
  const { results, keys, scans } = await runPlanScans(engine, cfg, plan, options);
  return { rows: evaluatePlan(plan, results, windows), scans, plan, results, keys };
}

/** Splits windows into contiguous batches so one plan covers many windows (fewer scans). */
export function batchWindows(windows: readonly Window[], size: number): Window[][] {
  const out: Window[][] = [];
  for (let i = 0; i < windows.length; i += size) out.push(windows.slice(i, i + size));
  return out;
}

/** Splits windows (sorted) into runs of adjacent ones: a scan of a run reads no window outside it. */
export function contiguousRuns(windows: readonly Window[]): Window[][] {
  const out: Window[][] = [];
  for (const w of windows) {
    const last = out[out.length - 1];
    if (last && last[last.length - 1]!.end.getTime() === w.start.getTime()) last.push(w);
    else out.push([w]);
  }
  return out;
}
