/**
 * Judges planted T&S series (shared/generator/planted-series.ts) through the product's detection
 * path — data-quality guard, causal scoring per metric and slice, the product's window judge
 * (judgeWindow: findings, grouping, the incident state machine), with the job's own data-quality
 * findings (dataFindingsAt) — window by window as the hourly job does, and scores the incidents against the truth.
 * Used by bench/detect/planted.ts and by the detector tests (on other seeds).
 */
import type { OpenIncident } from '../../shared/alerting/incidents.js';
import { judgeWindow } from '../../shared/alerting/judge.js';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import {
  generatePlanted,
  PLANTED_METRICS,
  type PlantedKind,
  type PlantedSeries,
} from '../../shared/generator/planted-series.js';
import { dataFindingsAt } from '../../shared/jobs/detection.js';
import type { Alert } from '../../shared/ports/alert-sink.js';
import { NO_GUARD } from '../../shared/privacy/k-anonymity.js';
import { excludedWindows, findDataIssues, qualityRulesSchema } from '../../shared/quality/guard.js';

const HOUR = 3_600_000;

export interface RaisedIncident {
  readonly kind: Alert['kind'];
  readonly metric: string;
  /** Every metric the incident covers (a count and its own rate are one incident). */
  readonly metrics: readonly string[];
  readonly slice: string;
  readonly slices: readonly string[];
  readonly since: number;
  readonly until: number;
  /** Planted ids it matches (empty: a false alarm). */
  readonly matches: string[];
}

export interface PlantedResult {
  readonly incidents: RaisedIncident[];
  /** planted id → caught */
  readonly caught: Map<string, boolean>;
  readonly kinds: Map<string, PlantedKind>;
  /** Incidents (all on the exposure) raised during each traffic day. */
  readonly trafficNotices: number[];
}

export function judgePlanted(data: PlantedSeries): PlantedResult {
  const config = selectMetrics(coreCatalog(), [...PLANTED_METRICS]);
  const windows = Array.from({ length: data.hours }, (_, i) => data.start + i * HOUR);
  const rules = qualityRulesSchema.parse({});
  const issues = findDataIssues(data.counts, data.start, data.start, data.start + data.hours * HOUR, rules);
  const excluded = excludedWindows(config, issues, 'hour');
  const scores = scoreMetrics(data.rows, { metrics: config, grain: 'hour', windows, excluded });

  const open = new Map<string, OpenIncident>();
  const raised = new Map<string, RaisedIncident>();
  windows.forEach((t, i) => {
    const dataFindings = dataFindingsAt(issues, t, config);
    // The product's own window judge (shared/alerting/judge.ts), without the privacy guard.
    judgeWindow({ scores, i, t, grain: 'hour', dataFindings, guard: NO_GUARD, reportUrl: () => '' }, open);
    for (const inc of open.values()) {
      const known = raised.get(inc.dedupeKey);
      raised.set(inc.dedupeKey, {
        kind: inc.kind,
        metric: inc.metric,
        metrics: [...new Set([...(known?.metrics ?? []), ...(inc.metrics ?? [inc.metric])])],
        slice: inc.slice.key,
        slices: inc.slices.map((sl) => sl.key),
        since: known?.since ?? t,
        until: t + HOUR,
        matches: [],
      });
    }
  });
  const incidents = [...raised.values()];

  const caught = new Map(data.truth.map((p) => [p.id, false]));
  const trafficNotices: number[] = [];
  const kinds = new Map(data.truth.map((p) => [p.id, p.kind]));
  for (const inc of incidents) {
    for (const p of data.truth) {
      // A metric incident is caught up to 2 h after the planted end (one window of lag + resolve).
      const overlaps = inc.since < p.end + 2 * HOUR && inc.until > p.start;
      if (!overlaps) continue;
      if (inc.kind === 'data_quality') {
        if (p.source === inc.metric) {
          inc.matches.push(p.id);
          caught.set(p.id, true);
        }
        continue;
      }
      // The slice must be the incident's own or one it names: a total's incident that overlaps a
      // small slice's spike by chance (a shift elsewhere) has not caught it.
      const hit = p.metrics.some(
        (m) => inc.metrics.includes(m.metric) && (inc.slice === m.slice || inc.slices.includes(m.slice)),
      );
      if (hit) {
        inc.matches.push(p.id);
        caught.set(p.id, true);
      } else if (p.allowed?.includes(inc.metric)) inc.matches.push(p.id);
    }
  }
  // The traffic day is "caught" when nothing but notices on the exposure itself were raised for it
  // (their number is reported apart: incidents are per slice, so a slice's tail can be a second one).
  for (const p of data.truth) {
    if (p.kind !== 'traffic') continue;
    const during = incidents.filter(
      (i) => i.kind === 'metric_incident' && i.since < p.end + 2 * HOUR && i.until > p.start,
    );
    const wrong = during.filter((i) => !p.allowed?.includes(i.metric));
    caught.set(p.id, wrong.length === 0);
    trafficNotices.push(during.length);
  }
  return { incidents, caught, kinds, trafficNotices };
}

export interface KindScore {
  planted: number;
  caught: number;
  /** Opened incidents that match a planted incident of the kind (an incident can match two kinds). */
  incidents: number;
}

/** Opened metric incidents of one head metric, and how many of them match a planted incident. */
export interface MetricPrecision {
  opened: number;
  real: number;
}

export interface PlantedSummary {
  readonly byKind: Map<PlantedKind, KindScore>;
  /** head metric → its metric incidents (precision per metric: false alarms have no kind). */
  readonly byMetric: Map<string, MetricPrecision>;
  readonly metricIncidents: number;
  readonly realMetricIncidents: number;
  readonly dataAlerts: number;
  readonly realDataAlerts: number;
  readonly falseAlarms: RaisedIncident[];
  readonly trafficNotices: number[];
}

export function summarisePlanted(seeds: readonly number[], days = 35, noise = 0): PlantedSummary {
  const byKind = new Map<PlantedKind, KindScore>();
  const byMetric = new Map<string, MetricPrecision>();
  let metricIncidents = 0;
  let real = 0;
  let dataAlerts = 0;
  let realData = 0;
  const falseAlarms: RaisedIncident[] = [];
  const trafficNotices: number[] = [];
  for (const seed of seeds) {
    const r = judgePlanted(generatePlanted({ seed, days, noise }));
    trafficNotices.push(...r.trafficNotices);
    for (const [id, ok] of r.caught) {
      const kind = r.kinds.get(id)!;
      const k = byKind.get(kind) ?? { planted: 0, caught: 0, incidents: 0 };
      k.planted++;
      if (ok) k.caught++;
      byKind.set(kind, k);
    }
    for (const inc of r.incidents) {
      for (const kind of new Set(inc.matches.map((id) => r.kinds.get(id)!))) byKind.get(kind)!.incidents++;
      if (inc.kind === 'data_quality') {
        dataAlerts++;
        if (inc.matches.length > 0) realData++;
      } else {
        metricIncidents++;
        const m = byMetric.get(inc.metric) ?? { opened: 0, real: 0 };
        m.opened++;
        byMetric.set(inc.metric, m);
        if (inc.matches.length > 0) {
          real++;
          m.real++;
        } else falseAlarms.push(inc);
      }
    }
  }
  return {
    byKind,
    byMetric,
    metricIncidents,
    realMetricIncidents: real,
    dataAlerts,
    realDataAlerts: realData,
    falseAlarms,
    trafficNotices,
  };
}
