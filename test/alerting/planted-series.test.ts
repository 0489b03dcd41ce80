import { describe, expect, it } from 'vitest';
import { judgePlanted, summarisePlanted } from '../../bench/detect/planted-eval.js';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import { generatePlanted, PLANTED_METRICS } from '../../shared/generator/planted-series.js';

// Seeds 1-6 were used while developing the detector changes; these were not.
const HELD_OUT = [31, 32];
const HOUR = 3_600_000;

describe('the alerting path on planted T&S series it was not tuned on', () => {
  it('catches most planted incidents, and most incidents it opens are real', () => {
    const s = summarisePlanted(HELD_OUT);
    let planted = 0;
    let caught = 0;
    for (const k of s.byKind.values()) {
      planted += k.planted;
      caught += k.caught;
    }
    expect(caught / planted).toBeGreaterThanOrEqual(0.8);
    expect(s.realMetricIncidents / s.metricIncidents).toBeGreaterThanOrEqual(0.8);
    // Level shifts, ramps and large drops: the baseline does not learn them (one miss allowed).
    const moves = (['level_shift', 'level_shift_down', 'ramp', 'drop'] as const).map((k) => s.byKind.get(k)!);
    const missed = moves.reduce((a, k) => a + k.planted - k.caught, 0);
    expect(missed).toBeLessThanOrEqual(1);
    // Every data fault is a data-quality alert, one each.
    expect(s.byKind.get('partial_partition')).toEqual({ planted: 2, caught: 2, incidents: 2 });
    expect(s.realDataAlerts).toBe(s.dataAlerts);
  });

  it('one incident per move: a count and its rate share it; a traffic day is notices on the exposure only', () => {
    for (const seed of HELD_OUT) {
      const data = generatePlanted({ seed });
      const traffic = data.truth.find((p) => p.kind === 'traffic')!;
      const incidents = judgePlanted(data).incidents;
      // A count and its own rate moving together are one incident, which names both: no count
      // incident overlaps one of its rate on the same slice.
      for (const a of incidents)
        for (const b of incidents)
          if (a !== b && a.slice === b.slice && a.since < b.until && b.since < a.until)
            expect([a.metrics, b.metrics]).not.toEqual([['removals'], ['removals_per_10k_impressions']]);
      const shift = incidents.filter((i) => i.matches.includes('shift-br'));
      expect(shift.length).toBeGreaterThan(0);
      for (const i of shift) expect(i.metrics).toEqual(['removals_per_10k_impressions', 'removals']);
      const during = incidents.filter(
        (i) => i.kind === 'metric_incident' && i.since < traffic.end + 2 * HOUR && i.until > traffic.start,
      );
      expect(during.filter((i) => i.metric !== 'impressions')).toEqual([]);
      // One notice for the day: the total's, claiming the slices that moved with it.
      expect(during).toHaveLength(1);
      expect(during[0]!.slice).toBe('');
    }
  });

  it('judges a count against its exposure: removals follow impressions, not an incident of their own', () => {
    const data = generatePlanted({ seed: HELD_OUT[0]! });
    const traffic = data.truth.find((p) => p.kind === 'traffic')!;
    const windows = Array.from({ length: data.hours }, (_, i) => data.start + i * HOUR);
    const config = selectMetrics(coreCatalog(), [...PLANTED_METRICS]);
    const withExposure = scoreMetrics(data.rows, {
      metrics: config,
      grain: 'hour',
      windows,
      excluded: new Map(),
    });
    // The same metrics with the exposure rule taken out (and the default sensitivity, which the
    // catalog lowers only because the count is judged by its exact band against the exposure).
    const bare = structuredClone(config);
    for (const m of bare.metrics) {
      delete m.detection?.exposure;
      delete m.detection?.sensitivity;
    }
    const without = scoreMetrics(data.rows, { metrics: bare, grain: 'hour', windows, excluded: new Map() });
    // impressions is what removals and reports are judged against: its moves are traffic notices.
    expect(withExposure.find((m) => m.metric === 'impressions')?.cause).toBe('traffic');
    expect(withExposure.find((m) => m.metric === 'removals')?.cause).toBeUndefined();
    expect(without.find((m) => m.metric === 'impressions')?.cause).toBeUndefined();
    const removals = (ms: typeof without) => ms.find((m) => m.metric === 'removals')!.slices.get('')!;
    const inTraffic = (ps: ReturnType<typeof removals>) =>
      ps.filter((p) => p.t >= traffic.start && p.t < traffic.end);
    const anomalous = (ps: ReturnType<typeof removals>) => inTraffic(ps).filter((p) => p.isAnomaly).length;
    // Without exposure the +35% day is a removals anomaly; with it, the expectation moves along.
    expect(anomalous(removals(without))).toBeGreaterThan(0);
    expect(anomalous(removals(withExposure))).toBe(0);
    const ratio = inTraffic(removals(withExposure)).map((p) => p.observed! / p.expected!);
    const mean = ratio.reduce((a, b) => a + b, 0) / ratio.length;
    expect(mean).toBeGreaterThan(0.93);
    expect(mean).toBeLessThan(1.07);
  });
});
