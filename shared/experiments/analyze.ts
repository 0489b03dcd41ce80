import { InputError, VigilError } from '../errors.js';
import { numberColumn, type QueryEngine, stringColumn } from '../ports/query-engine.js';
import {
  adjustPValues,
  cupedFromMoments,
  mixingVarianceForPlannedSe,
  msprt,
  normalCritical,
  ratioDeltaFromMoments,
  srmChiSquare,
  summarizeCross,
  welchFromMoments,
} from '../stats/index.js';
import { ratioCupedFromSums } from '../stats/ratio-cuped.js';
import { formatIso } from '../time/window.js';
import { controlOf, type Experiment, type ExperimentConfig, findExperiment, segmentLevel } from './config.js';
import {
  crossColumn,
  type ExperimentPlan,
  metricSeries,
  type PlannedExperimentMetric,
  planExperiment,
  renderAssignmentCount,
  renderEventSegmentPlan,
  renderExperimentPlan,
  sumColumns,
} from './plan.js';
import {
  assertFinite,
  type CupedInfo,
  type Decision,
  type ExperimentReadout,
  type MetricReadout,
  type SegmentEffect,
  type VariantDecision,
} from './readout.js';

/** Sums of one metric in one variant (x only for CUPED covariates and ratio denominators). */
export interface MetricSums {
  readonly y: number;
  readonly y2: number;
  readonly x?: number;
  readonly x2?: number;
  readonly xy?: number;
  /** Ratio CUPED: Σ of the pre-period series u, v and their products (crossColumn names, e.g. yu). */
  readonly cross?: Readonly<Record<string, number>>;
}

export interface VariantSums {
  readonly variant: string;
  /** The segment value (segment queries only; null = the unit's attribute is missing or varies). */
  readonly segment?: string | null;
  readonly n: number;
  /** In plan metric order. */
  readonly metrics: readonly MetricSums[];
}

export interface ExperimentSums {
  readonly plan: ExperimentPlan;
  readonly sql: string;
  readonly variants: readonly VariantSums[];
  /** Units seen in more than one variant (excluded). */
  readonly conflicting: number;
}

/** The analysis end: as-of clamped to the experiment end; refuses an as-of before the start. */
export function analysisEnd(e: Experiment, asOf: Date): Date {
  if (asOf.getTime() <= e.start.getTime())
    throw new InputError(
      `--as-of ${formatIso(asOf)} is not after the start of experiment '${e.id}' (${formatIso(e.start)})`,
    );
  return asOf.getTime() < e.end.getTime() ? asOf : e.end;
}

/**
 * Runs the one experiment statement and returns per-variant sufficient statistics: memory is
 * O(variants × metrics) whatever the number of units.
 */
export async function computeExperimentSums(
  engine: QueryEngine,
  cfg: Pick<ExperimentConfig, 'sources'>,
  e: Experiment,
  asOf: Date,
  segment?: SegmentBy,
): Promise<ExperimentSums> {
  const to = analysisEnd(e, asOf);
  // An event attribute segments the primary metrics only (the ones the readout segments).
  const plan =
    segment?.level === 'event' ? planExperiment(e, to, (m) => m.role === 'primary') : planExperiment(e, to);
  const sql =
    segment?.level === 'event'
      ? renderEventSegmentPlan(plan, cfg, engine.dialect, segment.column)
      : renderExperimentPlan(plan, cfg, engine.dialect, segment?.column);
  const result = await engine.query(sql, {
    label: `experiment ${e.id} sufficient statistics${segment ? ` by ${segment.column}` : ''}`,
  });
  const variants = stringColumn(result, 'variant');
  const segments = segment ? stringColumn(result, 'segment') : undefined;
  const n = numberColumn(result, 'n');
  const col = (name: string) => numberColumn(result, name);
  const cols = plan.metrics.map((m) => {
    const c = sumColumns(m.index);
    const series = metricSeries(m);
    const cross: [string, (number | null)[]][] = [];
    if (m.u) {
      for (const k of ['u', 'v']) cross.push([k, col(crossColumn(m.index, k))]);
      for (const [a, b] of [
        ['y', 'u'],
        ['x', 'u'],
        ['u', 'u'],
        ['u', 'v'],
        ['y', 'v'],
        ['x', 'v'],
        ['v', 'v'],
      ] as const)
        if (series.includes(a) && series.includes(b))
          cross.push([`${a}${b}`, col(crossColumn(m.index, a, b))]);
    }
    return {
      y: col(c.y),
      y2: col(c.y2),
      ...(m.x ? { x: col(c.x), x2: col(c.x2), xy: col(c.xy) } : {}),
      cross,
    };
  });
  // Sums sit at their metric's index in e.metrics (a plan may skip metrics).
  const indexed = <T>(xs: T[]): T[] => {
    const at: T[] = [];
    xs.forEach((x, j) => {
      at[plan.metrics[j]!.index] = x;
    });
    return at;
  };
  const out: VariantSums[] = [];
  let conflicting = 0;
  for (let i = 0; i < result.rowCount; i++) {
    const variant = variants[i];
    if (variant === null || variant === undefined) {
      // By an event attribute every segment row repeats the variant's n: count those units once.
      if (segment?.level === 'event') conflicting = n[i] ?? 0;
      else conflicting += n[i] ?? 0;
      continue;
    }
    out.push({
      variant,
      ...(segments ? { segment: segments[i] ?? null } : {}),
      n: n[i] ?? 0,
      metrics: indexed(
        cols.map((c) => ({
          y: c.y[i] ?? 0,
          y2: c.y2[i] ?? 0,
          ...(c.x ? { x: c.x[i] ?? 0, x2: c.x2![i] ?? 0, xy: c.xy![i] ?? 0 } : {}),
          ...(c.cross.length ? { cross: Object.fromEntries(c.cross.map(([k, v]) => [k, v[i] ?? 0])) } : {}),
        })),
      ),
    });
  }
  return { plan, sql, variants: out, conflicting };
}

/**
 * Why an experiment has no units: its id is absent from the assignment source altogether, or it
 * has assignments but none in the analysis window. One count query; the id is a validated
 * config value rendered as a literal.
 */
export async function noUnitsReason(
  engine: QueryEngine,
  cfg: Pick<ExperimentConfig, 'sources'>,
  e: Experiment,
  to: Date,
): Promise<string> {
  const sql = renderAssignmentCount(e, cfg, engine.dialect);
  const result = await engine.query(sql, { label: `experiment ${e.id} assignment count` });
  const total = numberColumn(result, 'n')[0] ?? 0;
  if (total === 0) return `no assignments with experiment_id = '${e.id}' in ${e.assignment_source}`;
  return `experiment '${e.id}': no units assigned between ${formatIso(e.start)} and ${formatIso(to)} (${total} assignment rows outside that window)`;
}

interface Estimate {
  controlMean: number;
  treatmentMean: number;
  diff: number;
  se: number;
  pValue: number;
  ciLow: number;
  ciHigh: number;
  rel: number | null;
  relSe: number | null;
  cuped: CupedInfo | null;
}

/** Delta-method relative lift of two independent arm means (normal approximation). */
function relative(
  mc: number,
  vc: number,
  mt: number,
  vt: number,
): { rel: number | null; relSe: number | null } {
  if (mc === 0) return { rel: null, relSe: null };
  return { rel: mt / mc - 1, relSe: Math.sqrt(vt / (mc * mc) + (mt * mt * vc) / mc ** 4) };
}

/** Ratio CUPED, or the plain delta method (cuped.applied false, with the reason) when θ is undefined. */
function ratioCupedEstimate(
  preDays: number,
  nc: number,
  c: MetricSums,
  nt: number,
  t: MetricSums,
  alpha: number,
): Estimate {
  const arm = (n: number, s: MetricSums) => {
    const k = s.cross ?? {};
    const g = (name: string) => k[name] ?? 0;
    return {
      n,
      y: s.y,
      x: s.x!,
      u: g('u'),
      v: g('v'),
      yy: s.y2,
      xx: s.x2!,
      xy: s.xy!,
      uu: g('uu'),
      vv: g('vv'),
      uv: g('uv'),
      yu: g('yu'),
      yv: g('yv'),
      xu: g('xu'),
      xv: g('xv'),
    };
  };
  return withCuped(
    preDays,
    () => {
      const r = ratioCupedFromSums({ control: arm(nc, c), treatment: arm(nt, t), alpha });
      return adjustedEstimate(
        r,
        r.ratioControl,
        r.ratioTreatment,
        relative(
          r.adjustedControl.mean,
          r.adjustedControl.varMean,
          r.adjustedTreatment.mean,
          r.adjustedTreatment.varMean,
        ),
        preDays,
      );
    },
    () => estimate('ratio', 0, nc, c, nt, t, alpha),
    (err) => err.message.replace(/^ratio_cuped: /, ''),
  );
}

/** The fields of a CUPED fit (plain or ratio) that an Estimate reports. */
interface CupedFit {
  diffAdjusted: number;
  seAdjusted: number;
  pValue: number;
  ciLow: number;
  ciHigh: number;
  theta: number;
  varianceReduction: number;
}

/** A CUPED fit as an Estimate: the arms' raw means (or ratios) beside the adjusted difference. */
function adjustedEstimate(
  r: CupedFit,
  controlMean: number,
  treatmentMean: number,
  lift: { rel: number | null; relSe: number | null },
  preDays: number,
): Estimate {
  return {
    controlMean,
    treatmentMean,
    diff: r.diffAdjusted,
    se: r.seAdjusted,
    pValue: r.pValue,
    ciLow: r.ciLow,
    ciHigh: r.ciHigh,
    ...lift,
    cuped: { applied: true, pre_days: preDays, theta: r.theta, variance_reduction: r.varianceReduction },
  };
}

/**
 * A CUPED estimate, or the plain one when θ is undefined (no pre-period variation, e.g. a brand-new
 * population): cuped.applied false, with the reason.
 */
function withCuped(
  preDays: number,
  adjusted: () => Estimate,
  plain: () => Estimate,
  reason: (err: InputError) => string,
): Estimate {
  try {
    return adjusted();
  } catch (err) {
    if (!(err instanceof InputError) || !/theta is undefined/.test(err.message)) throw err;
    return {
      ...plain(),
      cuped: {
        applied: false,
        pre_days: preDays,
        theta: null,
        variance_reduction: null,
        reason: reason(err),
      },
    };
  }
}

function estimate(
  kind: 'mean' | 'cuped' | 'ratio' | 'ratio_cuped',
  preDays: number,
  nc: number,
  c: MetricSums,
  nt: number,
  t: MetricSums,
  alpha: number,
): Estimate {
  if (kind === 'ratio_cuped') return ratioCupedEstimate(preDays, nc, c, nt, t, alpha);
  if (kind === 'ratio') {
    const moments = (n: number, s: MetricSums) => ({
      n,
      sumNum: s.y,
      sumDen: s.x!,
      sumNum2: s.y2,
      sumDen2: s.x2!,
      sumNumDen: s.xy!,
    });
    const r = ratioDeltaFromMoments({ control: moments(nc, c), treatment: moments(nt, t), alpha });
    return {
      controlMean: r.ratioControl,
      treatmentMean: r.ratioTreatment,
      diff: r.diff,
      se: r.se,
      pValue: r.pValue,
      ciLow: r.ciLow,
      ciHigh: r.ciHigh,
      rel: r.relativeLift,
      relSe: r.relativeLiftSe,
      cuped: null,
    };
  }
  const welch = () => {
    const w = welchFromMoments({
      control: { n: nc, sum: c.y, sum2: c.y2 },
      treatment: { n: nt, sum: t.y, sum2: t.y2 },
      alpha,
    });
    const mc = c.y / nc;
    const mt = t.y / nt;
    const vc = Math.max(0, c.y2 - c.y * mc) / (nc - 1) / nc;
    const vt = Math.max(0, t.y2 - t.y * mt) / (nt - 1) / nt;
    return { w, mc, mt, ...relative(mc, vc, mt, vt) };
  };
  const plain = (): Estimate => {
    const { w, mc, mt, rel, relSe } = welch();
    return { controlMean: mc, treatmentMean: mt, ...pick(w), rel, relSe, cuped: null };
  };
  if (kind === 'mean') return plain();
  const cross = (n: number, s: MetricSums) => ({
    n,
    sumX: s.x!,
    sumY: s.y,
    sumX2: s.x2!,
    sumY2: s.y2,
    sumXY: s.xy!,
  });
  return withCuped(
    preDays,
    () => {
      const r = cupedFromMoments({ control: cross(nc, c), treatment: cross(nt, t), alpha });
      const sc = summarizeCross(cross(nc, c));
      const st = summarizeCross(cross(nt, t));
      const meanXAll = (nc * sc.meanX + nt * st.meanX) / (nc + nt);
      const adj = (s: typeof sc) => ({
        mean: s.meanY - r.theta * (s.meanX - meanXAll),
        varMean:
          Math.max(0, s.varianceY - 2 * r.theta * s.covariance + r.theta * r.theta * s.varianceX) / s.n,
      });
      const ac = adj(sc);
      const at = adj(st);
      return adjustedEstimate(
        r,
        sc.meanY,
        st.meanY,
        relative(ac.mean, ac.varMean, at.mean, at.varMean),
        preDays,
      );
    },
    plain,
    () => 'the covariate has no variance in the pre-period',
  );
}

function pick(w: { diff: number; se: number; pValue: number; ciLow: number; ciHigh: number }) {
  return { diff: w.diff, se: w.se, pValue: w.pValue, ciLow: w.ciLow, ciHigh: w.ciHigh };
}

/** Always-valid p-value and confidence sequence at the current look (mSPRT). */
function sequentialLook(est: number, se: number, alpha: number, fraction: number) {
  const tau2 = mixingVarianceForPlannedSe(se * Math.sqrt(fraction), alpha);
  const r = msprt([{ estimate: est, se }], { mixingVariance: tau2, alpha });
  return { pValue: r.pValue, ciLow: r.ciLow, ciHigh: r.ciHigh };
}

export interface AnalyzeOptions {
  readonly engine: QueryEngine;
  readonly config: ExperimentConfig;
  readonly experiment: string;
  readonly asOf: Date;
}

/** Reads out one experiment as of a time: sums in one engine query (plus one per segment), statistics here. */
export async function analyzeExperiment(o: AnalyzeOptions): Promise<ExperimentReadout> {
  const e = findExperiment(o.config, o.experiment);
  const sums = await computeExperimentSums(o.engine, o.config, e, o.asOf);
  if (sums.variants.reduce((a, v) => a + v.n, 0) === 0)
    throw new InputError(await noUnitsReason(o.engine, o.config, e, sums.plan.to));
  const segments: SegmentSums[] = [];
  for (const dimension of e.segments)
    segments.push({
      dimension,
      sums: await computeExperimentSums(o.engine, o.config, e, o.asOf, {
        column: dimension,
        level: segmentLevel(o.config, e, dimension),
      }),
    });
  return readoutFromSums(e, sums, o.asOf, segments);
}

/** A segment dimension: a unit attribute of the assignments, or an event attribute of the metrics' sources. */
export interface SegmentBy {
  readonly column: string;
  readonly level: 'unit' | 'event';
}

export interface SegmentSums {
  readonly dimension: string;
  /** Rows per (variant, segment value). */
  readonly sums: ExperimentSums;
}

type Variant = VariantSums | undefined;

/** One metric of one treatment variant against control (no multiplicity adjustment yet). */
function metricRow(
  pm: PlannedExperimentMetric,
  c: Variant,
  t: Variant,
  control: string,
  variant: string,
  alpha: number,
  method: 'fixed_horizon' | 'sequential',
  fraction: number,
): MetricReadout {
  const m = pm.metric;
  const base = {
    metric: m.name,
    role: m.role,
    kind: m.kind,
    direction: m.direction,
    variant,
    control,
    method:
      pm.kind === 'ratio'
        ? ('delta_method' as const)
        : pm.kind === 'ratio_cuped'
          ? ('ratio_cuped' as const)
          : pm.kind === 'cuped'
            ? ('cuped' as const)
            : ('welch' as const),
    n_control: c?.n ?? 0,
    n_treatment: t?.n ?? 0,
    ...(m.non_inferiority_margin !== undefined ? { non_inferiority_margin: m.non_inferiority_margin } : {}),
  };
  const empty = (reason: string): MetricReadout => ({
    ...base,
    status: 'not_enough_data',
    reason,
    control_mean: null,
    treatment_mean: null,
    abs_diff: null,
    abs_ci_low: null,
    abs_ci_high: null,
    rel_lift: null,
    rel_ci_low: null,
    rel_ci_high: null,
    p_value: null,
    p_value_adjusted: null,
    significant: false,
    cuped: null,
    ...(m.non_inferiority_margin !== undefined ? { non_inferior: null } : {}),
  });
  if (!c || !t || c.n < 2 || t.n < 2)
    return empty(`needs at least 2 units per arm (control ${c?.n ?? 0}, ${variant} ${t?.n ?? 0})`);
  let est: Estimate;
  try {
    est = estimate(
      pm.kind,
      m.cuped ? m.cuped.pre_days : 0,
      c.n,
      c.metrics[pm.index]!,
      t.n,
      t.metrics[pm.index]!,
      alpha,
    );
  } catch (err) {
    if (err instanceof VigilError) return empty(err.message);
    throw err;
  }
  let { pValue, ciLow, ciHigh } = est;
  let rel = { low: null as number | null, high: null as number | null };
  if (method === 'sequential') {
    ({ pValue, ciLow, ciHigh } = sequentialLook(est.diff, est.se, alpha, fraction));
    if (est.rel !== null && est.relSe !== null && est.relSe > 0) {
      const sq = sequentialLook(est.rel, est.relSe, alpha, fraction);
      rel = { low: sq.ciLow, high: sq.ciHigh };
    }
  } else if (est.rel !== null && est.relSe !== null) {
    const q = normalCritical(alpha);
    rel = { low: est.rel - q * est.relSe, high: est.rel + q * est.relSe };
  }
  const margin = m.non_inferiority_margin;
  // Non-inferior: the CI excludes a relative harm as large as the margin.
  const nonInferior =
    margin === undefined
      ? undefined
      : rel.low === null || rel.high === null
        ? null
        : m.direction === 'increase'
          ? rel.low > -margin
          : rel.high < margin;
  return {
    ...base,
    status: 'ok',
    control_mean: est.controlMean,
    treatment_mean: est.treatmentMean,
    abs_diff: est.diff,
    abs_ci_low: ciLow,
    abs_ci_high: ciHigh,
    rel_lift: rel.low === null ? null : est.rel,
    rel_ci_low: rel.low,
    rel_ci_high: rel.high,
    p_value: pValue,
    p_value_adjusted: null,
    significant: false,
    cuped: est.cuped,
    ...(nonInferior !== undefined ? { non_inferior: nonInferior } : {}),
  };
}

/**
 * Multiplicity across every treatment arm and metric of a role: Holm for the primaries (family-wise:
 * the ship decision may pick any arm), Benjamini–Hochberg for the secondaries; guardrails are
 * not adjusted, so that correcting never hides a harm.
 */
export const CORRECTION = { primary: 'holm', guardrail: 'none', secondary: 'bh' } as const;

function adjust(rows: MetricReadout[], alpha: number): MetricReadout[] {
  const out = [...rows];
  for (const role of ['primary', 'guardrail', 'secondary'] as const) {
    const idx = out.flatMap((r, i) => (r.role === role && r.p_value !== null ? [i] : []));
    if (idx.length === 0) continue;
    const how = CORRECTION[role];
    const adj =
      how === 'none'
        ? { adjusted: idx.map((i) => out[i]!.p_value!), rejected: idx.map((i) => out[i]!.p_value! <= alpha) }
        : adjustPValues({ p_values: idx.map((i) => out[i]!.p_value!), method: how, alpha });
    idx.forEach((i, k) => {
      out[i] = { ...out[i]!, p_value_adjusted: adj.adjusted[k]!, significant: adj.rejected[k]! };
    });
  }
  return out;
}

/** Pure part of the readout: statistics and the decision from per-variant sums. */
export function readoutFromSums(
  e: Experiment,
  sums: ExperimentSums,
  asOf: Date,
  segmentSums: readonly SegmentSums[] = [],
): ExperimentReadout {
  const configured = e.variants.map((v) => v.name);
  for (const v of sums.variants)
    if (!configured.includes(v.variant))
      throw new InputError(
        `experiment '${e.id}': assignments contain variant '${v.variant}' that is not in the config (configured: ${configured.join(', ')})`,
      );
  const byName = new Map(sums.variants.map((v) => [v.variant, v]));
  const units = Object.fromEntries(configured.map((v) => [v, byName.get(v)?.n ?? 0]));
  const total = Object.values(units).reduce((a, b) => a + b, 0);
  if (total === 0)
    throw new InputError(
      `experiment '${e.id}': no units assigned between ${formatIso(e.start)} and ${formatIso(sums.plan.to)}`,
    );
  const { alpha, method, srm_alpha } = e.rule;
  const srm = srmChiSquare({
    observed: configured.map((v) => units[v]!),
    expected_weights: e.variants.map((v) => v.weight),
  });
  const weightSum = e.variants.reduce((a, v) => a + v.weight, 0);
  const control = controlOf(e);
  const horizonReached = sums.plan.to.getTime() >= e.end.getTime();
  const fraction = Math.min(
    1,
    (sums.plan.to.getTime() - e.start.getTime()) / (e.end.getTime() - e.start.getTime()),
  );
  const treatments = configured.filter((v) => v !== control);
  const metrics = adjust(
    treatments.flatMap((variant) =>
      sums.plan.metrics.map((pm) =>
        metricRow(pm, byName.get(control), byName.get(variant), control, variant, alpha, method, fraction),
      ),
    ),
    alpha,
  );

  const srmPassed = !(srm.pValue < srm_alpha);
  const decisions: VariantDecision[] = treatments.map((variant) =>
    decide(
      metrics.filter((m) => m.variant === variant),
      variant,
      srmPassed,
      horizonReached,
      method,
    ),
  );
  const { decision, decisionVariant, summary } = overallDecision(decisions, metrics, srmPassed);
  const segments = segmentEffects(sums.plan, segmentSums, control, treatments, alpha, method, fraction);
  const readout: ExperimentReadout = {
    schema: 'vigil.experiment_readout/2',
    experiment: e.id,
    as_of: formatIso(asOf),
    analysis_window: { start: formatIso(e.start), end: formatIso(sums.plan.to) },
    experiment_end: formatIso(e.end),
    horizon_reached: horizonReached,
    rule: {
      alpha,
      method,
      srm_alpha,
      correction: CORRECTION,
      correction_family: 'all treatment arms × metrics of a role',
    },
    units,
    units_in_several_variants: sums.conflicting,
    srm: {
      observed: units,
      expected_share: Object.fromEntries(e.variants.map((v) => [v.name, v.weight / weightSum])),
      chi2: srm.chi2,
      df: srm.df,
      p_value: srm.pValue,
      srm_alpha,
      passed: srmPassed,
    },
    metrics,
    decisions,
    decision,
    decision_variant: decisionVariant,
    summary,
    segments,
  };
  assertFinite(readout);
  return readout;
}

/**
 * The experiment's decision from its arms': invalid_srm; else ship the best shippable arm (named;
 * best = largest relative lift of the first primary metric in its desired direction); else
 * keep_running while any arm is; else dont_ship.
 */
function overallDecision(
  decisions: readonly VariantDecision[],
  metrics: readonly MetricReadout[],
  srmPassed: boolean,
): { decision: Decision; decisionVariant: string | null; summary: string } {
  if (!srmPassed)
    return { decision: 'invalid_srm', decisionVariant: null, summary: 'invalid: sample ratio mismatch' };
  const ship = decisions.filter((d) => d.decision === 'ship').map((d) => d.variant);
  if (ship.length > 0) {
    const score = (v: string) => {
      const m = metrics.find((x) => x.variant === v && x.role === 'primary');
      const lift = m?.rel_lift ?? m?.abs_diff ?? 0;
      return m?.direction === 'decrease' ? -lift : lift;
    };
    const best = [...ship].sort((a, b) => score(b) - score(a))[0]!;
    const others = ship.filter((v) => v !== best);
    return {
      decision: 'ship',
      decisionVariant: best,
      summary: `ship ${best}${others.length ? ` (also shippable: ${others.join(', ')}; ${best} has the largest primary lift)` : ''}`,
    };
  }
  if (decisions.some((d) => d.decision === 'keep_running'))
    return { decision: 'keep_running', decisionVariant: null, summary: 'keep running' };
  return { decision: 'dont_ship', decisionVariant: null, summary: "don't ship any variant" };
}

/**
 * Heterogeneous effects: every primary metric of every treatment arm within each segment value,
 * Benjamini–Hochberg over all those cells together (FDR control across segments, arms and metrics).
 */
function segmentEffects(
  plan: ExperimentPlan,
  segmentSums: readonly SegmentSums[],
  control: string,
  treatments: readonly string[],
  alpha: number,
  method: 'fixed_horizon' | 'sequential',
  fraction: number,
): SegmentEffect[] {
  const cells: SegmentEffect[] = [];
  for (const { dimension, sums } of segmentSums) {
    const values = [...new Set(sums.variants.map((v) => v.segment ?? null))].sort((a, b) =>
      a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0,
    );
    for (const value of values) {
      const inSeg = new Map(
        sums.variants.filter((v) => (v.segment ?? null) === value).map((v) => [v.variant, v]),
      );
      for (const variant of treatments)
        for (const pm of plan.metrics.filter((x) => x.metric.role === 'primary')) {
          const row = metricRow(
            pm,
            inSeg.get(control),
            inSeg.get(variant),
            control,
            variant,
            alpha,
            method,
            fraction,
          );
          cells.push({
            dimension,
            value,
            metric: row.metric,
            variant,
            status: row.status,
            ...(row.reason !== undefined ? { reason: row.reason } : {}),
            n_control: row.n_control,
            n_treatment: row.n_treatment,
            rel_lift: row.rel_lift,
            rel_ci_low: row.rel_ci_low,
            rel_ci_high: row.rel_ci_high,
            p_value: row.p_value,
            q_value: null,
            significant: false,
          });
        }
    }
  }
  const idx = cells.flatMap((c, i) => (c.p_value !== null ? [i] : []));
  if (idx.length > 0) {
    const adj = adjustPValues({ p_values: idx.map((i) => cells[i]!.p_value!), method: 'bh', alpha });
    idx.forEach((i, k) => {
      cells[i] = { ...cells[i]!, q_value: adj.adjusted[k]!, significant: adj.rejected[k]! };
    });
  }
  return cells;
}

const good = (m: MetricReadout) =>
  m.significant && m.abs_diff !== null && (m.direction === 'increase' ? m.abs_diff > 0 : m.abs_diff < 0);
const bad = (m: MetricReadout) =>
  m.significant && m.abs_diff !== null && (m.direction === 'increase' ? m.abs_diff < 0 : m.abs_diff > 0);

/**
 * The decision rule for one arm, in order: SRM → invalid_srm; a guardrail significantly harmed or a
 * primary significantly in the wrong direction → dont_ship; a primary or a guardrail without data,
 * or a guardrail with a margin not shown non-inferior, blocks ship (keep_running, dont_ship once the
 * horizon is reached); every primary significant in its desired direction → ship (fixed horizon:
 * only once the horizon is reached); otherwise keep_running until the horizon, then dont_ship.
 */
function decide(
  rows: readonly MetricReadout[],
  variant: string,
  srmPassed: boolean,
  horizonReached: boolean,
  method: 'fixed_horizon' | 'sequential',
): VariantDecision {
  if (!srmPassed)
    return { variant, decision: 'invalid_srm', reasons: ['sample ratio mismatch: the assignment is broken'] };
  const primaries = rows.filter((m) => m.role === 'primary');
  const guardrails = rows.filter((m) => m.role === 'guardrail');
  const harmed = guardrails.filter(bad);
  if (harmed.length > 0)
    return {
      variant,
      decision: 'dont_ship',
      reasons: harmed.map((m) => `guardrail ${m.metric} significantly harmed`),
    };
  const wrong = primaries.filter(bad);
  if (wrong.length > 0)
    return {
      variant,
      decision: 'dont_ship',
      reasons: wrong.map((m) => `primary ${m.metric} significantly moved against its desired direction`),
    };
  const blocking = [
    ...primaries.filter((m) => m.status !== 'ok').map((m) => `primary ${m.metric}: not enough data`),
    ...guardrails.filter((m) => m.status !== 'ok').map((m) => `guardrail ${m.metric}: not enough data`),
    ...guardrails
      .filter((m) => m.status === 'ok' && m.non_inferior === false)
      .map(
        (m) =>
          `guardrail ${m.metric} not shown non-inferior: the CI allows a harm beyond the ${100 * m.non_inferiority_margin!}% margin`,
      ),
    ...guardrails
      .filter((m) => m.status === 'ok' && m.non_inferior === null)
      .map((m) => `guardrail ${m.metric}: no relative CI to check its non-inferiority margin`),
  ];
  if (blocking.length > 0)
    return {
      variant,
      decision: horizonReached ? 'dont_ship' : 'keep_running',
      reasons: blocking,
    };
  if (primaries.every(good)) {
    if (method === 'sequential' || horizonReached)
      return {
        variant,
        decision: 'ship',
        reasons: [
          ...primaries.map(
            (m) => `primary ${m.metric} significantly ${m.direction === 'increase' ? 'up' : 'down'}`,
          ),
          guardrails.some((m) => m.non_inferior === true)
            ? 'no guardrail significantly harmed; guardrails with a margin shown non-inferior'
            : 'no guardrail significantly harmed',
        ],
      };
    return { variant, decision: 'keep_running', reasons: ['fixed horizon not reached yet'] };
  }
  if (horizonReached)
    return {
      variant,
      decision: 'dont_ship',
      reasons: ['horizon reached without a significant primary effect'],
    };
  return { variant, decision: 'keep_running', reasons: ['no significant primary effect yet'] };
}
