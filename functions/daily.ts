import { container } from './lib/container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './lib/events.js';
import { runScheduled } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/**
 * Daily job (shared/jobs/tick.ts): recomputes yesterday and the day before (UTC, late data) →
 * detection of the days not judged yet → alerts to SNS via the outbox → readouts of every experiment
 * and policy → the report into the results bucket (where alerts link). Fails like the hourly job.
 */
export const handler = wrap(async (event: unknown) => {
  const c = container();
  const parsed = parseEvent(ScheduleEvent, event, 'daily schedule event');
  return runScheduled(c, 'day', scheduledTimeOf(parsed, c.clock.now()));
});
