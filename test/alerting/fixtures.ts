import { validateMetricConfig } from '../../shared/config/load.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import type { Alert } from '../../shared/ports/alert-sink.js';
import { TOTAL } from '../../shared/slices/slice.js';

/** A complete alert with overridable fields, for tests of messages and sinks. */
export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    dedupeKey: 'metric_incident:removals:region=BR:2026-01-14T10:00:00Z',
    kind: 'metric_incident',
    status: 'open',
    severity: 'high',
    metric: 'removals',
    slice: 'region=BR',
    grain: 'hour',
    since: '2026-01-14T10:00:00Z',
    windowStart: '2026-01-14T10:00:00Z',
    observed: 90,
    expected: 17.5,
    score: 0.93,
    direction: 'up',
    topSlices: [
      { slice: 'region=BR', observed: 90, expected: 17.5, contribution: 0.94 },
      { slice: 'policy=spam', observed: 50, expected: 12, contribution: 0.51 },
    ],
    summary:
      'Incident [high]: removals (region=BR) up +414%: observed 90 vs expected 17.5, since 2026-01-14T10:00:00Z.',
    reportUrl: '/tmp/report/index.html#incident-x',
    regions: ['BR'],
    ...overrides,
  };
}

/**
 * An alert of a count and its own rate moving together: one incident headed by the rate, naming
 * the count with its numbers (shared/alerting/move-family.ts).
 */
export function makeFamilyAlert(overrides: Partial<Alert> = {}): Alert {
  return makeAlert({
    dedupeKey: 'metric_incident:removals_per_10k_impressions:region=BR:2026-01-14T10:00:00Z',
    metric: 'removals_per_10k_impressions',
    metrics: ['removals_per_10k_impressions', 'removals'],
    evidence: [{ metric: 'removals', observed: 90, expected: 45 }],
    observed: 30,
    expected: 15,
    summary:
      'Incident [high]: removals_per_10k_impressions (region=BR) up +100%: observed 30.0 vs expected 15.0; removals 90.0 vs expected 45.0 (+100%), since 2026-01-14T10:00:00Z.',
    ...overrides,
  });
}

/** An hourly p90 of decision latency, upward moves watched (its rows from p90Rows). */
export const P90_METRICS = validateMetricConfig({
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

/**
 * `n` hourly rows of P90_METRICS' total from `t0`: ~3000 s over 30-60 decisions (seeded), with the
 * windows `at` names replaced by its value and sample count.
 */
export function p90Rows(
  n: number,
  t0: number,
  at: (i: number) => { value: number; samples: number } | undefined,
): MetricRow[] {
  let seed = 7;
  const u = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => {
    const v = 3000 * (0.8 + 0.4 * u());
    const samples = 30 + Math.floor(30 * u());
    return {
      metric: 'latency_p90',
      grain: 'hour' as const,
      windowStart: new Date(t0 + i * 3_600_000),
      slice: TOTAL,
      value: v,
      numerator: null,
      denominator: null,
      ciLow: null,
      ciHigh: null,
      samples,
      ...at(i),
    };
  });
}
