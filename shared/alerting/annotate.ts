import type { KnownEvents } from '../calendar/calendar.js';
import type { Metric } from '../config/schema.js';
import type { Alert } from '../ports/alert-sink.js';

/**
 * Adds what the config knows about an alert: the metric's team and owner (for routes, filter
 * policies and readers) and the known events its window falls in (calendar).
 */
export function annotateAlert(
  alert: Alert,
  metrics: ReadonlyMap<string, Pick<Metric, 'team' | 'owner'>>,
  events: KnownEvents,
): Alert {
  const m = alert.kind === 'metric_incident' ? metrics.get(alert.metric) : undefined;
  const known = events.forAlert(alert);
  return {
    ...alert,
    ...(m?.team ? { team: m.team } : {}),
    ...(m?.owner ? { owner: m.owner } : {}),
    ...(known.length ? { events: known } : {}),
  };
}
