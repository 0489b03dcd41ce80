import * as z from 'zod';
import { InputError } from '../errors.js';
import { chiSquareSf } from './distributions.js';
import { checkFinite, countSchema, parseInput } from './validate.js';

export const srmInputSchema = z
  .object({
    /** Units observed per variant. */
    observed: z.array(countSchema).min(2, { message: 'needs at least 2 variants' }),
    /** Planned allocation; need not sum to 1. */
    expected_weights: z.array(z.number().positive({ message: 'weights must be > 0' })).min(2, {
      message: 'needs at least 2 variants',
    }),
  })
  .refine((v) => v.observed.length === v.expected_weights.length, {
    message: 'observed and expected_weights must have the same length',
    path: ['expected_weights'],
  });
export type SrmInput = z.input<typeof srmInputSchema>;

export interface SrmResult {
  chi2: number;
  df: number;
  pValue: number;
}

/** Sample-ratio-mismatch check: chi-square goodness of fit with df = k − 1 (scipy.stats.chisquare). */
export function srmChiSquare(input: SrmInput): SrmResult {
  const { observed, expected_weights: weights } = parseInput(srmInputSchema, input, 'srm_chisq');
  const total = observed.reduce((a, b) => a + b, 0);
  if (total === 0) throw new InputError('srm_chisq: observed: all counts are 0');
  const weightSum = weights.reduce((a, b) => a + b, 0);
  let chi2 = 0;
  observed.forEach((o, i) => {
    const e = (total * (weights[i] as number)) / weightSum;
    chi2 += ((o - e) * (o - e)) / e;
  });
  const df = observed.length - 1;
  return checkFinite('srm_chisq', { chi2, df, pValue: chiSquareSf(chi2, df) });
}
