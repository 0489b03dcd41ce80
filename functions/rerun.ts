import { InputError } from '../shared/errors.js';
import { batchWindows } from '../shared/jobs/compute-metrics.js';
import { formatIso, parseUtc, windowsInRange } from '../shared/time/window.js';
import { container } from './lib/container.js';
import { parseEvent, RerunPayload } from './lib/events.js';
import { runJobs } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/** Windows one `run` invocation may compute (keeps it well inside the 15-minute Lambda limit). */
export const MAX_RUN_WINDOWS = { hour: 48, day: 14 } as const;
/** Windows a `plan` may cover: a year of hours or five years of days. */
export const MAX_PLAN_WINDOWS = 24 * 366;

/**
 * On-demand rerun/backfill. `{"action":"run","grain":"hour","from":…,"to":…}` recomputes a small
 * range now; `{"action":"plan",…}` splits a large range into chunks that the rerun state machine
 * runs with bounded concurrency. Every window is replaced whole, so a rerun is always safe.
 */
export const handler = wrap(async (event: unknown) => {
  const p = parseEvent(RerunPayload, event, 'rerun payload');
  const from = parseUtc(p.from, 'from');
  const to = parseUtc(p.to, 'to');
  if (p.action === 'plan') {
    const windows = windowsInRange(p.grain, from, to, MAX_PLAN_WINDOWS);
    const size = Math.min(p.chunkWindows ?? (p.grain === 'hour' ? 24 : 7), MAX_RUN_WINDOWS[p.grain]);
    const chunks = batchWindows(windows, size).map((b) => ({
      action: 'run' as const,
      grain: p.grain,
      from: formatIso(b[0]!.start),
      to: formatIso(b[b.length - 1]!.end),
      jobs: p.jobs,
    }));
    return { windows: windows.length, chunks };
  }
  const windows = windowsInRange(p.grain, from, to, MAX_PLAN_WINDOWS);
  if (windows.length > MAX_RUN_WINDOWS[p.grain])
    throw new InputError(
      `rerun payload: ${windows.length} ${p.grain} windows is more than one run may compute (${MAX_RUN_WINDOWS[p.grain]}); start the rerun state machine instead`,
    );
  return { jobs: await runJobs(container(), p.jobs, p.grain, windows) };
});
