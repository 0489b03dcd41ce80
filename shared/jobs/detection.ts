import { annotateAlert } from '../alerting/annotate.js';
import { watchedAt } from '../alerting/detection-config.js';
import { DetectorStateStore, holdsExactly } from '../alerting/detector-state-store.js';
import { candidatesAt, type Finding, topSlicesAt } from '../alerting/findings.js';
import { type DetectorStateRef, type IncidentBook, IncidentBookStore } from '../alerting/incident-book.js';
import { incidentKey, type OpenIncident } from '../alerting/incidents.js';
import {
  judgeWindow,
  medianOfFirstThree,
  referenceKey,
  referencesNeeded,
  referenceWindows,
} from '../alerting/judge.js';
import { AlertOutbox, type DeliveryReport } from '../alerting/outbox.js';
import { OTHER } from '../alerting/root-cause.js';
import {
  fingerprintOf,
  freshState,
  type MetricScores,
  type MetricState,
  metricScorer,
  observedIn,
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
      .filter((m) => watchedAt(m.detection, grain))
      .map((m) => [m.name, fingerprintOf(m, grain, cfg)]),
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
 * warm-up (test/jobs/detector-state.test.ts). Metric by metric, the detectors are restored,
 * advanced and written under a fresh name (one metric's held at a time); then alerts are recorded,
 * then the book (compare-and-swap) names the new state: a crash at any write leaves a book and a
 * state that match, and the rerun sends the same alerts.
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
  const step = addGrain(new Date(0), grain).getTime();
  const books = new IncidentBookStore(deps.objectStore);
  const { book, etag } = await books.load(grain);
  const done = book.processedThrough ? Date.parse(book.processedThrough) : Number.NEGATIVE_INFINITY;
  // The first window this run judges: the older windows are judged already or outside the range.
  const judgeStart = Math.max(judgeFrom.getTime(), done + step);

  const states = new DetectorStateStore(deps.objectStore);
  const watched = watchedMetrics(deps.config, grain);
  // Known events (calendar): not learned from, annotated, and suppressed where they say so.
  const events = new KnownEvents(deps.config.calendar);
  const judging = judgeStart < judgeTo.getTime();
  const ctx: PassContext = { deps, grain, judgeStart, judgeTo, precounted, states, watched, events };
  // Detectors that saw the windows through the book's processedThrough continue from there;
  // without a usable state (first run, lost, other detector code or config) they warm up on the
  // stored windows from historyFrom.
  const ref = book.detectorState;
  const restored =
    judging && ref && done + step >= historyFrom.getTime() && holdsExactly(ref, watched)
      ? await scorePass(ctx, done + step, ref)
      : undefined;
  const pass = restored ?? (await scorePass(ctx, historyFrom.getTime(), undefined));
  const source: DetectorStateUse['source'] = restored ? 'restored' : judging ? 'warmed' : 'none';
  const { windows, issues, excluded, scores } = pass;

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
  const history = new WindowHistory(deps.store, grain, windows, scores, excluded, deps.config);
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
  // Record before advancing the book: a crash in between only re-records the same ids (no-ops).
  const recorded = await outbox.record(alerts, now);
  if (judged > 0 && pass.saved) {
    // The new state is written already, under a name no book holds yet; the book's compare-and-swap makes it current.
    const next: IncidentBook = {
      ...(last ? { processedThrough: last } : {}),
      open: Object.fromEntries(open),
      detectorState: pass.saved,
    };
    await books.save(grain, next, etag);
    await states.prune(grain, pass.saved, book.detectorState, now);
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
            bytesRead: pass.bytesRead,
            bytesWritten: pass.bytesWritten,
            series: pass.series,
          },
        }
      : {}),
    alerts: recorded,
    delivery,
    dataIssues: issues,
    open: [...open.values()],
  };
}

interface PassContext {
  readonly deps: DetectionDeps;
  readonly grain: Grain;
  /** The first window judged: state is written when the pass reaches it. */
  readonly judgeStart: number;
  readonly judgeTo: Date;
  readonly precounted: PartitionCounts | undefined;
  readonly states: DetectorStateStore;
  /** metric → fingerprint of its detectors (watchedMetrics). */
  readonly watched: ReadonlyMap<string, string>;
  readonly events: KnownEvents;
}

/** What one pass over the windows from its learnFrom to judgeTo scored, and the state it wrote. */
interface ScoredPass {
  readonly windows: number[];
  readonly issues: DataIssue[];
  readonly excluded: Map<string, Set<number>>;
  readonly scores: MetricScores[];
  /** The new state (under a run no book names yet), when the pass reached a window to judge. */
  readonly saved?: DetectorStateRef;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly series: number;
}

/** A read started ahead of its use: marked handled now, so a failure surfaces where it is awaited. */
function ahead<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Reads the windows from `learnFrom` to judgeTo and scores them metric by metric: each metric's
 * detectors are restored from `restore` (or fresh without it), advanced, written under a new run
 * and released before the next metric's are decoded, so a tick holds one metric's detectors at a
 * time, however many series the grain has. Undefined when a metric of `restore` is missing or of
 * another detector (the caller warms up instead; what this pass wrote is removed).
 */
async function scorePass(
  c: PassContext,
  learnFrom: number,
  restore: DetectorStateRef,
): Promise<ScoredPass | undefined>;
async function scorePass(c: PassContext, learnFrom: number, restore: undefined): Promise<ScoredPass>;
async function scorePass(
  c: PassContext,
  learnFrom: number,
  restore: DetectorStateRef | undefined,
): Promise<ScoredPass | undefined> {
  const { deps, grain, judgeStart, judgeTo, states, watched } = c;
  const rules = qualityRulesSchema.parse(deps.quality ?? {});
  const windows =
    judgeStart < judgeTo.getTime()
      ? windowsInRange(grain, new Date(learnFrom), judgeTo).map((w) => w.start.getTime())
      : [];
  // Issues for every window learned or compared with (pre-incident references reach a lookback back).
  const issuesFrom = Math.min(learnFrom, judgeStart - lookbackMs(grain));
  const countedFrom = issuesFrom - rules.historyDays * 86_400_000;
  const counts = c.precounted ?? (await guardCounts(deps, new Date(issuesFrom), judgeTo));
  const issues = findDataIssues(counts, countedFrom, issuesFrom, judgeTo.getTime(), rules);
  const excluded = excludedWindows(deps.config, issues, grain);
  const base = { windows, issues, excluded, bytesRead: 0, bytesWritten: 0, series: 0 };
  if (windows.length === 0) return { ...base, scores: [] };

  // Window by window: reads only the range, never lists the whole store.
  const read = await mapWithConcurrency(windows, 16, (t) => deps.store.readWindow(grain, new Date(t)));
  const rows = read.flatMap((r) => {
    if (!r.ok) throw r.error;
    return r.value ?? [];
  });
  const step = addGrain(new Date(0), grain).getTime();
  const scorer = metricScorer(rows, {
    metrics: deps.config,
    grain,
    windows,
    excluded,
    known: c.events,
    zeroWindows: Math.round(lookbackMs(grain) / step),
  });
  const save = windows.some((t) => t >= judgeStart);
  const run = DetectorStateStore.newRun(deps.clock.now());
  const { order } = scorer;
  const written: string[] = [];
  let { bytesRead, bytesWritten, series } = base;
  // The next metric's bytes are read while this one is scored (not decoded before it is released),
  // and its encoded state is written while the next is scored (one write in flight).
  let next = restore && order[0] ? ahead(states.fetchMetric(grain, restore.run, order[0].name)) : undefined;
  let writing: Promise<number> | undefined;
  for (const [k, metric] of order.entries()) {
    let ms: MetricState;
    if (restore) {
      const obj = await next;
      next = order[k + 1] ? ahead(states.fetchMetric(grain, restore.run, order[k + 1]!.name)) : undefined;
      const loaded = DetectorStateStore.decodeMetric(obj, watched.get(metric.name)!);
      if (!loaded) {
        await writing;
        await states.discard(grain, run, written);
        return undefined;
      }
      ms = loaded.state;
      bytesRead += loaded.bytes;
    } else ms = freshState(metric, grain, deps.config);
    scorer.score(metric, ms);
    series += ms.slices.size;
    if (save) {
      const body = DetectorStateStore.encodeMetric(ms);
      if (writing) bytesWritten += await writing;
      writing = ahead(states.putMetric(grain, run, metric.name, body));
      written.push(metric.name);
    }
  }
  if (writing) bytesWritten += await writing;
  return {
    ...base,
    scores: scorer.results(),
    ...(save ? { saved: { run, metrics: written.sort() } } : {}),
    bytesRead,
    bytesWritten,
    series,
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
      // Every slice of the metric's detectors is in its scores (scoreMetrics scores them all).
      since: this.scoredBy.get(metric)?.since.get(sliceKey),
      excluded: this.excluded.get(metric)?.has(t) ?? false,
    });
  }

  /** The references judgeWindow reads at window t (referencesNeeded), from the windows before each. */
  async referencesFor(
    open: ReadonlyMap<string, OpenIncident>,
    t: number,
  ): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    for (const need of referencesNeeded(open.values(), [...this.scoredBy.values()], t)) {
      const key = referenceKey(need.metric, need.slice.key, need.since);
      if (out.has(key)) continue;
      const values: (number | null)[] = [];
      let found = 0;
      for (const j of referenceWindows(t, Date.parse(need.since), this.grain, t - lookbackMs(this.grain))) {
        const v = await this.observed(need.metric, need.slice.key, j);
        values.push(v);
        if (typeof v === 'number' && Number.isFinite(v) && ++found === 3) break;
      }
      out.set(key, medianOfFirstThree(values));
    }
    return out;
  }
}

/** One data_quality finding per source with an issue in hour t (incident key → finding). */
export function dataFindingsAt(
  issues: readonly DataIssue[],
  t: number,
  cfg: MetricConfig,
): Map<string, Finding> {
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
