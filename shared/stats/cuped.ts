import * as z from 'zod';
import { InputError } from '../errors.js';
import { type BivariateSummary, crossMomentsOf, crossMomentsSchema, summarizeCross } from './moments.js';
import { checkFinite, parseInput, sample, twoArms } from './validate.js';
import { welchCore } from './welch.js';

/**
 * CUPED / regression adjustment with a pre-period covariate x (Deng et al. 2013).
 *
 * θ is the pooled within-arm slope Σ_arms Σ(y−ȳ_arm)(x−x̄_arm) / Σ_arms Σ(x−x̄_arm)², i.e. the OLS
 * coefficient on x in y ~ treat + x. Removing arm means first matters: with a real effect, the
 * slope over concatenated data absorbs part of it. y_adj = y − θ(x − x̄_all), and inference is a Welch
 * test on y_adj with θ treated as known (its estimation error is O(1/n) and ignored, as is standard).
 */

/** Per arm: n, Σy, Σx, Σy², Σx², Σxy (x = pre-period covariate). */
export const cupedMomentsInputSchema = twoArms(crossMomentsSchema);
export type CupedMomentsInput = z.input<typeof cupedMomentsInputSchema>;

const cupedArmSchema = z
  .object({ y: sample(2), x: sample(2) })
  .refine((arm) => arm.y.length === arm.x.length, {
    message: 'y and x must have the same length (one pair per unit)',
    path: ['x'],
  });

export const cupedInputSchema = twoArms(cupedArmSchema);
export type CupedInput = z.input<typeof cupedInputSchema>;

export interface CupedResult {
  theta: number;
  diffAdjusted: number;
  seAdjusted: number;
  t: number;
  df: number;
  pValue: number;
  ciLow: number;
  ciHigh: number;
  diffUnadjusted: number;
  seUnadjusted: number;
  /** 1 − se_adj² / se_unadj²: the share of the variance removed by the covariate. */
  varianceReduction: number;
}

function cupedCore(control: BivariateSummary, treatment: BivariateSummary, alpha: number): CupedResult {
  const sxx = (control.n - 1) * control.varianceX + (treatment.n - 1) * treatment.varianceX;
  if (!(sxx > 0)) throw new InputError('cuped: x has zero variance within both arms, so theta is undefined');
  const sxy = (control.n - 1) * control.covariance + (treatment.n - 1) * treatment.covariance;
  const theta = sxy / sxx;
  const meanXAll = (control.n * control.meanX + treatment.n * treatment.meanX) / (control.n + treatment.n);
  // Adding a constant does not change a variance, so Var(y_adj) = s²_y − 2θ·cov + θ²·s²_x per arm.
  const adjusted = (s: BivariateSummary) => ({
    n: s.n,
    mean: s.meanY - theta * (s.meanX - meanXAll),
    variance: Math.max(0, s.varianceY - 2 * theta * s.covariance + theta * theta * s.varianceX),
  });
  const raw = (s: BivariateSummary) => ({ n: s.n, mean: s.meanY, variance: s.varianceY });
  const adj = welchCore(adjusted(control), adjusted(treatment), alpha, 'cuped');
  const unadj = welchCore(raw(control), raw(treatment), alpha, 'cuped');
  return checkFinite('cuped', {
    theta,
    diffAdjusted: adj.diff,
    seAdjusted: adj.se,
    t: adj.t,
    df: adj.df,
    pValue: adj.pValue,
    ciLow: adj.ciLow,
    ciHigh: adj.ciHigh,
    diffUnadjusted: unadj.diff,
    seUnadjusted: unadj.se,
    varianceReduction: 1 - (adj.se * adj.se) / (unadj.se * unadj.se),
  });
}

/** CUPED from per-arm sums (x = covariate, y = outcome). */
export function cupedFromMoments(input: CupedMomentsInput): CupedResult {
  const { control, treatment, alpha } = parseInput(cupedMomentsInputSchema, input, 'cuped');
  return cupedCore(summarizeCross(control), summarizeCross(treatment), alpha);
}

/** CUPED from per-unit outcome y and pre-period covariate x. */
export function cuped(input: CupedInput): CupedResult {
  const { control, treatment, alpha } = parseInput(cupedInputSchema, input, 'cuped');
  return cupedCore(
    summarizeCross(crossMomentsOf(control.x, control.y)),
    summarizeCross(crossMomentsOf(treatment.x, treatment.y)),
    alpha,
  );
}
