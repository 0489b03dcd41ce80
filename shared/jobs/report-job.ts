import { AlertOutbox } from '../alerting/outbox.js';
import { type MetricScores, type ScoredPoint, scoreMetrics } from '../alerting/score-series.js';
import { getOrInsert } from '../collections.js';
import { KnownEvents } from '../calendar/calendar.js';
import type { Calendar } from '../calendar/schema.js';
import type { MetricConfig } from '../config/schema.js';
import { unitLookup, unitOf } from '../config/units.js';
import { DataError } from '../errors.js';
import type { MetricRow } from '../metrics/metric-row.js';
import { MetricStore } from '../metrics/metric-store.js';
import type { Alert } from '../ports/alert-sink.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { buildSliceGuard, DEFAULT_MIN_SLICE_USERS, type PrivacyOptions } from '../privacy/k-anonymity.js';
import { fromAlerts, fromExperimentReadout, fromPolicyReadout } from '../report/adapters.js';
import type {
  ReportAnalysis,
  ReportData,
  ReportExperiment,
  ReportPoint,
  ReportPolicy,
} from '../report/model.js';
import { type WrittenReport, writeReport } from '../report/write.js';
import { compareSlices, isTotal, type Slice, sliceLabel } from '../slices/slice.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import { addGrain, formatIso, type Grain, windowsInRange } from '../time/window.js';
import { mapWithConcurrency } from './pool.js';
import { loadReadouts } from './readouts-store.js';

export interface ReportJobOptions {
  readonly objectStore: ObjectStore;
  readonly store: MetricStore;
  readonly config: MetricConfig & { readonly calendar?: Calendar };
  readonly from: Date;
  readonly to: Date;
  /** Alerts in the order they were sent (the last message of an incident wins). */
  readonly alerts: readonly Alert[];
  readonly experiments?: readonly ReportExperiment[];
  readonly policies?: readonly ReportPolicy[];
  readonly analyses?: readonly ReportAnalysis[];
  readonly title?: string;
  readonly prefix?: string;
  readonly now: Date;
  /**
   * The lake, to count the people behind each slice series: series of fewer than k people over the
   * report window are left out (k-anonymity). Without it only the totals are charted, as the store
   * alone cannot tell how many people a slice holds; `privacy.minSliceUsers: 1` shows every slice.
   */
  readonly engine?: QueryEngine;
  readonly privacy?: PrivacyOptions;
}

/** Windows of trailing residuals used for the expected band (a week of hours). */
const BAND_WINDOW = 168;
/** Band half-width in robust standard deviations of the residuals. */
const BAND_SIGMAS = 3;

/**
 * The band around the detector's expectation: ±3 robust SDs (1.4826 × MAD) of the residuals of the
 * preceding windows, so it shows how far the series usually strays from what was expected.
 */
export function withBand(points: readonly ScoredPoint[]): ReportPoint[] {
  const residuals: number[] = [];
  return points.map((p) => {
    let lower: number | null = null;
    let upper: number | null = null;
    if (p.expected !== null && residuals.length >= 24) {
      const recent = residuals.slice(-BAND_WINDOW).sort((a, b) => a - b);
      const median = recent[recent.length >> 1]!;
      const mad = recent.map((r) => Math.abs(r - median)).sort((a, b) => a - b)[recent.length >> 1]!;
      const half = BAND_SIGMAS * 1.4826 * mad;
      lower = p.expected - half;
      upper = p.expected + half;
    }
    if (p.observed !== null && p.expected !== null && !p.isAnomaly) residuals.push(p.observed - p.expected);
    return { t: p.t, value: p.observed, expected: p.expected, lower, upper, anomaly: p.isAnomaly };
  });
}

function observedOnly(
  rows: readonly MetricRow[],
  metric: string,
  windows: readonly number[],
  slice: string,
): ReportPoint[] {
  const byT = new Map(
    rows
      .filter((r) => r.metric === metric && r.slice.key === slice)
      .map((r) => [r.windowStart.getTime(), r.value]),
  );
  return windows.map((t) => ({ t, value: byT.get(t) ?? null }));
}

async function readRows(store: MetricStore, grain: Grain, from: Date, to: Date): Promise<MetricRow[]> {
  const windows = windowsInRange(grain, from, to);
  const read = await mapWithConcurrency(windows, 16, (w) => store.readWindow(grain, w.start));
  return read.flatMap((r) => (r.ok && r.value ? r.value : []));
}

/** Builds the report from the metric store and the run's outputs, and writes it through the ObjectStore. */
export async function runReportJob(o: ReportJobOptions): Promise<WrittenReport & { data: ReportData }> {
  const hourly = await readRows(o.store, 'hour', o.from, o.to);
  const windows = windowsInRange('hour', o.from, o.to).map((w) => w.start.getTime());
  const known = new KnownEvents(o.config.calendar);
  const score = (rows: readonly MetricRow[]): MetricScores[] =>
    // Charts show what detection expected: known events scored, not learned, as in the jobs.
    scoreMetrics(rows, { metrics: o.config, grain: 'hour', windows, excluded: new Map(), known });
  // Every series the store holds, scored once (each slice's detector sees only its own past).
  const scored = new Map(score(hourly).map((m) => [m.metric, m]));
  const totalOf = new Map([...scored].map(([name, m]) => [name, m.slices.get('') ?? []]));

  const pointsFor = (metric: string, slice: string, grain: Grain): ReportPoint[] => {
    if (grain !== 'hour') return [];
    const series = scored.get(metric)?.slices.get(slice);
    if (series) return withBand(series);
    return slice === '' ? [] : observedOnly(hourly, metric, windows, slice);
  };
  const visible = await visibleSlices(o, hourly);
  const { incidents, dataQuality } = fromAlerts(o.alerts, pointsFor, unitLookup(o.config));
  const data: ReportData = {
    generatedAt: o.now.toISOString(),
    title: o.title ?? 'Vigil — trust & safety metrics',
    window: { from: formatIso(o.from), to: formatIso(o.to) },
    metrics: o.config.metrics.flatMap((m) => [
      {
        name: m.name,
        grain: 'hour' as const,
        unit: unitOf(m),
        ...(m.description ? { description: m.description } : {}),
        // Metrics not watched hourly are charted without an expectation.
        points: totalOf.has(m.name)
          ? withBand(totalOf.get(m.name)!)
          : observedOnly(hourly, m.name, windows, ''),
      },
      ...(visible.get(m.name) ?? []).map((slice) => ({
        name: m.name,
        slice: slice.key,
        sliceLabel: sliceLabel(slice),
        grain: 'hour' as const,
        unit: unitOf(m),
        points: pointsFor(m.name, slice.key, 'hour'),
      })),
    ]),
    incidents,
    dataQuality,
    experiments: o.experiments ?? [],
    policies: o.policies ?? [],
    ...(o.analyses ? { analyses: o.analyses } : {}),
  };
  const written = await writeReport(o.objectStore, o.prefix ?? 'report', data);
  return { ...written, data };
}

/** The slice series of each metric the report may name: all of them, minus those of fewer than k people. */
async function visibleSlices(o: ReportJobOptions, rows: readonly MetricRow[]): Promise<Map<string, Slice[]>> {
  const all = new Map<string, Map<string, Slice>>();
  for (const r of rows)
    if (!isTotal(r.slice)) getOrInsert(all, r.metric, () => new Map()).set(r.slice.key, r.slice);
  const sorted = new Map([...all].map(([m, s]) => [m, [...s.values()].sort(compareSlices)]));
  const k = o.privacy?.minSliceUsers ?? DEFAULT_MIN_SLICE_USERS;
  if (k <= 1) return sorted;
  if (!o.engine) return new Map();
  const guard = await buildSliceGuard(
    [...sorted].map(([metric, slices]) => ({ metric, t: o.from.getTime(), end: o.to.getTime(), slices })),
    { engine: o.engine, config: o.config, grain: 'hour', ...(o.privacy ? { privacy: o.privacy } : {}) },
  );
  return new Map(
    [...sorted].map(([metric, slices]) => [
      metric,
      slices.filter((s) => guard.isLarge(metric, o.from.getTime(), s)),
    ]),
  );
}

/** The store holds no hourly metric window: there is nothing to chart yet. */
export class NoStoredWindowsError extends DataError {
  constructor(where: string) {
    super(`${where} holds no hourly metric windows to report on (run the hourly job or a replay first)`);
  }
}

export interface StoredReportOptions {
  /** The results store: metric windows, the outbox's alerts, the latest readouts. */
  readonly objectStore: ObjectStore;
  readonly config: MetricConfig;
  /** End of the report (exclusive); default: the end of the last hourly window stored. */
  readonly to?: Date;
  /** Days of history charted (default 28), never before the first window stored. */
  readonly days?: number;
  /** Where the report is written (default: the results store, at STORAGE_LAYOUT.report). */
  readonly out?: { readonly store: ObjectStore; readonly prefix: string };
  readonly analyses?: readonly ReportAnalysis[];
  readonly title?: string;
  readonly now: Date;
  /** The lake, to count people behind slice series (k-anonymity); without it only totals are charted. */
  readonly engine?: QueryEngine;
  readonly privacy?: PrivacyOptions;
}

/**
 * The report from what the results store holds, as the daily job writes it and `vigil report`
 * rewrites it: hourly metric windows, every alert of the outbox, the latest readouts.
 */
export async function writeStoredReport(
  o: StoredReportOptions,
): Promise<WrittenReport & { data: ReportData; from: Date; to: Date }> {
  const store = new MetricStore(o.objectStore);
  const all = await store.listWindows('hour');
  const stored = o.to ? all.filter((t) => t < o.to!) : all;
  if (stored.length === 0) throw new NoStoredWindowsError(o.objectStore.urlOf(STORAGE_LAYOUT.metrics.prefix));
  const to = o.to ?? addGrain(stored[stored.length - 1]!, 'hour');
  const earliest = addGrain(to, 'day', -(o.days ?? 28));
  const from = new Date(Math.max(stored[0]!.getTime(), earliest.getTime()));
  const alerts = (await new AlertOutbox(o.objectStore).all()).filter(
    (a) => Date.parse(a.windowStart) < to.getTime(),
  );
  const readouts = await loadReadouts(o.objectStore);
  const written = await runReportJob({
    objectStore: o.out?.store ?? o.objectStore,
    prefix: o.out?.prefix ?? STORAGE_LAYOUT.report.prefix,
    store,
    config: o.config,
    from,
    to,
    alerts,
    experiments: (readouts?.experiments ?? []).map(fromExperimentReadout),
    policies: (readouts?.policies ?? []).map((r) => fromPolicyReadout(r, unitLookup(o.config))),
    ...(o.analyses ? { analyses: o.analyses } : {}),
    ...(o.title ? { title: o.title } : {}),
    ...(o.engine ? { engine: o.engine } : {}),
    ...(o.privacy ? { privacy: o.privacy } : {}),
    now: o.now,
  });
  return { ...written, from, to };
}
