import { runDailyTick } from '../shared/jobs/daily-tick.js';
import { scheduledHandler } from './lib/scheduled-handler.js';

/**
 * Daily job (shared/jobs/tick.ts): recomputes yesterday and the day before (UTC, late data) →
 * detection of the days not judged yet → alerts to SNS via the outbox → readouts of every experiment
 * and policy → the report into the results bucket (where alerts link). Fails like the hourly job.
 */
export const handler = scheduledHandler('day', runDailyTick);
