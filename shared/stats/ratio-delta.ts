import * as z from 'zod';
import { InputError } from '../errors.js';
import { normalCritical, normalTwoSidedP } from './distributions.js';
import { type BivariateSummary, crossMomentsOf, summarizeCross } from './moments.js';
import { checkFinite, parseInput, sample, twoArms } from './validate.js';

/**
 * Ratio metrics (Σnum / Σden with the user as randomisation unit, e.g. violations per viewed
 * impression) compared with the delta method. Users are i.i.d., impressions within a user are not,
 * so the variance comes from per-user (num, den) pairs, never from treating impressions as units.
 */

const ratioMomentsSchema = z.object({
  n: z.number().int().min(2, { message: 'n must be an integer >= 2' }),
  sumNum: z.number(),
  sumDen: z.number(),
  sumNum2: z.number().nonnegative(),
  sumDen2: z.number().nonnegative(),
  sumNumDen: z.number(),
  /** Constants subtracted from num and den before summing (see moments.ts). */
  shiftNum: z.number().default(0),
  shiftDen: z.number().default(0),
});
export type RatioMoments = z.input<typeof ratioMomentsSchema>;

export const ratioDeltaMomentsInputSchema = twoArms(ratioMomentsSchema);
export type RatioDeltaMomentsInput = z.input<typeof ratioDeltaMomentsInputSchema>;

const ratioArmSchema = z
  .object({ num: sample(2), den: sample(2) })
  .refine((arm) => arm.num.length === arm.den.length, {
    message: 'num and den must have the same length (one entry per user)',
    path: ['den'],
  });

export const ratioDeltaInputSchema = twoArms(ratioArmSchema);
export type RatioDeltaInput = z.input<typeof ratioDeltaInputSchema>;

export interface RatioDeltaResult {
  ratioControl: number;
  ratioTreatment: number;
  diff: number;
  se: number;
  z: number;
  pValue: number;
  ciLow: number;
  ciHigh: number;
  /** R_t / R_c − 1; null when the control ratio is 0 (a lift over nothing is undefined). */
  relativeLift: number | null;
  relativeLiftSe: number | null;
  relativeLiftCiLow: number | null;
  relativeLiftCiHigh: number | null;
}

interface RatioArm {
  ratio: number;
  /** Delta-method Var(R). */
  variance: number;
}

/** Here x = num and y = den of one arm. */
function ratioArm(s: BivariateSummary, arm: string): RatioArm {
  if (s.meanY === 0)
    throw new InputError(`ratio_delta_method: ${arm}.den has mean 0, so the ratio is undefined`);
  const ratio = s.meanX / s.meanY;
  // Var(R) = (s²_num − 2R·cov + R²·s²_den) / (n·mean(den)²). Rounding can push it a hair below 0.
  const numerator = s.varianceX - 2 * ratio * s.covariance + ratio * ratio * s.varianceY;
  return { ratio, variance: Math.max(0, numerator) / (s.n * s.meanY * s.meanY) };
}

function ratioCore(control: BivariateSummary, treatment: BivariateSummary, alpha: number): RatioDeltaResult {
  const c = ratioArm(control, 'control');
  const t = ratioArm(treatment, 'treatment');
  const diff = t.ratio - c.ratio;
  const se = Math.sqrt(t.variance + c.variance);
  if (!(se > 0)) {
    throw new InputError(
      'ratio_delta_method: zero variance in both arms (num is proportional to den for every user)',
    );
  }
  const z = diff / se;
  const q = normalCritical(alpha);
  let relative: Pick<
    RatioDeltaResult,
    'relativeLift' | 'relativeLiftSe' | 'relativeLiftCiLow' | 'relativeLiftCiHigh'
  > = { relativeLift: null, relativeLiftSe: null, relativeLiftCiLow: null, relativeLiftCiHigh: null };
  if (c.ratio !== 0) {
    const lift = t.ratio / c.ratio - 1;
    // gbstats: Var = Var(R_t)/R_c² + R_t²·Var(R_c)/R_c⁴.
    const liftSe = Math.sqrt(t.variance / c.ratio ** 2 + (t.ratio ** 2 * c.variance) / c.ratio ** 4);
    relative = {
      relativeLift: lift,
      relativeLiftSe: liftSe,
      relativeLiftCiLow: lift - q * liftSe,
      relativeLiftCiHigh: lift + q * liftSe,
    };
  }
  return checkFinite('ratio_delta_method', {
    ratioControl: c.ratio,
    ratioTreatment: t.ratio,
    diff,
    se,
    z,
    pValue: normalTwoSidedP(z),
    ciLow: diff - q * se,
    ciHigh: diff + q * se,
    ...relative,
  });
}

function toSummary(m: z.output<typeof ratioMomentsSchema>): BivariateSummary {
  return summarizeCross({
    n: m.n,
    sumX: m.sumNum,
    sumY: m.sumDen,
    sumX2: m.sumNum2,
    sumY2: m.sumDen2,
    sumXY: m.sumNumDen,
    shiftX: m.shiftNum,
    shiftY: m.shiftDen,
  });
}

/** Delta-method ratio comparison from per-arm sums n, Σnum, Σden, Σnum², Σden², Σnum·den. */
export function ratioDeltaFromMoments(input: RatioDeltaMomentsInput): RatioDeltaResult {
  const { control, treatment, alpha } = parseInput(ratioDeltaMomentsInputSchema, input, 'ratio_delta_method');
  return ratioCore(toSummary(control), toSummary(treatment), alpha);
}

/** Delta-method ratio comparison from one (num, den) pair per user. Normal quantiles throughout. */
export function ratioDeltaMethod(input: RatioDeltaInput): RatioDeltaResult {
  const { control, treatment, alpha } = parseInput(ratioDeltaInputSchema, input, 'ratio_delta_method');
  return ratioCore(
    summarizeCross(crossMomentsOf(control.num, control.den)),
    summarizeCross(crossMomentsOf(treatment.num, treatment.den)),
    alpha,
  );
}
