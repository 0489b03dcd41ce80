import type { TickRunner } from '../../shared/jobs/tick.js';
import { Deadline } from '../../shared/ports/deadline.js';
import type { Grain } from '../../shared/time/window.js';
import { container } from './container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './events.js';
import { runScheduled } from './jobs.js';
import { wrap } from './middleware.js';

/**
 * The Lambda handler of a grain's schedule: runs `runTick` (passed in, so that each bundle holds only
 * its own tick) at the event's scheduled time, with the request id as lease owner.
 */
export function scheduledHandler(grain: Grain, runTick: TickRunner) {
  const what = `${grain === 'hour' ? 'hourly' : 'daily'} schedule event`;
  return wrap(async (event: unknown, context) => {
    const c = container();
    const parsed = parseEvent(ScheduleEvent, event, what);
    // One deadline for the whole invocation: queries stop and leases are released before Lambda's timeout.
    const deadline = Deadline.ofLambda(context);
    return runScheduled(
      c,
      grain,
      runTick,
      scheduledTimeOf(parsed, c.clock.now()),
      deadline,
      context.awsRequestId,
    );
  });
}
