import binomialPmfImpl from '@stdlib/stats-base-dists-binomial-pmf';
import chisquareCdfImpl from '@stdlib/stats-base-dists-chisquare-cdf';
import fCdfImpl from '@stdlib/stats-base-dists-f-cdf';
import normalCdfImpl from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantileImpl from '@stdlib/stats-base-dists-normal-quantile';
import tCdfImpl from '@stdlib/stats-base-dists-t-cdf';
import tQuantileImpl from '@stdlib/stats-base-dists-t-quantile';

/**
 * The only place that touches the stdlib distribution packages, so the rest of the core speaks in
 * the few functions it needs. Tail probabilities are computed from the far tail (Φ(−|z|) rather
 * than 1 − Φ(|z|)) where the package allows it, which keeps tiny p-values accurate.
 */

export function normalCdf(z: number): number {
  return normalCdfImpl(z, 0, 1);
}

export function normalQuantile(p: number): number {
  return normalQuantileImpl(p, 0, 1);
}

/** Two-sided p-value of a standard-normal statistic. */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}

/** z_{1−α/2}: the critical value of a two-sided 1 − α interval. */
export function normalCritical(alpha: number): number {
  return normalQuantile(1 - alpha / 2);
}

export function tCdf(t: number, df: number): number {
  return tCdfImpl(t, df);
}

/** Two-sided p-value of a Student-t statistic. */
export function tTwoSidedP(t: number, df: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

/** t_{1−α/2, df}. */
export function tCritical(alpha: number, df: number): number {
  return tQuantileImpl(1 - alpha / 2, df);
}

/** Upper tail P(X ≥ x) of a chi-square(df). */
export function chiSquareSf(x: number, df: number): number {
  return Math.max(0, 1 - chisquareCdfImpl(x, df));
}

/** Upper tail P(X ≥ x) of an F(d1, d2). */
export function fSf(x: number, d1: number, d2: number): number {
  return Math.max(0, 1 - fCdfImpl(x, d1, d2));
}

export function binomialPmf(k: number, n: number, p: number): number {
  return binomialPmfImpl(k, n, p);
}
