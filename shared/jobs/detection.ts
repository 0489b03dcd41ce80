import { annotateAlert } from '../alerting/annotate.js';
import { detectionFor } from '../alerting/detection-config.js';
import { DetectorStateStore } from '../alerting/detector-state-store.js';
import { candidatesAt, type Finding, topSlicesAt } from '../alerting/findings.js';
import { type IncidentBook, IncidentBookStore } from '../alerting/incident-book.js';
import { incidentKey, type OpenIncident } from '../alerting/incidents.js';
import { judgeWindow, medianOfFirstThree, referenceKey, referenceWindows } from '../alerting/judge.js';
import { AlertOutbox, type DeliveryReport } from '../alerting/outbox.js';
import { OTHER } from '../alerting/root-cause.js';
import {
  type DetectorStates,
  fingerprintOf,
  type MetricScores,
  observedIn,
  scoreMetrics,
  shapeOf,
} from '../alerting/score-series.js';
import { KnownEvents } from '../calendar/calendar.js';
import type { Calendar } from '../calendar/schema.js';
import type { MetricConfig } from '../config/schema.js';
import type { MetricRow } from '../metrics/metric-row.js';
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
import { SCHEDULE } from './schedule.js';

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

/** How detection got its detectors this run (for summaries and benches). */
export interface DetectorStateUse {
  /** restored: continued from the stored state; warmed: re-learned from the metric history. */
  readonly source: 'restored' | 'warmed' | 'none';
  /** Windows pushed into the detectors (the new ones only, when restored). */
  readonly windowsLearned: number;
  /** Metric windows read from the store (learned ones, plus older ones incidents compare with). */
  readonly windowsRead: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly series: number;
}

export interface JudgeResult {
  readonly judged: number;
  readonly detectorState?: DetectorStateUse;
  /** Alerts newly recorded by this run (a rerun records none). */
  readonly alerts: Alert[];
  readonly delivery: DeliveryReport;
  readonly dataIssues: DataIssue[];
  readonly open: OpenIncident[];
}

/** Days of metric history the detectors learn from when they start without state (the schedule's lookback). */
export function lookbackMs(grain: Grain): number {
  return SCHEDULE[grain].lookbackDays * 86_400_000;
}

/**
 * The first window whose data detection may need when judging from `judgeFrom` with history from
 * `historyFrom`: the history, and the lookback before the first judged window (pre-incident
 * references of open incidents reach back that far).
 */
export function detectionHistoryFrom(grain: Grain, historyFrom: Date, judgeFrom: Date): Date {
  return new Date(Math.min(historyFrom.getTime(), judgeFrom.getTime() - lookbackMs(grain)));
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

/** Metrics detection watches at the grain, each with the fingerprint of its detectors. */
export function watchedMetrics(cfg: MetricConfig, grain: Grain): Map<string, string> {
  return new Map(
    cfg.metrics
      .filter((m) => {
        const rules = detectionFor(m.detection, grain);
        return rules.enabled && rules.grains.includes(grain);
      })
      .map((m) => [m.name, fingerprintOf(m, grain)]),
  );
}

/**
 * Judges the windows in [judgeFrom, judgeTo) that the incident state has not judged yet, then
 * delivers every pending alert (including earlier failures).
 *
 * The detectors continue from the state the incident book names (the windows through its
 * processedThrough), so only the windows after it are read and learned; without a usable state
 * (first run, lost, other detector code or config) they are warmed up on the stored windows from
 * `historyFrom`. Either way the scores equal those of one pass over all windows from the first
 * warm-up (test/jobs/detector-state.test.ts). Alerts are recorded, then the new state is written
 * under a fresh name, then the book (compare-and-swap) names it: a crash at any write leaves a
 * book and a state that match, and the rerun sends the same alerts.
 */
export async function judgeWindows(
  deps: DetectionDeps,
  grain: Grain,
  historyFrom: Date,
  judgeFrom: Date,
  judgeTo: Date,
  /** The guard's partition counts when the caller already has them (guardCounts from detectionHistoryFrom, ending at or after judgeTo). */
  precounted?: PartitionCounts,
): Promise<JudgeResult> {
  const rules = qualityRulesSchema.parse(deps.quality ?? {});
  const step = addGrain(new Date(0), grain).getTime();
  const books = new IncidentBookStore(deps.objectStore);
  const { book, etag } = await books.load(grain);
  const done = book.processedThrough ? Date.parse(book.processedThrough) : Number.NEGATIVE_INFINITY;
  // The first window this run judges: the older windows are judged already or outside the range.
  const judgeStart = Math.max(judgeFrom.getTime(), done + step);

  const states = new DetectorStateStore(deps.objectStore);
  const watched = watchedMetrics(deps.config, grain);
  let detectors: DetectorStates = new Map();
  let source: DetectorStateUse['source'] = 'none';
  let bytesRead = 0;
  // Detectors that saw the windows through the book's processedThrough continue from there.
  let learnFrom = historyFrom.getTime();
  if (judgeStart < judgeTo.getTime() && book.detectorState && done + step >= historyFrom.getTime()) {
    const loaded = await states.load(grain, book.detectorState, watched);
    if (loaded) {
      detectors = loaded.states;
      bytesRead = loaded.bytes;
      learnFrom = done + step;
      source = 'restored';
    }
  }
  if (source === 'none' && judgeStart < judgeTo.getTime()) source = 'warmed';
  const windows =
    judgeStart < judgeTo.getTime()
      ? windowsInRange(grain, new Date(learnFrom), judgeTo).map((w) => w.start.getTime())
      : [];

  // Issues for every window learned or compared with (pre-incident references reach a lookback back).
  const issuesFrom = Math.min(learnFrom, judgeStart - lookbackMs(grain));
  const countedFrom = issuesFrom - rules.historyDays * 86_400_000;
  const counts = precounted ?? (await guardCounts(deps, new Date(issuesFrom), judgeTo));
  const issues = findDataIssues(counts, countedFrom, issuesFrom, judgeTo.getTime(), rules);
  const excluded = excludedWindows(deps.config, issues, grain);

  // Window by window: reads only the range, never lists the whole store.
  const read = await mapWithConcurrency(windows, 16, (t) => deps.store.readWindow(grain, new Date(t)));
  const rows = read.flatMap((r) => {
    if (!r.ok) throw r.error;
    return r.value ?? [];
  });
  // Known events (calendar): not learned from, annotated, and suppressed where they say so.
  const events = new KnownEvents(deps.config.calendar);
  const scores = scoreMetrics(rows, {
    metrics: deps.config,
    grain,
    windows,
    excluded,
    known: events,
    state: detectors,
    zeroWindows: Math.round(lookbackMs(grain) / step),
  });
  // Every watched metric keeps state, with or without rows so far (count zeros accumulate).
  for (const name of [...detectors.keys()]) if (!watched.has(name)) detectors.delete(name);

  const reportUrl =
    deps.reportUrl ??
    ((key: string) => `${deps.objectStore.urlOf(reportKey(STORAGE_LAYOUT.report.prefix))}#${anchorOf(key)}`);
  const open = new Map(Object.entries(book.open));
  const alerts: Alert[] = [];
  let judged = 0;
  let last = book.processedThrough;
  const judgedIdx = windows.flatMap((t, i) => (t < judgeStart ? [] : [i]));
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
  const history = new WindowHistory(deps.store, grain, windows, scores, excluded, detectors, deps.config);
  let windowsRead = windows.length;
  for (const i of judgedIdx) {
    const t = windows[i]!;
    judged++;
    last = formatIso(new Date(t));
    // Data quality is judged on hours only: the daily job holds affected days back, silently.
    const dataFindings =
      grain === 'hour' ? dataFindingsAt(issues, t, deps.config) : new Map<string, Finding>();
    const references = await history.referencesFor(open, t);
    alerts.push(...judgeWindow({ scores, i, t, grain, dataFindings, guard, reportUrl, references }, open));
  }
  windowsRead += history.extraReads;

  // Team, owner and known events: what the config knows about each alert, before it is recorded.
  const metricsByName = new Map(deps.config.metrics.map((m) => [m.name, m]));
  for (let i = 0; i < alerts.length; i++) alerts[i] = annotateAlert(alerts[i]!, metricsByName, events);

  const outbox = new AlertOutbox(deps.objectStore);
  const now = deps.clock.now();
  // Record before advancing the state: a crash in between only re-records the same ids (no-ops).
  const recorded = await outbox.record(alerts, now);
  let bytesWritten = 0;
  if (judged > 0) {
    // The new state first, under a name no book holds yet; the book's compare-and-swap makes it current.
    const saved = await states.save(grain, detectors, now);
    bytesWritten = saved.bytes;
    const next: IncidentBook = {
      ...(last ? { processedThrough: last } : {}),
      open: Object.fromEntries(open),
      detectorState: { run: saved.run, metrics: saved.metrics },
    };
    await books.save(grain, next, etag);
    await states.prune(grain, next.detectorState!, book.detectorState, now);
  }
  const delivery = await outbox.deliver(deps.sink, now);
  return {
    judged,
    ...(source !== 'none'
      ? {
          detectorState: {
            source,
            windowsLearned: windows.length,
            windowsRead,
            bytesRead,
            bytesWritten,
            series: [...detectors.values()].reduce((n, ms) => n + ms.slices.size, 0),
          },
        }
      : {}),
    alerts: recorded,
    delivery,
    dataIssues: issues,
    open: [...open.values()],
  };
}

/**
 * What the judge compares open incidents with: the same window of earlier periods before the
 * incident started (judge.ts referenceWindows), back one lookback from the window judged. Windows
 * this run scored come from its scores; older ones are read from the metric store once each.
 */
class WindowHistory {
  private readonly first: number;
  private readonly cache = new Map<number, readonly MetricRow[]>();
  private readonly scoredBy: Map<string, MetricScores>;
  extraReads = 0;

  constructor(
    private readonly store: MetricStore,
    private readonly grain: Grain,
    windows: readonly number[],
    scores: readonly MetricScores[],
    private readonly excluded: ReadonlyMap<string, ReadonlySet<number>>,
    private readonly detectors: DetectorStates,
    private readonly config: MetricConfig,
  ) {
    this.first = windows[0] ?? Number.POSITIVE_INFINITY;
    this.scoredBy = new Map(scores.map((m) => [m.metric, m]));
  }

  private async rowsOf(t: number): Promise<readonly MetricRow[]> {
    const hit = this.cache.get(t);
    if (hit) return hit;
    this.extraReads++;
    const rows = (await this.store.readWindow(this.grain, new Date(t))) ?? [];
    this.cache.set(t, rows);
    return rows;
  }

  private async observed(metric: string, sliceKey: string, t: number): Promise<number | null> {
    if (t >= this.first) {
      const idx = (t - this.first) / addGrain(new Date(0), this.grain).getTime();
      return this.scoredBy.get(metric)?.slices.get(sliceKey)?.[idx]?.observed ?? null;
    }
    const def = this.config.metrics.find((m) => m.name === metric);
    if (!def) return null;
    return observedIn(await this.rowsOf(t), metric, shapeOf(def), sliceKey, t, {
      since: this.detectors.get(metric)?.slices.get(sliceKey)?.since,
      excluded: this.excluded.get(metric)?.has(t) ?? false,
    });
  }

  /** The references of every open metric incident's slices for window t (index i). */
  async referencesFor(
    open: ReadonlyMap<string, OpenIncident>,
    t: number,
  ): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    for (const inc of open.values()) {
      if (inc.kind !== 'metric_incident') continue;
      // A family's incident is still off while any of its metrics is (judge.ts stillOff).
      const family =
        inc.family === undefined
          ? undefined
          : [...this.scoredBy.values()].find((m) => m.family?.id === inc.family)?.family;
      const metrics = family ? [family.rate, family.count] : [inc.metric];
      for (const metric of metrics)
        for (const s of [inc.slice, ...inc.slices]) {
          const key = referenceKey(metric, s.key, inc.since);
          if (out.has(key)) continue;
          const values: (number | null)[] = [];
          let found = 0;
          for (const j of referenceWindows(
            t,
            Date.parse(inc.since),
            this.grain,
            t - lookbackMs(this.grain),
          )) {
            const v = await this.observed(metric, s.key, j);
            values.push(v);
            if (typeof v === 'number' && Number.isFinite(v) && ++found === 3) break;
          }
          out.set(key, medianOfFirstThree(values));
        }
    }
    return out;
  }
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
