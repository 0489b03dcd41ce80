import { type PointScore, StreamingDetector } from '../anomaly/index.js';
import { getOrInsert } from '../collections.js';
import type { Metric, MetricConfig } from '../config/schema.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { Slice } from '../slices/slice.js';
import type { Grain } from '../time/window.js';
import { detectionFor, type MetricDetection } from './detection-config.js';

/** How a metric's slices add up to its total, which decides the root-cause decomposition. */
export type MetricShape = 'count' | 'ratio' | 'other';

export interface ScoredPoint {
  readonly t: number;
  /** null when the window was excluded (data missing) or had no value. */
  readonly observed: number | null;
  readonly expected: number | null;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly score: number;
  readonly isAnomaly: boolean;
  /** Residual in robust standard deviations (0 while learning): how far off the window still is. */
  readonly z: number;
  /** The window's data was missing or late: not scored, not learned. */
  readonly excluded: boolean;
}

export interface MetricScores {
  readonly metric: string;
  readonly shape: MetricShape;
  readonly rules: MetricDetection;
  /** slice key ('' = total) → one point per window, aligned with the `windows` given to scoreMetrics. */
  readonly slices: ReadonlyMap<string, readonly ScoredPoint[]>;
  /** slice key → the structured slice. */
  readonly sliceOf: ReadonlyMap<string, Slice>;
}

export function shapeOf(metric: Metric): MetricShape {
  if (metric.kind === 'count' || metric.kind === 'distinct_count' || metric.kind === 'sum') return 'count';
  if (metric.kind === 'ratio' || metric.kind === 'weighted_proportion') return 'ratio';
  return 'other';
}

export interface ScoreOptions {
  /** The metrics to score; each brings its own detection rules. */
  readonly metrics: MetricConfig;
  readonly grain: Grain;
  /** Window starts (epoch ms), ascending: the series' time axis. */
  readonly windows: readonly number[];
  /** metric name → window starts whose data is missing or late for that metric. */
  readonly excluded: ReadonlyMap<string, ReadonlySet<number>>;
}

/**
 * Scores every metric × slice series causally (each window only sees the windows before it).
 * Count slices absent from a window are zeros (the design writes no row for an empty slice);
 * excluded windows are skipped, so a data outage is never learned as a real drop.
 */
export function scoreMetrics(rows: readonly MetricRow[], o: ScoreOptions): MetricScores[] {
  const index = new Map(o.windows.map((t, i) => [t, i]));
  const byMetric = new Map<string, Map<string, (MetricRow | undefined)[]>>();
  const sliceOf = new Map<string, Slice>();
  // Windows never computed (before the lake, or not backfilled) are unknown, not zero.
  const computed = new Set<number>();
  for (const r of rows) {
    const i = index.get(r.windowStart.getTime());
    if (i === undefined || r.grain !== o.grain) continue;
    computed.add(r.windowStart.getTime());
    const slices = getOrInsert(byMetric, r.metric, () => new Map<string, (MetricRow | undefined)[]>());
    sliceOf.set(r.slice.key, r.slice);
    getOrInsert(slices, r.slice.key, () =>
      new Array<MetricRow | undefined>(o.windows.length).fill(undefined),
    )[i] = r;
  }
  const out: MetricScores[] = [];
  for (const metric of o.metrics.metrics) {
    const rules = detectionFor(metric.detection, o.grain);
    const slices = byMetric.get(metric.name);
    if (!rules.enabled || !rules.grains.includes(o.grain) || !slices) continue;
    const shape = shapeOf(metric);
    // Weighted sums are not counts: treating them as such would understate the sampling noise.
    const volumeAware = metric.kind !== 'weighted_proportion';
    const excluded = o.excluded.get(metric.name) ?? new Set<number>();
    const scored = new Map<string, ScoredPoint[]>();
    for (const [slice, series] of slices)
      scored.set(
        slice,
        scoreOne(series, o.windows, excluded, computed, shape, rules, slice === '', volumeAware),
      );
    out.push({
      metric: metric.name,
      shape,
      rules,
      slices: scored,
      sliceOf: new Map([...slices.keys()].map((k) => [k, sliceOf.get(k)!])),
    });
  }
  return out;
}

function scoreOne(
  series: readonly (MetricRow | undefined)[],
  windows: readonly number[],
  excluded: ReadonlySet<number>,
  computed: ReadonlySet<number>,
  shape: MetricShape,
  rules: MetricDetection,
  isTotal: boolean,
  volumeAware: boolean,
): ScoredPoint[] {
  const detector = new StreamingDetector({
    direction: rules.direction,
    sensitivity: isTotal ? rules.sensitivity : rules.sliceSensitivity,
    // Counts are gated on max(observed, expected) later: a drop to zero must still be scored.
    minVolume: shape === 'ratio' ? rules.minVolume : 0,
    ...(rules.warmup !== undefined ? { warmup: rules.warmup } : {}),
    // Incidents dedupe repeats themselves; every anomalous window must stay visible here.
    cooldown: 0,
  });
  return windows.map((t, i) => {
    const row = series[i];
    const empty = {
      t,
      observed: null,
      expected: null,
      numerator: null,
      denominator: null,
      score: 0,
      isAnomaly: false,
      z: 0,
    };
    if (excluded.has(t)) return { ...empty, excluded: true };
    const value = row ? row.value : shape === 'count' && computed.has(t) ? 0 : null;
    if (value === null) return { ...empty, excluded: false };
    const numerator = row?.numerator ?? (shape === 'count' ? value : null);
    const denominator = row?.denominator ?? null;
    const s: PointScore = detector.push({
      t,
      value,
      ...(volumeAware && numerator !== null ? { numerator } : {}),
      ...(volumeAware && denominator !== null ? { denominator } : {}),
    });
    const gated = shape === 'ratio' && denominator !== null && denominator < rules.minVolume;
    return {
      t,
      observed: value,
      expected: gated ? null : s.expected,
      numerator,
      denominator,
      score: s.score,
      isAnomaly: s.isAnomaly,
      z: gated ? 0 : s.z,
      excluded: false,
    };
  });
}
