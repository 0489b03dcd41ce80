import { describe, expect, it } from 'vitest';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import { validateMetricConfig } from '../../shared/config/load.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { TOTAL } from '../../shared/slices/slice.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const N = 120;

/** An hourly p90 of ~3000 s over 30-60 decisions (seeded), with window `at` replaced. */
function p90(at: number, value: number, samples: number): MetricRow[] {
  let seed = 7;
  const u = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: N }, (_, i) => {
    const v = 3000 * (0.8 + 0.4 * u());
    const n = 30 + Math.floor(30 * u());
    return {
      metric: 'latency_p90',
      grain: 'hour' as const,
      windowStart: new Date(T0 + i * H),
      slice: TOTAL,
      value: i === at ? value : v,
      numerator: null,
      denominator: null,
      ciLow: null,
      ciHigh: null,
      samples: i === at ? samples : n,
    };
  });
}

const metrics = validateMetricConfig({
  version: 1,
  metrics: [
    {
      name: 'latency_p90',
      kind: 'percentile',
      source: 'moderation_decisions',
      column: 'latency_seconds',
      percentile: 0.9,
      detection: { direction: 'up' },
    },
  ],
});
const windows = Array.from({ length: N }, (_, i) => T0 + i * H);
const at = (rows: MetricRow[], i: number) =>
  scoreMetrics(rows, { metrics, grain: 'hour', windows, excluded: new Map() })[0]!.slices.get('')![i]!;

describe('a percentile is judged on its volume (MetricRow.samples)', () => {
  it('the p90 of five decisions, one of them an appeal (lake seed 204, policy=minor_safety), is shown but not judged', () => {
    const p = at(p90(100, 123_000, 5), 100);
    expect(p.observed).toBe(123_000);
    expect(p.isAnomaly).toBe(false);
    expect(p.expected).toBeNull();
  });

  it('the same p90 over 40 decisions is an anomaly', () => {
    expect(at(p90(100, 123_000, 40), 100).isAnomaly).toBe(true);
  });

  it('a window under the volume is not learned: the windows after it score as if it were missing', () => {
    const gated = p90(100, 123_000, 5);
    const missing = gated.filter((_, i) => i !== 100);
    const scores = (rows: MetricRow[]) =>
      [101, 105, 119].map((i) => {
        const p = at(rows, i);
        return [p.expected, p.score];
      });
    expect(scores(gated)).toEqual(scores(missing));
  });
});
