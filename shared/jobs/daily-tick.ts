import { analyzeAll } from '../experiments/index.js';
import { saveReadouts } from './readouts-store.js';
import { NoStoredWindowsError, writeStoredReport } from './report-job.js';
import { type Tick, tickAt } from './schedule.js';
import { runScheduledJob } from './scheduled-job.js';
import type { TickOptions, TickResult } from './tick.js';

/**
 * The daily firing at `at`: the hourly chain on day windows, then the readouts of every experiment
 * and policy of the config, and the report written into the store, where every alert's link points.
 */
export async function runDailyTick(
  o: TickOptions,
  at: Date,
  tick: Tick = tickAt('day', at),
): Promise<TickResult> {
  const job = await runScheduledJob(o, tick);
  const asOf = tick.target.end;
  const readouts = o.experiments
    ? await analyzeAll({ engine: o.engine, config: o.experiments, asOf })
    : { experiments: [], policies: [], skipped: [] };
  await saveReadouts(o.objectStore, asOf, readouts);
  try {
    const report = await writeStoredReport({
      objectStore: o.objectStore,
      config: o.config,
      to: asOf,
      ...(o.reportDays ? { days: o.reportDays } : {}),
      ...(o.analyses ? { analyses: await o.analyses(tick) } : {}),
      ...(o.reportOut ? { out: o.reportOut } : {}),
      // The lake counts the people behind each slice series, so the report may chart them.
      engine: o.engine,
      ...(o.privacy ? { privacy: o.privacy } : {}),
      now: o.clock.now(),
    });
    return { tick, job, readouts, report: { key: report.key, url: report.url, bytes: report.bytes } };
  } catch (err) {
    // Only daily windows so far (no hourly job ran): the report has nothing to chart yet.
    if (err instanceof NoStoredWindowsError) return { tick, job, readouts };
    throw err;
  }
}
