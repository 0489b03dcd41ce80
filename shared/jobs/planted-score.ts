/**
 * Alerts scored against a generated lake's planted truth (`<lake>/_manifest.json`): reporting for the
 * demo and the benches, not detection (the alerts come from the scheduled ticks, `vigil replay`).
 * An incident matches a planted one when it covers the metric (its `metrics`, else its `metric`), its slice is the planted slice or
 * the total (or names it among its top slices), and [since, end) overlaps [start, end + 2h).
 */
import type { LakeManifest } from '../generator/manifest.js';
import type { PlantedKind, PlantedTruth } from '../generator/planted-series.js';
import type { Alert } from '../ports/alert-sink.js';

/** One incident as its messages tell it. */
export interface IncidentSummary {
  readonly dedupeKey: string;
  readonly kind: Alert['kind'];
  readonly metric: string;
  readonly slice: string;
  readonly since: string;
  /** Window of its last message (the resolution, or the last update while still open). */
  readonly until: string;
  readonly severity: Alert['severity'];
  readonly topSlices: readonly string[];
  readonly messages: number;
  /** Planted incident ids (or missing partitions as `source@dt/hour`) it matches. */
  readonly matches: readonly string[];
}

export interface PlantedScore {
  readonly incidents: IncidentSummary[];
  /** Metric incidents that match a planted incident. */
  readonly incidentsFound: number;
  readonly metricIncidents: number;
  /** matched metric incidents / metric incidents */
  readonly precision: number;
  /** planted (incident, metric, slice) entries found / all entries */
  readonly recall: number;
  /** planted incidents with at least one entry found / planted incidents */
  readonly incidentRecall: number;
  readonly dataAlerts: number;
  readonly missingPartitionsFound: number;
  readonly missingPartitions: number;
}

const HOUR = 3_600_000;

/** Groups alerts into incidents and scores them against the planted truth. */
export function scoreAgainstManifest(alerts: readonly Alert[], manifest: LakeManifest): PlantedScore {
  const groups = byIncident(alerts);
  const planted = manifest.incidents.flatMap((inc) =>
    inc.metrics.map((m) => ({
      id: inc.id,
      ...m,
      from: Date.parse(inc.start),
      to: Date.parse(inc.end) + 2 * HOUR,
    })),
  );
  const found = new Set<string>();
  const missingFound = new Set<string>();
  const incidents: IncidentSummary[] = [...groups.values()].map((msgs) => {
    const first = msgs[0]!;
    const lastAt = Math.max(...msgs.map((m) => Date.parse(m.windowStart)));
    const since = Date.parse(first.since);
    const until = Math.max(lastAt, since + HOUR);
    const top = [...new Set(msgs.flatMap((m) => m.topSlices.map((s) => s.slice)))];
    const matches: string[] = [];
    if (first.kind === 'metric_incident') {
      for (const p of planted) {
        const sliceOk = first.slice === p.slice || first.slice === '' || top.includes(p.slice);
        // A count and its own rate are one incident, which names both (Alert.metrics).
        const covers = (first.metrics ?? [first.metric]).includes(p.metric);
        if (covers && sliceOk && since < p.to && until > p.from) {
          matches.push(p.id);
          found.add(`${p.id}|${p.metric}|${p.slice}`);
        }
      }
    } else {
      for (const m of manifest.missing_partitions) {
        const t = Date.parse(`${m.dt}T${m.hour}:00:00Z`);
        if (m.source === first.metric && since <= t && until > t) {
          matches.push(`${m.source}@${m.dt}/${m.hour}`);
          missingFound.add(`${m.source}@${m.dt}/${m.hour}`);
        }
      }
    }
    return summarise(msgs, until, top, [...new Set(matches)]);
  });
  const metricIncidents = incidents.filter((i) => i.kind === 'metric_incident');
  const incidentsFound = metricIncidents.filter((i) => i.matches.length > 0).length;
  const plantedIds = new Set(planted.map((p) => p.id));
  const foundIds = new Set([...found].map((f) => f.split('|')[0]));
  return {
    incidents,
    incidentsFound,
    metricIncidents: metricIncidents.length,
    precision: metricIncidents.length ? incidentsFound / metricIncidents.length : 1,
    recall: planted.length ? found.size / planted.length : 1,
    incidentRecall: plantedIds.size
      ? [...plantedIds].filter((id) => foundIds.has(id)).length / plantedIds.size
      : 1,
    dataAlerts: incidents.filter((i) => i.kind === 'data_quality').length,
    missingPartitionsFound: missingFound.size,
    missingPartitions: manifest.missing_partitions.length,
  };
}

function rank(s: Alert['severity']): number {
  return { low: 0, medium: 1, high: 2, critical: 3 }[s];
}

/** Alerts grouped into incidents by their dedupe key, in arrival order. */
function byIncident(alerts: readonly Alert[]): Map<string, Alert[]> {
  const groups = new Map<string, Alert[]>();
  for (const a of alerts) {
    const g = groups.get(a.dedupeKey);
    if (g) g.push(a);
    else groups.set(a.dedupeKey, [a]);
  }
  return groups;
}

/** One incident's summary from its messages (the first names it; the worst severity is its own). */
function summarise(
  msgs: readonly Alert[],
  until: number,
  topSlices: readonly string[],
  matches: readonly string[],
): IncidentSummary {
  const first = msgs[0]!;
  return {
    dedupeKey: first.dedupeKey,
    kind: first.kind,
    metric: first.metric,
    slice: first.slice,
    since: first.since,
    until: new Date(until).toISOString().replace('.000Z', 'Z'),
    severity: msgs.reduce((s, m) => (rank(m.severity) > rank(s) ? m.severity : s), first.severity),
    topSlices,
    messages: msgs.length,
    matches,
  };
}

/** One planted incident of a lake-level bench judged against the alerts of one grain. */
export interface TruthVerdict {
  readonly id: string;
  readonly kind: PlantedKind;
  readonly caught: boolean;
  /** Incidents raised on the `allowed` metrics (traffic notices) while it lasted. */
  readonly notices: number;
}

export interface TruthScore {
  readonly incidents: IncidentSummary[];
  readonly verdicts: TruthVerdict[];
  readonly metricIncidents: number;
  readonly realMetricIncidents: number;
  readonly dataAlerts: number;
  readonly realDataAlerts: number;
}

/**
 * Alerts of one grain scored against planted truths (shared/generator/planted-series.ts), by the rules
 * of the series bench (bench/detect/planted-eval.ts): a metric incident is real when it names a
 * planted metric on its slice, a top slice or a slice too small to name, and overlaps
 * [start, end + 2h); a data-quality
 * alert when it names a faulty source then; a traffic day is caught when only its `allowed` metrics
 * raised anything during it.
 */
export function scoreAgainstTruth(alerts: readonly Alert[], truth: readonly PlantedTruth[]): TruthScore {
  const groups = byIncident(alerts);
  const caught = new Set<string>();
  const incidents: IncidentSummary[] = [...groups.values()].map((msgs) => {
    const first = msgs[0]!;
    const since = Date.parse(first.since);
    const until = Math.max(since + HOUR, ...msgs.map((m) => Date.parse(m.windowStart) + HOUR));
    const top = [...new Set(msgs.flatMap((m) => m.topSlices.map((s) => s.slice)))];
    const matches: string[] = [];
    for (const p of truth) {
      if (!(since < p.end + 2 * HOUR && until > p.start)) continue;
      if (first.kind === 'data_quality') {
        if (p.source === first.metric) matches.push(p.id);
        continue;
      }
      const covered = first.metrics ?? [first.metric];
      // A slice too small to name (k-anonymity: `other`) cannot be checked: its metric and time must do.
      // The total's incident counts only where it names the slice among its top slices: one raised
      // by a move elsewhere that overlaps a small slice's spike has not caught the spike.
      const hit = p.metrics.some(
        (m) =>
          covered.includes(m.metric) &&
          (first.slice === m.slice || top.includes(m.slice) || first.sliceSuppressed === true),
      );
      if (hit) caught.add(p.id);
      if (hit || p.allowed?.includes(first.metric)) matches.push(p.id);
    }
    if (first.kind === 'data_quality') for (const id of matches) caught.add(id);
    return summarise(msgs, until, top, matches);
  });
  const verdicts = truth.map((p): TruthVerdict => {
    const during = incidents.filter(
      (i) =>
        i.kind === 'metric_incident' &&
        Date.parse(i.since) < p.end + 2 * HOUR &&
        Date.parse(i.until) > p.start,
    );
    const notices = during.filter((i) => p.allowed?.includes(i.metric)).length;
    if (p.kind !== 'traffic') return { id: p.id, kind: p.kind, caught: caught.has(p.id), notices };
    const wrong = during.filter((i) => !p.allowed?.includes(i.metric));
    return { id: p.id, kind: p.kind, caught: wrong.length === 0, notices };
  });
  const metric = incidents.filter((i) => i.kind === 'metric_incident');
  const data = incidents.filter((i) => i.kind === 'data_quality');
  return {
    incidents,
    verdicts,
    metricIncidents: metric.length,
    realMetricIncidents: metric.filter((i) => i.matches.length > 0).length,
    dataAlerts: data.length,
    realDataAlerts: data.filter((i) => i.matches.length > 0).length,
  };
}
