import { annotateAlert } from '../alerting/annotate.js';
import { candidatesAt, type Finding, topSlicesAt } from '../alerting/findings.js';
import { type IncidentBook, IncidentBookStore } from '../alerting/incident-book.js';
import { incidentKey, type OpenIncident } from '../alerting/incidents.js';
import { judgeWindow } from '../alerting/judge.js';
import { AlertOutbox, type DeliveryReport } from '../alerting/outbox.js';
import { OTHER } from '../alerting/root-cause.js';
import { scoreMetrics } from '../alerting/score-series.js';
import { KnownEvents } from '../calendar/calendar.js';
import type { Calendar } from '../calendar/schema.js';
import type { MetricConfig } from '../config/schema.js';
import type { MetricStore } from '../metrics/metric-store.js';
import type { Alert, AlertSink } from '../ports/alert-sink.js';
import type { Clock } from '../ports/clock.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { buildSliceGuard, type PrivacyOptions, type SliceUserRequest } from '../privacy/k-anonymity.js';
import {
  type DataIssue,
  excludedWindows,
  findDataIssues,
  type QualityRules,
  qualityRulesSchema,
  sourcesByMetric,
} from '../quality/guard.js';
import { countPartitions, type PartitionCounts } from '../quality/partition-counts.js';
import { incidentAnchor } from '../report/model.js';
import { reportKey } from '../report/write.js';
import { type Slice, TOTAL } from '../slices/slice.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import { addGrain, formatIso, type Grain, windowsInRange } from '../time/window.js';
import { mapWithConcurrency } from './pool.js';

/**
 * Detection use case shared by the hourly job, the daily job and the demo replay:
 * metric history (MetricStore) + data-quality guard → causal scores per metric and slice →
 * incidents (state in the ObjectStore) → alerts recorded in the outbox → delivered to the sink.
 */
export interface DetectionDeps {
  readonly engine: QueryEngine;
  readonly store: MetricStore;
  readonly objectStore: ObjectStore;
  readonly sink: AlertSink;
  /**
   * The metrics to watch, each with its own detection rules (`metrics[].detection`), team and owner;
   * a vigil.yaml's calendar of known events when there is one.
   */
  readonly config: MetricConfig & { readonly calendar?: Calendar };
  readonly clock: Clock;
  readonly quality?: Partial<QualityRules>;
  /**
   * Small-slice suppression in alerts: slices with fewer than `minSliceUsers` (default 5) distinct
   * users are merged into `other` before any alert names them. `minSliceUsers: 1` turns it off.
   */
  readonly privacy?: PrivacyOptions;
  /** Link to an incident in the report; defaults to the report's index in the object store. */
  readonly reportUrl?: (dedupeKey: string) => string;
}

export interface JudgeResult {
  readonly judged: number;
  /** Alerts newly recorded by this run (a rerun records none). */
  readonly alerts: Alert[];
  readonly delivery: DeliveryReport;
  readonly dataIssues: DataIssue[];
  readonly open: OpenIncident[];
}

/**
 * The data-quality guard's partition counts for judging up to `judgeTo` with history from
 * `historyFrom` (one engine query; the scheduled job also derives the lake's coverage from it).
 */
export async function guardCounts(
  deps: Pick<DetectionDeps, 'engine' | 'config' | 'quality'>,
  historyFrom: Date,
  judgeTo: Date,
): Promise<PartitionCounts> {
  const rules = qualityRulesSchema.parse(deps.quality ?? {});
  const sources = [...new Set([...sourcesByMetric(deps.config).values()].flat())].sort();
  const countedFrom = addGrain(historyFrom, 'day', -rules.historyDays);
  return countPartitions(deps.engine, deps.config, sources, countedFrom, judgeTo);
}

/**
 * Scores [historyFrom, judgeTo) and judges the windows in [judgeFrom, judgeTo) that the incident
 * state has not judged yet. Then delivers every pending alert (including earlier failures).
 */
export async function judgeWindows(
  deps: DetectionDeps,
  grain: Grain,
  historyFrom: Date,
  judgeFrom: Date,
  judgeTo: Date,
  /** The guard's partition counts when the caller already has them (guardCounts over a range ending at or after judgeTo). */
  precounted?: PartitionCounts,
): Promise<JudgeResult> {
  const rules = qualityRulesSchema.parse(deps.quality ?? {});
  const windows = windowsInRange(grain, historyFrom, judgeTo).map((w) => w.start.getTime());

  const countedFrom = addGrain(historyFrom, 'day', -rules.historyDays);
  const counts = precounted ?? (await guardCounts(deps, historyFrom, judgeTo));
  const issues = findDataIssues(
    counts,
    countedFrom.getTime(),
    historyFrom.getTime(),
    judgeTo.getTime(),
    rules,
  );
  const excluded = excludedWindows(deps.config, issues, grain);

  // Window by window: reads only the range, never lists the whole store.
  const read = await mapWithConcurrency(windows, 16, (t) => deps.store.readWindow(grain, new Date(t)));
  const rows = read.flatMap((r) => {
    if (!r.ok) throw r.error;
    return r.value ?? [];
  });
  // Known events (calendar): not learned from, annotated, and suppressed where they say so.
  const events = new KnownEvents(deps.config.calendar);
  const scores = scoreMetrics(rows, { metrics: deps.config, grain, windows, excluded, known: events });

  const books = new IncidentBookStore(deps.objectStore);
  const { book, etag } = await books.load(grain);
  const reportUrl =
    deps.reportUrl ??
    ((key: string) => `${deps.objectStore.urlOf(reportKey(STORAGE_LAYOUT.report.prefix))}#${anchorOf(key)}`);
  const done = book.processedThrough ? Date.parse(book.processedThrough) : Number.NEGATIVE_INFINITY;
  const open = new Map(Object.entries(book.open));
  const alerts: Alert[] = [];
  let judged = 0;
  let last = book.processedThrough;
  const judgedIdx = windows.flatMap((t, i) => (t < judgeFrom.getTime() || t <= done ? [] : [i]));
  // Small slices (k-anonymity) are decided before any message names them: people are counted once
  // for every slice that could be named (candidates and root-cause slices) in the judged windows.
  const requests: SliceUserRequest[] = [];
  for (const i of judgedIdx)
    for (const ms of scores) {
      const candidates = candidatesAt(ms, i);
      if (candidates.length === 0) continue;
      const named = new Map<string, Slice>(candidates.map((c) => [c.slice.key, c.slice]));
      for (const dir of ['up', 'down'] as const)
        for (const s of topSlicesAt(ms, i, dir)) if (s.slice !== OTHER) named.set(s.slice.key, s.slice);
      requests.push({ metric: ms.metric, t: windows[i]!, slices: [...named.values()] });
    }
  // On by default: alerts never name a slice of fewer than k people (minSliceUsers ≤ 1 turns it off).
  const guard = await buildSliceGuard(requests, { ...deps, grain });
  for (const i of judgedIdx) {
    const t = windows[i]!;
    judged++;
    last = formatIso(new Date(t));
    // Data quality is judged on hours only: the daily job holds affected days back, silently.
    const dataFindings =
      grain === 'hour' ? dataFindingsAt(issues, t, deps.config) : new Map<string, Finding>();
    alerts.push(...judgeWindow({ scores, i, t, grain, dataFindings, guard, reportUrl }, open));
  }

  // Team, owner and known events: what the config knows about each alert, before it is recorded.
  const metricsByName = new Map(deps.config.metrics.map((m) => [m.name, m]));
  for (let i = 0; i < alerts.length; i++) alerts[i] = annotateAlert(alerts[i]!, metricsByName, events);

  const outbox = new AlertOutbox(deps.objectStore);
  const now = deps.clock.now();
  // Record before advancing the state: a crash in between only re-records the same ids (no-ops).
  const recorded = await outbox.record(alerts, now);
  if (judged > 0) {
    const next: IncidentBook = {
      ...(last ? { processedThrough: last } : {}),
      open: Object.fromEntries(open),
    };
    await books.save(grain, next, etag);
  }
  const delivery = await outbox.deliver(deps.sink, now);
  return { judged, alerts: recorded, delivery, dataIssues: issues, open: [...open.values()] };
}

/** One data_quality finding per source with an issue in hour t. */
function dataFindingsAt(issues: readonly DataIssue[], t: number, cfg: MetricConfig): Map<string, Finding> {
  const out = new Map<string, Finding>();
  const users = sourcesByMetric(cfg);
  for (const issue of issues) {
    if (issue.t !== t) continue;
    const affected = [...users].filter(([, s]) => s.includes(issue.source)).map(([m]) => m);
    out.set(incidentKey('data_quality', issue.source, TOTAL), {
      kind: 'data_quality',
      metric: issue.source,
      t,
      slice: TOTAL,
      observed: issue.observed,
      expected: issue.expected,
      score: 1,
      direction: 'down',
      severity: issue.reason === 'missing' ? 'high' : 'medium',
      slices: [],
      topSlices: [],
      note: `${issue.reason === 'missing' ? 'Partition missing or late' : 'Volume collapsed'}; metrics held back for this window (not alerted, not learned): ${affected.join(', ')}.`,
    });
  }
  return out;
}

/** The report anchor of an incident (one rule, the report's). */
export const anchorOf = incidentAnchor;
