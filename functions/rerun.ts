import { InputError } from '../shared/errors.js';
import { batchWindows } from '../shared/jobs/compute-metrics.js';
import { Deadline } from '../shared/ports/deadline.js';
import { formatIso, parseUtc, windowsInRange } from '../shared/time/window.js';
import { container } from './lib/container.js';
import { parseEvent, RerunPayload } from './lib/events.js';
import { runRerun } from './lib/jobs.js';
import { wrap } from './lib/middleware.js';

/** Windows one `run` invocation may compute (keeps it well inside the 15-minute Lambda limit). */
export const MAX_RUN_WINDOWS = { hour: 48, day: 14 } as const;
/**
 * Windows a detection-only `run` may judge: its lookback (two weeks of hours, eight weeks of days).
 * Detection reads stored metrics and one partition-count query, so it is cheap.
 */
export const MAX_DETECTION_WINDOWS = { hour: 14 * 24, day: 56 } as const;
/** Chunks a plan aims at (more only when a chunk reaches MAX_RUN_WINDOWS: ≤ 628 for the largest day plan); ~200 bytes each keeps the rerun state machine far below 256 KB. */
export const MAX_PLAN_CHUNKS = 500;
/** Windows a `plan` may cover: a year of hours or five years of days. */
export const MAX_PLAN_WINDOWS = 24 * 366;

/**
 * On-demand rerun/backfill. `{"action":"run","grain":"hour","from":…,"to":…,"jobs":["metrics","detection"]}`
 * runs the named jobs over a small range now (metrics first); `{"action":"plan",…}` splits a large
 * range into metrics chunks that the rerun state machine runs with bounded concurrency. Every window
 * is replaced whole and detection never judges a window twice, so a rerun is always safe.
 */
export const handler = wrap(async (event: unknown, context) => {
  const p = parseEvent(RerunPayload, event, 'rerun payload');
  const from = parseUtc(p.from, 'from');
  const to = parseUtc(p.to, 'to');
  if (p.action === 'plan') {
    if (p.jobs.includes('detection'))
      throw new InputError(
        `rerun payload: jobs: detection judges windows in time order and cannot fan out; plan the metrics, then run detection (at most ${MAX_DETECTION_WINDOWS[p.grain]} ${p.grain} windows a run)`,
      );
    const windows = windowsInRange(p.grain, from, to, MAX_PLAN_WINDOWS);
    // At most MAX_PLAN_CHUNKS chunks, so the state machine's state (≈ 200 bytes a chunk) stays small.
    const size = Math.min(
      Math.max(p.chunkWindows ?? (p.grain === 'hour' ? 24 : 7), Math.ceil(windows.length / MAX_PLAN_CHUNKS)),
      MAX_RUN_WINDOWS[p.grain],
    );
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
  const computes = p.jobs.includes('metrics');
  const max = computes ? MAX_RUN_WINDOWS[p.grain] : MAX_DETECTION_WINDOWS[p.grain];
  if (windows.length > max)
    throw new InputError(
      computes
        ? `rerun payload: ${windows.length} ${p.grain} windows is more than one run may compute (${max}); start the rerun state machine instead`
        : `rerun payload: ${windows.length} ${p.grain} windows is more than one detection run may judge (${max}); split the range`,
    );
  return runRerun(container(), p.jobs, p.grain, windows, Deadline.ofLambda(context), context.awsRequestId);
});
