import { getOrInsert } from '../collections.js';
import type { ExperimentReadout } from '../experiments/readout.js';
import type { PolicyReadout } from '../policy/evaluate.js';
import type { Alert, ContributingSlice, KnownEventRef } from '../ports/alert-sink.js';
import { parseSliceKey, sliceLabel } from '../slices/slice.js';
import type {
  Grain,
  MetricUnit,
  ReportDataQuality,
  ReportExperiment,
  ReportIncident,
  ReportIncidentMetric,
  ReportPoint,
  ReportPolicy,
  ReportSliceContribution,
} from './model.js';

/**
 * Pure mappings from Vigil's own outputs into the report model (type imports only: nothing of the
 * engines, the stats or the cloud is loaded by the report).
 */

/** A metric's unit by name, from the config that defines it (`unitLookup` in shared/config/units.ts). */
export type UnitOf = (metric: string) => MetricUnit;
const plainCount: UnitOf = () => 'count';

export function fromExperimentReadout(r: ExperimentReadout): ReportExperiment {
  const multi = r.decisions.length > 1;
  const direction = new Map(r.metrics.map((m) => [m.metric, m.direction]));
  return {
    id: r.experiment,
    decision: r.decision,
    asOf: r.as_of,
    srm: { pValue: r.srm.p_value, ok: r.srm.passed },
    units: r.units,
    reasons: [
      r.summary,
      ...r.decisions.flatMap((d) => d.reasons.map((x) => (multi ? `${d.variant}: ${x}` : x))),
    ],
    metrics: [
      ...r.metrics.map((m) => ({
        name: m.metric,
        role: m.role,
        variant: m.variant,
        lift: m.rel_lift,
        liftCiLow: m.rel_ci_low,
        liftCiHigh: m.rel_ci_high,
        pValue: m.p_value,
        adjustedPValue: m.p_value_adjusted,
        cupedApplied: m.cuped?.applied ?? false,
        varianceReduction: m.cuped?.variance_reduction ?? null,
        status: m.status,
        direction: m.direction,
      })),
      // Segment effects (heterogeneous effects) join the forest plot as rows "metric · region=BR".
      // Only cells significant after the FDR correction keep their direction, so the others are
      // drawn neutral even where their raw CI excludes 0.
      ...r.segments.map((s) => ({
        name: `${s.metric} · ${s.dimension}=${s.value ?? '(null)'}`,
        role: 'secondary' as const,
        variant: s.variant,
        lift: s.rel_lift,
        liftCiLow: s.rel_ci_low,
        liftCiHigh: s.rel_ci_high,
        pValue: s.p_value,
        adjustedPValue: s.q_value,
        cupedApplied: false,
        varianceReduction: null,
        status: s.status,
        ...(s.significant ? { direction: direction.get(s.metric) ?? 'increase' } : {}),
      })),
    ],
  };
}

export function fromPolicyReadout(r: PolicyReadout, unitOf: UnitOf = plainCount): ReportPolicy {
  // The report draws a missing number (not enough data) as "—": NaN here, never a made-up value.
  const n = (v: number | null) => v ?? Number.NaN;
  const e = r.effect;
  return {
    id: r.policy,
    region: r.treated_regions.join(', '),
    metric: r.metric,
    unit: unitOf(r.metric),
    launch: r.launch,
    att: n(e.att),
    ciLow: n(e.ci_low),
    ciHigh: n(e.ci_high),
    pValue: e.p_value,
    relativeEffect: n(e.relative_effect),
    relCiLow: e.relative_ci_low,
    relCiHigh: e.relative_ci_high,
    preTrendP: r.event_study.pre_trend.p_value,
    synthetic: r.synthetic_control
      ? { estimate: r.synthetic_control.estimate, relativeEffect: r.synthetic_control.relative_effect }
      : null,
    eventStudy: r.event_study.effects.map((x) => ({
      relDay: x.event_time,
      coef: n(x.estimate),
      ciLow: n(x.ci_low),
      ciHigh: n(x.ci_high),
    })),
    notes: [
      `inference: ${e.inference_detail}`,
      ...(e.status === 'not_enough_data' ? [`not enough data: ${e.reason}`] : []),
      ...r.notes,
    ],
  };
}

/**
 * Incidents and data-quality entries from the alert log (alerts.jsonl order): the last message of
 * each incident wins. `pointsFor` supplies the chart of an incident's metric and slice.
 */
export function fromAlerts(
  alerts: readonly Alert[],
  pointsFor: (metric: string, slice: string, grain: Grain) => readonly ReportPoint[] = () => [],
  unitOf: UnitOf = plainCount,
): { incidents: ReportIncident[]; dataQuality: ReportDataQuality[] } {
  const last = new Map<string, Alert>();
  const first = new Map<string, Alert>();
  // Known events (calendar) any message of the incident fell in, once each.
  const events = new Map<string, Map<string, KnownEventRef>>();
  // Each metric's latest numbers at the incident's slice (open and update messages carry them).
  const numbers = new Map<string, Map<string, Omit<ReportIncidentMetric, 'moved' | 'unit'>>>();
  for (const a of alerts) {
    last.set(a.dedupeKey, a);
    if (!first.has(a.dedupeKey)) first.set(a.dedupeKey, a);
    for (const ev of a.events ?? []) getOrInsert(events, a.dedupeKey, () => new Map()).set(ev.id, ev);
    if (a.kind !== 'metric_incident' || a.status === 'resolved') continue;
    const byMetric = getOrInsert(numbers, a.dedupeKey, () => new Map());
    for (const m of [{ metric: a.metric, observed: a.observed, expected: a.expected }, ...(a.evidence ?? [])])
      byMetric.set(m.metric, { ...m, t: a.windowStart });
  }
  const incidents: ReportIncident[] = [];
  const dataQuality: ReportDataQuality[] = [];
  for (const a of last.values()) {
    if (a.kind === 'data_quality') {
      // The partition that went wrong stays listed after its issue resolved (alerts link to it).
      const opened = first.get(a.dedupeKey)!;
      dataQuality.push({
        id: a.dedupeKey,
        source: opened.metric,
        dt: opened.windowStart.slice(0, 10),
        hour: opened.grain === 'hour' ? Number(opened.windowStart.slice(11, 13)) : null,
        status: opened.observed === 0 ? 'missing' : 'low_volume',
        detail: a.status === 'resolved' ? `${opened.summary} — resolved: ${a.summary}` : a.summary,
      });
      continue;
    }
    const opened = first.get(a.dedupeKey)!;
    const label = labelOf(a.slice);
    const peak = a.peak;
    const metrics = coveredMetrics(a, numbers.get(a.dedupeKey), unitOf);
    incidents.push({
      id: a.dedupeKey,
      metric: a.metric,
      ...(metrics.length > 1 ? { metrics } : {}),
      slice: a.slice,
      ...(label !== undefined ? { sliceLabel: label } : {}),
      ...(a.sliceSuppressed ? { suppressed: true } : {}),
      ...(a.status === 'resolved' ? { resolvedAt: a.windowStart } : {}),
      ...(peak ? { peak: { t: peak.windowStart, observed: peak.observed, expected: peak.expected } } : {}),
      openingSlices: contributions(opened.topSlices),
      peakSlices: contributions(peak?.topSlices ?? []),
      severity: a.severity,
      status: a.status,
      since: a.since,
      summary: a.summary,
      observed: a.observed,
      expected: a.expected,
      unit: unitOf(a.metric),
      grain: a.grain,
      topSlices: contributions(a.topSlices),
      points: a.sliceSuppressed ? [] : pointsFor(a.metric, a.slice, a.grain),
      ...(events.has(a.dedupeKey) ? { events: [...events.get(a.dedupeKey)!.values()] } : {}),
      ...(a.team ? { team: a.team } : {}),
      ...(a.owner ? { owner: a.owner } : {}),
    });
  }
  return { incidents, dataQuality };
}

/**
 * The metrics an incident covers (the alert's `metrics`, head first), then the family's other
 * metrics the messages gave numbers for, each with its latest numbers.
 */
function coveredMetrics(
  a: Alert,
  numbers: ReadonlyMap<string, Omit<ReportIncidentMetric, 'moved' | 'unit'>> | undefined,
  unitOf: UnitOf,
): ReportIncidentMetric[] {
  const moved = a.metrics?.length ? a.metrics : [a.metric];
  const names = [...new Set([...moved, ...(numbers?.keys() ?? [])])];
  return names.map((metric) => ({
    ...(numbers?.get(metric) ?? { metric, t: a.windowStart, observed: null, expected: null }),
    unit: unitOf(metric),
    moved: moved.includes(metric),
  }));
}

/** The people-facing label of a slice key read from an alert (the edge); none for the total or `other`. */
function labelOf(key: string): string | undefined {
  if (key === '' || key === 'other') return undefined;
  try {
    return sliceLabel(parseSliceKey(key));
  } catch {
    return undefined;
  }
}

function contributions(slices: readonly ContributingSlice[]): ReportSliceContribution[] {
  return slices.map((s) => {
    const label = labelOf(s.slice);
    return { ...s, ...(label !== undefined ? { sliceLabel: label } : {}) };
  });
}
