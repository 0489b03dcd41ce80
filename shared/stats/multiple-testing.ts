import * as z from 'zod';
import { alphaSchema, checkFinite, parseInput } from './validate.js';

export const multipleTestingInputSchema = z.object({
  p_values: z
    .array(
      z
        .number()
        .min(0, { message: 'p-values must be in [0, 1]' })
        .max(1, { message: 'p-values must be in [0, 1]' }),
    )
    .min(1, { message: 'needs at least 1 p-value' }),
  method: z.enum(['bh', 'holm', 'bonferroni']),
  alpha: alphaSchema,
});
export type MultipleTestingInput = z.input<typeof multipleTestingInputSchema>;
export type AdjustmentMethod = MultipleTestingInput['method'];

export interface MultipleTestingResult {
  /** Adjusted p-values in input order, capped at 1. */
  adjusted: number[];
  /** adjusted ≤ alpha. */
  rejected: boolean[];
}

/**
 * Family-wise (Bonferroni, Holm step-down) and false-discovery-rate (Benjamini–Hochberg step-up)
 * adjustments, matching statsmodels multipletests (bonferroni / holm / fdr_bh).
 */
export function adjustPValues(input: MultipleTestingInput): MultipleTestingResult {
  const { p_values: p, method, alpha } = parseInput(multipleTestingInputSchema, input, 'multiple_testing');
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => (p[a] as number) - (p[b] as number));
  const adjusted = new Array<number>(m).fill(1);
  if (method === 'bonferroni') {
    p.forEach((value, i) => {
      adjusted[i] = Math.min(1, m * value);
    });
  } else if (method === 'holm') {
    // Step-down: running maximum of (m − j + 1)·p_(j) from the smallest p upwards.
    let running = 0;
    order.forEach((index, j) => {
      running = Math.max(running, (m - j) * (p[index] as number));
      adjusted[index] = Math.min(1, running);
    });
  } else {
    // Step-up: running minimum of m·p_(j)/j from the largest p downwards.
    let running = Number.POSITIVE_INFINITY;
    for (let j = m - 1; j >= 0; j--) {
      const index = order[j] as number;
      running = Math.min(running, (m * (p[index] as number)) / (j + 1));
      adjusted[index] = Math.min(1, running);
    }
  }
  return checkFinite('multiple_testing', { adjusted, rejected: adjusted.map((a) => a <= alpha) });
}
