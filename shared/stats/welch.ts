import * as z from 'zod';
import { InputError } from '../errors.js';
import { tCritical, tTwoSidedP } from './distributions.js';
import { type Moments, momentsOf, momentsSchema, type Summary, summarize } from './moments.js';
import { checkFinite, parseInput, sample, twoArms } from './validate.js';

/** Welch two-sample t-test (unequal variances), two-sided; "treatment − control". */
export interface WelchResult {
  diff: number;
  se: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  pValue: number;
  ciLow: number;
  ciHigh: number;
}

const summarySchema = z.object({
  n: z.number().int().min(2, { message: 'n must be an integer >= 2' }),
  mean: z.number(),
  variance: z.number().nonnegative(),
});

export const welchSummaryInputSchema = twoArms(summarySchema);
export type WelchSummaryInput = z.input<typeof welchSummaryInputSchema>;

export const welchMomentsInputSchema = twoArms(momentsSchema);
export type WelchMomentsInput = z.input<typeof welchMomentsInputSchema>;

export const welchTTestInputSchema = twoArms(sample(2));
export type WelchTTestInput = z.input<typeof welchTTestInputSchema>;

/** The core: every Welch-type readout (raw, CUPED-adjusted, from SQL sums) ends here. */
export function welchCore(
  control: Summary,
  treatment: Summary,
  alpha: number,
  what = 'welch_ttest',
): WelchResult {
  const a = treatment.variance / treatment.n;
  const b = control.variance / control.n;
  const se = Math.sqrt(a + b);
  if (!(se > 0)) {
    throw new InputError(`${what}: both arms have zero variance (control and treatment are constant)`);
  }
  const diff = treatment.mean - control.mean;
  const t = diff / se;
  const df = (a + b) ** 2 / ((a * a) / (treatment.n - 1) + (b * b) / (control.n - 1));
  const q = tCritical(alpha, df);
  return checkFinite(what, {
    diff,
    se,
    t,
    df,
    pValue: tTwoSidedP(t, df),
    ciLow: diff - q * se,
    ciHigh: diff + q * se,
  });
}

/** Welch test from per-arm n, mean and sample variance (ddof = 1), e.g. SQL avg() and var_samp(). */
export function welchFromSummary(input: WelchSummaryInput): WelchResult {
  const { control, treatment, alpha } = parseInput(welchSummaryInputSchema, input, 'welch');
  return welchCore(control, treatment, alpha, 'welch');
}

/** Welch test from per-arm sums n, Σy, Σy² (optionally shifted, see moments.ts). */
export function welchFromMoments(input: WelchMomentsInput): WelchResult {
  const { control, treatment, alpha } = parseInput(welchMomentsInputSchema, input, 'welch');
  return welchCore(summarize(control), summarize(treatment), alpha, 'welch');
}

/** Welch test on raw samples; same as scipy.stats.ttest_ind(treatment, control, equal_var=False). */
export function welchTTest(input: WelchTTestInput): WelchResult {
  const { control, treatment, alpha } = parseInput(welchTTestInputSchema, input, 'welch_ttest');
  return welchCore(summarize(momentsOf(control)), summarize(momentsOf(treatment)), alpha);
}

export type { Moments };
