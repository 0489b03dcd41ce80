import { describe, expect, it } from 'vitest';
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import { decodeDetectorState, encodeDetectorState } from '../../shared/anomaly/state.js';
import { dailyWeekly, flat, hourlySeasonal, points } from './gen.js';

/** Scores a series straight through, and again with the state encoded and decoded every `every` rows. */
function both(ps: { t: number; value: number }[], every: number, config = {}) {
  const straight = new StreamingDetector(config);
  const full = ps.map((p) => straight.push(p));
  let d = new StreamingDetector(config);
  const resumed = ps.map((p, i) => {
    if (i > 0 && i % every === 0) d = decodeDetectorState(encodeDetectorState(d));
    return d.push(p);
  });
  return { full, resumed };
}

describe('detector state', () => {
  it('a detector restored from its state scores every later row exactly as an uninterrupted one', () => {
    // Hourly seasonal with a shift (episodes, re-base), a spike, and gaps (NaN values).
    const s = hourlySeasonal(30, 41);
    for (let i = 20 * 24; i < 22 * 24; i++) s.x[i]! += 40;
    s.x[25 * 24]! += 80;
    s.x[26 * 24 + 3] = Number.NaN;
    const { full, resumed } = both(points(s), 5, { episodeCalibration: 'hold', cooldown: 0 });
    expect(resumed).toEqual(full);
  });

  it('holds for daily series, 5-minute series and a resume every few rows', () => {
    for (const [ps, every] of [
      [points(dailyWeekly(200, 42)), 7],
      [points(flat(3000, 43, 300_000)), 97],
    ] as const) {
      const { full, resumed } = both([...ps], every);
      expect(resumed).toEqual(full);
    }
  });

  it('refuses a state of another version', () => {
    const text = encodeDetectorState(new StreamingDetector());
    expect(() => decodeDetectorState(text.replace('{"v":1', '{"v":0'))).toThrow(/version 0/);
  });
});
