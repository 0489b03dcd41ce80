import { addGrain, floorToGrain } from '../shared/time/window.js';
import { container } from './lib/container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './lib/events.js';
import { runScheduled } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/**
 * Daily job (runDailyJob): recomputes yesterday and the day before (UTC, late data) → detection of
 * the days not judged yet → alerts to SNS via the outbox. Fails the invocation like the hourly job.
 */
export const handler = wrap(async (event: unknown) => {
  const c = container();
  const parsed = parseEvent(ScheduleEvent, event, 'daily schedule event');
  const end = floorToGrain(scheduledTimeOf(parsed, c.clock.now()), 'day');
  return runScheduled(c, 'day', addGrain(end, 'day', -1));
});
