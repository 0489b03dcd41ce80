import { getOrInsert } from '../collections.js';
import { coreCatalog } from '../config/load.js';
import type { MetricConfig } from '../config/schema.js';
import { InputError, VigilError } from '../errors.js';
import { type ExperimentConfig, findPolicy, type Policy } from '../experiments/config.js';
import { assertFinite } from '../experiments/readout.js';
import { computeMetrics } from '../jobs/compute-metrics.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { dimensionValue } from '../slices/slice.js';
import { didCluster, eventStudy, syntheticControl, welchFromSummary } from '../stats/index.js';
import { addGrain, formatDt, formatIso, windowsInRange } from '../time/window.js';

/**
 * Policy-launch readout on a region × day panel of one core catalog metric: difference in
 * differences with errors clustered by region, an event study (pre-trend test), and synthetic
 * control as a cross-check. Relative effects divide by the treated region's pre-period mean
 * (treated as known; its sampling error is not propagated into the relative CI).
 */
export interface PolicyReadout {
  readonly schema: 'vigil.policy_readout/1';
  readonly policy: string;
  readonly region: string;
  readonly metric: string;
  readonly launch: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly alpha: number;
  readonly regions: string[];
  readonly pre_days: number;
  readonly post_days: number;
  readonly treated_pre_mean: number;
  readonly did: {
    readonly att: number;
    readonly se_cluster: number;
    readonly ci_low: number;
    readonly ci_high: number;
    readonly p_value: number;
    readonly relative_effect: number;
    readonly relative_ci_low: number;
    readonly relative_ci_high: number;
    readonly n_clusters: number;
    readonly n_obs: number;
  };
  /**
   * The headline effect: the DiD ATT with the more conservative of two standard errors — the
   * region-clustered one, and a Welch test of the daily treated-minus-controls gap post vs pre
   * (days as the replication unit). With one treated region the clustered SE alone is too small.
   */
  readonly effect: {
    readonly att: number;
    readonly se: number;
    readonly ci_low: number;
    readonly ci_high: number;
    readonly p_value: number;
    readonly inference: 'cluster_robust' | 'daily_gap_welch';
    readonly relative_effect: number;
    readonly relative_ci_low: number;
    readonly relative_ci_high: number;
  };
  readonly event_study: {
    readonly reference_event_time: -1;
    readonly effects: {
      readonly event_time: number;
      readonly estimate: number;
      readonly se: number;
      readonly ci_low: number;
      readonly ci_high: number;
      readonly p_value: number;
    }[];
    readonly pre_trend: {
      readonly statistic: number;
      readonly df: number;
      readonly p_value: number;
      readonly p_value_f: number;
    } | null;
  } | null;
  readonly synthetic_control: {
    readonly estimate: number;
    readonly relative_effect: number;
    readonly pre_rmspe: number;
    readonly post_rmspe: number;
    readonly p_value: number | null;
    readonly weights: Record<string, number>;
  } | null;
  readonly notes: string[];
}

export interface PolicyPanel {
  readonly regions: string[];
  readonly days: string[];
  /** region → day → value */
  readonly values: Map<string, Map<string, number>>;
}

/** The metric restricted to its total + region slice: one engine pass over all days. */
function regionMetricConfig(metric: string): MetricConfig {
  const catalog = coreCatalog();
  const m = catalog.metrics.find((x) => x.name === metric);
  if (!m) throw new InputError(`unknown core catalog metric '${metric}'`);
  return { ...catalog, metrics: [{ ...m, slices: ['region'], slice_combinations: [] }] };
}

/** Computes the region × day panel of the policy metric over [launch − pre, min(launch + post, asOf)). */
export async function policyPanel(engine: QueryEngine, p: Policy, asOf?: Date): Promise<PolicyPanel> {
  const from = addGrain(p.launch, 'day', -p.pre_days);
  let to = addGrain(p.launch, 'day', p.post_days);
  if (asOf && asOf < to) to = new Date(Math.floor(asOf.getTime() / 86_400_000) * 86_400_000);
  if (to.getTime() <= p.launch.getTime())
    throw new InputError(`policy '${p.id}': no complete post-launch day before ${formatIso(asOf ?? to)}`);
  const windows = windowsInRange('day', from, to);
  const { rows } = await computeMetrics(engine, regionMetricConfig(p.metric), 'day', windows);
  const values = new Map<string, Map<string, number>>();
  for (const r of rows) {
    // The region slice alone (a NULL region is no control unit).
    const region = r.slice.pairs.length === 1 ? dimensionValue(r.slice, 'region') : undefined;
    if (typeof region !== 'string' || r.value === null) continue;
    const m = getOrInsert(values, region, () => new Map<string, number>());
    m.set(formatDt(r.windowStart), r.value);
  }
  const treated = values.get(p.region);
  if (!treated) throw new InputError(`policy '${p.id}': region ${p.region} has no data for ${p.metric}`);
  // Days where the treated region has a value, then the control regions complete on those days.
  const days = windows.map((w) => formatDt(w.start)).filter((d) => treated.has(d));
  const regions = [...values.keys()].filter((r) => days.every((d) => values.get(r)!.has(d))).sort();
  return { regions, days, values };
}

/** Policy readout from a panel (pure). */
export function policyReadoutFromPanel(p: Policy, panel: PolicyPanel): PolicyReadout {
  const launchDay = formatDt(p.launch);
  const pre = panel.days.filter((d) => d < launchDay);
  const post = panel.days.filter((d) => d >= launchDay);
  const controls = panel.regions.filter((r) => r !== p.region);
  if (pre.length < 2 || post.length < 1)
    throw new InputError(
      `policy '${p.id}': needs at least 2 pre-launch and 1 post-launch days with data, got ${pre.length} and ${post.length}`,
    );
  if (controls.length < 2)
    throw new InputError(
      `policy '${p.id}': needs at least 2 control regions with complete data, got ${controls.length}`,
    );
  const y = (r: string, d: string) => panel.values.get(r)!.get(d)!;
  const treatedPreMean = pre.reduce((s, d) => s + y(p.region, d), 0) / pre.length;
  if (treatedPreMean === 0)
    throw new InputError(`policy '${p.id}': the treated region's pre-period mean is 0; no relative effect`);
  const notes: string[] = [];
  const rows = panel.regions.flatMap((r) =>
    panel.days.map((d) => ({
      unit: r,
      period: d,
      treated: r === p.region ? 1 : 0,
      post: d >= launchDay ? 1 : 0,
      y: y(r, d),
    })),
  );
  const did = didCluster({ rows, alpha: p.alpha });
  const rel = (lo: number, hi: number) => ({
    relative_ci_low: Math.min(lo / treatedPreMean, hi / treatedPreMean),
    relative_ci_high: Math.max(lo / treatedPreMean, hi / treatedPreMean),
  });
  let effect: PolicyReadout['effect'] = {
    att: did.att,
    se: did.seCluster,
    ci_low: did.ciLow,
    ci_high: did.ciHigh,
    p_value: did.pValue,
    inference: 'cluster_robust',
    relative_effect: did.att / treatedPreMean,
    ...rel(did.ciLow, did.ciHigh),
  };
  if (post.length >= 2) {
    const gap = (d: string) => y(p.region, d) - controls.reduce((s, r) => s + y(r, d), 0) / controls.length;
    const summary = (days: string[]) => {
      const g = days.map(gap);
      const mean = g.reduce((a, b) => a + b, 0) / g.length;
      return { n: g.length, mean, variance: g.reduce((a, b) => a + (b - mean) ** 2, 0) / (g.length - 1) };
    };
    try {
      const w = welchFromSummary({ control: summary(pre), treatment: summary(post), alpha: p.alpha });
      if (w.se > did.seCluster)
        effect = {
          att: did.att,
          se: w.se,
          ci_low: did.att - (w.diff - w.ciLow),
          ci_high: did.att + (w.ciHigh - w.diff),
          p_value: w.pValue,
          inference: 'daily_gap_welch',
          relative_effect: did.att / treatedPreMean,
          ...rel(did.att - (w.diff - w.ciLow), did.att + (w.ciHigh - w.diff)),
        };
    } catch (err) {
      if (!(err instanceof VigilError)) throw err;
    }
  }
  let eventStudyOut: PolicyReadout['event_study'] = null;
  try {
    const es = eventStudy({
      rows: rows.map(({ unit, period, y }) => ({ unit, period, y })),
      treatedAt: { [p.region]: post[0]! },
      alpha: p.alpha,
    });
    eventStudyOut = {
      reference_event_time: -1,
      effects: es.effects.map((x) => ({
        event_time: x.eventTime,
        estimate: x.estimate,
        se: x.se,
        ci_low: x.ciLow,
        ci_high: x.ciHigh,
        p_value: x.pValue,
      })),
      pre_trend: es.preTrend
        ? {
            statistic: es.preTrend.statistic,
            df: es.preTrend.df,
            p_value: es.preTrend.pValue,
            p_value_f: es.preTrend.pValueF,
          }
        : null,
    };
  } catch (err) {
    if (!(err instanceof VigilError)) throw err;
    notes.push(`event study skipped: ${err.message}`);
  }
  let sc: PolicyReadout['synthetic_control'] = null;
  try {
    const s = syntheticControl({
      rows: rows.map(({ unit, period, y }) => ({ unit, period, y })),
      treatedUnit: p.region,
      treatmentStart: post[0]!,
    });
    sc = {
      estimate: s.estimate,
      relative_effect: s.estimate / treatedPreMean,
      pre_rmspe: s.preRmspe,
      post_rmspe: s.postRmspe,
      p_value: s.pValue,
      weights: Object.fromEntries(s.weights.map((w) => [w.unit, w.weight])),
    };
  } catch (err) {
    if (!(err instanceof VigilError)) throw err;
    notes.push(`synthetic control skipped: ${err.message}`);
  }
  if (controls.length < 10)
    notes.push(
      `${controls.length} control regions and 1 treated region: cluster-robust errors with few clusters are approximate`,
    );
  const out: PolicyReadout = {
    schema: 'vigil.policy_readout/1',
    policy: p.id,
    region: p.region,
    metric: p.metric,
    launch: formatIso(p.launch),
    window: {
      start: `${panel.days[0]}T00:00:00Z`,
      end: formatIso(addGrain(new Date(`${panel.days.at(-1)}T00:00:00Z`), 'day', 1)),
    },
    alpha: p.alpha,
    regions: panel.regions,
    pre_days: pre.length,
    post_days: post.length,
    treated_pre_mean: treatedPreMean,
    did: {
      att: did.att,
      se_cluster: did.seCluster,
      ci_low: did.ciLow,
      ci_high: did.ciHigh,
      p_value: did.pValue,
      relative_effect: did.att / treatedPreMean,
      ...rel(did.ciLow, did.ciHigh),
      n_clusters: did.nClusters,
      n_obs: did.nObs,
    },
    effect,
    event_study: eventStudyOut,
    synthetic_control: sc,
    notes,
  };
  assertFinite(out);
  return out;
}

export async function evaluatePolicy(o: {
  engine: QueryEngine;
  config: ExperimentConfig;
  policy: string;
  asOf?: Date;
}): Promise<PolicyReadout> {
  const p = findPolicy(o.config, o.policy);
  return policyReadoutFromPanel(p, await policyPanel(o.engine, p, o.asOf));
}
