import { AlertOutbox } from '../alerting/outbox.js';
import { type MetricScores, type ScoredPoint, scoreMetrics } from '../alerting/score-series.js';
import type { MetricConfig } from '../config/schema.js';
import { unitLookup, unitOf } from '../config/units.js';
import { DataError } from '../errors.js';
import type { MetricRow } from '../metrics/metric-row.js';
import { MetricStore } from '../metrics/metric-store.js';
import type { Alert } from '../ports/alert-sink.js';
import type { ObjectStore } from '../ports/object-store.js';
import { fromAlerts, fromExperimentReadout, fromPolicyReadout } from '../report/adapters.js';
import type {
  ReportAnalysis,
  ReportData,
  ReportExperiment,
  ReportPoint,
  ReportPolicy,
} from '../report/model.js';
import { type WrittenReport, writeReport } from '../report/write.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import { addGrain, formatIso, type Grain, windowsInRange } from '../time/window.js';
import { mapWithConcurrency } from './pool.js';
import { loadReadouts } from './readouts-store.js';

export interface ReportJobOptions {
  readonly objectStore: ObjectStore;
  readonly store: MetricStore;
  readonly config: MetricConfig;
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

function observedOnly(rows: readonly MetricRow[], metric: string, windows: readonly number[]): ReportPoint[] {
  const byT = new Map(
    rows
      .filter((r) => r.metric === metric && r.slice.key === '')
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
  const score = (rows: readonly MetricRow[]): MetricScores[] =>
    scoreMetrics(rows, { metrics: o.config, grain: 'hour', windows, excluded: new Map() });
  const totals = score(hourly.filter((r) => r.slice.key === ''));
  const totalOf = new Map(totals.map((m) => [m.metric, m.slices.get('') ?? []]));

  const pointsFor = (metric: string, slice: string, grain: Grain): ReportPoint[] => {
    if (grain !== 'hour') return [];
    if (slice === '') return withBand(totalOf.get(metric) ?? []);
    const scored = score(hourly.filter((r) => r.metric === metric && r.slice.key === slice));
    return withBand(scored[0]?.slices.get(slice) ?? []);
  };
  const { incidents, dataQuality } = fromAlerts(o.alerts, pointsFor, unitLookup(o.config));
  const data: ReportData = {
    generatedAt: o.now.toISOString(),
    title: o.title ?? 'Vigil — trust & safety metrics',
    window: { from: formatIso(o.from), to: formatIso(o.to) },
    metrics: o.config.metrics.map((m) => ({
      name: m.name,
      grain: 'hour' as const,
      unit: unitOf(m),
      ...(m.description ? { description: m.description } : {}),
      // Metrics not watched hourly are charted without an expectation.
      points: totalOf.has(m.name) ? withBand(totalOf.get(m.name)!) : observedOnly(hourly, m.name, windows),
    })),
    incidents,
    dataQuality,
    experiments: o.experiments ?? [],
    policies: o.policies ?? [],
    ...(o.analyses ? { analyses: o.analyses } : {}),
  };
  const written = await writeReport(o.objectStore, o.prefix ?? 'report', data);
  return { ...written, data };
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
    now: o.now,
  });
  return { ...written, from, to };
}
