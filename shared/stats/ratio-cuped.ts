import { InputError } from '../errors.js';
import { normalCritical, normalTwoSidedP } from './distributions.js';

/**
 * CUPED for a ratio metric (Σ num / Σ den over units), from per-arm sums as SQL gives them. The
 * ratio is linearised per unit (delta method): l = (y − R·x)/x̄ for the experiment period and
 * k = (u − Q·v)/v̄ for the same ratio over the pre-period (Deng et al. 2013; the GrowthBook
 * "ratio CUPED" form). The adjusted difference is (R_t − R_c) − θ·(Q_t − Q_c) with θ the pooled
 * within-arm slope of l on k; inference is normal, θ treated as known.
 */
export interface RatioCupedArm {
  readonly n: number;
  /** Σ y (numerator), Σ x (denominator), Σ u (pre numerator), Σ v (pre denominator). */
  readonly y: number;
  readonly x: number;
  readonly u: number;
  readonly v: number;
  /** Σ of products: yy, xx, uu, vv, xy, yu, yv, xu, xv, uv. */
  readonly yy: number;
  readonly xx: number;
  readonly uu: number;
  readonly vv: number;
  readonly xy: number;
  readonly yu: number;
  readonly yv: number;
  readonly xu: number;
  readonly xv: number;
  readonly uv: number;
}

export interface RatioCupedResult {
  readonly ratioControl: number;
  readonly ratioTreatment: number;
  readonly theta: number;
  readonly diffAdjusted: number;
  readonly seAdjusted: number;
  readonly pValue: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  readonly diffUnadjusted: number;
  readonly seUnadjusted: number;
  readonly varianceReduction: number;
  /** Adjusted arm ratios and the variances of their means (for a relative lift). */
  readonly adjustedControl: { readonly mean: number; readonly varMean: number };
  readonly adjustedTreatment: { readonly mean: number; readonly varMean: number };
}

interface Lin {
  r: number;
  q: number;
  /** Σ l², Σ k², Σ l·k (the linearised series have mean 0). */
  ll: number;
  kk: number;
  lk: number;
  n: number;
}

function linearise(a: RatioCupedArm): Lin {
  const xbar = a.x / a.n;
  const vbar = a.v / a.n;
  const r = a.y / a.x;
  const q = a.u / a.v;
  return {
    r,
    q,
    ll: Math.max(0, a.yy - 2 * r * a.xy + r * r * a.xx) / (xbar * xbar),
    kk: Math.max(0, a.uu - 2 * q * a.uv + q * q * a.vv) / (vbar * vbar),
    lk: (a.yu - q * a.yv - r * a.xu + r * q * a.xv) / (xbar * vbar),
    n: a.n,
  };
}

export function ratioCupedFromSums(o: {
  control: RatioCupedArm;
  treatment: RatioCupedArm;
  alpha: number;
}): RatioCupedResult {
  for (const [arm, a] of [
    ['control', o.control],
    ['treatment', o.treatment],
  ] as const) {
    if (a.n < 2) throw new InputError(`ratio_cuped: ${arm}.n must be at least 2, got ${a.n}`);
    if (!(a.x > 0)) throw new InputError(`ratio_cuped: ${arm}: the denominator sums to ${a.x}`);
    if (!(a.v > 0))
      throw new InputError(`ratio_cuped: ${arm}: theta is undefined (no pre-period denominator)`);
  }
  const c = linearise(o.control);
  const t = linearise(o.treatment);
  const kk = c.kk + t.kk;
  if (!(kk > 0))
    throw new InputError('ratio_cuped: theta is undefined (the pre-period ratio has no variance)');
  const theta = (c.lk + t.lk) / kk;
  const varMean = (l: Lin) => Math.max(0, l.ll - 2 * theta * l.lk + theta * theta * l.kk) / (l.n - 1) / l.n;
  const rawVar = (l: Lin) => l.ll / (l.n - 1) / l.n;
  const qAll = (o.control.u + o.treatment.u) / (o.control.v + o.treatment.v);
  const adjustedControl = { mean: c.r - theta * (c.q - qAll), varMean: varMean(c) };
  const adjustedTreatment = { mean: t.r - theta * (t.q - qAll), varMean: varMean(t) };
  const diffAdjusted = adjustedTreatment.mean - adjustedControl.mean;
  const seAdjusted = Math.sqrt(adjustedControl.varMean + adjustedTreatment.varMean);
  const seUnadjusted = Math.sqrt(rawVar(c) + rawVar(t));
  if (!(seAdjusted > 0)) throw new InputError('ratio_cuped: the adjusted difference has zero variance');
  const z = normalCritical(o.alpha);
  return {
    ratioControl: c.r,
    ratioTreatment: t.r,
    theta,
    diffAdjusted,
    seAdjusted,
    pValue: normalTwoSidedP(diffAdjusted / seAdjusted),
    ciLow: diffAdjusted - z * seAdjusted,
    ciHigh: diffAdjusted + z * seAdjusted,
    diffUnadjusted: t.r - c.r,
    seUnadjusted,
    varianceReduction: seUnadjusted > 0 ? 1 - (seAdjusted * seAdjusted) / (seUnadjusted * seUnadjusted) : 0,
    adjustedControl,
    adjustedTreatment,
  };
}
