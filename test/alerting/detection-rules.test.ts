import { describe, expect, it } from 'vitest';
import { detectionFor, detectionOf } from '../../shared/alerting/detection-config.js';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import { coreCatalog, validateMetricConfig } from '../../shared/config/load.js';
import { unitOf } from '../../shared/config/units.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { TOTAL } from '../../shared/slices/slice.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A flat hourly count series with one spike at `spikeAt`. */
function rows(metric: string, n: number, spikeAt: number): MetricRow[] {
  return Array.from({ length: n }, (_, i) => {
    const value = i === spikeAt ? 1000 : 100 + (i % 3);
    return {
      metric,
      grain: 'hour' as const,
      windowStart: new Date(T0 + i * H),
      slice: TOTAL,
      value,
      numerator: value,
      denominator: null,
      ciLow: null,
      ciHigh: null,
    };
  });
}

describe('detection rules live in each metric definition', () => {
  it('the core catalog declares them inline, with grain defaults filled by detectionFor', () => {
    const byName = new Map(coreCatalog().metrics.map((m) => [m.name, m]));
    const prevalence = byName.get('violation_prevalence')!;
    // Sampled prevalence is watched hourly too (its CI sets the noise floor), so only the defaults.
    expect(prevalence.detection).toMatchObject({ direction: 'up', sensitivity: 0.3 });
    expect(detectionFor(prevalence.detection, 'hour').grains).toEqual(['hour', 'day']);
    expect(detectionFor(byName.get('removals')!.detection, 'hour').exposure).toBe('impressions');
    expect(detectionFor(prevalence.detection, 'day')).toMatchObject({
      warmup: 7,
      resolveAfter: 1,
      cooldown: 1,
    });
    expect(detectionFor(byName.get('impressions')!.detection, 'hour')).toMatchObject({
      direction: 'both',
      warmup: 48,
      resolveAfter: 2,
      cooldown: 3,
    });
    // An explicit value wins over the grain default at both grains.
    expect(detectionFor({ resolveAfter: 5 }, 'day').resolveAfter).toBe(5);
    expect(unitOf(byName.get('removals_per_10k_impressions')!)).toBe('per10k');
    expect(unitOf(byName.get('decision_latency_p90_seconds')!)).toBe('seconds');
  });

  it('scoreMetrics reads the rules of the metric it scores (enabled, grains, direction)', () => {
    const metric = (name: string, detection: object) => ({
      name,
      kind: 'count',
      source: 'user_reports',
      detection,
    });
    const cfg = validateMetricConfig({
      version: 1,
      metrics: [
        metric('watched', { direction: 'up', warmup: 24 }),
        metric('off', { enabled: false }),
        metric('daily_only', { grains: ['day'] }),
        metric('drops_only', { direction: 'down', warmup: 24 }),
      ],
    });
    const all = ['watched', 'off', 'daily_only', 'drops_only'].flatMap((m) => rows(m, 72, 60));
    const windows = Array.from({ length: 72 }, (_, i) => T0 + i * H);
    const scores = scoreMetrics(all, { metrics: cfg, grain: 'hour', windows, excluded: new Map() });
    expect(scores.map((s) => s.metric)).toEqual(['watched', 'drops_only']);
    const spike = (m: string) => scores.find((s) => s.metric === m)!.slices.get('')![60]!;
    expect(spike('watched').isAnomaly).toBe(true);
    expect(spike('drops_only').isAnomaly).toBe(false);
    expect(scores[0]!.rules.warmup).toBe(24);
  });

  it('an unknown rule field is refused with its path', () => {
    expect(() =>
      validateMetricConfig({
        version: 1,
        metrics: [{ name: 'x', kind: 'count', source: 'user_reports', detection: { sensitivty: 0.4 } }],
      }),
    ).toThrow(/metrics\[0\]\.detection: Unrecognized key/);
  });
});

describe("a band-judged metric's total defaults to the slices' level", () => {
  /** A share of ~9% over ~24 signups an hour (binomial, seeded), with the given windows replaced. */
  function share(n: number, overrides: ReadonlyMap<number, [number, number]>): MetricRow[] {
    let seed = 204;
    const u = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    return Array.from({ length: n }, (_, i) => {
      let den = 18 + Math.floor(u() * 12);
      let num = 0;
      for (let k = 0; k < den; k++) if (u() < 0.093) num++;
      const o = overrides.get(i);
      if (o) [num, den] = o;
      return {
        metric: 'risky_share',
        grain: 'hour' as const,
        windowStart: new Date(T0 + i * H),
        slice: TOTAL,
        value: num / den,
        numerator: num,
        denominator: den,
        ciLow: null,
        ciHigh: null,
      };
    });
  }
  const cfg = validateMetricConfig({
    version: 1,
    metrics: [
      {
        name: 'risky_share',
        kind: 'ratio',
        detection: { direction: 'up' },
        numerator: { source: 'account_events', agg: 'count' },
        denominator: { source: 'account_events', agg: 'count' },
      },
    ],
  });
  const N = 600;
  const windows = Array.from({ length: N }, (_, i) => T0 + i * H);
  const flagged = (overrides: ReadonlyMap<number, [number, number]>) =>
    scoreMetrics(share(N, overrides), { metrics: cfg, grain: 'hour', windows, excluded: new Map() })[0]!
      .slices.get('')!
      .map((p, i) => (p.isAnomaly ? i : -1))
      .filter((i) => i >= 0);

  it('is 0.3 unless declared; a series judged by its own history keeps 0.5', () => {
    const byName = new Map(coreCatalog().metrics.map((m) => [m.name, m]));
    expect(detectionOf(byName.get('high_risk_signup_share')!, 'hour').sensitivity).toBe(0.3);
    expect(detectionOf(byName.get('unique_reporters')!, 'hour').sensitivity).toBe(0.3);
    expect(detectionOf(byName.get('impressions')!, 'hour').sensitivity).toBe(0.5);
    expect(detectionOf(byName.get('account_takeover_flags')!, 'hour').sensitivity).toBe(0.5);
    expect(detectionOf(byName.get('decision_latency_p90_seconds')!, 'hour').sensitivity).toBe(0.2);
    expect(detectionFor({}, 'hour', true).sensitivity).toBe(0.3);
    expect(detectionFor({ sensitivity: 0.6 }, 'hour', true).sensitivity).toBe(0.6);
  });

  it('two windows of sampling noise (lake seed 204: 6 / 25 and 7 / 24 risky where 9% is usual) are no incident; a tripled share for 4 hours is', () => {
    // Each window is noise a band spends ~1e-3 of a window on at 0.5: a false alarm a month of hours.
    expect(
      flagged(
        new Map([
          [500, [6, 25]],
          [501, [7, 24]],
        ]),
      ),
    ).toEqual([]);
    const move = new Map<number, [number, number]>([500, 501, 502, 503].map((i) => [i, [8, 27]]));
    expect(flagged(move).length).toBeGreaterThan(0);
  });
});
