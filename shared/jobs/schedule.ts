import { addGrain, floorToGrain, type Grain, type Window, windowsInRange } from '../time/window.js';

/**
 * The schedule of the scheduled jobs, declared once: when each job fires, which windows a firing
 * recomputes (late data) and judges, and how much history detection learns from. The EventBridge
 * schedules (infra), the Lambda handlers, `vigil run hourly|daily --at` and `vigil replay` all derive
 * from this table, so a tick means the same thing everywhere.
 */
export interface GrainSchedule {
  /** Minutes after the window boundary at which the job fires (the closed window's events have landed). */
  readonly fireOffsetMinutes: number;
  /** Windows recomputed by a firing, ending with the window it closes (late events land in them). */
  readonly recompute: number;
  /** Days of metric history detection learns from. */
  readonly lookbackDays: number;
}

export const SCHEDULE = {
  hour: { fireOffsetMinutes: 15, recompute: 3, lookbackDays: 14 },
  day: { fireOffsetMinutes: 90, recompute: 2, lookbackDays: 56 },
} as const satisfies Record<Grain, GrainSchedule>;

/** The EventBridge cron fields of a grain's schedule (UTC). */
export function cronOf(grain: Grain): { minute: string; hour?: string } {
  const offset = SCHEDULE[grain].fireOffsetMinutes;
  return grain === 'hour'
    ? { minute: String(offset % 60) }
    : { minute: String(offset % 60), hour: String(Math.floor(offset / 60)) };
}

/** What one firing of a job does. */
export interface Tick {
  readonly grain: Grain;
  /** When the schedule fired (as given). */
  readonly at: Date;
  /** The window this firing closes: the last complete window before `at`. */
  readonly target: Window;
  /** Windows recomputed, ending with `target`. */
  readonly recompute: readonly Window[];
  /** First window the detector's history covers. */
  readonly historyFrom: Date;
}

/**
 * The tick of a job whose schedule fires at `at`: it closes the window that ended at or before `at`
 * (a firing at 10:15 or 10:00 closes 09:00–10:00, as the Lambda does with its scheduled time).
 */
export function tickAt(grain: Grain, at: Date): Tick {
  const end = floorToGrain(at, grain);
  const s = SCHEDULE[grain];
  return {
    grain,
    at,
    target: { grain, start: addGrain(end, grain, -1), end },
    recompute: windowsInRange(grain, addGrain(end, grain, -s.recompute), end),
    historyFrom: addGrain(end, 'day', -s.lookbackDays),
  };
}

/** The instants the schedule fires in [from, to), in order. */
export function firingsIn(grain: Grain, from: Date, to: Date): Date[] {
  const offsetMs = SCHEDULE[grain].fireOffsetMinutes * 60_000;
  const out: Date[] = [];
  for (let b = floorToGrain(new Date(from.getTime() - offsetMs), grain); b < to; b = addGrain(b, grain)) {
    const at = new Date(b.getTime() + offsetMs);
    if (at >= from && at < to) out.push(at);
  }
  return out;
}
