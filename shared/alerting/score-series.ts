import { createHash } from 'node:crypto';
import { type PointScore, StreamingDetector } from '../anomaly/index.js';
import { peek } from '../anomaly/peek.js';
import type { EventWindows, KnownEvents } from '../calendar/calendar.js';
import { getOrInsert } from '../collections.js';
import type { Metric, MetricConfig } from '../config/schema.js';
import type { MetricRow } from '../metrics/metric-row.js';
import { dimensionValue, type Slice, sliceOf } from '../slices/slice.js';
import type { Grain } from '../time/window.js';
import { detectionFor, type MetricDetection } from './detection-config.js';

/** Score of the exposure at which its move is passed on to the counts judged against it. */
const EXPOSURE_MOVED = 0.5;

interface ExposurePoint extends ScoredPoint {
  /** The exposure moved in this window: the slice's own, or the total (a global traffic change). */
  readonly moved: boolean;
}

/**
 * The exposure series a slice is judged against: the same slice from its first row on, else the
 * total (causal: a slice that appears later does not change what earlier windows were judged against).
 */
function exposureOf(
  exposure: MetricScores,
  slice: string,
  windows: readonly number[],
): ExposurePoint[] | undefined {
  const total = exposure.slices.get('');
  const own = exposure.slices.get(slice);
  const since = exposure.since.get(slice) ?? Number.POSITIVE_INFINITY;
  const base = total ?? own;
  return base?.map((_, i) => {
    const p = (own && windows[i]! >= since ? own[i] : total?.[i]) ?? base[i]!;
    return { ...p, moved: p.score >= EXPOSURE_MOVED || (total?.[i]?.score ?? 0) >= EXPOSURE_MOVED };
  });
}

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
  /** A known event (calendar) covers the window: scored against the baseline, never learned. */
  readonly known?: true;
  /** …and that event suppresses alerts: never anomalous, and open incidents hold still. */
  readonly suppressed?: true;
}

export interface MetricScores {
  readonly metric: string;
  readonly shape: MetricShape;
  readonly rules: MetricDetection;
  /** slice key ('' = total) → one point per window, aligned with the `windows` given to scoreMetrics. */
  readonly slices: ReadonlyMap<string, readonly ScoredPoint[]>;
  /** slice key → the structured slice. */
  readonly sliceOf: ReadonlyMap<string, Slice>;
  /** slice key → start of its first window with a row (ms); before it the slice's points are empty. */
  readonly since: ReadonlyMap<string, number>;
}

/** One slice's detector, kept between runs (shared/jobs/detector-state-store.ts). */
export interface SliceDetector {
  readonly slice: Slice;
  /** Start of the slice's first window with a row (ms). */
  readonly since: number;
  readonly detector: StreamingDetector;
}

/** A metric's detectors after the windows scored so far. */
export interface MetricState {
  /** What the detectors were built for (fingerprintOf): state of another fingerprint is re-learned. */
  readonly fingerprint: string;
  /**
   * Count metrics: the last windows (ms, ascending, at most `zeroWindows`) that every slice without
   * a row learned as zero. A slice first seen later learns them first, so it starts from the same
   * detector however the windows were split into runs.
   */
  zeros: number[];
  readonly slices: Map<string, SliceDetector>;
}

/** metric name → its detectors. */
export type DetectorStates = Map<string, MetricState>;

/** Identity of a metric's detectors: its definition, its rules at the grain, the grain. */
export function fingerprintOf(metric: Metric, grain: Grain): string {
  const text = JSON.stringify({ metric, rules: detectionFor(metric.detection, grain), grain });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
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
  /** Known events (vigil.yaml `calendar:`): their windows are not learned, and may be suppressed. */
  readonly known?: KnownEvents;
  /**
   * Detectors that already saw the windows before `windows` (restored from the store): they continue,
   * and are advanced in place. Absent: fresh detectors (one pass over `windows`).
   */
  readonly state?: DetectorStates;
  /** Zero windows a new count slice learns before its first row (default: all of them). */
  readonly zeroWindows?: number;
}

/**
 * Scores every metric × slice series causally (each window only sees the windows before it).
 * Count slices absent from a window are zeros (the design writes no row for an empty slice);
 * excluded windows are skipped, so a data outage is never learned as a real drop. With `state`,
 * the detectors continue from earlier runs: scoring windows in several runs, state kept between
 * them, gives exactly the scores of one run over all of them (test/jobs/detector-state.test.ts).
 */
export function scoreMetrics(rows: readonly MetricRow[], o: ScoreOptions): MetricScores[] {
  const index = new Map(o.windows.map((t, i) => [t, i]));
  const byMetric = new Map<string, Map<string, (MetricRow | undefined)[]>>();
  const sliceOfKey = new Map<string, Slice>();
  // Windows never computed (before the lake, or not backfilled) are unknown, not zero.
  const computed = new Set<number>();
  for (const r of rows) {
    const i = index.get(r.windowStart.getTime());
    if (i === undefined || r.grain !== o.grain) continue;
    computed.add(r.windowStart.getTime());
    const slices = getOrInsert(byMetric, r.metric, () => new Map<string, (MetricRow | undefined)[]>());
    sliceOfKey.set(r.slice.key, r.slice);
    getOrInsert(slices, r.slice.key, () =>
      new Array<MetricRow | undefined>(o.windows.length).fill(undefined),
    )[i] = r;
  }
  const state = o.state ?? new Map<string, MetricState>();
  const zeroCap = o.zeroWindows ?? Number.POSITIVE_INFINITY;
  const scoredBy = new Map<string, MetricScores>();
  // Exposures first: a count judged against its exposure needs the exposure's expectation.
  const ordered = [...o.metrics.metrics].sort(
    (a, b) => Number(a.detection?.exposure !== undefined) - Number(b.detection?.exposure !== undefined),
  );
  for (const metric of ordered) {
    const rules = detectionFor(metric.detection, o.grain);
    const slices = byMetric.get(metric.name) ?? new Map<string, (MetricRow | undefined)[]>();
    if (!rules.enabled || !rules.grains.includes(o.grain)) continue;
    // Every watched metric gets state, rows or not: its count zeros accumulate from the first window.
    let ms = state.get(metric.name);
    if (!ms) {
      ms = { fingerprint: fingerprintOf(metric, o.grain), zeros: [], slices: new Map() };
      state.set(metric.name, ms);
    }
    const exposure = rules.exposure !== undefined ? scoredBy.get(rules.exposure) : undefined;
    const shape = shapeOf(metric);
    const excluded = o.excluded.get(metric.name) ?? new Set<number>();
    // Windows of this run every slice without a row learns as zero (counts only).
    const zeroHere = shape === 'count' ? o.windows.filter((t) => computed.has(t) && !excluded.has(t)) : [];
    const ctx: SeriesContext = {
      grain: o.grain,
      windows: o.windows,
      excluded,
      computed,
      shape,
      rules,
      // Weighted sums are not counts: treating them as such would understate the sampling noise.
      volumeAware: metric.kind !== 'weighted_proportion',
    };
    const scored = new Map<string, ScoredPoint[]>();
    const keys = [...new Set([...ms.slices.keys(), ...slices.keys()])];
    for (const key of keys) {
      const series = slices.get(key) ?? new Array<MetricRow | undefined>(o.windows.length).fill(undefined);
      let sd = ms.slices.get(key);
      if (!sd) {
        const first = series.findIndex((r) => r !== undefined);
        const since = o.windows[first]!;
        sd = { slice: sliceOfKey.get(key)!, since, detector: newDetector(rules, shape, key === '') };
        ms.slices.set(key, sd);
        // A count slice seen for the first time has been zero in every earlier window.
        const zeros = [...ms.zeros, ...zeroHere.filter((t) => t < since)].slice(-zeroCap);
        learnZeros(sd, zeros, metric.name, ctx, o.known);
      }
      const region = dimensionValue(sd.slice, 'region');
      const events = o.known?.windowsOf({ metric: metric.name, region }, o.grain, o.windows);
      const traffic = exposure ? exposureOf(exposure, key, o.windows) : undefined;
      scored.set(key, scoreOne(sd, series, ctx, events, traffic));
    }
    if (shape === 'count') ms.zeros = [...ms.zeros, ...zeroHere].slice(-zeroCap);
    if (keys.length === 0) continue;
    scoredBy.set(metric.name, {
      metric: metric.name,
      shape,
      rules,
      slices: scored,
      sliceOf: new Map(keys.map((k) => [k, ms.slices.get(k)!.slice])),
      since: new Map(keys.map((k) => [k, ms.slices.get(k)!.since])),
    });
  }
  return o.metrics.metrics.flatMap((m) => scoredBy.get(m.name) ?? []);
}

/** Rebuilds a slice stored as its pairs (the state store keeps structure, never parses keys). */
export function restoreSlice(pairs: Slice['pairs']): Slice {
  return sliceOf(pairs);
}

interface SeriesContext {
  readonly grain: Grain;
  readonly windows: readonly number[];
  readonly excluded: ReadonlySet<number>;
  readonly computed: ReadonlySet<number>;
  readonly shape: MetricShape;
  readonly rules: MetricDetection;
  readonly volumeAware: boolean;
}

function newDetector(rules: MetricDetection, shape: MetricShape, isTotal: boolean): StreamingDetector {
  return new StreamingDetector({
    direction: rules.direction,
    sensitivity: isTotal ? rules.sensitivity : rules.sliceSensitivity,
    // Counts are gated on max(observed, expected) later: a drop to zero must still be scored.
    minVolume: shape === 'ratio' ? rules.minVolume : 0,
    ...(rules.warmup !== undefined ? { warmup: rules.warmup } : {}),
    // Incidents dedupe repeats themselves; every anomalous window must stay visible here, and
    // an incident stays anomalous for as long as it lasts.
    cooldown: 0,
    episodeCalibration: 'hold',
  });
}

/** A new count slice learns the zeros of the windows before its first row (known events are not learned). */
function learnZeros(
  sd: SliceDetector,
  zeros: readonly number[],
  metric: string,
  ctx: SeriesContext,
  known: KnownEvents | undefined,
): void {
  if (ctx.shape !== 'count' || zeros.length === 0) return;
  const region = dimensionValue(sd.slice, 'region');
  const events = known?.windowsOf({ metric, region }, ctx.grain, zeros);
  for (const t of zeros) {
    if (events?.unlearned.has(t)) continue;
    sd.detector.push({ t, value: 0, ...(ctx.volumeAware ? { numerator: 0 } : {}) });
  }
}

/**
 * What a stored window says a slice observed (as scoreMetrics would score it): null when the
 * window is excluded, before the slice's first row, or without a value; 0 for an absent count
 * slice in a computed window. Used where the judge needs windows older than those scored.
 */
export function observedIn(
  rows: readonly MetricRow[],
  metric: string,
  shape: MetricShape,
  sliceKey: string,
  t: number,
  o: { readonly since: number | undefined; readonly excluded: boolean },
): number | null {
  if (o.excluded || o.since === undefined || t < o.since) return null;
  const row = rows.find((r) => r.metric === metric && r.slice.key === sliceKey);
  if (row) return row.value;
  return shape === 'count' && rows.length > 0 ? 0 : null;
}

/**
 * The sampling sd of a value that carries a 95% confidence interval (a weighted proportion of
 * sampled labels): half the interval's width over 1.96. A sampled metric read hourly is then only
 * as sure as its few labels allow, which is what lets it be watched at that grain at all.
 */
function noiseSdOf(row: MetricRow | undefined): number | undefined {
  if (!row || row.ciLow === null || row.ciHigh === null) return undefined;
  const w = row.ciHigh - row.ciLow;
  return w > 0 ? w / (2 * 1.959964) : undefined;
}

/**
 * How far the exposure is from its own expectation (observed / expected) when the exposure itself
 * moved (its score at the default alert level or above), else 1. A count that moves with its
 * traffic is then expected to move by as much; an ordinary miss of the traffic baseline is not
 * passed on to every count that depends on it.
 */
function exposureFactor(p: ExposurePoint | undefined): number {
  if (!p || p.excluded || p.observed === null || p.expected === null) return 1;
  if (!p.moved) return 1;
  if (!(p.expected > 0) || !(p.observed > 0)) return 1;
  return Math.min(20, Math.max(0.05, p.observed / p.expected));
}

function scoreOne(
  sd: SliceDetector,
  series: readonly (MetricRow | undefined)[],
  ctx: SeriesContext,
  events?: EventWindows,
  /** The exposure's scored points (same windows), for a count judged against its traffic. */
  exposure?: readonly ExposurePoint[],
): ScoredPoint[] {
  const { windows, excluded, computed, shape, rules, volumeAware } = ctx;
  const detector = sd.detector;
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
    // Before its first row the slice is not known yet (not a zero of the past: that is learned, not shown).
    if (t < sd.since) return { ...empty, excluded: false };
    const value = row ? row.value : shape === 'count' && computed.has(t) ? 0 : null;
    if (value === null) return { ...empty, excluded: false };
    const numerator = row?.numerator ?? (shape === 'count' ? value : null);
    const denominator = row?.denominator ?? null;
    // Judged per unit of expected traffic: the detector learns and scores the count divided by
    // the exposure's observed / expected ratio, and its expectation is scaled back.
    const e = exposure ? exposureFactor(exposure[i]) : 1;
    const noise = noiseSdOf(row);
    const point = {
      t,
      value: value / e,
      ...(volumeAware && numerator !== null ? { numerator: numerator / e } : {}),
      ...(volumeAware && denominator !== null ? { denominator } : {}),
      ...(noise !== undefined ? { noiseSd: noise } : {}),
    };
    // A known event is judged against what was learned before it, and not learned itself.
    const known = events?.unlearned.has(t) === true;
    const suppressed = events?.suppressed.has(t) === true;
    const s: PointScore = known ? peek(detector, point) : detector.push(point);
    const gated = shape === 'ratio' && denominator !== null && denominator < rules.minVolume;
    return {
      t,
      observed: value,
      expected: gated ? null : s.expected * e,
      numerator,
      denominator,
      score: s.score,
      isAnomaly: s.isAnomaly && !suppressed,
      z: gated ? 0 : s.z,
      excluded: false,
      ...(known ? { known: true as const } : {}),
      ...(suppressed ? { suppressed: true as const } : {}),
    };
  });
}
