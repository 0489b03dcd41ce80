import { getOrInsert } from '../collections.js';
import { numberColumn, type QueryResult, stringColumn } from '../ports/query-engine.js';
import { compareSlices, type Slice, type SlicePair, sliceOf } from '../slices/slice.js';
import { addGrain, type Window } from '../time/window.js';
import type { MetricRow } from './metric-row.js';
import type { MetricBinding, MetricPlan, SourceScan } from './plan.js';
import { weightedWilson } from './wilson.js';

/** Aggregates of one source, indexed by grouping set → window → slice key. */
class ScanIndex {
  private readonly bySet = new Map<string, Map<number, Map<string, { slice: Slice; row: number }>>>();
  private readonly aggs = new Map<string, (number | null)[]>();

  constructor(scan: SourceScan, result: QueryResult) {
    const w = numberColumn(result, 'w');
    const g = numberColumn(result, 'g');
    const dimValues = scan.dimensions.map((d) => stringColumn(result, `d_${d}`));
    for (const a of scan.aggregates) this.aggs.set(a.alias, numberColumn(result, a.alias));
    const k = scan.dimensions.length;
    for (let i = 0; i < result.rowCount; i++) {
      const mask = g[i] ?? 0;
      // GROUPING() sets bit (k-1-j) when dimension j is rolled up.
      // NULL stays null (its own slice, distinct from the text "(null)").
      const pairs: SlicePair[] = [];
      scan.dimensions.forEach((d, j) => {
        if ((mask & (1 << (k - 1 - j))) === 0) pairs.push([d, dimValues[j]![i] ?? null]);
      });
      const setKey = JSON.stringify(pairs.map((p) => p[0]));
      const byWindow = getOrInsert(this.bySet, setKey, () => new Map());
      const ms = Math.round((w[i] ?? 0) * 1000);
      const slice = sliceOf(pairs);
      getOrInsert(byWindow, ms, () => new Map()).set(slice.key, { slice, row: i });
    }
  }

  slices(set: readonly string[], windowMs: number): Iterable<Slice> {
    return [...(this.bySet.get(JSON.stringify(set))?.get(windowMs)?.values() ?? [])].map((x) => x.slice);
  }

  value(set: readonly string[], windowMs: number, slice: Slice, alias: string): number | null | undefined {
    const found = this.bySet.get(JSON.stringify(set))?.get(windowMs)?.get(slice.key);
    if (found === undefined) return undefined;
    return this.aggs.get(alias)?.[found.row] ?? null;
  }
}

function sourcesOf(b: MetricBinding): string[] {
  return b.kind === 'ratio' ? [b.num.source, b.den.source] : [b.source];
}

type Values = Pick<MetricRow, 'value' | 'numerator' | 'denominator' | 'ciLow' | 'ciHigh' | 'samples'>;
const EMPTY: Values = { value: null, numerator: null, denominator: null, ciLow: null, ciHigh: null };

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function compute(
  b: MetricBinding,
  get: (source: string, alias: string) => number | null | undefined,
): Values {
  switch (b.kind) {
    case 'single': {
      const v = get(b.source, b.agg);
      const value = v ?? (b.zeroIfEmpty ? 0 : null);
      return b.samples ? { ...EMPTY, value, samples: get(b.source, b.presence) ?? 0 } : { ...EMPTY, value };
    }
    case 'ratio': {
      // A side with no rows in this slice is a zero count/sum.
      const num = get(b.num.source, b.num.agg) ?? 0;
      const den = get(b.den.source, b.den.agg) ?? 0;
      return {
        ...EMPTY,
        value: den === 0 ? null : finite((b.scale * num) / den),
        numerator: num,
        denominator: den,
      };
    }
    case 'weighted_proportion': {
      const num = get(b.source, b.num) ?? 0;
      const den = get(b.source, b.den) ?? 0;
      const sq = get(b.source, b.denSq) ?? 0;
      const ci = weightedWilson(num, den, sq, b.confidence);
      return ci
        ? { value: ci.p, numerator: num, denominator: den, ciLow: ci.low, ciHigh: ci.high }
        : { ...EMPTY, numerator: num, denominator: den };
    }
  }
}

/**
 * Turns per-source scan results into metric rows for every window of the plan: the total of each
 * window is always present; a slice is present when any of the metric's sources has rows for it.
 */
export function evaluatePlan(
  plan: MetricPlan,
  results: ReadonlyMap<string, QueryResult>,
  windows: readonly Window[],
): MetricRow[] {
  const indexes = new Map<string, ScanIndex>();
  for (const scan of plan.scans) {
    const result = results.get(scan.source);
    if (!result) throw new Error(`no result for source ${scan.source}`);
    indexes.set(scan.source, new ScanIndex(scan, result));
  }
  const rows: MetricRow[] = [];
  for (const metric of plan.metrics) {
    const sources = sourcesOf(metric.binding);
    for (const window of windows) {
      const ms = window.start.getTime();
      for (const set of metric.sliceSets) {
        const slices = new Map<string, Slice>(set.length === 0 ? [['', sliceOf([])]] : []);
        for (const s of sources) for (const sl of indexes.get(s)!.slices(set, ms)) slices.set(sl.key, sl);
        for (const slice of [...slices.values()].sort(compareSlices)) {
          const b = metric.binding;
          if (
            slice.pairs.length > 0 &&
            b.kind === 'single' &&
            !indexes.get(b.source)!.value(set, ms, slice, b.presence)
          )
            continue;
          const values = compute(metric.binding, (source, alias) =>
            indexes.get(source)!.value(set, ms, slice, alias),
          );
          rows.push({ metric: metric.name, grain: plan.grain, windowStart: window.start, slice, ...values });
        }
      }
    }
  }
  return rows;
}

/** Sanity check used by jobs: every window of the plan lies in [from, to). */
export function windowsOfPlan(plan: MetricPlan): Window[] {
  const out: Window[] = [];
  for (let t = plan.from; t < plan.to; t = addGrain(t, plan.grain))
    out.push({ grain: plan.grain, start: t, end: addGrain(t, plan.grain) });
  return out;
}
