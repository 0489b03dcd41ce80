import { describe, expect, it } from 'vitest';
import { dailyPeeking, fixedHorizonAA } from './simulate.js';

describe('A/A simulations', () => {
  it('fixed-horizon Welch: false-positive rate 5% ± 1.5 points, CI coverage 95% ± 1.5 points', () => {
    const figures = fixedHorizonAA(3000, 60, 20260105);
    expect(figures.falsePositiveRate).toBeGreaterThanOrEqual(0.035);
    expect(figures.falsePositiveRate).toBeLessThanOrEqual(0.065);
    expect(figures.coverage).toBeGreaterThanOrEqual(0.935);
    expect(figures.coverage).toBeLessThanOrEqual(0.965);
  });

  it('daily peeking: the naive t-test inflates the false-positive rate, the mSPRT keeps it ≤ 5%', () => {
    const figures = dailyPeeking(2000, 14, 40, 7);
    // The naive rule must visibly fail, or this test could not tell a valid procedure from a broken one.
    expect(figures.naiveRate).toBeGreaterThan(0.1);
    expect(figures.msprtRate).toBeLessThanOrEqual(0.05);
    expect(figures.msprtCoverage).toBeGreaterThanOrEqual(0.95);
  });

  it('the mSPRT still detects a real effect', () => {
    // 0.25 sd with 560 units per arm at the end: a fixed-horizon z of about 4.2.
    const figures = dailyPeeking(300, 14, 40, 11, 0.25);
    expect(figures.msprtRate).toBeGreaterThan(0.85);
    expect(figures.msprtCoverage).toBeGreaterThanOrEqual(0.93);
  });
});
