import type { Metric, MetricConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { type Policy, policyMetrics, policySchedule } from '../experiments/config.js';
import { computeMetrics } from '../jobs/compute-metrics.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { dimensionValue, type Slice } from '../slices/slice.js';
import { addGrain, formatDt, formatIso, windowsInRange } from '../time/window.js';

/**
 * The region × day panel a policy is read out on, as numerators and denominators: for a ratio
 * metric (ratio, weighted proportion) the day's raw sums (numerator pre-multiplied by the metric's
 * scale), so window values are Σ numerator / Σ denominator — days weighted by their exposure, never
 * a mean of daily ratios; for any other metric the day's value over a denominator of 1 (a day
 * without a value has denominator 0 and drops out).
 */
export interface PolicyPanel {
  /** Every region with data, sorted. */
  readonly regions: string[];
  /** UTC days `YYYY-MM-DD`, consecutive, sorted. */
  readonly days: string[];
  readonly num: ReadonlyMap<string, Float64Array>;
  readonly den: ReadonlyMap<string, Float64Array>;
  /** True for ratio metrics: the denominator is an exposure (impressions, labels, decisions...). */
  readonly ratio: boolean;
}

export interface PolicyPanelRequest {
  readonly from: Date;
  /** End of the requested window (exclusive): the last launch + post_days. */
  readonly to: Date;
  /** End actually read (exclusive): `to`, or earlier when the data or `asOf` ends first. */
  readonly readTo: Date;
  readonly truncatedBy: 'as_of' | null;
}

function regionSliced(metric: Metric): Metric {
  return { ...metric, slices: ['region'], slice_combinations: [] };
}

/** The metric definition a policy names, from the config's metrics or the core catalog. */
export function policyMetric(catalog: MetricConfig, p: Policy): Metric {
  const m = catalog.metrics.find((x) => x.name === p.metric);
  if (!m) throw new InputError(`policy '${p.id}': unknown metric '${p.metric}'`);
  return m;
}

/** The window to read: [first launch − pre_days, last launch + post_days), cut at `asOf` (a day boundary). */
export function panelRequest(p: Policy, asOf?: Date): PolicyPanelRequest {
  const schedule = policySchedule(p);
  const from = addGrain(schedule[0]!.launch, 'day', -p.pre_days);
  const to = addGrain(schedule.at(-1)!.launch, 'day', p.post_days);
  let readTo = to;
  let truncatedBy: PolicyPanelRequest['truncatedBy'] = null;
  if (asOf && asOf < to) {
    readTo = new Date(Math.floor(asOf.getTime() / 86_400_000) * 86_400_000);
    truncatedBy = 'as_of';
  }
  if (readTo.getTime() <= schedule[0]!.launch.getTime())
    throw new InputError(`policy '${p.id}': no complete post-launch day before ${formatIso(asOf ?? readTo)}`);
  return { from, to, readTo, truncatedBy };
}

/** Builds the panel from metric rows of the region slice (pure; the engine part is `policyPanel`). */
export function panelFromRows(
  metric: Metric,
  days: readonly string[],
  rows: readonly {
    slice: Slice;
    windowStart: Date;
    value: number | null;
    numerator: number | null;
    denominator: number | null;
  }[],
): PolicyPanel {
  const ratio = metric.kind === 'ratio' || metric.kind === 'weighted_proportion';
  const scale = metric.kind === 'ratio' ? metric.scale : 1;
  const countLike = metric.kind === 'count' || metric.kind === 'sum' || metric.kind === 'distinct_count';
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const num = new Map<string, Float64Array>();
  const den = new Map<string, Float64Array>();
  const seen = new Set<string>();
  for (const r of rows) {
    // Only the region slice alone; a NULL region is no unit of the panel.
    const region = r.slice.pairs.length === 1 ? dimensionValue(r.slice, 'region') : undefined;
    if (typeof region !== 'string') continue;
    const d = dayIndex.get(formatDt(r.windowStart));
    if (d === undefined) continue;
    if (!num.has(region)) {
      num.set(region, new Float64Array(days.length));
      // Count metrics: a region absent on a day with data counted 0 that day (denominator 1).
      den.set(region, new Float64Array(days.length));
    }
    seen.add(`${d}`);
    if (ratio) {
      if (r.numerator === null || r.denominator === null || !(r.denominator > 0)) continue;
      num.get(region)![d] = scale * r.numerator;
      den.get(region)![d] = r.denominator;
    } else if (r.value !== null) {
      num.get(region)![d] = r.value;
      den.get(region)![d] = 1;
    }
  }
  // Days on which no region has a row are outside the data (the lake ends, or has a hole).
  const dataDays = days.map((_, i) => seen.has(`${i}`));
  if (countLike)
    for (const d of den.values()) for (let i = 0; i < days.length; i++) if (dataDays[i]) d[i] = 1;
  const keep = days.map((_, i) => i).filter((i) => dataDays[i]);
  const first = keep[0] ?? 0;
  const last = keep.at(-1) ?? -1;
  const span = (a: Float64Array) => a.slice(first, last + 1);
  const regions = [...num.keys()].sort();
  return {
    regions,
    days: days.slice(first, last + 1),
    num: new Map(regions.map((r) => [r, span(num.get(r)!)])),
    den: new Map(regions.map((r) => [r, span(den.get(r)!)])),
    ratio,
  };
}

/** Computes the policy metric per region × day over the policy's window: one engine pass. */
export async function policyPanel(
  engine: QueryEngine,
  catalog: MetricConfig,
  p: Policy,
  request: PolicyPanelRequest,
): Promise<PolicyPanel> {
  const metric = policyMetric(catalog, p);
  const windows = windowsInRange('day', request.from, request.readTo);
  const cfg: MetricConfig = { ...catalog, metrics: [regionSliced(metric)] };
  const { rows } = await computeMetrics(engine, cfg, 'day', windows);
  return panelFromRows(
    metric,
    windows.map((w) => formatDt(w.start)),
    rows,
  );
}

export { policyMetrics };
