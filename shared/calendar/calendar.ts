import type { Alert, KnownEventRef } from '../ports/alert-sink.js';
import { addGrain, type Grain } from '../time/window.js';
import type { Calendar, KnownEvent } from './schema.js';

/** What a scored series is, for scoping: its metric and its region value (undefined: not cut by region). */
export interface SeriesScope {
  readonly metric: string;
  readonly region?: string | null | undefined;
}

/** A series' windows under known events: not learned from, and (suppress) not alerted on. */
export interface EventWindows {
  readonly unlearned: ReadonlySet<number>;
  readonly suppressed: ReadonlySet<number>;
}

const NONE: EventWindows = { unlearned: new Set(), suppressed: new Set() };

/**
 * The calendar of known events, queried by detection (which windows not to learn or alert on) and
 * by alerting and the report (which events to name). Scope: an event without `metrics` covers every
 * metric; an event without `regions` covers every series of its metrics, one with `regions` only the
 * series cut by one of those region values (region=BR, alone or combined); the total and series not
 * cut by region keep learning and alerting, and their alerts are annotated when they name a region
 * of the event.
 */
export class KnownEvents {
  private readonly events: readonly (KnownEvent & { readonly from: number; readonly to: number })[];

  constructor(calendar: Calendar = []) {
    this.events = calendar.map((e) => ({ ...e, from: Date.parse(e.start), to: Date.parse(e.end) }));
  }

  get size(): number {
    return this.events.length;
  }

  /** Events in scope of a series that overlap [from, to). */
  covering(s: SeriesScope, from: number, to: number): KnownEvent[] {
    return this.events.filter(
      (e) =>
        e.from < to &&
        from < e.to &&
        (!e.metrics || e.metrics.includes(s.metric)) &&
        (!e.regions || (typeof s.region === 'string' && e.regions.includes(s.region))),
    );
  }

  /** The windows (starts, epoch ms) of a series that an event covers. */
  windowsOf(s: SeriesScope, grain: Grain, windows: readonly number[]): EventWindows {
    if (this.events.length === 0 || windows.length === 0) return NONE;
    const unlearned = new Set<number>();
    const suppressed = new Set<number>();
    for (const t of windows) {
      const hit = this.covering(s, t, addGrain(new Date(t), grain).getTime());
      if (hit.length === 0) continue;
      unlearned.add(t);
      if (hit.some((e) => e.suppress)) suppressed.add(t);
    }
    return { unlearned, suppressed };
  }

  /**
   * Events an alert falls in: its metric in scope, its window overlapping the event, and (for an
   * event scoped to regions) one of the alert's regions among them.
   */
  forAlert(alert: Pick<Alert, 'metric' | 'windowStart' | 'grain' | 'regions' | 'kind'>): KnownEventRef[] {
    const from = Date.parse(alert.windowStart);
    const to = addGrain(new Date(from), alert.grain).getTime();
    return this.events
      .filter(
        (e) =>
          e.from < to &&
          from < e.to &&
          (alert.kind !== 'metric_incident' || !e.metrics || e.metrics.includes(alert.metric)) &&
          (!e.regions || alert.regions.some((r) => e.regions!.includes(r))),
      )
      .map(refOf);
  }

  /** Every event overlapping [from, to), for the report's timeline. */
  between(from: number, to: number): KnownEventRef[] {
    return this.events.filter((e) => e.from < to && from < e.to).map(refOf);
  }
}

function refOf(e: KnownEvent): KnownEventRef {
  return {
    id: e.id,
    kind: e.kind,
    title: e.title ?? e.id,
    start: e.start,
    end: e.end,
    suppress: e.suppress,
    ...(e.regions ? { regions: e.regions } : {}),
  };
}
