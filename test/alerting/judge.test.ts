import { describe, expect, it } from 'vitest';
import type { OpenIncident } from '../../shared/alerting/incidents.js';
import { judgeWindow } from '../../shared/alerting/judge.js';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import type { Alert } from '../../shared/ports/alert-sink.js';
import { NO_GUARD } from '../../shared/privacy/k-anonymity.js';
import { parseSliceKey, sliceFrom, TOTAL } from '../../shared/slices/slice.js';
import { createRng, poissonDraw } from '../../shared/stats/random.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const N = 24 * 9;
const config = selectMetrics(coreCatalog(), ['removals']);

/**
 * Hourly removals by region with a daily cycle, seeded Poisson counts (realistic noise).
 * `lift(region, h)` multiplies a region's mean. Rows for the total and each region, as the metric
 * store holds them.
 */
function lake(lift: (region: string, h: number) => number, seed = 3): MetricRow[] {
  const rng = createRng(seed);
  const rows: MetricRow[] = [];
  const base: Record<string, number> = { BR: 60, ID: 60, US: 200 };
  for (let h = 0; h < N; h++) {
    const cycle = 1 + 0.3 * Math.sin((2 * Math.PI * (h % 24)) / 24);
    let total = 0;
    for (const [region, mean] of Object.entries(base)) {
      const v = poissonDraw(rng, mean * cycle * lift(region, h));
      total += v;
      rows.push(row(h, sliceFrom({ region }), v));
    }
    rows.push(row(h, TOTAL, total));
  }
  return rows;
}

function row(h: number, slice: MetricRow['slice'], value: number): MetricRow {
  return {
    metric: 'removals',
    grain: 'hour',
    windowStart: new Date(T0 + h * H),
    slice,
    value,
    numerator: value,
    denominator: null,
    ciLow: null,
    ciHigh: null,
  };
}

/** Runs the hourly judging over every window, as the job does tick after tick. */
function judgeAll(rows: readonly MetricRow[]): Alert[] {
  const windows = Array.from({ length: N }, (_, h) => T0 + h * H);
  const scores = scoreMetrics(rows, { metrics: config, grain: 'hour', windows, excluded: new Map() });
  const open = new Map<string, OpenIncident>();
  const alerts: Alert[] = [];
  windows.forEach((t, i) => {
    alerts.push(
      ...judgeWindow({ scores, i, t, grain: 'hour', guard: NO_GUARD, reportUrl: (k) => `#${k}` }, open),
    );
  });
  return alerts;
}

const WAVE = 24 * 6 + 10;
const LONG = 24;
const hourOf = (iso: string) => (Date.parse(iso) - T0) / H;

describe('incidents people can act on', () => {
  it('is never resolved while its slice stays ~7× expected, even once the detector stops flagging it', () => {
    // BR removals 7× for a day (a level that stays shifted: the detector stops calling it new), then back.
    const alerts = judgeAll(lake((r, h) => (r === 'BR' && h >= WAVE && h < WAVE + LONG ? 7 : 1)));
    const br = alerts.filter(
      (a) => a.slice === 'region=BR' || a.topSlices.some((s) => s.slice === 'region=BR'),
    );
    const keys = [...new Set(br.map((a) => a.dedupeKey))];
    expect(keys).toHaveLength(1);
    const mine = alerts.filter((a) => a.dedupeKey === keys[0]);
    expect(mine[0]!.status).toBe('open');
    expect(hourOf(mine[0]!.since)).toBe(WAVE);
    const resolved = mine.find((a) => a.status === 'resolved')!;
    // Resolved only after the wave ended and the quiet windows passed.
    expect(hourOf(resolved.windowStart)).toBeGreaterThanOrEqual(WAVE + LONG);
    // The peak is the wave, with BR as its root cause, in [0, 1].
    expect(hourOf(resolved.peak!.windowStart)).toBeGreaterThanOrEqual(WAVE);
    expect(hourOf(resolved.peak!.windowStart)).toBeLessThan(WAVE + LONG);
    expect(resolved.peak!.observed! / resolved.peak!.expected!).toBeGreaterThan(2);
    expect(resolved.peak!.topSlices[0]).toMatchObject({ slice: 'region=BR' });
    for (const a of alerts) for (const s of a.topSlices) expect(s.contribution).toBeLessThanOrEqual(1);
  });

  it('two concurrent waves in disjoint slices are two incidents, each resolved on its own', () => {
    // BR 7× for 8 hours; ID 6× for 3 hours starting 2 hours later.
    const alerts = judgeAll(
      lake((r, h) =>
        r === 'BR' && h >= WAVE && h < WAVE + 8 ? 7 : r === 'ID' && h >= WAVE + 2 && h < WAVE + 5 ? 6 : 1,
      ),
    );
    const opens = alerts.filter((a) => a.status === 'open' && hourOf(a.since) >= WAVE - 1);
    const named = (a: Alert) => new Set([a.slice, ...a.topSlices.map((s) => s.slice)]);
    const brIncident = opens.find((a) => named(a).has('region=BR'))!;
    const idIncident = opens.find((a) => a.dedupeKey !== brIncident.dedupeKey && named(a).has('region=ID'))!;
    expect(idIncident, 'ID opens its own incident').toBeDefined();
    expect(parseSliceKey(idIncident.slice).pairs).toEqual([['region', 'ID']]);
    expect(hourOf(idIncident.since)).toBe(WAVE + 2);
    const resolvedAt = (key: string) =>
      hourOf(alerts.find((a) => a.dedupeKey === key && a.status === 'resolved')!.windowStart);
    expect(resolvedAt(idIncident.dedupeKey)).toBeLessThan(resolvedAt(brIncident.dedupeKey));
    expect(resolvedAt(idIncident.dedupeKey)).toBeGreaterThanOrEqual(WAVE + 5);
  });

  it('a global move (every region +80% for a day) is one incident on the total, not one per region', () => {
    // Traffic rolling in: US first, BR and ID three hours later (after the total's incident named US).
    const alerts = judgeAll(
      lake((r, h) => (h >= (r === 'US' ? WAVE : WAVE + 3) && h < WAVE + LONG ? 1.8 : 1), 5),
    );
    const opens = alerts.filter((a) => a.status === 'open' && hourOf(a.since) >= WAVE - 1);
    expect(opens.map((a) => a.slice)).toEqual(['']);
    // The regions are named on it as the slices that moved.
    expect(opens[0]!.topSlices.map((s) => s.slice)).toContain('region=US');
  });
});
