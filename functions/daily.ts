import { newestJudgeable } from '../shared/jobs/schedule.js';
import { Deadline } from '../shared/ports/deadline.js';
import { container } from './lib/container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './lib/events.js';
import { runScheduled } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/**
 * Daily job (runDailyJob): recomputes yesterday and the day before (UTC, late data) → detection of
 * the days not judged yet → alerts to SNS via the outbox. Fails the invocation like the hourly job.
 */
export const handler = wrap(async (event: unknown, context) => {
  const c = container();
  const parsed = parseEvent(ScheduleEvent, event, 'daily schedule event');
  // One deadline for the whole invocation: queries stop and leases are released before Lambda's timeout.
  const deadline = Deadline.ofLambda(context);
  const target = newestJudgeable('day', scheduledTimeOf(parsed, c.clock.now()));
  return runScheduled(c, 'day', target, deadline, context.awsRequestId);
});
