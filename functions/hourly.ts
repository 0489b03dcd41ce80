import { addGrain, floorToGrain, windowsInRange } from '../shared/time/window.js';
import { container } from './lib/container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './lib/events.js';
import { runJobs } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/** Hours recomputed each run: the last complete hour and two before it, for late-arriving events. */
export const LATE_HOURS = 3;

/** Hourly job: recomputes the last 3 complete hours (idempotent: each window is replaced whole). */
export const handler = wrap(async (event: unknown) => {
  const c = container();
  const parsed = parseEvent(ScheduleEvent, event, 'hourly schedule event');
  const end = floorToGrain(scheduledTimeOf(parsed, c.clock.now()), 'hour');
  const windows = windowsInRange('hour', addGrain(end, 'hour', -LATE_HOURS), end);
  return { jobs: await runJobs(c, ['metrics'], 'hour', windows) };
});
