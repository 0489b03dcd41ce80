import betaincImpl from '@stdlib/math-base-special-betainc';

// Its own module, like poisson-tails.ts: the hourly detection needs only these tails.

/**
 * Tails of a Binomial(n, p) count through the regularized incomplete beta function, which also
 * extends them to non-integer counts and trials (a quasi-binomial sample scaled by its dispersion):
 * P(X ≥ x) = I_p(x, n − x + 1) and P(X ≤ x) = I_{1−p}(n − x, x + 1).
 */
export function binomialUpperTail(x: number, n: number, p: number): number {
  if (x <= 0) return 1;
  if (x > n || !(p > 0)) return 0;
  if (!(p < 1)) return 1;
  return betaincImpl(p, x, n - x + 1, true, false);
}

export function binomialLowerTail(x: number, n: number, p: number): number {
  if (x < 0) return 0;
  if (x >= n || !(p > 0)) return 1;
  if (!(p < 1)) return 0;
  return betaincImpl(1 - p, n - x, x + 1, true, false);
}
