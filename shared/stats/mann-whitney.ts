import * as z from 'zod';
import { InputError } from '../errors.js';
import { normalCdf } from './distributions.js';
import { checkFinite, parseInput, sample } from './validate.js';

export const mannWhitneyInputSchema = z.object({
  control: sample(1),
  treatment: sample(1),
});
export type MannWhitneyInput = z.input<typeof mannWhitneyInputSchema>;

export interface MannWhitneyResult {
  /** U of the treatment sample: #pairs (t > c) + ½·#ties. */
  u: number;
  pValue: number;
}

/**
 * Mann–Whitney U test, two-sided, normal approximation with tie-corrected variance and a 0.5
 * continuity correction (scipy.stats.mannwhitneyu(treatment, control, method='asymptotic')).
 * The asymptotic form is used at every size so results do not jump between exact and approximate.
 */
export function mannWhitney(input: MannWhitneyInput): MannWhitneyResult {
  const { control, treatment } = parseInput(mannWhitneyInputSchema, input, 'mann_whitney');
  const nt = treatment.length;
  const nc = control.length;
  const total = nt + nc;
  const values = new Float64Array(total);
  values.set(treatment, 0);
  values.set(control, nt);
  const order = Array.from({ length: total }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  // Mid-ranks over runs of ties; collect Σ(t³ − t) for the variance correction.
  let rankSumTreatment = 0;
  let tieTerm = 0;
  for (let start = 0; start < total; ) {
    const value = values[order[start] as number] as number;
    let end = start + 1;
    while (end < total && values[order[end] as number] === value) end++;
    const midRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) if ((order[i] as number) < nt) rankSumTreatment += midRank;
    const ties = end - start;
    tieTerm += ties * ties * ties - ties;
    start = end;
  }
  const u = rankSumTreatment - (nt * (nt + 1)) / 2;
  const mu = (nt * nc) / 2;
  const variance = ((nt * nc) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  if (!(variance > 0))
    throw new InputError('mann_whitney: every value is tied, so the test has zero variance');
  const z = (Math.max(u, nt * nc - u) - mu - 0.5) / Math.sqrt(variance);
  return checkFinite('mann_whitney', { u, pValue: Math.min(1, 2 * normalCdf(-z)) });
}
