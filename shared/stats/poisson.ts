import * as z from 'zod';
import { InputError } from '../errors.js';
import { binomialTestTwoSided } from './binomial-test.js';
import { normalCritical, normalTwoSidedP } from './distributions.js';
import { checkFinite, countSchema, parseInput, twoArms } from './validate.js';

const armSchema = z.object({
  /** Number of events (e.g. user reports). */
  count: countSchema,
  /** Exposure the events occurred over (e.g. viewed impressions), > 0. */
  exposure: z.number().positive({ message: 'exposure must be > 0' }),
});

export const poissonRateInputSchema = twoArms(armSchema);
export type PoissonRateInput = z.input<typeof poissonRateInputSchema>;

export interface PoissonRateResult {
  /** Events per unit of exposure. */
  rateControl: number;
  rateTreatment: number;
  diff: number;
  se: number;
  z: number;
  pValue: number;
  ciLow: number;
  ciHigh: number;
  /** null when either count is 0 (the log-scale interval does not exist). */
  rateRatio: number | null;
  rateRatioCiLow: number | null;
  rateRatioCiHigh: number | null;
  /** Conditional exact test: count_t | total ~ Binomial(total, e_t / (e_t + e_c)) under H0. */
  pValueExact: number;
}

/**
 * Two Poisson rates: unpooled Wald test and CI for the difference, log-Wald CI for the ratio, and
 * the conditional exact binomial test (statsmodels test_poisson_2indep(method='exact-cond')).
 */
export function poissonRateTest(input: PoissonRateInput): PoissonRateResult {
  const { control, treatment, alpha } = parseInput(poissonRateInputSchema, input, 'poisson_rate_test');
  const rc = control.count / control.exposure;
  const rt = treatment.count / treatment.exposure;
  const diff = rt - rc;
  const se = Math.sqrt(treatment.count / treatment.exposure ** 2 + control.count / control.exposure ** 2);
  if (!(se > 0))
    throw new InputError('poisson_rate_test: both counts are 0, so the rates cannot be compared');
  const z = diff / se;
  const q = normalCritical(alpha);
  let ratio: Pick<PoissonRateResult, 'rateRatio' | 'rateRatioCiLow' | 'rateRatioCiHigh'> = {
    rateRatio: null,
    rateRatioCiLow: null,
    rateRatioCiHigh: null,
  };
  if (control.count > 0 && treatment.count > 0) {
    const rateRatio = rt / rc;
    const logSe = Math.sqrt(1 / treatment.count + 1 / control.count);
    ratio = {
      rateRatio,
      rateRatioCiLow: Math.exp(Math.log(rateRatio) - q * logSe),
      rateRatioCiHigh: Math.exp(Math.log(rateRatio) + q * logSe),
    };
  }
  const share = treatment.exposure / (treatment.exposure + control.exposure);
  return checkFinite('poisson_rate_test', {
    rateControl: rc,
    rateTreatment: rt,
    diff,
    se,
    z,
    pValue: normalTwoSidedP(z),
    ciLow: diff - q * se,
    ciHigh: diff + q * se,
    ...ratio,
    pValueExact: binomialTestTwoSided(treatment.count, treatment.count + control.count, share),
  });
}
