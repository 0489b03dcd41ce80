import * as z from 'zod';
import { InputError } from '../errors.js';
import { normalCritical, normalTwoSidedP } from './distributions.js';
import { checkFinite, countSchema, parseInput, twoArms } from './validate.js';

const armSchema = z
  .object({
    successes: countSchema,
    n: z.number().int().positive(),
  })
  .refine((arm) => arm.successes <= arm.n, {
    message: 'successes must not exceed n',
    path: ['successes'],
  });

export const twoProportionInputSchema = twoArms(armSchema);
export type TwoProportionInput = z.input<typeof twoProportionInputSchema>;

export interface TwoProportionResult {
  diff: number;
  seUnpooled: number;
  sePooled: number;
  /** Uses the pooled SE (the null hypothesis p_t = p_c fixes one common rate). */
  z: number;
  pValue: number;
  /** Unpooled Wald interval: the CI is about the difference, which need not be zero. */
  ciLow: number;
  ciHigh: number;
}

/**
 * Two-proportion z-test, two-sided. z and p use the pooled SE (statsmodels proportions_ztest); the CI is
 * the unpooled Wald interval (statsmodels confint_proportions_2indep, method='wald').
 */
export function twoProportionZTest(input: TwoProportionInput): TwoProportionResult {
  const { control, treatment, alpha } = parseInput(twoProportionInputSchema, input, 'two_proportion_ztest');
  const pc = control.successes / control.n;
  const pt = treatment.successes / treatment.n;
  const diff = pt - pc;
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / treatment.n + 1 / control.n));
  if (!(sePooled > 0)) {
    throw new InputError(
      `two_proportion_ztest: pooled rate is ${pooled}, so the test has zero variance (every unit has the same outcome)`,
    );
  }
  const seUnpooled = Math.sqrt((pt * (1 - pt)) / treatment.n + (pc * (1 - pc)) / control.n);
  const z = diff / sePooled;
  const q = normalCritical(alpha);
  return checkFinite('two_proportion_ztest', {
    diff,
    seUnpooled,
    sePooled,
    z,
    pValue: normalTwoSidedP(z),
    ciLow: diff - q * seUnpooled,
    ciHigh: diff + q * seUnpooled,
  });
}
