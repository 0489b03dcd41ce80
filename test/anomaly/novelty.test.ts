import { describe, expect, it } from 'vitest';
import { detectSeries } from '../../shared/anomaly/detector.js';
import { ContextNovelty } from '../../shared/anomaly/novelty.js';
import { uniformStream } from '../../shared/stats/random.js';
import { firstFlag, gaussian, hourlySeasonal, points, T0 } from './gen.js';

const FIVE_MIN = 300_000;

/** A rising sawtooth (0..7) with small noise, turned into a falling one at `change`. */
function sawtooth(rows: number, change: number, seed: number) {
  const n = gaussian(uniformStream(seed));
  const t: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < rows; i++) {
    const phase = i % 8;
    t.push(T0 + i * FIVE_MIN);
    x.push((i < change ? phase : 7 - phase) * 10 + 0.5 * n());
  }
  return { t, x };
}

describe('shape changes', () => {
  it('flags a change of shape at the same values (level and spread unchanged)', () => {
    const s = sawtooth(2000, 1500, 1);
    const scores = detectSeries(points(s));
    expect(scores.slice(1200, 1500).filter((r) => r.isAnomaly)).toHaveLength(0);
    const first = firstFlag(scores, 1500);
    expect(first).toBeGreaterThanOrEqual(1500);
    expect(first).toBeLessThanOrEqual(1515);
  });
});

describe('contextual novelty', () => {
  it('gives little evidence on a pattern it has seen, much on a new one', () => {
    const n = new ContextNovelty({
      gridRows: 100,
      tilings: 3,
      levels: 8,
      lags: 6,
      order: 4,
      shortWindow: 10,
      history: 2000,
      minSd: 0.15,
    });
    const s = sawtooth(1700, 1500, 2);
    let before = 0;
    let after = 0;
    for (let i = 0; i < s.x.length; i++) {
      const e = n.observe(s.x[i]!, Number.POSITIVE_INFINITY);
      if (i >= 1000 && i < 1500) before = Math.max(before, e);
      if (i >= 1500 && i < 1520) after = Math.max(after, e);
    }
    expect(n.ready).toBe(true);
    expect(before).toBeLessThan(2);
    expect(after).toBeGreaterThan(4);
  });
});

describe('seasonal profile start', () => {
  it('does not learn a one-off event of the first day as the profile', () => {
    const s = hourlySeasonal(28, 11);
    // A three-hour incident on the first day, before any seasonal model is trusted.
    for (let i = 3; i < 6; i++) s.x[i]! += 200;
    const scores = detectSeries(points(s));
    expect(scores[27 * 24]!.seasonality).toBe('daily');
    // Later days at the same hours are normal and must stay quiet.
    for (let d = 3; d < 28; d++)
      for (let h = 2; h < 7; h++) expect(scores[d * 24 + h]!.isAnomaly, `day ${d} hour ${h}`).toBe(false);
    expect(Math.abs(scores[20 * 24 + 4]!.expected - s.x[20 * 24 + 4]!)).toBeLessThan(15);
  });
});
