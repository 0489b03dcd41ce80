import { addGrain, floorToGrain, windowsInRange } from '../shared/time/window.js';
import { container } from './lib/container.js';
import { parseEvent, ScheduleEvent, scheduledTimeOf } from './lib/events.js';
import { runJobs } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/** Daily job: computes yesterday (UTC) at day grain. */
export const handler = wrap(async (event: unknown) => {
  const c = container();
  const parsed = parseEvent(ScheduleEvent, event, 'daily schedule event');
  const end = floorToGrain(scheduledTimeOf(parsed, c.clock.now()), 'day');
  const windows = windowsInRange('day', addGrain(end, 'day', -1), end);
  return { jobs: await runJobs(c, ['metrics'], 'day', windows) };
});
