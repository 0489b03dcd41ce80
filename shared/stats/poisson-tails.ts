import gammaincImpl from '@stdlib/math-base-special-gammainc';

// Its own module, apart from distributions.ts: the hourly detection needs only these tails, and each
// stdlib package imported there is CommonJS that no bundler can drop (~125 KB more in the hourly bundle).

/**
 * Tails of a Poisson(λ) count through the regularized incomplete gamma function, which also
 * extends them to non-integer counts (a quasi-Poisson count scaled by its dispersion):
 * P(X ≥ x) = P(x, λ) and P(X ≤ x) = Q(x + 1, λ), each computed directly (no 1 − p).
 */
export function poissonUpperTail(x: number, lambda: number): number {
  if (x <= 0) return 1;
  if (!(lambda > 0)) return 0;
  return gammaincImpl(lambda, x, true, false);
}

export function poissonLowerTail(x: number, lambda: number): number {
  if (x < 0) return 0;
  if (!(lambda > 0)) return 1;
  return gammaincImpl(lambda, x + 1, true, true);
}
