import { describe, expect, it } from 'vitest';
import { DayWander, WANDER_Z } from '../../shared/alerting/day-wander.js';
import { type DetectorStates, fingerprintOf, scoreMetrics } from '../../shared/alerting/score-series.js';
import { decodeState, encodeState } from '../../shared/anomaly/state.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { sliceOf, TOTAL } from '../../shared/slices/slice.js';
import { createRng, poissonDraw } from '../../shared/stats/random.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const DAYS = 28;
const windows = Array.from({ length: DAYS * 24 }, (_, i) => T0 + i * H);
// Removals are judged against impressions: that makes impressions an exposure, whose slices are gated.
const IMPRESSIONS = selectMetrics(coreCatalog(), ['impressions', 'removals']);

/**
 * Hourly impressions of a platform and one large region, with a daily cycle. The region's traffic
 * wanders by a log-normal factor per day (sd `wander`) and half as much per hour; `shift(h)`
 * multiplies the region's traffic (an incident).
 */
function impressions(seed: number, wander: number, shift: (h: number) => number = () => 1): MetricRow[] {
  const rng = createRng(seed);
  const region = sliceOf([['region', 'NG']]);
  const rows: MetricRow[] = [];
  let day = 0;
  for (const [h, t] of windows.entries()) {
    if (h % 24 === 0) day = wander * rng.normal();
    const cycle = 1 + 0.45 * Math.sin((2 * Math.PI * h) / 24);
    const factor = Math.exp(day + (wander / 2) * rng.normal()) * shift(h);
    const ng = poissonDraw(rng, 1000 * cycle * factor);
    const rest = poissonDraw(rng, 20_000 * cycle);
    const row = (slice: typeof TOTAL, value: number): MetricRow => ({
      metric: 'impressions',
      grain: 'hour',
      windowStart: new Date(t),
      slice,
      value,
      numerator: null,
      denominator: null,
      ciLow: null,
      ciHigh: null,
    });
    rows.push(row(TOTAL, ng + rest), row(region, ng));
  }
  return rows;
}

function flagged(rows: MetricRow[]): { region: number; total: number } {
  const scores = scoreMetrics(rows, { metrics: IMPRESSIONS, grain: 'hour', windows, excluded: new Map() });
  const imp = scores.find((m) => m.metric === 'impressions');
  const count = (key: string) => imp!.slices.get(key)!.filter((p) => p.isAnomaly).length;
  return { region: count('region=NG'), total: count('') };
}

describe('day wander of a count judged by its own series', () => {
  it("learns a region's day-level wander, so its ordinary days are not raised, while a large shift still is", () => {
    // Over seeds 1-10, 28 days each of a 10% daily wander: at most a handful of raised hours, where
    // a detector that sees only hours raises whole days (z 4-6 for a day 30% off).
    const quiet = Array.from({ length: 10 }, (_, i) => flagged(impressions(i + 1, 0.1)).region);
    expect(quiet.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10);
    // A region at −70% for a day, far beyond that wander (12 of its sds in the log), is raised.
    const dropped = flagged(impressions(3, 0.1, (h) => (h >= 24 * 20 && h < 24 * 21 ? 0.3 : 1)));
    expect(dropped.region).toBeGreaterThanOrEqual(12);
  });

  it('leaves a region without wander as its detector judges it: a 3-hour +40% move is raised', () => {
    const shifted = flagged(impressions(5, 0, (h) => (h >= 24 * 20 && h < 24 * 20 + 3 ? 1.4 : 1)));
    expect(shifted.region).toBeGreaterThanOrEqual(2);
  });

  it("gates only an exposure's slices: its total, and counts no metric is judged against, keep their detector's flags", () => {
    const state: DetectorStates = new Map();
    const rows = impressions(9, 0.1);
    const flags = [...rows.map((r) => ({ ...r, metric: 'account_takeover_flags' })), ...rows];
    const metrics = selectMetrics(coreCatalog(), ['impressions', 'removals', 'account_takeover_flags']);
    scoreMetrics(flags, { metrics, grain: 'hour', windows, excluded: new Map(), state });
    const gated = (metric: string, key: string) => state.get(metric)!.slices.get(key)!.wander !== undefined;
    expect(gated('impressions', 'region=NG')).toBe(true);
    expect(gated('impressions', '')).toBe(false);
    expect(gated('account_takeover_flags', 'region=NG')).toBe(false);
  });

  it('re-learns, rather than restores, detectors kept before the metric became an exposure', () => {
    // Stored slices without a gate would otherwise go on ungated, unlike a replay under the new config.
    const alone = selectMetrics(coreCatalog(), ['impressions']);
    const impressions = IMPRESSIONS.metrics.find((m) => m.name === 'impressions')!;
    expect(fingerprintOf(impressions, 'hour', alone)).not.toBe(
      fingerprintOf(impressions, 'hour', IMPRESSIONS),
    );
  });

  it("learns a day's wander as the sd of its log share of the total, not an incident day's size", () => {
    const rng = createRng(21);
    const w = new DayWander();
    for (let d = 0; d < 28; d++) {
      const f = Math.exp(0.1 * rng.normal()) * (d === 20 ? 0.1 : 1);
      for (let h = 0; h < 24; h++)
        w.push(1000 * f, 1000, false, { period: 24, warmup: 0, learn: true, total: 20_000 });
    }
    const day = w.dayScale()!;
    expect(day).toBeGreaterThan(0.06);
    expect(day).toBeLessThan(0.15);
    // A whole-day run at 4 of those sds and more passes; one at 2 does not.
    const run = (ratio: number) => {
      const v = decodeState(encodeState(w)) as DayWander;
      let last = false;
      for (let h = 0; h < 24; h++)
        last = v.push(1000 * ratio, 1000, true, { period: 24, warmup: 0, learn: false, total: 20_000 });
      return last;
    };
    expect(run(Math.exp(1.2 * WANDER_Z * day))).toBe(true);
    expect(run(Math.exp(-2 * day))).toBe(false);
  });

  it('keeps its state through the detector state: a decoded gate decides as the original would', () => {
    const a = new DayWander();
    const rng = createRng(31);
    const at = { period: 24, warmup: 0, learn: true, total: 20_000 };
    for (let h = 0; h < 24 * 10; h++) a.push(1000 * Math.exp(0.1 * rng.normal()), 1000, false, at);
    const b = decodeState(encodeState(a)) as DayWander;
    expect(b).toBeInstanceOf(DayWander);
    for (let h = 0; h < 30; h++) {
      const v = 1000 * Math.exp(0.05 * h);
      expect(b.push(v, 1000, true, at)).toBe(a.push(v, 1000, true, at));
    }
  });
});
