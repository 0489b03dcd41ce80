import { describe, expect, it } from 'vitest';
import { detectionFor } from '../../shared/alerting/detection-config.js';
import type { OpenIncident } from '../../shared/alerting/incidents.js';
import {
  judgeWindow,
  medianOfFirstThree,
  referenceKey,
  referencesNeeded,
  referenceWindows,
} from '../../shared/alerting/judge.js';
import { type MetricScores, type ScoredPoint, scoreMetrics } from '../../shared/alerting/score-series.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import type { Alert } from '../../shared/ports/alert-sink.js';
import { NO_GUARD } from '../../shared/privacy/k-anonymity.js';
import { parseSliceKey, sliceFrom, TOTAL } from '../../shared/slices/slice.js';
import { createRng, poissonDraw } from '../../shared/stats/random.js';
import { P90_METRICS, p90Rows } from './fixtures.js';

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
function judgeAll(rows: readonly MetricRow[], metrics = config): Alert[] {
  const windows = Array.from({ length: N }, (_, h) => T0 + h * H);
  const scores = scoreMetrics(rows, { metrics, grain: 'hour', windows, excluded: new Map() });
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

describe('a count and its own rate: one incident per move', () => {
  const family = selectMetrics(coreCatalog(), ['impressions', 'removals', 'removals_per_10k_impressions']);
  // BR is small enough that its move stays under the total's minRelativeChange.
  const REGIONS: Record<string, number> = { BR: 10_000, ID: 30_000, US: 60_000 };
  const POLICIES: Record<string, number> = { spam: 0.01, hate_speech: 0.99 };
  const RATE = 0.003;

  /** Impressions (flat), removals by region and by policy, and their rate; `lift` moves removals. */
  function familyLake(
    lift: (region: string, policy: string, h: number) => number,
    seed = 7,
    regions = REGIONS,
  ): MetricRow[] {
    const rng = createRng(seed);
    const rows: MetricRow[] = [];
    const put = (metric: string, h: number, slice: MetricRow['slice'], v: number, d: number | null) =>
      rows.push({
        metric,
        grain: 'hour',
        windowStart: new Date(T0 + h * H),
        slice,
        value: d === null ? v : (10_000 * v) / d,
        numerator: d === null ? null : v,
        denominator: d,
        ciLow: null,
        ciHigh: null,
      });
    for (let h = 0; h < N; h++) {
      let imp = 0;
      let rem = 0;
      const byPolicy: Record<string, number> = { spam: 0, hate_speech: 0 };
      for (const [region, share] of Object.entries(regions)) {
        const i = share;
        let r = 0;
        for (const [policy, ps] of Object.entries(POLICIES)) {
          const v = poissonDraw(rng, i * RATE * ps * lift(region, policy, h));
          byPolicy[policy]! += v;
          r += v;
        }
        imp += i;
        rem += r;
        const slice = sliceFrom({ region });
        put('impressions', h, slice, i, null);
        put('removals', h, slice, r, null);
        put('removals_per_10k_impressions', h, slice, r, i);
      }
      for (const [policy, v] of Object.entries(byPolicy)) put('removals', h, sliceFrom({ policy }), v, null);
      put('impressions', h, TOTAL, imp, null);
      put('removals', h, TOTAL, rem, null);
      put('removals_per_10k_impressions', h, TOTAL, rem, imp);
    }
    return rows;
  }

  const judgeFamily = (rows: readonly MetricRow[], metrics = family) => judgeAll(rows, metrics);

  const during = (alerts: readonly Alert[]) => alerts.filter((a) => hourOf(a.since) >= WAVE - 1);

  it('removals ×2 in region=BR with flat impressions: one incident on the rate, naming the count', () => {
    const rows = familyLake((r, _p, h) => (r === 'BR' && h >= WAVE && h < WAVE + 6 ? 2 : 1));
    const alerts = during(judgeFamily(rows));
    const keys = [...new Set(alerts.map((a) => a.dedupeKey))];
    expect(keys).toHaveLength(1);
    const open = alerts.find((a) => a.status === 'open')!;
    expect(open.metric).toBe('removals_per_10k_impressions');
    expect(open.slice).toBe('region=BR');
    expect(open.metrics).toEqual(['removals_per_10k_impressions', 'removals']);
    expect(open.cause).toBeUndefined();
    // The count's own numbers ride on the message, and its text says them.
    const count = open.evidence!.find((e) => e.metric === 'removals')!;
    expect(count.observed! / count.expected!).toBeGreaterThan(1.5);
    expect(open.summary).toContain('removals ');
    // Opened once, resolved once, nothing else opened for the move.
    expect(alerts.filter((a) => a.status === 'open')).toHaveLength(1);
    expect(alerts.filter((a) => a.status === 'resolved')).toHaveLength(1);
    expect(alerts.at(-1)!.status).toBe('resolved');
    expect(alerts.at(-1)!.evidence).toBeUndefined();

    // Without the rate in the config the count is judged alone: its own incident, no family.
    const alone = during(
      judgeFamily(
        rows.filter((r) => r.metric !== 'removals_per_10k_impressions'),
        selectMetrics(coreCatalog(), ['impressions', 'removals']),
      ),
    );
    const first = alone.find((a) => a.status === 'open')!;
    expect(first).toMatchObject({ metric: 'removals', slice: 'region=BR' });
    expect(first.metrics).toBeUndefined();
  });

  it('a move the rate cannot see (one policy) is the count’s incident, keyed by the family', () => {
    const rows = familyLake((_r, p, h) => (p === 'spam' && h >= WAVE && h < WAVE + 6 ? 10 : 1));
    const opens = during(judgeFamily(rows)).filter((a) => a.status === 'open');
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({ metric: 'removals', slice: 'policy=spam', metrics: ['removals'] });
    // The rate has no policy slices, so it has no numbers to add.
    expect(opens[0]!.evidence).toBeUndefined();
  });

  it('a count of ~10 an hour halved for two days is an incident: gated on the span its evidence covers', () => {
    // MX: ~10 removals an hour, never 20 in one window; its down-shift is judged on the last 16.
    const regions = { ...REGIONS, MX: 3_300 };
    const rows = familyLake((r, _p, h) => (r === 'MX' && h >= 120 && h < 168 ? 0.5 : 1), 7, regions);
    // The count alone (the catalog's reports: a rate watched up only cannot carry a drop).
    const alerts = judgeAll(
      rows.filter((r) => r.metric !== 'removals_per_10k_impressions'),
      selectMetrics(coreCatalog(), ['impressions', 'removals']),
    );
    const opens = alerts.filter((a) => a.status === 'open' && a.slice === 'region=MX');
    // Opened during the shift, and only then (its few events an hour may split it in parts).
    expect(opens.length).toBeGreaterThan(0);
    for (const a of opens) {
      expect(a).toMatchObject({ metric: 'removals', direction: 'down' });
      expect(hourOf(a.since)).toBeGreaterThanOrEqual(120);
      expect(hourOf(a.since)).toBeLessThan(168);
    }
    // Nothing else opens on the quiet regions.
    expect(alerts.filter((a) => a.status === 'open' && a.slice !== 'region=MX')).toEqual([]);
  });
});

/** The removals family on region=BR, for the notice-versus-incident cases below. */
const fam = {
  id: 'removals_per_10k_impressions',
  rate: 'removals_per_10k_impressions',
  count: 'removals',
  exposure: 'impressions',
};
const br = sliceFrom({ region: 'BR' });

describe('a count that moved while its own rate is flat', () => {
  const point = (observed: number, expected: number, anomalous: boolean, z: number): ScoredPoint => ({
    t: T0,
    observed,
    expected,
    numerator: null,
    denominator: null,
    score: anomalous ? 0.9 : 0,
    isAnomaly: anomalous,
    z,
    excluded: false,
  });
  const scores = (rate: ScoredPoint, count: ScoredPoint): MetricScores[] =>
    (
      [
        ['removals', 'count', count],
        ['removals_per_10k_impressions', 'ratio', rate],
      ] as const
    ).map(([metric, shape, p]) => ({
      metric,
      shape,
      rules: detectionFor(metric === 'removals' ? {} : { direction: 'up' }, 'hour'),
      slices: new Map([[br.key, [p]]]),
      sliceOf: new Map([[br.key, br]]),
      since: new Map([[br.key, T0]]),
      family: fam,
    }));
  const judge = (s: MetricScores[]) =>
    judgeWindow({ scores: s, i: 0, t: T0, grain: 'hour', guard: NO_GUARD, reportUrl: () => '' }, new Map());

  it('is a traffic notice of the count, naming the flat rate', () => {
    const [a] = judge(scores(point(30, 30.2, false, -0.1), point(300, 150, true, 12)));
    expect(a).toMatchObject({ metric: 'removals', cause: 'traffic', severity: 'low', slice: 'region=BR' });
    expect(a!.evidence).toEqual([{ metric: 'removals_per_10k_impressions', observed: 30, expected: 30.2 }]);
  });

  it('is an incident when the rate moved too, even in a direction it is not watched in', () => {
    // The rate (watched up only) fell as much as the count: a real drop of removals per impression.
    const [a] = judge(scores(point(10, 30, false, -6), point(50, 150, true, -8)));
    expect(a).toMatchObject({ metric: 'removals', direction: 'down' });
    expect(a!.cause).toBeUndefined();
  });
});

describe('a traffic notice while its rate moves', () => {
  const point = (h: number, observed: number, expected: number, z: number): ScoredPoint => ({
    t: T0 + h * H,
    observed,
    expected,
    numerator: null,
    denominator: null,
    score: Math.abs(z) >= 5 ? 0.95 : 0,
    isAnomaly: Math.abs(z) >= 5,
    z,
    excluded: false,
  });
  /** Three hours of BR: the count doubled throughout, the rate (watched up only) as given. */
  function judgeHours(rate: readonly ScoredPoint[]): Alert[] {
    const count = rate.map((_, h) => point(h, 300, 150, 12));
    const ms = (metric: string, shape: 'count' | 'ratio', series: ScoredPoint[]): MetricScores => ({
      metric,
      shape,
      rules: detectionFor(shape === 'count' ? {} : { direction: 'up' }, 'hour'),
      slices: new Map([[br.key, series]]),
      sliceOf: new Map([[br.key, br]]),
      since: new Map([[br.key, T0]]),
      family: fam,
    });
    const scores = [ms('removals', 'count', count), ms(fam.rate, 'ratio', [...rate])];
    const open = new Map<string, OpenIncident>();
    return rate.flatMap((_, i) =>
      judgeWindow({ scores, i, t: T0 + i * H, grain: 'hour', guard: NO_GUARD, reportUrl: () => '' }, open),
    );
  }
  const opened = (alerts: readonly Alert[]) => alerts.filter((a) => a.status === 'open');

  it('a rate that moves up while the count’s notice is open is an incident of its own', () => {
    const alerts = judgeHours([point(0, 30, 30.2, 0), point(1, 60, 30, 8), point(2, 60, 30, 8)]);
    const [notice, incident] = opened(alerts);
    expect(notice).toMatchObject({
      metric: 'removals',
      cause: 'traffic',
      windowStart: '2026-01-01T00:00:00Z',
    });
    expect(incident).toMatchObject({
      metric: fam.rate,
      slice: 'region=BR',
      windowStart: '2026-01-01T01:00:00Z',
    });
    expect(incident!.cause).toBeUndefined();
    expect(incident!.severity).not.toBe('low');
    expect(incident!.dedupeKey).not.toBe(notice!.dedupeKey);
    // The notice neither took the rate's move nor was resolved by it.
    expect(alerts.filter((a) => a.dedupeKey === notice!.dedupeKey)).toHaveLength(1);
  });

  it('a count move seen with its rate off the other way (a direction it is not watched in) is an incident too', () => {
    const alerts = judgeHours([point(0, 30, 30.2, 0), point(1, 10, 30, -6), point(2, 30, 30.2, 0)]);
    const [notice, incident] = opened(alerts);
    expect(notice).toMatchObject({ metric: 'removals', cause: 'traffic' });
    expect(incident).toMatchObject({ metric: 'removals', slice: 'region=BR', direction: 'up' });
    expect(incident!.cause).toBeUndefined();
    expect(hourOf(incident!.since)).toBe(1);
    expect(alerts.filter((a) => a.dedupeKey === notice!.dedupeKey)).toHaveLength(1);
  });

  it('with the rate flat the notice goes on: nothing else opens', () => {
    const alerts = judgeHours([0, 1, 2].map((h) => point(h, 30, 30.2, 0)));
    expect(opened(alerts)).toHaveLength(1);
  });
});

describe('a day of traffic on an exposure: one notice, headed by the total', () => {
  // Seed 207's day (lake bench): impressions ×1.35 everywhere on day 3. The total's detector
  // learned the day's level within hours (+12% of its expectation, no candidate); the surfaces
  // cross their bands now and then, message at 09, 14 and 17, live at 16.
  const DAY = 72;
  const surfaces: Record<string, number> = { '': 1000, 'surface=message': 100, 'surface=live': 300 };
  const flagged: Record<string, number[]> = { 'surface=message': [9, 14, 17], 'surface=live': [16] };
  const at = (key: string, h: number): ScoredPoint => {
    const base = surfaces[key]!;
    const inDay = h >= DAY && h < DAY + 24;
    const hit = inDay && (flagged[key] ?? []).includes(h - DAY);
    const observed = inDay ? base * 1.35 : base;
    const expected = !inDay ? base : hit ? base : key === '' && h === DAY ? base : base * 1.2;
    return {
      t: T0 + h * H,
      observed,
      expected,
      numerator: observed,
      denominator: null,
      score: hit ? 0.9 : 0.2,
      isAnomaly: hit,
      z: hit ? 4 : inDay ? 1.3 : 0,
      excluded: false,
    };
  };
  const ms: MetricScores = {
    metric: 'impressions',
    shape: 'count',
    cause: 'traffic',
    rules: detectionFor({}, 'hour'),
    slices: new Map(
      Object.keys(surfaces).map((k) => [k, Array.from({ length: 24 * 5 }, (_, h) => at(k, h))]),
    ),
    sliceOf: new Map(Object.keys(surfaces).map((k) => [k, k === '' ? TOTAL : parseSliceKey(k)])),
    since: new Map(Object.keys(surfaces).map((k) => [k, T0])),
  };
  const judgeDays = (scores: MetricScores[]) => {
    const open = new Map<string, OpenIncident>();
    return Array.from({ length: 24 * 5 }, (_, i) =>
      judgeWindow({ scores, i, t: T0 + i * H, grain: 'hour', guard: NO_GUARD, reportUrl: () => '' }, open),
    ).flat();
  };

  it('opens once on the total, takes the surfaces as they move, and resolves after the day', () => {
    const alerts = judgeDays([ms]);
    const opens = alerts.filter((a) => a.status === 'open');
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({ metric: 'impressions', cause: 'traffic', slice: '', severity: 'low' });
    expect(hourOf(opens[0]!.since)).toBe(DAY + 9);
    expect(new Set(alerts.map((a) => a.dedupeKey)).size).toBe(1);
    const resolved = alerts.filter((a) => a.status === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(hourOf(resolved[0]!.windowStart)).toBeGreaterThanOrEqual(DAY + 24);
    // surface=live, a sibling of the slice it opened on, moved later: named by an update, not a notice.
    expect(
      alerts.some((a) => a.status === 'update' && a.topSlices.some((s) => s.slice === 'surface=live')),
    ).toBe(true);
  });

  it('the references the job computes (referencesNeeded) give the same notice', () => {
    // As detection.ts does: every reference the judge reads, from the windows before each since.
    const judged = judgeDays([ms]);
    const open = new Map<string, OpenIncident>();
    const viaJob = Array.from({ length: 24 * 5 }, (_, i) => {
      const t = T0 + i * H;
      const refs = new Map<string, number | null>();
      for (const n of referencesNeeded(open.values(), [ms], t)) {
        const series = ms.slices.get(n.slice.key)!;
        const values = referenceWindows(t, Date.parse(n.since), 'hour', T0).map(
          (j) => series[(j - T0) / H]?.observed,
        );
        refs.set(referenceKey(n.metric, n.slice.key, n.since), medianOfFirstThree(values));
      }
      return judgeWindow(
        { scores: [ms], i, t, grain: 'hour', guard: NO_GUARD, reportUrl: () => '', references: refs },
        open,
      );
    }).flat();
    expect(viaJob).toEqual(judged);
  });

  it('headed by the slice that moved when the total is not off', () => {
    // The same surfaces without the total's day: surface=message is the coarsest candidate.
    const flat: MetricScores = {
      ...ms,
      slices: new Map(
        [...ms.slices].map(([k, v]) => [k, k === '' ? v.map((_, h) => at('', h < DAY ? h : 0)) : v]),
      ),
    };
    const opens = judgeDays([flat]).filter((a) => a.status === 'open');
    expect(opens[0]).toMatchObject({ slice: 'surface=message', cause: 'traffic' });
    expect(hourOf(opens[0]!.since)).toBe(DAY + 9);
  });
});

describe('a total off without being flagged, and the slice that moves it', () => {
  const at = (observed: number, expected: number, anomalous: boolean, z: number): ScoredPoint => ({
    t: T0,
    observed,
    expected,
    numerator: observed,
    denominator: null,
    score: anomalous ? 0.9 : 0.2,
    isAnomaly: anomalous,
    z,
    excluded: false,
  });
  it('is one incident: BR holds the regions’ whole move, the surfaces move as the total does', () => {
    const points: [string, Record<string, string>, ScoredPoint][] = [
      ['', {}, at(140, 100, false, 4)],
      ['region=BR', { region: 'BR' }, at(60, 20, true, 8)],
      ['region=ID', { region: 'ID' }, at(40, 40, false, 0)],
      ['region=US', { region: 'US' }, at(40, 40, false, 0)],
      ['surface=video', { surface: 'video' }, at(77, 55, true, 3)],
      ['surface=comment', { surface: 'comment' }, at(63, 45, false, 2.7)],
    ];
    const ms: MetricScores = {
      metric: 'removals',
      shape: 'count',
      rules: detectionFor({}, 'hour'),
      slices: new Map(points.map(([k, , p]) => [k, [p]])),
      sliceOf: new Map(points.map(([k, d]) => [k, sliceFrom(d)])),
      since: new Map(points.map(([k]) => [k, T0])),
    };
    const alerts = judgeWindow(
      { scores: [ms], i: 0, t: T0, grain: 'hour', guard: NO_GUARD, reportUrl: () => '' },
      new Map(),
    );
    expect(alerts.map((a) => a.slice)).toEqual(['']);
    expect(alerts[0]!.topSlices[0]).toMatchObject({ slice: 'region=BR', contribution: 1 });
  });
});

describe('a later, separate move on the slice of an open incident', () => {
  // Hourly removals of region=BR (the total moves with it): flat at 100 for a day and more, then
  // ×2 from hour 30 (a level shift, still open), and at hour 40 something else happens.
  const SHIFT = 30;
  const LATER = 40;
  const point = (t: number, observed: number, expected: number, anomalous: boolean): ScoredPoint => ({
    t: T0 + t * H,
    observed,
    expected,
    numerator: observed,
    denominator: null,
    score: anomalous ? 0.95 : 0.1,
    isAnomaly: anomalous,
    z: anomalous ? (observed > expected ? 10 : -10) : 0,
    excluded: false,
  });
  /** BR's point at hour h, from what the later window does; the detector has learned the shift by then. */
  function series(later: (h: number) => ScoredPoint | undefined): ScoredPoint[] {
    return Array.from(
      { length: 52 },
      (_, h) =>
        later(h) ??
        (h < SHIFT ? point(h, 100, 100, false) : point(h, 200, h < SHIFT + 6 ? 100 : 200, h < SHIFT + 6)),
    );
  }
  function judgeSeries(br: ScoredPoint[]): Alert[] {
    const slice = sliceFrom({ region: 'BR' });
    const ms: MetricScores = {
      metric: 'removals',
      shape: 'count',
      rules: detectionFor({}, 'hour'),
      slices: new Map([[slice.key, br]]),
      sliceOf: new Map([[slice.key, slice]]),
      since: new Map([[slice.key, T0]]),
    };
    const open = new Map<string, OpenIncident>();
    return br.flatMap((_, i) =>
      judgeWindow(
        { scores: [ms], i, t: T0 + i * H, grain: 'hour', guard: NO_GUARD, reportUrl: () => '' },
        open,
      ),
    );
  }
  const incidents = (alerts: readonly Alert[]) => [...new Set(alerts.map((a) => a.dedupeKey))];

  it('a drop (−90%) while the shift up is open is an incident of its own; the shift holds, then goes on', () => {
    const drop = (h: number) => (h >= LATER && h < LATER + 4 ? point(h, 10, 200, true) : undefined);
    const alerts = judgeSeries(series(drop));
    const keys = incidents(alerts);
    expect(keys).toHaveLength(2);
    const [shift, dropped] = keys.map((k) => alerts.filter((a) => a.dedupeKey === k));
    expect(shift![0]).toMatchObject({ status: 'open', direction: 'up', windowStart: '2026-01-02T06:00:00Z' });
    // The shift is neither updated by the drop nor resolved by it: it is still there after it.
    expect(shift!.filter((a) => hourOf(a.windowStart) >= LATER)).toEqual([]);
    expect(dropped![0]).toMatchObject({ status: 'open', direction: 'down', slice: 'region=BR' });
    expect(hourOf(dropped![0]!.since)).toBe(LATER);
    expect(dropped!.at(-1)).toMatchObject({ status: 'resolved' });
    expect(hourOf(dropped!.at(-1)!.windowStart)).toBeGreaterThanOrEqual(LATER + 4);
  });

  it('an unrelated reports spike in the same region while the removals shift is open is its own incident', () => {
    const shift = (r: string, h: number) => (r === 'BR' && h >= WAVE && h < WAVE + 48 ? 2.5 : 1);
    const spike = (r: string, h: number) => (r === 'BR' && h >= WAVE + 30 && h < WAVE + 32 ? 5 : 1);
    const reports = lake(spike, 9).map((r) => ({ ...r, metric: 'user_reports' }));
    const alerts = judgeAll(
      [...lake(shift), ...reports],
      selectMetrics(coreCatalog(), ['removals', 'user_reports']),
    ).filter((a) => hourOf(a.since) >= WAVE - 1);
    const removals = alerts.filter((a) => a.metric === 'removals');
    expect(new Set(removals.map((a) => a.dedupeKey)).size).toBe(1);
    // The spike neither updates nor resolves the shift's incident.
    expect(
      removals.filter((a) => hourOf(a.windowStart) >= WAVE + 30 && hourOf(a.windowStart) < WAVE + 34),
    ).toEqual([]);
    const spikeOpen = alerts.find((a) => a.metric === 'user_reports' && a.status === 'open')!;
    expect(hourOf(spikeOpen.since)).toBe(WAVE + 30);
    expect(spikeOpen.topSlices[0]).toMatchObject({ slice: 'region=BR' });
  });

  it('the return to the level before the shift is the shift ending, not a drop', () => {
    // From hour 40 BR is back at 100; the detector, which had learned 200, calls it a drop.
    const back = (h: number) => (h >= LATER ? point(h, 100, 200, h < LATER + 3) : undefined);
    const alerts = judgeSeries(series(back));
    expect(incidents(alerts)).toHaveLength(1);
    expect(alerts.every((a) => a.direction !== 'down')).toBe(true);
    expect(alerts.at(-1)!.status).toBe('resolved');
  });

  it('a spike the same way on top of the shift is the same move growing: an update', () => {
    const spike = (h: number) => (h === LATER ? point(h, 900, 200, true) : undefined);
    const alerts = judgeSeries(series(spike));
    expect(incidents(alerts)).toHaveLength(1);
    expect(alerts.find((a) => hourOf(a.windowStart) === LATER)).toMatchObject({ status: 'update' });
  });
});

describe('a percentile window of too few values', () => {
  it('does not hold an incident open: the p90 of five decisions is not "still off"', () => {
    // A backlog for two hours (the p90 ×40 over 40+ decisions), then hours of five decisions each
    // whose p90 is one slow appeal: shown, not judged, so the incident resolves after its quiet hours.
    const OPEN = 24 * 6;
    const rows = p90Rows(N, T0, (h) =>
      h >= OPEN && h < OPEN + 2
        ? { value: 120_000, samples: 45 }
        : h >= OPEN + 2 && h < OPEN + 12
          ? { value: 120_000, samples: 5 }
          : undefined,
    );
    const alerts = judgeAll(rows, P90_METRICS);
    expect(alerts[0]).toMatchObject({ status: 'open', metric: 'latency_p90' });
    expect(hourOf(alerts[0]!.windowStart)).toBe(OPEN);
    const resolved = alerts.find((a) => a.status === 'resolved')!;
    expect(hourOf(resolved.windowStart)).toBeLessThan(OPEN + 12);
  });
});
