import { createHash } from 'node:crypto';
import type { MetricConfig } from '../config/schema.js';
import { kindOf } from '../metrics/aggregates/index.js';
import type { MergedValues } from '../metrics/intermediates.js';
import type { MetricPlan, PlannedAggregate, SourceScan } from '../metrics/plan.js';
import type { Cell, QueryResult } from '../ports/query-engine.js';
import { numberColumn, stringColumn } from '../ports/query-engine.js';

/**
 * Day windows from stored hourly aggregates. Counts and sums (plain, conditional, squared — so
 * ratio numerators and denominators and weighted sums) of a day are the sums of its hours', so the
 * hourly scan stores them beside its rows (`run-<id>.agg.json`) and the day's are added up here
 * instead of rescanning raw events. Distinct counts and percentiles are not additive: their values
 * come from the hours' merged intermediates (shared/metrics/intermediates.ts), or, where an hour
 * has none, from a scan for those alone (`nonAdditivePlan`); the halves are merged into one result
 * per source that `evaluatePlan` turns into rows exactly as it would a raw day scan.
 *
 * Exactness: counts are integers below 2⁵³ (exact); sums are added with Neumaier's compensated
 * summation, within a few ulps of the engine's own sum of the same rows.
 */
const FORMAT = 1;

export function isAdditive(a: PlannedAggregate): boolean {
  return kindOf(a).additive;
}

/**
 * Identifies what a plan computes, independent of grain and range: stored aggregates are rolled up
 * only into a plan with the same signature (same metrics, filters, slices and table mappings).
 */
export function planSignature(plan: MetricPlan, cfg: MetricConfig): string {
  const body = JSON.stringify({ scans: plan.scans, metrics: plan.metrics, sources: cfg.sources });
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/** The plan's scans cut down to their non-additive aggregates (scans with none are dropped). */
export function nonAdditivePlan(plan: MetricPlan): MetricPlan {
  const scans = plan.scans
    .map((s) => ({ ...s, aggregates: s.aggregates.filter((a) => !isAdditive(a)) }))
    .filter((s) => s.aggregates.length > 0);
  return { ...plan, scans };
}

interface StoredSource {
  readonly dims: readonly string[];
  readonly aliases: readonly string[];
  /** [g, ...dimension values, ...additive aggregates] */
  readonly rows: readonly (readonly (string | number | null)[])[];
}

export interface StoredAggregates {
  readonly format: number;
  readonly plan: string;
  readonly sources: Readonly<Record<string, StoredSource>>;
}

/**
 * Every aggregate of one window (its rows of each source's scan result), serialized: the additive
 * ones roll up into coarser windows; all of them let a later recompute of this same window rescan
 * only the sources whose partitions changed.
 */
export function windowAggregates(
  plan: MetricPlan,
  signature: string,
  results: ReadonlyMap<string, QueryResult>,
  windowStartMs: number,
): string {
  const sources: Record<string, StoredSource> = {};
  for (const scan of plan.scans) {
    const result = results.get(scan.source);
    if (!result) continue;
    const aliases = scan.aggregates.map((a) => a.alias);
    const w = numberColumn(result, 'w');
    const g = numberColumn(result, 'g');
    const dims = scan.dimensions.map((d) => stringColumn(result, `d_${d}`));
    const aggs = aliases.map((a) => numberColumn(result, a));
    const rows: (string | number | null)[][] = [];
    for (let i = 0; i < result.rowCount; i++) {
      if (Math.round((w[i] ?? 0) * 1000) !== windowStartMs) continue;
      rows.push([g[i] ?? 0, ...dims.map((d) => d[i] ?? null), ...aggs.map((a) => a[i] ?? null)]);
    }
    sources[scan.source] = { dims: scan.dimensions, aliases, rows };
  }
  const stored: StoredAggregates = { format: FORMAT, plan: signature, sources };
  return JSON.stringify(stored);
}

/** Parses stored aggregates; undefined when they are of another plan or format (then: rescan). */
export function parseAggregates(text: string, signature: string): StoredAggregates | undefined {
  try {
    const s = JSON.parse(text) as StoredAggregates;
    return s.format === FORMAT && s.plan === signature ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Neumaier's compensated sum, one accumulator per cell. */
class CompensatedSum {
  private sum = 0;
  private c = 0;
  add(x: number): void {
    const t = this.sum + x;
    this.c += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.c;
  }
}

interface Group {
  readonly g: number;
  readonly dims: readonly (string | null)[];
  readonly sums: Map<string, CompensatedSum>;
  readonly other: Map<string, Cell>;
}

const keyOf = (g: number, dims: readonly (string | null)[]) => JSON.stringify([g, ...dims]);

/**
 * One result per source for the window starting at `windowStartMs`: the additive aggregates summed
 * over `parts` (the hours' stored aggregates) and the non-additive ones from `merged` (the hours'
 * merged intermediates) or else from `raw`, a scan of the non-additive ones.
 */
export function rollUp(
  plan: MetricPlan,
  parts: readonly StoredAggregates[],
  raw: ReadonlyMap<string, QueryResult>,
  windowStartMs: number,
  merged: ReadonlyMap<string, MergedValues> = new Map(),
): Map<string, QueryResult> {
  const out = new Map<string, QueryResult>();
  for (const scan of plan.scans)
    out.set(scan.source, merge(scan, parts, raw.get(scan.source), merged.get(scan.source), windowStartMs));
  return out;
}

function merge(
  scan: SourceScan,
  parts: readonly StoredAggregates[],
  raw: QueryResult | undefined,
  merged: MergedValues | undefined,
  windowStartMs: number,
): QueryResult {
  const groups = new Map<string, Group>();
  const group = (g: number, dims: readonly (string | null)[]) => {
    const key = keyOf(g, dims);
    let found = groups.get(key);
    if (!found) {
      found = { g, dims, sums: new Map(), other: new Map() };
      groups.set(key, found);
    }
    return found;
  };
  const k = scan.dimensions.length;
  const additive = new Set(scan.aggregates.filter(isAdditive).map((a) => a.alias));
  for (const part of parts) {
    const src = part.sources[scan.source];
    if (!src) continue;
    for (const row of src.rows) {
      const grp = group(Number(row[0]), row.slice(1, 1 + k) as (string | null)[]);
      src.aliases.forEach((alias, j) => {
        const v = row[1 + k + j];
        // Distinct counts and percentiles of the parts do not add up: they come from `raw`.
        if (v === null || v === undefined || !additive.has(alias)) return;
        let acc = grp.sums.get(alias);
        if (!acc) {
          acc = new CompensatedSum();
          grp.sums.set(alias, acc);
        }
        acc.add(Number(v));
      });
    }
  }
  if (raw) {
    const g = numberColumn(raw, 'g');
    const dims = scan.dimensions.map((d) => stringColumn(raw, `d_${d}`));
    const aliases = scan.aggregates.filter((a) => !isAdditive(a)).map((a) => a.alias);
    for (let i = 0; i < raw.rowCount; i++) {
      const grp = group(
        g[i] ?? 0,
        dims.map((d) => d[i] ?? null),
      );
      for (const a of aliases) grp.other.set(a, raw.data[a]?.[i] ?? null);
    }
  }
  const columns = ['w', ...scan.dimensions.map((d) => `d_${d}`), 'g', ...scan.aggregates.map((a) => a.alias)];
  const data: Record<string, Cell[]> = Object.fromEntries(columns.map((c) => [c, []]));
  for (const grp of groups.values()) {
    data.w!.push(windowStartMs / 1000);
    scan.dimensions.forEach((d, j) => {
      data[`d_${d}`]!.push(grp.dims[j] ?? null);
    });
    data.g!.push(grp.g);
    for (const a of scan.aggregates)
      data[a.alias]!.push(
        isAdditive(a)
          ? (grp.sums.get(a.alias)?.value ?? 0)
          : merged
            ? merged.value(grp.g, grp.dims, a.alias)
            : (grp.other.get(a.alias) ?? null),
      );
  }
  return { columns, data, rowCount: groups.size };
}

/**
 * The stored aggregates of one window as scan results, for the sources in `sources`: a recompute
 * of the window takes them for the sources whose partitions did not change.
 */
export function storedResults(
  plan: MetricPlan,
  stored: StoredAggregates,
  sources: ReadonlySet<string>,
  windowStartMs: number,
): Map<string, QueryResult> | undefined {
  const out = new Map<string, QueryResult>();
  for (const scan of plan.scans) {
    if (!sources.has(scan.source)) continue;
    const src = stored.sources[scan.source];
    const aliases = scan.aggregates.map((a) => a.alias);
    // Stored by another plan shape (should not happen with equal signatures): rescan instead.
    if (
      !src ||
      JSON.stringify(src.dims) !== JSON.stringify(scan.dimensions) ||
      aliases.some((a) => !src.aliases.includes(a))
    )
      return undefined;
    const k = scan.dimensions.length;
    const columns = ['w', ...scan.dimensions.map((d) => `d_${d}`), 'g', ...aliases];
    const data: Record<string, Cell[]> = Object.fromEntries(columns.map((c) => [c, []]));
    const at = new Map(src.aliases.map((a, j) => [a, 1 + k + j]));
    for (const row of src.rows) {
      data.w!.push(windowStartMs / 1000);
      scan.dimensions.forEach((d, j) => {
        data[`d_${d}`]!.push(row[1 + j] ?? null);
      });
      data.g!.push(Number(row[0]));
      for (const a of aliases) data[a]!.push(row[at.get(a)!] ?? null);
    }
    out.set(scan.source, { columns, data, rowCount: src.rows.length });
  }
  return out;
}

/** The plan cut down to the scans of `sources`. */
export function planOfSources(plan: MetricPlan, sources: ReadonlySet<string>): MetricPlan {
  return { ...plan, scans: plan.scans.filter((s) => sources.has(s.source)) };
}
