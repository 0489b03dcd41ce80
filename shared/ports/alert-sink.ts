/**
 * An alert as Vigil sends it: one incident per metric and time, opened once, then updated or resolved.
 * It carries aggregates and slice names only — never user, account or content ids.
 */
export type AlertStatus = 'open' | 'update' | 'resolved';
export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type AlertKind = 'metric_incident' | 'data_quality';
/**
 * Why a metric incident moved, when Vigil knows it is not a T&S incident: `traffic` — the metric
 * is the exposure other counts are judged against (impressions), so its move is the platform's
 * traffic, a notice, while the counts judged against it stay quiet if their rates are flat.
 */
export type AlertCause = 'traffic';

export interface ContributingSlice {
  /** e.g. `region=BR` or `region=BR;surface=live` */
  readonly slice: string;
  readonly observed: number | null;
  readonly expected: number | null;
  /** Share, in [0, 1], of the deviation in the incident's direction within the slice's dimension. */
  readonly contribution: number;
}

/** One metric's numbers at the incident's slice in the window a message is about. */
export interface MetricEvidence {
  readonly metric: string;
  readonly observed: number | null;
  readonly expected: number | null;
}

/** The largest deviation of an incident's slice so far. */
export interface AlertPeak {
  readonly windowStart: string;
  readonly observed: number | null;
  readonly expected: number | null;
  /** Root-cause slices of that window. */
  readonly topSlices: readonly ContributingSlice[];
}

export interface Alert {
  /** Stable across updates of one incident: `<kind>:<metric>:<slice>:<incident start>`. */
  readonly dedupeKey: string;
  readonly kind: AlertKind;
  /** Set when the move is known not to be a T&S incident (see AlertCause). */
  readonly cause?: AlertCause;
  readonly status: AlertStatus;
  readonly severity: Severity;
  readonly metric: string;
  /**
   * Every metric the incident covers, `metric` first: a count and its own rate moving together are
   * one incident (shared/alerting/move-family.ts), which names both. Absent for a metric of no family.
   */
  readonly metrics?: readonly string[];
  /** The other metrics' numbers at the incident's slice in this window (open and update messages). */
  readonly evidence?: readonly MetricEvidence[];
  /** '' for the total, else the slice key (DESIGN.md "Slice keys"); `other` when too small to name. */
  readonly slice: string;
  /** The slice has fewer than k people (k-anonymity), so `slice` reads `other`. */
  readonly sliceSuppressed?: boolean;
  readonly grain: 'hour' | 'day';
  /** Start of the first anomalous window (ISO-8601 UTC). */
  readonly since: string;
  /** Start of the window this message is about. */
  readonly windowStart: string;
  readonly observed: number | null;
  readonly expected: number | null;
  /** 0..1 anomaly score of the detector. */
  readonly score: number;
  readonly direction: 'up' | 'down' | 'none';
  readonly topSlices: readonly ContributingSlice[];
  /** The incident's peak so far (metric incidents). */
  readonly peak?: AlertPeak;
  readonly summary: string;
  /** Link to the incident's section in the report. */
  readonly reportUrl: string;
  /** Regions named in the alert, for subscriber filter policies. */
  readonly regions: readonly string[];
  /** The team the metric belongs to (`metrics[].team`), when declared: routes and filters match on it. */
  readonly team?: string;
  /** The person or alias answerable for the metric (`metrics[].owner`), when declared. */
  readonly owner?: string;
  /** Known events (vigil.yaml `calendar:`) the alert's window falls in. */
  readonly events?: readonly KnownEventRef[];
}

/** A known event as alerts and the report name it. */
export interface KnownEventRef {
  readonly id: string;
  readonly kind: 'holiday' | 'launch' | 'outage' | 'other';
  readonly title: string;
  /** ISO-8601 UTC, half-open [start, end). */
  readonly start: string;
  readonly end: string;
  readonly suppress: boolean;
  readonly regions?: readonly string[];
}

export interface AlertSink {
  /** Delivers one alert; throws when it was not delivered (the caller keeps it pending). */
  send(alert: Alert): Promise<void>;
}
