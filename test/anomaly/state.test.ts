import { describe, expect, it } from 'vitest';
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import {
  DetectorStateMismatchError,
  decodeDetectorState,
  decodeState,
  encodeDetectorState,
  encodeState,
} from '../../shared/anomaly/state.js';
import { dailyWeekly, flat, hourlySeasonal, points } from './gen.js';

/** Bit-exact equality of two score lists (Object.is per number: NaN and -0 included). */
function sameBits(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Scores a series straight through, and again with the state encoded and decoded every `every` rows. */
function both(ps: { t: number; value: number }[], every: number, config = {}) {
  const straight = new StreamingDetector(config);
  const full = ps.map((p) => straight.push(p));
  let d = new StreamingDetector(config);
  const resumed = ps.map((p, i) => {
    if (i > 0 && i % every === 0) d = decodeDetectorState(encodeDetectorState(d));
    return d.push(p);
  });
  return { full, resumed, straight, d };
}

describe('detector state', () => {
  it('a detector restored from its state scores every later row exactly as an uninterrupted one', () => {
    // Hourly seasonal with a shift (episodes, re-base), a spike, and gaps (NaN values).
    const s = hourlySeasonal(30, 41);
    for (let i = 20 * 24; i < 22 * 24; i++) s.x[i]! += 40;
    s.x[25 * 24]! += 80;
    s.x[26 * 24 + 3] = Number.NaN;
    const { full, resumed, straight, d } = both(points(s), 5, { episodeCalibration: 'hold', cooldown: 0 });
    expect(sameBits(resumed, full)).toBe(true);
    // …and the restored detector is the uninterrupted one, field for field (re-encoded to the same bytes).
    expect(Buffer.from(encodeDetectorState(d)).equals(Buffer.from(encodeDetectorState(straight)))).toBe(true);
  });

  it('holds for daily series, 5-minute series past the history caps and a resume every few rows', () => {
    for (const [ps, every] of [
      [points(dailyWeekly(200, 42)), 7],
      [points(flat(6000, 43, 300_000)), 997],
    ] as const) {
      const { full, resumed } = both([...ps], every);
      expect(sameBits(resumed, full)).toBe(true);
    }
  });

  it('keeps -0, NaN, infinities, sets and typed arrays exactly inside any tree', () => {
    const tree = {
      a: [-0, Number.NaN, Infinity, -Infinity, 2 ** 53 + 2, -17, 0.1],
      s: new Set([3, 1, 2]),
      f: Float64Array.from([1.5, -0, 0, 0]),
      u: new Uint16Array(300),
      m: new Map([['k', { x: 'y' }]]),
      nested: { u: undefined, n: null, b: true },
    };
    const back = decodeState(encodeState(tree)) as typeof tree;
    expect(Object.is(back.a[0], -0)).toBe(true);
    expect(Number.isNaN(back.a[1])).toBe(true);
    expect([...back.s]).toEqual([3, 1, 2]);
    expect(Object.is(back.f[1], -0)).toBe(true);
    expect(back.f.length).toBe(4);
    expect(back.u.length).toBe(300);
    expect(back.m.get('k')).toEqual({ x: 'y' });
    expect(back.nested).toEqual({ u: undefined, n: null, b: true });
  });

  it('is compact: a 14-day hourly detector takes under a third of its JSON encoding', () => {
    const s = hourlySeasonal(14, 44);
    const d = new StreamingDetector({ episodeCalibration: 'hold', cooldown: 0 });
    for (const p of points(s)) d.push(p);
    // The reflective JSON encoding of the last round took ~170 KB for the same detector.
    expect(encodeDetectorState(d).length).toBeLessThan(56_000);
  });

  it('decodes from a Node Buffer that is a view into a shared pool (as files and S3 bodies are)', () => {
    const d = new StreamingDetector();
    for (const p of points(hourlySeasonal(3, 45))) d.push(p);
    const bytes = encodeDetectorState(d);
    const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(bytes)]).subarray(3);
    expect(Buffer.from(encodeDetectorState(decodeDetectorState(pooled))).equals(Buffer.from(bytes))).toBe(
      true,
    );
  });

  it('refuses a state of another version or of another format', () => {
    const bytes = encodeDetectorState(new StreamingDetector());
    expect(() => decodeDetectorState(bytes.subarray(1))).toThrow(DetectorStateMismatchError);
    expect(() => decodeDetectorState(new TextEncoder().encode('{"v":1}'))).toThrow(
      DetectorStateMismatchError,
    );
  });
});
