import * as z from 'zod';
import { InputError } from '../errors.js';
import { normalCdf, normalCritical, normalQuantile } from './distributions.js';
import { alphaSchema, checkFinite, parseInput } from './validate.js';

const openUnit = (field: string) =>
  z
    .number()
    .gt(0, { message: `${field} must be in (0, 1)` })
    .lt(1, { message: `${field} must be in (0, 1)` });

export const powerInputSchema = z
  .object({
    baseline_rate: openUnit('baseline_rate'),
    /** Relative minimum detectable effect: p2 = p1·(1 + mde_relative). */
    mde_relative: z.number().refine((v) => v !== 0, { message: 'mde_relative must not be 0' }),
    alpha: alphaSchema,
    power: openUnit('power').default(0.8),
  })
  .refine((v) => v.power > v.alpha, { message: 'power must exceed alpha', path: ['power'] });
export type PowerInput = z.input<typeof powerInputSchema>;

export interface PowerResult {
  /** Per-arm n for the two-sided two-proportion z-test (primary), rounded up. */
  nPerArm: number;
  nPerArmExact: number;
  treatmentRate: number;
  /** |2·asin√p2 − 2·asin√p1|. */
  cohensH: number;
  nPerArmCohensH: number;
  nPerArmCohensHExact: number;
}

/**
 * Per-arm sample size for a two-sided two-proportion test with equal arms.
 * Primary: pooled variance under H0, unpooled under H1, no continuity correction
 * (statsmodels samplesize_proportions_2indep_onetail). Alternative: Cohen's h with the exact two-sided
 * power equation Φ(h√(n/2) − z) + Φ(−h√(n/2) − z) = power (statsmodels NormalIndPower), solved by
 * bisection because the opposite-tail term has no closed form.
 */
export function powerSampleSize(input: PowerInput): PowerResult {
  const {
    baseline_rate: p1,
    mde_relative: mde,
    alpha,
    power,
  } = parseInput(powerInputSchema, input, 'power_sample_size');
  const p2 = p1 * (1 + mde);
  if (!(p2 > 0 && p2 < 1)) {
    throw new InputError(
      `power_sample_size: treatment rate baseline_rate·(1 + mde_relative) = ${p2} is outside (0, 1)`,
    );
  }
  const zq = normalCritical(alpha);
  const zp = normalQuantile(power);
  const pBar = (p1 + p2) / 2;
  const root = zq * Math.sqrt(2 * pBar * (1 - pBar)) + zp * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  const nExact = (root * root) / ((p2 - p1) * (p2 - p1));

  const h = Math.abs(2 * Math.asin(Math.sqrt(p2)) - 2 * Math.asin(Math.sqrt(p1)));
  const achieved = (n: number) => {
    const shift = h * Math.sqrt(n / 2);
    return normalCdf(shift - zq) + normalCdf(-shift - zq);
  };
  // The one-tail closed form over-shoots (its power is ≥ target), so [0, it] brackets the root.
  let lo = 0;
  let hi = 2 * ((zq + zp) / h) ** 2;
  while (achieved(hi) < power) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (achieved(mid) < power) lo = mid;
    else hi = mid;
  }
  const hExact = (lo + hi) / 2;
  return checkFinite('power_sample_size', {
    nPerArm: Math.ceil(nExact),
    nPerArmExact: nExact,
    treatmentRate: p2,
    cohensH: h,
    nPerArmCohensH: Math.ceil(hExact),
    nPerArmCohensHExact: hExact,
  });
}
