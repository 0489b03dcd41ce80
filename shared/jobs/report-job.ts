import { type MetricScores, type ScoredPoint, scoreMetrics } from '../alerting/score-series.js';
import type { MetricConfig } from '../config/schema.js';
import { unitLookup, unitOf } from '../config/units.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { MetricStore } from '../metrics/metric-store.js';
import type { Alert } from '../ports/alert-sink.js';
import type { ObjectStore } from '../ports/object-store.js';
import { fromAlerts } from '../report/adapters.js';
import type {
  ReportAnalysis,
  ReportData,
  ReportExperiment,
  ReportPoint,
  ReportPolicy,
} from '../report/model.js';
import { type WrittenReport, writeReport } from '../report/write.js';
import { formatIso, type Grain, windowsInRange } from '../time/window.js';
import { mapWithConcurrency } from './pool.js';

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
