import { describe, expect, it } from 'vitest';
import { binomialLowerTail, binomialUpperTail } from '../../shared/stats/binomial-tails.js';

/** Exact sums of the binomial probabilities, for integer counts. */
function pmf(k: number, n: number, p: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c * p ** k * (1 - p) ** (n - k);
}
const upper = (x: number, n: number, p: number) => {
  let s = 0;
  for (let k = x; k <= n; k++) s += pmf(k, n, p);
  return s;
};
const lower = (x: number, n: number, p: number) => {
  let s = 0;
  for (let k = 0; k <= x; k++) s += pmf(k, n, p);
  return s;
};

describe('binomial tails', () => {
  it('match the exact sums at integer counts, both tails', () => {
    for (const [x, n, p] of [
      [16, 137, 0.03],
      [3, 10, 0.5],
      [0, 20, 0.1],
      [20, 20, 0.1],
      [7, 40, 0.2],
    ] as const) {
      expect(binomialUpperTail(x, n, p)).toBeCloseTo(upper(x, n, p), 12);
      expect(binomialLowerTail(x, n, p)).toBeCloseTo(lower(x, n, p), 12);
    }
  });

  it('are 1 and 0 outside the support, and continuous between integer counts', () => {
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialLowerTail(-1, 10, 0.3)).toBe(0);
    expect(binomialLowerTail(10, 10, 0.3)).toBe(1);
    const between = binomialUpperTail(4.5, 20, 0.1);
    expect(between).toBeLessThan(binomialUpperTail(4, 20, 0.1));
    expect(between).toBeGreaterThan(binomialUpperTail(5, 20, 0.1));
  });
});
