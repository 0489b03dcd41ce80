/**
 * The input of the HTML report: plain data, engine-agnostic and JSON-serialisable. Producers
 * (detection jobs, experiment and policy readouts, analyses) map their results into it — see
 * `adapters.ts` — and `renderReport` turns it into one self-contained HTML page.
 *
 * Conventions: times are ISO-8601 UTC strings or epoch milliseconds; every number may be null
 * where it is unknown (rendered as "—"); rates, proportions and lifts are fractions (0.123 = 12.3%).
 */

/** How a metric's values read: counts get thousands separators, rates and proportions a % sign. */
export type { MetricUnit } from '../config/schema.js';

import type { MetricUnit } from '../config/schema.js';
export type Grain = 'hour' | 'day';
export type TimeValue = string | number;

export interface ReportPoint {
  readonly t: TimeValue;
  readonly value: number | null;
  /** The detector's prediction for this window, made before seeing it. */
  readonly expected?: number | null;
  /** The expected band (expected ± band). */
  readonly lower?: number | null;
  readonly upper?: number | null;
  readonly anomaly?: boolean;
}

export interface ReportMetric {
  readonly name: string;
  /** '' or absent for the total, else the slice key (DESIGN.md "Slice keys"). */
  readonly slice?: string;
  /** The slice for people (sliceLabel); defaults to the key. */
  readonly sliceLabel?: string;
  readonly grain: Grain;
  readonly unit: MetricUnit;
  readonly description?: string;
  readonly points: readonly ReportPoint[];
}

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type IncidentStatus = 'open' | 'update' | 'resolved';

export interface ReportSliceContribution {
  readonly slice: string;
  readonly sliceLabel?: string;
  /** Share of the total's deviation this slice explains (can be negative). */
  readonly contribution: number;
  readonly observed: number | null;
  readonly expected: number | null;
}

export interface ReportIncidentPeak {
  readonly t: TimeValue;
  readonly observed: number | null;
  readonly expected: number | null;
}

/** One metric an incident covers, with its latest numbers at the incident's slice. */
export interface ReportIncidentMetric {
  readonly metric: string;
  readonly unit?: MetricUnit;
  /** The window these numbers are about: the latest open or update message that carried them. */
  readonly t: TimeValue;
  readonly observed: number | null;
  readonly expected: number | null;
  /**
   * false: a metric of the family the incident did not see move (the count flat while its rate
   * moved), listed for context.
   */
  readonly moved: boolean;
}

export interface ReportIncident {
  /** The alert's dedupe key; the section's anchor is `incidentAnchor(id)`. */
  readonly id: string;
  /** The metric whose move the incident states (its head). */
  readonly metric: string;
  /**
   * Every metric the incident covers, the head first, then metrics of its family that did not move
   * (a count and its own rate are one incident: shared/alerting/move-family.ts). Absent or one
   * entry: the incident is about `metric` alone.
   */
  readonly metrics?: readonly ReportIncidentMetric[];
  /** Key of the incident's slice ('' = total; `other` when suppressed). */
  readonly slice: string;
  /** The slice for people (sliceLabel), when it differs from the key. */
  readonly sliceLabel?: string;
  /** The slice has fewer than k people: it is not named and its series is not shown. */
  readonly suppressed?: boolean;
  /** Start of the window whose message resolved the incident (the shaded period ends there). */
  readonly resolvedAt?: TimeValue;
  /** The window of the largest deviation and its numbers. */
  readonly peak?: ReportIncidentPeak;
  /** Root-cause slices when the incident opened, and at its peak. */
  readonly openingSlices?: readonly ReportSliceContribution[];
  readonly peakSlices?: readonly ReportSliceContribution[];
  readonly severity: Severity;
  readonly status: IncidentStatus;
  /** Start of the first anomalous window. */
  readonly since: TimeValue;
  readonly summary: string;
  readonly observed: number | null;
  readonly expected: number | null;
  /** Defaults to the unit of the metric of the same name in `metrics`, else count. */
  readonly unit?: MetricUnit;
  readonly grain?: Grain;
  readonly topSlices: readonly ReportSliceContribution[];
  readonly points: readonly ReportPoint[];
  /** Known events (vigil.yaml `calendar:`) the incident's windows fell in. */
  readonly events?: readonly ReportKnownEvent[];
  /** The metric's team and owner, when the config declares them. */
  readonly team?: string;
  readonly owner?: string;
}

/** A known event as the report names it. */
export interface ReportKnownEvent {
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly start: TimeValue;
  readonly end: TimeValue;
  readonly regions?: readonly string[];
}

export type DataQualityStatus = 'ok' | 'missing' | 'low_volume' | 'late' | (string & {});

export interface ReportDataQuality {
  /** Set for entries raised as data_quality alerts: they get an `incidentAnchor(id)` anchor. */
  readonly id?: string;
  readonly source: string;
  /** Partition day `YYYY-MM-DD`. */
  readonly dt: string;
  /** Partition hour 0..23, null for a whole day. */
  readonly hour: number | null;
  readonly status: DataQualityStatus;
  readonly detail: string;
}

export type ExperimentDecision = 'ship' | 'dont_ship' | 'keep_running' | 'invalid_srm';

export interface ReportExperimentMetric {
  readonly name: string;
  readonly role: 'primary' | 'guardrail' | 'secondary';
  readonly variant: string;
  /** Relative lift of the variant over control (fraction) and its CI. */
  readonly lift: number | null;
  readonly liftCiLow: number | null;
  readonly liftCiHigh: number | null;
  readonly pValue: number | null;
  readonly adjustedPValue: number | null;
  readonly cupedApplied: boolean;
  readonly varianceReduction: number | null;
  /** `ok` or why the metric could not be read out (e.g. `not_enough_data`). */
  readonly status: string;
  /** Which way is good for this metric; colours nothing, explains the decision. */
  readonly direction?: 'increase' | 'decrease';
}

export interface ReportExperiment {
  readonly id: string;
  readonly decision: ExperimentDecision;
  readonly asOf?: TimeValue;
  readonly srm: { readonly pValue: number | null; readonly ok: boolean };
  readonly units?: Readonly<Record<string, number>>;
  readonly reasons?: readonly string[];
  readonly metrics: readonly ReportExperimentMetric[];
}

export interface ReportEventStudyPoint {
  readonly relDay: number;
  readonly coef: number;
  readonly ciLow: number;
  readonly ciHigh: number;
}

export interface ReportPolicy {
  readonly id: string;
  readonly region: string;
  readonly metric: string;
  readonly unit?: MetricUnit;
  readonly launch?: TimeValue;
  /** Difference-in-differences effect, in the metric's unit, and its CI. */
  readonly att: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  readonly pValue?: number | null;
  /** ATT relative to the treated region's pre-launch mean (fraction). */
  readonly relativeEffect: number;
  readonly relCiLow?: number | null;
  readonly relCiHigh?: number | null;
  /** p-value of the joint pre-trend test; small values cast doubt on parallel trends. */
  readonly preTrendP: number | null;
  readonly synthetic: { readonly estimate: number; readonly relativeEffect?: number | null } | null;
  readonly eventStudy: readonly ReportEventStudyPoint[];
  readonly notes?: readonly string[];
}

export type Cell = string | number | boolean | null;

export interface ReportAnalysis {
  readonly title: string;
  readonly description?: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface ReportData {
  readonly generatedAt: TimeValue;
  readonly title: string;
  readonly window: { readonly from: TimeValue; readonly to: TimeValue };
  readonly metrics: readonly ReportMetric[];
  readonly incidents: readonly ReportIncident[];
  readonly dataQuality: readonly ReportDataQuality[];
  readonly experiments: readonly ReportExperiment[];
  readonly policies: readonly ReportPolicy[];
  readonly analyses?: readonly ReportAnalysis[];
}

/** FNV-1a over UTF-16 code units, 2 × 32 bits: a stable, dependency-free fingerprint for ids. */
export function fingerprint(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c ^ (h1 >>> 7), 0x01000193) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

/**
 * A page id from any text: its readable ASCII part (runs of other characters become `-`, cut to
 * 60) and a fingerprint of the whole text, so two texts that read the same in ASCII (non-ASCII
 * slices, `region=a;b` vs `region=a-b`) still get different ids.
 */
export function uniqueId(prefix: string, text: string): string {
  const readable = text
    .replace(/[^A-Za-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${prefix}-${readable ? `${readable}-` : ''}${fingerprint(text)}`;
}

/** The anchor of an incident's section (alerts link to it): `uniqueId('incident', id)`. */
export function incidentAnchor(id: string): string {
  return uniqueId('incident', id);
}
