import type { Alert } from '../../../shared/ports/alert-sink.js';

/** An open incident as the detection job would raise it. */
export const ALERT: Alert = {
  dedupeKey: 'metric_incident:automated_action_share::2026-01-09T13:00:00Z',
  kind: 'metric_incident',
  status: 'open',
  severity: 'critical',
  metric: 'automated_action_share',
  slice: 'region=BR',
  grain: 'hour',
  since: '2026-01-09T13:00:00Z',
  windowStart: '2026-01-09T14:00:00Z',
  observed: 0.08,
  expected: 0.71,
  score: 0.99,
  direction: 'down',
  topSlices: [{ slice: 'region=BR;surface=video', observed: 0.05, expected: 0.7, contribution: 0.62 }],
  summary: 'Automated action share fell 89% in BR since 13:00 UTC',
  reportUrl: 'https://example.com/report#inc-1',
  regions: ['BR'],
};
