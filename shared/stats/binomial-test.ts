import { InputError } from '../errors.js';
import { binomialPmf } from './distributions.js';

/**
 * Sums pmf(i) from `from` stepping by `step` while i stays in [0, n]. The pmf decreases away from
 * the mode in the direction walked, so the sum stops once terms no longer change it.
 */
function tailSum(from: number, step: 1 | -1, n: number, p: number): number {
  let total = 0;
  for (let i = from; i >= 0 && i <= n; i += step) {
    const term = binomialPmf(i, n, p);
    total += term;
    if (term === 0 || term < total * 1e-18) break;
  }
  return total;
}

/**
 * Two-sided exact binomial test, "minlike": the p-value sums the probabilities of every outcome no
 * more likely than the observed one, with scipy's relative tolerance 1e-7 (scipy.stats.binomtest).
 * Only the two tails are summed, found by binary search on each side of the mode, so the cost is
 * O(√n) pmf evaluations rather than O(n).
 */
export function binomialTestTwoSided(k: number, n: number, p: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new InputError(`binomial test: need integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
  if (!(p >= 0 && p <= 1)) throw new InputError(`binomial test: p must be in [0, 1], got ${p}`);
  const mean = n * p;
  if (k === mean) return 1;
  const threshold = binomialPmf(k, n, p) * (1 + 1e-7);
  let pValue: number;
  if (k < mean) {
    // Other side: on [ceil(np), n] the pmf is non-increasing; find the first i with pmf(i) ≤ threshold.
    let lo = Math.ceil(mean);
    let hi = n + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (binomialPmf(mid, n, p) <= threshold) hi = mid;
      else lo = mid + 1;
    }
    pValue = tailSum(k, -1, n, p) + (lo <= n ? tailSum(lo, 1, n, p) : 0);
  } else {
    // Other side: on [0, floor(np)] the pmf is non-decreasing; find the last i with pmf(i) ≤ threshold.
    let lo = -1;
    let hi = Math.floor(mean);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (binomialPmf(mid, n, p) <= threshold) lo = mid;
      else hi = mid - 1;
    }
    pValue = tailSum(k, 1, n, p) + (lo >= 0 ? tailSum(lo, -1, n, p) : 0);
  }
  return Math.min(1, pValue);
}
