import { runDailyTick } from '../shared/jobs/daily-tick.js';
import { Deadline } from '../shared/ports/deadline.js';
import { container } from './lib/container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './lib/events.js';
import { runScheduled } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/**
 * Daily job (shared/jobs/tick.ts): recomputes yesterday and the day before (UTC, late data) →
 * detection of the days not judged yet → alerts to SNS via the outbox → readouts of every experiment
 * and policy → the report into the results bucket (where alerts link). Fails like the hourly job.
 */
export const handler = wrap(async (event: unknown, context) => {
  const c = container();
  const parsed = parseEvent(ScheduleEvent, event, 'daily schedule event');
  // One deadline for the whole invocation: queries stop and leases are released before Lambda's timeout.
  const deadline = Deadline.ofLambda(context);
  return runScheduled(
    c,
    'day',
    runDailyTick,
    scheduledTimeOf(parsed, c.clock.now()),
    deadline,
    context.awsRequestId,
  );
});
