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
import { formatIso } from '../time/window.js';
import { controlOf, type Experiment, type ExperimentConfig, findExperiment } from './config.js';
import { type ExperimentPlan, planExperiment, renderExperimentPlan, sumColumns } from './plan.js';
import {
  assertFinite,
  type CupedInfo,
  type Decision,
  type ExperimentReadout,
  type MetricReadout,
  type VariantDecision,
} from './readout.js';

/** Sums of one metric in one variant (x only for CUPED covariates and ratio denominators). */
export interface MetricSums {
  readonly y: number;
  readonly y2: number;
  readonly x?: number;
  readonly x2?: number;
  readonly xy?: number;
}

export interface VariantSums {
  readonly variant: string;
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
): Promise<ExperimentSums> {
  const plan = planExperiment(e, analysisEnd(e, asOf));
  const sql = renderExperimentPlan(plan, cfg, engine.dialect);
  const result = await engine.query(sql, { label: `experiment ${e.id} sufficient statistics` });
  const variants = stringColumn(result, 'variant');
  const n = numberColumn(result, 'n');
  const col = (name: string) => numberColumn(result, name);
  const cols = plan.metrics.map((m) => {
    const c = sumColumns(m.index);
    return {
      y: col(c.y),
      y2: col(c.y2),
      ...(m.x ? { x: col(c.x), x2: col(c.x2), xy: col(c.xy) } : {}),
    };
  });
  const out: VariantSums[] = [];
  let conflicting = 0;
  for (let i = 0; i < result.rowCount; i++) {
    const variant = variants[i];
    if (variant === null || variant === undefined) {
      conflicting += n[i] ?? 0;
      continue;
    }
    out.push({
      variant,
      n: n[i] ?? 0,
      metrics: cols.map((c) => ({
        y: c.y[i] ?? 0,
        y2: c.y2[i] ?? 0,
        ...(c.x ? { x: c.x[i] ?? 0, x2: c.x2![i] ?? 0, xy: c.xy![i] ?? 0 } : {}),
      })),
    });
  }
  return { plan, sql, variants: out, conflicting };
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

function estimate(
  kind: 'mean' | 'cuped' | 'ratio',
  preDays: number,
  nc: number,
  c: MetricSums,
  nt: number,
  t: MetricSums,
  alpha: number,
): Estimate {
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
  if (kind === 'mean') {
    const { w, mc, mt, rel, relSe } = welch();
    return { controlMean: mc, treatmentMean: mt, ...pick(w), rel, relSe, cuped: null };
  }
  const cross = (n: number, s: MetricSums) => ({
    n,
    sumX: s.x!,
    sumY: s.y,
    sumX2: s.x2!,
    sumY2: s.y2,
    sumXY: s.xy!,
  });
  try {
    const r = cupedFromMoments({ control: cross(nc, c), treatment: cross(nt, t), alpha });
    const sc = summarizeCross(cross(nc, c));
    const st = summarizeCross(cross(nt, t));
    const meanXAll = (nc * sc.meanX + nt * st.meanX) / (nc + nt);
    const adj = (s: typeof sc) => ({
      mean: s.meanY - r.theta * (s.meanX - meanXAll),
      varMean: Math.max(0, s.varianceY - 2 * r.theta * s.covariance + r.theta * r.theta * s.varianceX) / s.n,
    });
    const ac = adj(sc);
    const at = adj(st);
    return {
      controlMean: sc.meanY,
      treatmentMean: st.meanY,
      diff: r.diffAdjusted,
      se: r.seAdjusted,
      pValue: r.pValue,
      ciLow: r.ciLow,
      ciHigh: r.ciHigh,
      ...relative(ac.mean, ac.varMean, at.mean, at.varMean),
      cuped: { applied: true, pre_days: preDays, theta: r.theta, variance_reduction: r.varianceReduction },
    };
  } catch (err) {
    if (!(err instanceof InputError) || !/theta is undefined/.test(err.message)) throw err;
    // No pre-period variation (e.g. a brand-new population): fall back to the raw comparison.
    const { w, mc, mt, rel, relSe } = welch();
    return {
      controlMean: mc,
      treatmentMean: mt,
      ...pick(w),
      rel,
      relSe,
      cuped: {
        applied: false,
        pre_days: preDays,
        theta: null,
        variance_reduction: null,
        reason: 'the covariate has no variance in the pre-period',
      },
    };
  }
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

/** Reads out one experiment as of a time: sums in one engine query, statistics here. */
export async function analyzeExperiment(o: AnalyzeOptions): Promise<ExperimentReadout> {
  const e = findExperiment(o.config, o.experiment);
  const sums = await computeExperimentSums(o.engine, o.config, e, o.asOf);
  return readoutFromSums(e, sums, o.asOf);
}

/** Pure part of the readout: statistics and the decision from per-variant sums. */
export function readoutFromSums(e: Experiment, sums: ExperimentSums, asOf: Date): ExperimentReadout {
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

  const metrics: MetricReadout[] = [];
  const treatments = configured.filter((v) => v !== control);
  for (const variant of treatments) {
    const c = byName.get(control);
    const t = byName.get(variant);
    const rows: MetricReadout[] = sums.plan.metrics.map((pm) => {
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
            : pm.kind === 'cuped'
              ? ('cuped' as const)
              : ('welch' as const),
        n_control: c?.n ?? 0,
        n_treatment: t?.n ?? 0,
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
      });
      if (!c || !t || c.n < 2 || t.n < 2)
        return empty(`needs at least 2 units per arm (control ${c?.n ?? 0}, ${variant} ${t?.n ?? 0})`);
      let est: Estimate;
      try {
        est = estimate(
          pm.kind,
          m.kind !== 'ratio' && m.cuped ? m.cuped.pre_days : 0,
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
          const s = sequentialLook(est.rel, est.relSe, alpha, fraction);
          rel = { low: s.ciLow, high: s.ciHigh };
        }
      } else if (est.rel !== null && est.relSe !== null) {
        const q = normalCritical(alpha);
        rel = { low: est.rel - q * est.relSe, high: est.rel + q * est.relSe };
      }
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
      };
    });
    // Benjamini–Hochberg within each role of this variant, over the metrics with a result.
    for (const role of ['primary', 'guardrail', 'secondary'] as const) {
      const idx = rows.flatMap((r, i) => (r.role === role && r.p_value !== null ? [i] : []));
      if (idx.length === 0) continue;
      const adj = adjustPValues({ p_values: idx.map((i) => rows[i]!.p_value!), method: 'bh', alpha });
      idx.forEach((i, k) => {
        rows[i] = { ...rows[i]!, p_value_adjusted: adj.adjusted[k]!, significant: adj.rejected[k]! };
      });
    }
    metrics.push(...rows);
  }

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
  const decision: Decision = !srmPassed
    ? 'invalid_srm'
    : decisions.some((d) => d.decision === 'ship')
      ? 'ship'
      : decisions.every((d) => d.decision === 'dont_ship')
        ? 'dont_ship'
        : 'keep_running';
  const readout: ExperimentReadout = {
    schema: 'vigil.experiment_readout/1',
    experiment: e.id,
    as_of: formatIso(asOf),
    analysis_window: { start: formatIso(e.start), end: formatIso(sums.plan.to) },
    experiment_end: formatIso(e.end),
    horizon_reached: horizonReached,
    rule: { alpha, method, srm_alpha, correction: 'bh' },
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
  };
  assertFinite(readout);
  return readout;
}

const good = (m: MetricReadout) =>
  m.significant && m.abs_diff !== null && (m.direction === 'increase' ? m.abs_diff > 0 : m.abs_diff < 0);
const bad = (m: MetricReadout) =>
  m.significant && m.abs_diff !== null && (m.direction === 'increase' ? m.abs_diff < 0 : m.abs_diff > 0);

/**
 * The decision rule, in order: SRM → invalid_srm; a guardrail significantly harmed or a primary
 * significantly in the wrong direction → dont_ship; every primary significant in its desired
 * direction → ship (fixed horizon: only once the horizon is reached); otherwise keep_running until
 * the horizon, then dont_ship (no detectable effect).
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
  const harmed = rows.filter((m) => m.role === 'guardrail' && bad(m));
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
  const missing = primaries.filter((m) => m.status !== 'ok');
  if (missing.length > 0)
    return {
      variant,
      decision: 'keep_running',
      reasons: missing.map((m) => `primary ${m.metric}: not enough data`),
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
          'no guardrail significantly harmed',
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
