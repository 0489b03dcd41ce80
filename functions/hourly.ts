import { runHourlyTick } from '../shared/jobs/hourly-tick.js';
import { RECOMPUTE } from './lib/jobs.js';
import { scheduledHandler } from './lib/scheduled-handler.js';

/** Hours recomputed each run: the last complete hour and two before it, for late-arriving events. */
export const LATE_HOURS = RECOMPUTE.hour;

/**
 * Hourly job (runHourlyJob): recomputes the last 3 complete hours (late data; each window replaced
 * whole) → data-quality guard → detection of the hours not judged yet → alerts to SNS via the outbox.
 * Fails the invocation when a window failed or an alert was not delivered (Lambda retries, then the DLQ).
 */
export const handler = scheduledHandler('hour', runHourlyTick);
