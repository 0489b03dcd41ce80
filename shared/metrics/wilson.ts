import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/**
 * Wilson score interval for a weighted proportion, using Kish's effective sample size
 * n_eff = (Σw)² / Σw². With equal weights n_eff is the row count and this is the plain Wilson
 * interval; unequal weights shrink n_eff and widen the interval (the design effect).
 */
export function weightedWilson(
  sumWeightsTrue: number,
  sumWeights: number,
  sumWeightsSquared: number,
  confidence: number,
): { p: number; low: number; high: number; nEff: number } | undefined {
  if (!(sumWeights > 0) || !(sumWeightsSquared > 0)) return undefined;
  const p = Math.min(1, Math.max(0, sumWeightsTrue / sumWeights));
  const n = (sumWeights * sumWeights) / sumWeightsSquared;
  const z = normalQuantile(1 - (1 - confidence) / 2, 0, 1);
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  // Rounding can leave 1e-17 where the bound is exactly 0 or 1 (p = 0 or 1).
  const low = p === 0 ? 0 : Math.max(0, center - half);
  const high = p === 1 ? 1 : Math.min(1, center + half);
  return { p, low, high, nEff: n };
}
