import { getOrInsert } from '../collections.js';
import { metricSources } from '../config/load.js';
import type { Condition, Measure, Metric, MetricConfig } from '../config/schema.js';
import type { Grain } from '../time/window.js';

/**
 * The query plan: for a range of windows of one grain, one scan per source computing every
 * measure the metrics need as conditional aggregates over GROUPING SETS of the requested slices.
 * Plans are dialect-free data; `sql-render.ts` turns one into DuckDB or Athena SQL.
 */
export type AggKind = 'count' | 'sum' | 'count_distinct' | 'quantile';

export interface PlannedAggregate {
  readonly alias: string;
  readonly kind: AggKind;
  /** logical column (none for count) */
  readonly column?: string;
  /** `sum` of column² instead of column (for weighted CIs) */
  readonly squared?: boolean;
  readonly p?: number;
  readonly filter: readonly Condition[];
  /**
   * The dimensions of every slice set that reads this aggregate, sorted: a non-additive one's
   * intermediate is kept at this grain (shared/metrics/intermediates.ts).
   */
  readonly dims: readonly string[];
}

export interface SourceScan {
  readonly source: string;
  /** logical dimension columns used in any grouping set, sorted */
  readonly dimensions: readonly string[];
  /** each grouping set is a sorted list of dimensions; [] is the total */
  readonly groupingSets: readonly (readonly string[])[];
  readonly aggregates: readonly PlannedAggregate[];
}

/** How a metric's value is assembled from aggregates (possibly of two sources). */
export type MetricBinding =
  | {
      readonly kind: 'single';
      readonly source: string;
      readonly agg: string;
      readonly zeroIfEmpty: boolean;
      /** count of the metric's rows: a slice with none is absent (the total is always written) */
      readonly presence: string;
      /** The row carries that count as its `samples` (percentiles: their volume). */
      readonly samples?: true;
    }
  | {
      readonly kind: 'ratio';
      readonly num: { readonly source: string; readonly agg: string };
      readonly den: { readonly source: string; readonly agg: string };
      readonly scale: number;
    }
  | {
      readonly kind: 'weighted_proportion';
      readonly source: string;
      readonly num: string;
      readonly den: string;
      readonly denSq: string;
      readonly confidence: number;
    };

export interface PlannedMetric {
  readonly name: string;
  /** sorted slice dimension sets, [] first (the total) */
  readonly sliceSets: readonly (readonly string[])[];
  readonly binding: MetricBinding;
}

export interface MetricPlan {
  readonly grain: Grain;
  readonly from: Date;
  readonly to: Date;
  readonly scans: readonly SourceScan[];
  readonly metrics: readonly PlannedMetric[];
  /**
   * Also return each non-additive aggregate's intermediate (its keys per finest slice), so the
   * windows can be merged into coarser ones later without rescanning (hourly windows of the store).
   */
  readonly intermediates?: boolean;
}

/** The plan, also computing the intermediates of its non-additive aggregates. */
export function withIntermediates(plan: MetricPlan): MetricPlan {
  return { ...plan, intermediates: true };
}

function sliceSetsOf(metric: Metric): string[][] {
  const sets = [[], ...metric.slices.map((d) => [d]), ...metric.slice_combinations.map((c) => [...c].sort())];
  const seen = new Set<string>();
  return sets.filter((s) => {
    const key = s.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type AggregateDef = Omit<PlannedAggregate, 'alias' | 'dims'>;

class ScanBuilder {
  private readonly aggs = new Map<string, { def: AggregateDef; alias: string; dims: Set<string> }>();
  private readonly sets = new Map<string, string[]>();
  constructor(readonly source: string) {}

  /**
   * Returns the alias of an aggregate read by `sets`, reusing an identical one (e.g. removals in
   * two metrics, whose slice sets then add up).
   */
  add(def: AggregateDef, sets: readonly (readonly string[])[]): string {
    const key = JSON.stringify([def.kind, def.column, def.squared ?? false, def.p, def.filter]);
    let found = this.aggs.get(key);
    if (!found) {
      found = { def, alias: `a${this.aggs.size}`, dims: new Set() };
      this.aggs.set(key, found);
    }
    for (const d of sets.flat()) found.dims.add(d);
    return found.alias;
  }

  addSets(sets: readonly (readonly string[])[]) {
    for (const s of sets) this.sets.set(s.join(','), [...s]);
  }

  build(): SourceScan {
    const groupingSets = [...this.sets.values()].sort(
      (a, b) => a.length - b.length || a.join().localeCompare(b.join()),
    );
    const dimensions = [...new Set(groupingSets.flat())].sort();
    const aggregates = [...this.aggs.values()].map((a) => ({
      ...a.def,
      alias: a.alias,
      dims: [...a.dims].sort(),
    }));
    return { source: this.source, dimensions, groupingSets, aggregates };
  }
}

/** Plans a metric config over [from, to) at one grain: one scan per source. */
export function planMetrics(cfg: MetricConfig, grain: Grain, from: Date, to: Date): MetricPlan {
  const scans = new Map<string, ScanBuilder>();
  const scan = (source: string) => getOrInsert(scans, source, () => new ScanBuilder(source));
  const metrics: PlannedMetric[] = cfg.metrics.map((metric) => {
    const sliceSets = sliceSetsOf(metric);
    for (const s of metricSources(metric)) scan(s).addSets(sliceSets);
    const add = (source: string, def: AggregateDef) => scan(source).add(def, sliceSets);
    const measure = (m: Measure) =>
      add(m.source, {
        kind: m.agg === 'count_distinct' ? 'count_distinct' : m.agg,
        ...(m.column ? { column: m.column } : {}),
        filter: m.filter,
      });
    const binding = bind(metric, add, measure);
    return { name: metric.name, sliceSets, binding };
  });
  return { grain, from, to, scans: [...scans.values()].map((s) => s.build()), metrics };
}

function bind(
  metric: Metric,
  add: (source: string, def: AggregateDef) => string,
  measure: (m: Measure) => string,
): MetricBinding {
  switch (metric.kind) {
    case 'count':
    case 'sum':
    case 'distinct_count': {
      const agg = add(metric.source, {
        kind: metric.kind === 'distinct_count' ? 'count_distinct' : metric.kind,
        ...(metric.column ? { column: metric.column } : {}),
        filter: metric.filter,
      });
      const presence = add(metric.source, { kind: 'count', filter: metric.filter });
      return { kind: 'single', source: metric.source, agg, zeroIfEmpty: true, presence };
    }
    case 'percentile': {
      const agg = add(metric.source, {
        kind: 'quantile',
        column: metric.column,
        p: metric.percentile,
        filter: metric.filter,
      });
      const presence = add(metric.source, { kind: 'count', filter: metric.filter });
      return { kind: 'single', source: metric.source, agg, zeroIfEmpty: false, presence, samples: true };
    }
    case 'ratio':
      return {
        kind: 'ratio',
        num: { source: metric.numerator.source, agg: measure(metric.numerator) },
        den: { source: metric.denominator.source, agg: measure(metric.denominator) },
        scale: metric.scale,
      };
    case 'weighted_proportion': {
      const both = [...metric.filter, ...metric.condition];
      const s = metric.source;
      return {
        kind: 'weighted_proportion',
        source: metric.source,
        num: add(s, { kind: 'sum', column: metric.weight, filter: both }),
        den: add(s, { kind: 'sum', column: metric.weight, filter: metric.filter }),
        denSq: add(s, { kind: 'sum', column: metric.weight, squared: true, filter: metric.filter }),
        confidence: metric.confidence,
      };
    }
  }
}
