/**
 * Judges planted T&S series (shared/generator/planted-series.ts) through the product's detection
 * path — data-quality guard, causal scoring per metric and slice, findings, the incident state
 * machine — window by window as the hourly job does, and scores the incidents against the truth.
 * Used by bench/detect/planted.ts and by the detector tests (on other seeds).
 */
import { findAt } from '../../shared/alerting/findings.js';
import { incidentKey, type OpenIncident, stepIncident } from '../../shared/alerting/incidents.js';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import {
  generatePlanted,
  PLANTED_METRICS,
  type PlantedKind,
  type PlantedSeries,
} from '../../shared/generator/planted-series.js';
import type { Alert } from '../../shared/ports/alert-sink.js';
import { excludedWindows, findDataIssues, qualityRulesSchema } from '../../shared/quality/guard.js';

const HOUR = 3_600_000;

export interface RaisedIncident {
  readonly kind: Alert['kind'];
  readonly metric: string;
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
}

export function judgePlanted(data: PlantedSeries): PlantedResult {
  const config = selectMetrics(coreCatalog(), [...PLANTED_METRICS]);
  const windows = Array.from({ length: data.hours }, (_, i) => data.start + i * HOUR);
  const rules = qualityRulesSchema.parse({});
  const issues = findDataIssues(data.counts, data.start, data.start, data.start + data.hours * HOUR, rules);
  const excluded = excludedWindows(config, issues, 'hour');
  const scores = scoreMetrics(data.rows, { metrics: config, grain: 'hour', windows, excluded });

  const open = new Map<string, OpenIncident>();
  const raised: RaisedIncident[] = [];
  const live = new Map<string, RaisedIncident>();
  const reportUrl = () => '';
  windows.forEach((t, i) => {
    const findings = new Map<string, ReturnType<typeof findAt>>();
    for (const ms of scores) findings.set(incidentKey('metric_incident', ms.metric), findAt(ms, i));
    for (const issue of issues) {
      if (issue.t !== t) continue;
      findings.set(incidentKey('data_quality', issue.source), {
        kind: 'data_quality',
        metric: issue.source,
        t,
        slice: '',
        observed: issue.observed,
        expected: issue.expected,
        score: 1,
        direction: 'down',
        severity: 'medium',
        slices: [],
        topSlices: [],
      });
    }
    const keys = new Set([...findings.keys(), ...open.keys()]);
    for (const key of [...keys].sort()) {
      const ms = scores.find((s) => incidentKey('metric_incident', s.metric) === key);
      const rulesOf = ms?.rules ?? { resolveAfter: 1, cooldown: 3 };
      const step = stepIncident(open.get(key), findings.get(key), {
        t,
        grain: 'hour',
        resolveAfter: rulesOf.resolveAfter,
        cooldown: rulesOf.cooldown,
        reportUrl,
      });
      if (step.open) {
        if (!open.has(key)) {
          const inc: RaisedIncident = {
            kind: step.open.kind,
            metric: step.open.metric,
            slice: step.open.slice,
            slices: step.open.slices,
            since: t,
            until: t + HOUR,
            matches: [],
          };
          raised.push(inc);
          live.set(key, inc);
        } else {
          const inc = live.get(key)!;
          live.set(key, { ...inc, slices: step.open.slices, until: t + HOUR });
          raised[raised.indexOf(inc)] = live.get(key)!;
        }
        open.set(key, step.open);
      } else {
        open.delete(key);
        live.delete(key);
      }
    }
  });

  const caught = new Map(data.truth.map((p) => [p.id, false]));
  const kinds = new Map(data.truth.map((p) => [p.id, p.kind]));
  for (const inc of raised) {
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
      const hit = p.metrics.some(
        (m) =>
          m.metric === inc.metric &&
          (inc.slice === m.slice || inc.slice === '' || inc.slices.includes(m.slice)),
      );
      if (hit) {
        inc.matches.push(p.id);
        caught.set(p.id, true);
      } else if (p.allowed?.includes(inc.metric)) inc.matches.push(p.id);
    }
  }
  // The traffic day is "caught" when nothing but at most one allowed notice was raised for it.
  for (const p of data.truth) {
    if (p.kind !== 'traffic') continue;
    const during = raised.filter(
      (i) => i.kind === 'metric_incident' && i.since < p.end + 2 * HOUR && i.until > p.start,
    );
    const wrong = during.filter((i) => !p.allowed?.includes(i.metric));
    caught.set(p.id, wrong.length === 0 && during.length <= 1);
  }
  return { incidents: raised, caught, kinds };
}

export interface KindScore {
  planted: number;
  caught: number;
}

export interface PlantedSummary {
  readonly byKind: Map<PlantedKind, KindScore>;
  readonly metricIncidents: number;
  readonly realMetricIncidents: number;
  readonly dataAlerts: number;
  readonly realDataAlerts: number;
  readonly falseAlarms: RaisedIncident[];
}

export function summarisePlanted(seeds: readonly number[], days = 35): PlantedSummary {
  const byKind = new Map<PlantedKind, KindScore>();
  let metricIncidents = 0;
  let real = 0;
  let dataAlerts = 0;
  let realData = 0;
  const falseAlarms: RaisedIncident[] = [];
  for (const seed of seeds) {
    const r = judgePlanted(generatePlanted({ seed, days }));
    for (const [id, ok] of r.caught) {
      const kind = r.kinds.get(id)!;
      const k = byKind.get(kind) ?? { planted: 0, caught: 0 };
      k.planted++;
      if (ok) k.caught++;
      byKind.set(kind, k);
    }
    for (const inc of r.incidents) {
      if (inc.kind === 'data_quality') {
        dataAlerts++;
        if (inc.matches.length > 0) realData++;
      } else {
        metricIncidents++;
        if (inc.matches.length > 0) real++;
        else falseAlarms.push(inc);
      }
    }
  }
  return {
    byKind,
    metricIncidents,
    realMetricIncidents: real,
    dataAlerts,
    realDataAlerts: realData,
    falseAlarms,
  };
}
