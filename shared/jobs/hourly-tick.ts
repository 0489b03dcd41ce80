import { type Tick, tickAt } from './schedule.js';
import { runScheduledJob } from './scheduled-job.js';
import type { TickOptions, TickResult } from './tick.js';

/**
 * The hourly firing at `at`: recompute (late data), data-quality guard, detection, alerts. Its own
 * module so that the hourly Lambda bundle holds none of the daily readouts' and report's code.
 */
export async function runHourlyTick(
  o: TickOptions,
  at: Date,
  tick: Tick = tickAt('hour', at),
): Promise<TickResult> {
  return { tick, job: await runScheduledJob(o, tick) };
}
