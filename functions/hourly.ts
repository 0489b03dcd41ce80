import { runHourlyTick } from '../shared/jobs/hourly-tick.js';
import { Deadline } from '../shared/ports/deadline.js';
import { container } from './lib/container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './lib/events.js';
import { RECOMPUTE, runScheduled } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/** Hours recomputed each run: the last complete hour and two before it, for late-arriving events. */
export const LATE_HOURS = RECOMPUTE.hour;

/**
 * Hourly job (runHourlyJob): recomputes the last 3 complete hours (late data; each window replaced
 * whole) → data-quality guard → detection of the hours not judged yet → alerts to SNS via the outbox.
 * Fails the invocation when a window failed or an alert was not delivered (Lambda retries, then the DLQ).
 */
export const handler = wrap(async (event: unknown, context) => {
  const c = container();
  const parsed = parseEvent(ScheduleEvent, event, 'hourly schedule event');
  // One deadline for the whole invocation: queries stop and leases are released before Lambda's timeout.
  const deadline = Deadline.ofLambda(context);
  return runScheduled(
    c,
    'hour',
    runHourlyTick,
    scheduledTimeOf(parsed, c.clock.now()),
    deadline,
    context.awsRequestId,
  );
});
