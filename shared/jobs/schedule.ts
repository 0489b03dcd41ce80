import { addGrain, floorToGrain, type Grain, type Window, windowsInRange } from '../time/window.js';

/**
 * The schedule of the scheduled jobs, declared once: the jobs, the Lambda handlers, the CDK
 * schedules (infra/constructs/job-schedules.ts) and the docs all read it from here.
 *
 * When a window may be judged. A window is recomputed by every run whose recompute range holds it
 * (late data lands there), but judged — scored, alerted on — once, and only when complete:
 *   1. its end is at least `lagMinutes` before the tick (the data's normal delivery delay), and
 *   2. every source partition of it is *settled* (shared/jobs/completeness.ts): it holds a
 *      `_SUCCESS` marker written by the producer, or no object of it changed in the last
 *      `quietMinutes`. A partition still being written holds the window back; the next tick judges
 *      it (the judge range always starts at the oldest unjudged window).
 */
export interface GrainSchedule {
  /** Windows recomputed by each run, ending with the newest judgeable one. */
  readonly recompute: number;
  /** Days of metric history detection learns from. */
  readonly lookbackDays: number;
  /** Minutes after a window's end before it may be judged. */
  readonly lagMinutes: number;
  /** A partition with no object changed for this long is complete (absent a `_SUCCESS` marker). */
  readonly quietMinutes: number;
  /** When the schedule fires (UTC cron fields, EventBridge Scheduler syntax). */
  readonly cron: { readonly minute: string; readonly hour?: string };
  /** Said in the schedule's description and the docs. */
  readonly description: string;
}

export const SCHEDULE: Readonly<Record<Grain, GrainSchedule>> = {
  hour: {
    recompute: 3,
    lookbackDays: 14,
    // Firehose-style delivery buffers up to 15 minutes: an hour is complete some 15 minutes after it ends.
    lagMinutes: 15,
    quietMinutes: 10,
    cron: { minute: '20' },
    description: 'Vigil hourly: recompute the last 3 hours, judge complete hours',
  },
  day: {
    recompute: 2,
    lookbackDays: 56,
    lagMinutes: 60,
    quietMinutes: 10,
    cron: { minute: '30', hour: '1' },
    description: 'Vigil daily: recompute the last 2 days (UTC), judge complete days',
  },
};

/** The marker a producer may write into a partition once it is complete. */
export const COMPLETE_MARKER = '_SUCCESS';

/**
 * The newest window a run firing at `tick` may judge: the last one that ended `lagMinutes` or
 * more before the tick (completeness is checked on top, by the job).
 */
export function newestJudgeable(grain: Grain, tick: Date, s: GrainSchedule = SCHEDULE[grain]): Date {
  const settled = new Date(tick.getTime() - s.lagMinutes * 60_000);
  return addGrain(floorToGrain(settled, grain), grain, -1);
}

/** What one firing of a job does. */
export interface Tick {
  readonly grain: Grain;
  /** When the schedule fired (as given). */
  readonly at: Date;
  /** The newest window this firing may judge (newestJudgeable). */
  readonly target: Window;
  /** Windows recomputed, ending with `target`. */
  readonly recompute: readonly Window[];
  /** First window the detector's history covers. */
  readonly historyFrom: Date;
}

/**
 * The tick of a job whose schedule fires at `at`, as the Lambda runs it with its scheduled time and
 * `vigil run hourly|daily --at` and `vigil replay` run it: recompute the last `recompute` windows up to
 * the newest judgeable one, judge what is not judged yet, with `lookbackDays` of history.
 */
export function tickAt(grain: Grain, at: Date, s: GrainSchedule = SCHEDULE[grain]): Tick {
  const start = newestJudgeable(grain, at, s);
  const end = addGrain(start, grain);
  return {
    grain,
    at,
    target: { grain, start, end },
    recompute: windowsInRange(grain, addGrain(end, grain, -Math.max(1, s.recompute)), end),
    historyFrom: addGrain(end, 'day', -s.lookbackDays),
  };
}

/** Minutes after the hour (hour grain) or after midnight (day grain) at which the cron fires. */
function fireOffsetMinutes(grain: Grain, s: GrainSchedule): number {
  const minute = Number(s.cron.minute);
  return grain === 'hour' ? minute : Number(s.cron.hour ?? 0) * 60 + minute;
}

/** The instants the grain's schedule fires in [from, to), in order. */
export function firingsIn(grain: Grain, from: Date, to: Date, s: GrainSchedule = SCHEDULE[grain]): Date[] {
  const offsetMs = fireOffsetMinutes(grain, s) * 60_000;
  const out: Date[] = [];
  for (let b = floorToGrain(new Date(from.getTime() - offsetMs), grain); b < to; b = addGrain(b, grain)) {
    const at = new Date(b.getTime() + offsetMs);
    if (at >= from && at < to) out.push(at);
  }
  return out;
}

/** The tick whose newest judgeable window is `start` (a run asked to judge that window). */
export function tickOfWindow(grain: Grain, start: Date, s: GrainSchedule = SCHEDULE[grain]): Tick {
  const end = addGrain(floorToGrain(start, grain), grain);
  return {
    grain,
    at: new Date(end.getTime() + s.lagMinutes * 60_000),
    target: { grain, start: floorToGrain(start, grain), end },
    recompute: windowsInRange(grain, addGrain(end, grain, -Math.max(1, s.recompute)), end),
    historyFrom: addGrain(end, 'day', -s.lookbackDays),
  };
}
