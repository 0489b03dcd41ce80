import * as z from 'zod';
import { InputError } from '../errors.js';
import { alphaSchema, checkFinite, parseInput } from './validate.js';

/**
 * Always-valid inference by the mixture sequential probability ratio test (mSPRT; Robbins 1970,
 * Johari, Pekelis & Walsh 2017, "always valid p-values" as used by Optimizely).
 *
 * At each look the effect estimate θ̂ (treatment − control) is taken as N(θ, V) with V = se². Mixing
 * the alternative over θ ~ N(θ₀, τ²) gives the likelihood ratio against H0: θ = θ₀
 *
 *   Λ = √(V / (V + τ²)) · exp( τ²(θ̂ − θ₀)² / (2V(V + τ²)) ),
 *
 * a non-negative martingale under H0, so by Ville's inequality P(sup Λ ≥ 1/α) ≤ α however often one
 * peeks. The always-valid p-value is the running minimum of min(1, 1/Λ), and the confidence
 * sequence is the running intersection of {θ₀ : Λ(θ₀) < 1/α}. Validity assumes θ̂ is (close to) a
 * Gaussian running mean with a well-estimated se; with a handful of units per arm use more data.
 *
 * Mixing variance τ²: it sets where the test is most powerful; any fixed τ² keeps the guarantee.
 * `mixingVarianceForPlannedSe` picks τ² = r*(α)·se²_planned, where r* minimises the confidence
 * sequence width at the planned final look (the width is a function of r = τ²/V only). This tunes
 * the test to the horizon the experiment was sized for, and it still stays valid past it.
 */

export interface Look {
  /** Effect estimate at this look (treatment − control). */
  estimate: number;
  /** Its standard error. */
  se: number;
}

const lookSchema = z.object({
  estimate: z.number(),
  se: z.number().positive({ message: 'se must be > 0' }),
});

export const msprtOptionsSchema = z.object({
  /** τ², the variance of the normal mixture over effects (same units as se²). */
  mixingVariance: z.number().positive({ message: 'mixingVariance must be > 0' }),
  alpha: alphaSchema,
  /** θ₀, the effect under the null hypothesis. */
  nullValue: z.number().default(0),
});
export type MsprtOptions = z.input<typeof msprtOptionsSchema>;

export interface MsprtLookResult {
  /** log Λ at this look alone. */
  logLikelihoodRatio: number;
  /** Running minimum of min(1, 1/Λ) up to and including this look. */
  pValue: number;
  /** Running intersection of the confidence sets up to this look. */
  ciLow: number;
  ciHigh: number;
  /** pValue ≤ alpha. */
  rejected: boolean;
}

export interface MsprtResult extends MsprtLookResult {
  looks: MsprtLookResult[];
  /** Index of the first look with pValue ≤ alpha, or null. */
  firstRejection: number | null;
}

function logLr(estimate: number, v: number, tau2: number, theta0: number): number {
  const d = estimate - theta0;
  return 0.5 * Math.log(v / (v + tau2)) + (tau2 * d * d) / (2 * v * (v + tau2));
}

/** Half-width of {θ₀ : Λ(θ₀) < 1/α} around θ̂. */
function halfWidth(v: number, tau2: number, alpha: number): number {
  return Math.sqrt(((2 * v * (v + tau2)) / tau2) * (Math.log(1 / alpha) + 0.5 * Math.log((v + tau2) / v)));
}

/**
 * Runs the mSPRT over a sequence of looks (cumulative estimates, in time order) and returns the
 * always-valid p-value and confidence sequence after each look and at the last one.
 */
export function msprt(looks: readonly Look[], options: MsprtOptions): MsprtResult {
  const parsedLooks = parseInput(
    z.array(lookSchema).min(1, { message: 'needs at least 1 look' }),
    looks,
    'msprt',
  );
  const { mixingVariance: tau2, alpha, nullValue } = parseInput(msprtOptionsSchema, options, 'msprt');
  const results: MsprtLookResult[] = [];
  let pValue = 1;
  let ciLow = Number.NEGATIVE_INFINITY;
  let ciHigh = Number.POSITIVE_INFINITY;
  let firstRejection: number | null = null;
  parsedLooks.forEach((look, i) => {
    const v = look.se * look.se;
    const logLambda = logLr(look.estimate, v, tau2, nullValue);
    pValue = Math.min(pValue, Math.min(1, Math.exp(-logLambda)));
    const h = halfWidth(v, tau2, alpha);
    const low = Math.max(ciLow, look.estimate - h);
    const high = Math.min(ciHigh, look.estimate + h);
    // An empty intersection can only come from a violated model (e.g. a badly estimated se);
    // keep the current look's interval rather than report an impossible one.
    if (low <= high) {
      ciLow = low;
      ciHigh = high;
    } else {
      ciLow = look.estimate - h;
      ciHigh = look.estimate + h;
    }
    const rejected = pValue <= alpha;
    if (rejected && firstRejection === null) firstRejection = i;
    results.push(checkFinite('msprt', { logLikelihoodRatio: logLambda, pValue, ciLow, ciHigh, rejected }));
  });
  const last = results[results.length - 1] as MsprtLookResult;
  return { ...last, looks: results, firstRejection };
}

/** r*(α) = argmin over r = τ²/V of the confidence-sequence half-width at V: (1+r)/r · (log(1/α) + ½log(1+r)). */
export function optimalMixingRatio(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new InputError(`msprt: alpha must be in (0, 1), got ${alpha}`);
  const width = (logR: number) => {
    const r = Math.exp(logR);
    return ((1 + r) / r) * (Math.log(1 / alpha) + 0.5 * Math.log1p(r));
  };
  // The function is unimodal in log r; golden-section search.
  let a = -10;
  let b = 15;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  for (let i = 0; i < 200 && b - a > 1e-10; i++) {
    if (width(c) < width(d)) b = d;
    else a = c;
    c = b - g * (b - a);
    d = a + g * (b - a);
  }
  return Math.exp((a + b) / 2);
}

/** τ² tuned so the confidence sequence is narrowest when the se reaches `plannedSe` (the final look). */
export function mixingVarianceForPlannedSe(plannedSe: number, alpha = 0.05): number {
  if (!(plannedSe > 0 && Number.isFinite(plannedSe))) {
    throw new InputError(`msprt: plannedSe must be a positive number, got ${plannedSe}`);
  }
  return optimalMixingRatio(alpha) * plannedSe * plannedSe;
}
