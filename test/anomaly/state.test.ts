import { describe, expect, it } from 'vitest';
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import { RecurrenceContext } from '../../shared/anomaly/recurrence.js';
import {
  DetectorStateMismatchError,
  decodeDetectorState,
  decodeState,
  detectorShape,
  encodeDetectorState,
  encodeState,
} from '../../shared/anomaly/state.js';
import { RepeatSuppressor } from '../../shared/anomaly/suppress.js';
import { TailCalibrator } from '../../shared/anomaly/tail.js';
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

  it('keeps integer sets (every width) in insertion order and integer arrays of any step exactly', () => {
    const tree = {
      small: new Set([3, 1, 2, 0]),
      mid: new Set([300, 65_535, 7]),
      wide: new Set([70_000, 5, 2 ** 32 - 1]),
      mixed: new Set([1, -1, 0.5, 'a']),
      clock: [1_767_571_200_000, 1_767_574_800_000, 1_767_578_400_000, 1_767_585_600_000],
      jumps: [2 ** 52, -(2 ** 52), 0, 2 ** 53 - 1, -(2 ** 53 - 1)],
    };
    // Deltas of deltas either side of 2^31 once zigzagged (decoded with integer ops below it).
    const steps = [2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31, 5, -3, 127, 128];
    let x = 0;
    let d = 0;
    const edges = steps.map((dd) => {
      d += dd;
      x += d;
      return x;
    });
    const back = decodeState(encodeState({ ...tree, edges })) as typeof tree & { edges: number[] };
    expect(back.edges).toEqual(edges);
    expect([...back.mid]).toEqual([300, 65_535, 7]);
    expect([...back.small]).toEqual([3, 1, 2, 0]);
    expect([...back.wide]).toEqual([70_000, 5, 2 ** 32 - 1]);
    expect([...back.mixed]).toEqual([1, -1, 0.5, 'a']);
    expect(back.clock).toEqual(tree.clock);
    expect(back.jumps).toEqual(tree.jumps);
    // A regular clock costs about a byte a row (deltas of deltas), not 8.
    const hours = Array.from({ length: 1000 }, (_, i) => 1_767_571_200_000 + i * 3_600_000);
    expect(encodeState(hours).length).toBeLessThan(1100);
  });

  it('encodes a sliding window from its head only, and the restored window answers the same', () => {
    const rc = new RecurrenceContext();
    const t0 = Date.UTC(2026, 0, 5);
    for (let i = 0; i < 24 * 12; i++) rc.add(t0 + i * 3_600_000, (i * 37) % 11);
    const back = decodeState(encodeState(rc)) as RecurrenceContext;
    const live = back as unknown as { head: number; times: number[] };
    const kept = rc as unknown as { head: number; times: number[] };
    expect(kept.head).toBeGreaterThan(0);
    expect(live.head).toBe(0);
    expect(live.times).toEqual(kept.times.slice(kept.head));
    for (let i = 24 * 12; i < 24 * 14; i++) {
      const t = t0 + i * 3_600_000;
      expect(back.floor(t, 5)).toBe(rc.floor(t, 5));
      rc.add(t, i % 5);
      back.add(t, i % 5);
    }
    // …and both encode to the same bytes (the encoding is canonical).
    expect(Buffer.from(encodeState(back)).equals(Buffer.from(encodeState(rc)))).toBe(true);
    const sup = new RepeatSuppressor(3, 0.5);
    for (let i = 0; i < 200; i++) sup.apply((i * 13) % 7);
    const sback = decodeState(encodeState(sup)) as RepeatSuppressor;
    for (let i = 0; i < 50; i++) expect(sback.apply(i % 9)).toBe(sup.apply(i % 9));
  });

  it('reads a state of the previous format (2): the store of the last build is restored, not re-learned', () => {
    // Format 2's body of a tree using every tag it wrote, as the encoder of commit d9465ce wrote it,
    // after its shape stamp (spliced in here: the tree holds no detector, only a calibrator).
    const body = Buffer.from(FORMAT_2_BODY, 'base64');
    const stamp = new TextEncoder().encode(detectorShape());
    const bytes = Buffer.concat([Buffer.from([0x56, 0x44, 0x53, 2, 7, stamp.length]), stamp, body]);
    const back = decodeState(bytes) as Record<string, unknown>;
    const a = back.a as number[];
    expect(Object.is(a[0], -0)).toBe(true);
    expect(Number.isNaN(a[1])).toBe(true);
    expect(a.slice(2)).toEqual([Infinity, -Infinity, 2 ** 53 + 2, -17, 0.1]);
    expect(back.t).toEqual([1767571200000, 1767574800000, 1767578400000, 1767585600000]);
    expect([...(back.s as Set<number>)]).toEqual([3, 1, 2, 70000, 0]);
    expect([...(back.f as Float64Array)]).toEqual([1.5, -0, 0, 0]);
    const u = back.u as Uint16Array;
    expect([u.length, u[3], u[4]]).toEqual([300, 7, 0]);
    expect((back.m as Map<string, unknown>).get('k')).toEqual({ x: 'y' });
    expect(back.nested).toEqual({ u: undefined, n: null, b: true, word: 'y' });
    // The calibrator's sorted copy (left out by format 2 too) is rebuilt from its ring.
    const cal = back.cal as TailCalibrator;
    const fresh = new TailCalibrator(8);
    for (const x of [5, 1, 4, 1.5, 9, 2, 6, 5, 3, 7]) fresh.add(x);
    for (const x of [0, 2, 4.5, 8, 20]) expect(cal.pValue(x)).toBe(fresh.pValue(x));
    // Re-encoded in the current format, it reads back the same.
    expect(decodeState(encodeState(back))).toEqual(back);
  });
});

/** Format 2 bytes for the test above (written by the format-2 encoder, commit d9465ce). */
const FORMAT_2_BODY =
  'CggHAWERBwAAAAAAAACAAAAAAAAA+H8AAAAAAADwfwAAAAAAAPD/AQAAAAAAQEMAAAAAAAAxwJqZmZmZmbk/BwF0EASA4KC38WaAurcDgLq3A4D07gYHAXMMBQQDBAEEAgTwogQEAAcBZg4ABAIAAAAAAAD4PwAAAAAAAACABwF1DgKsAgQAAAAAAAAHAAcBbQ0BBwFrCgEHAXgHAXkHBm5lc3RlZAoECAUABwFuAQcBYgMHBHdvcmQICQcDY2FsCwcOVGFpbENhbGlicmF0b3IKBwhjYXBhY2l0eQQIBwx0YWlsRnJhY3Rpb24GexSuR+F6lD8HB21pblRhaWwECgcJbWluRXhjZXNzBgAAAAAAAOA/Bwd0cmltVG9wAgcKcHJlZGljdGl2ZQIHBHJpbmcOAAgIAAAAAAAACEAAAAAAAAAcQAAAAAAAABBAAAAAAAAA+D8AAAAAAAAiQAAAAAAAAABAAAAAAAAAGEAAAAAAAAAUQAcGc29ydGVkDwgLBAgHBGhlYWQEAg==';
