import { describe, expect, it } from 'vitest';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { P90_METRICS, p90Rows } from './fixtures.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const N = 120;

/** The p90's rows with window `at` replaced. */
const p90 = (at: number, value: number, samples: number) =>
  p90Rows(N, T0, (i) => (i === at ? { value, samples } : undefined));
const metrics = P90_METRICS;
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
