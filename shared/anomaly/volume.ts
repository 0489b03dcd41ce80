/**
 * Sampling-noise floors for counts and ratios. A rate computed from a small denominator
 * moves a lot by chance alone; its residual scale must never be below that binomial or
 * Poisson noise, so the same relative move needs more evidence when the volume is small.
 */

/**
 * Standard deviation of a ratio value under sampling noise alone, in the value's units.
 * `value` may be a scaled ratio (e.g. per-10k): the scale is recovered from value / (num/den).
 * Proportions (expected ratio <= 1) use the binomial variance p(1-p)/n; rates above 1 use the
 * Poisson variance λ/n of a count per unit of exposure.
 */
export function ratioNoiseSd(
  expectedValue: number,
  numerator: number,
  denominator: number,
  value: number,
): number {
  if (!(denominator > 0)) return 0;
  const ratio = numerator / denominator;
  const unit = ratio > 0 && value !== 0 ? value / ratio : 1;
  // The expected ratio, kept off 0 so a zero baseline still has some noise (one event's worth).
  const p = Math.max(expectedValue / unit, 0.5 / denominator);
  const variance = p < 1 ? (p * (1 - p)) / denominator : p / denominator;
  return Math.abs(unit) * Math.sqrt(variance);
}

/** Poisson noise of a count with the given expectation (at least one event's worth). */
export function countNoiseSd(expectedCount: number): number {
  return Math.sqrt(Math.max(expectedCount, 1));
}
