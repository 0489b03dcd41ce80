import type { Alert } from '../../shared/ports/alert-sink.js';

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
