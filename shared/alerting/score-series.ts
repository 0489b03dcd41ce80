import { createHash } from 'node:crypto';
import { parseDetectorConfig } from '../anomaly/config.js';
import { type PointScore, StreamingDetector } from '../anomaly/index.js';
import { peek } from '../anomaly/peek.js';
import type { EventWindows, KnownEvents } from '../calendar/calendar.js';
import { getOrInsert } from '../collections.js';
import type { Metric, MetricConfig } from '../config/schema.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { AlertCause } from '../ports/alert-sink.js';
import { dimensionValue, type Slice, sliceOf } from '../slices/slice.js';
import type { Grain } from '../time/window.js';
import { DayWander } from './day-wander.js';
import { bandJudged, detectionOf, type MetricDetection, watchedAt } from './detection-config.js';
import { type MoveFamily, moveFamilies } from './move-family.js';
import { type RateObs, type SeriesState, scoreRateBands } from './pooled-band.js';

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
  /**
   * A count judged by its band: the volume of the span its evidence was judged on (BandPoint.volume),
   * which its volume gate reads instead of the window's own. A percentile: the values it is over
   * (MetricRow.samples).
   */
  readonly volume?: number;
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
  /** `traffic`: another metric is judged against this one (its exposure), so its moves are notices. */
  readonly cause?: AlertCause;
  /** The count / rate family the metric belongs to: its incidents are the family's (move-family.ts). */
  readonly family?: MoveFamily;
}

/** One slice's detector, kept between runs (shared/alerting/detector-state-store.ts). */
export interface SliceDetector {
  readonly slice: Slice;
  /** Start of the slice's first window with a row (ms). */
  readonly since: number;
  /** The streaming detector (metrics judged by their own series). */
  readonly detector?: StreamingDetector;
  /** The pooled rate band's sums (counts with an exposure, ratios of counts: pooled-band.ts). */
  readonly band?: SeriesState;
  /** An exposure's hourly slices: how far their days wander (day-wander.ts). */
  readonly wander?: DayWander;
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
  /** Windows scored so far (the rate bands count re-bases in windows). */
  windows: number;
}

/** metric name → its detectors. */
export type DetectorStates = Map<string, MetricState>;

/** The metrics another metric is judged against (`detection.exposure`): the platform's traffic. */
export function exposuresOf(cfg: MetricConfig): ReadonlySet<string> {
  return new Set(cfg.metrics.flatMap((m) => m.detection?.exposure ?? []));
}

/**
 * Identity of a metric's detectors: its definition, its rules at the grain, the grain, and whether
 * it is an exposure in `cfg` (an exposure's slices keep a day-wander gate beside their detectors).
 */
export function fingerprintOf(metric: Metric, grain: Grain, cfg: MetricConfig): string {
  const exposure = exposuresOf(cfg).has(metric.name);
  const text = JSON.stringify({ metric, rules: detectionOf(metric, grain), grain, exposure });
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

/** Fresh detectors for a metric (nothing learned yet). */
export function freshState(metric: Metric, grain: Grain, cfg: MetricConfig): MetricState {
  return { fingerprint: fingerprintOf(metric, grain, cfg), zeros: [], slices: new Map(), windows: 0 };
}

/** Scores metrics one at a time, so a caller can hold one metric's detectors at a time. */
export interface MetricScorer {
  /** The metrics watched at the grain, in the order they must be scored (exposures first). */
  readonly order: readonly Metric[];
  /** Scores one metric of `order` with its detectors, which it advances in place. */
  score(metric: Metric, ms: MetricState): void;
  /** The scores of the metrics scored so far that have slices, in the config's order. */
  results(): MetricScores[];
}

/**
 * Scores every metric × slice series causally (each window only sees the windows before it).
 * Count slices absent from a window are zeros (the design writes no row for an empty slice);
 * excluded windows are skipped, so a data outage is never learned as a real drop. With `state`,
 * the detectors continue from earlier runs: scoring windows in several runs, state kept between
 * them, gives exactly the scores of one run over all of them (test/jobs/detector-state.test.ts).
 */
export function scoreMetrics(rows: readonly MetricRow[], o: ScoreOptions): MetricScores[] {
  const scorer = metricScorer(rows, o);
  const state = o.state ?? new Map<string, MetricState>();
  for (const metric of scorer.order) {
    // Every watched metric gets state, rows or not: its count zeros accumulate from the first window.
    let ms = state.get(metric.name);
    if (!ms) {
      ms = freshState(metric, o.grain, o.metrics);
      state.set(metric.name, ms);
    }
    scorer.score(metric, ms);
  }
  return scorer.results();
}

/**
 * scoreMetrics one metric at a time: the caller gives each metric of `order` its detectors (restored
 * or fresh) and may store and release them once scored. Scoring in that order gives the same scores
 * whoever holds the detectors.
 */
export function metricScorer(rows: readonly MetricRow[], o: Omit<ScoreOptions, 'state'>): MetricScorer {
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
  const zeroCap = o.zeroWindows ?? Number.POSITIVE_INFINITY;
  const scoredBy = new Map<string, MetricScores>();
  // A metric other counts are judged against is the platform's traffic.
  const exposures = exposuresOf(o.metrics);
  const families = moveFamilies(o.metrics.metrics);
  // Exposures first: a count judged against its exposure needs the exposure's expectation.
  const order = [...o.metrics.metrics]
    .sort((a, b) => Number(a.detection?.exposure !== undefined) - Number(b.detection?.exposure !== undefined))
    .filter((m) => watchedAt(m.detection, o.grain));
  // An exposure's slices (hourly): their day wander is what the gate learns (day-wander.ts).
  const gatedByWander = (metric: Metric, shape: MetricShape, key: string) =>
    exposures.has(metric.name) && shape === 'count' && o.grain === 'hour' && key !== '';
  const score = (metric: Metric, ms: MetricState): void => {
    const rules = detectionOf(metric, o.grain);
    const slices = byMetric.get(metric.name) ?? new Map<string, (MetricRow | undefined)[]>();
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
    // Counts with an exposure, and ratios of counts, are judged by their pooled rate band (a
    // count whose exposure has no rows yet by its own series).
    const banded = bandJudged(metric) && (shape === 'ratio' || exposure !== undefined);
    const scored = new Map<string, ScoredPoint[]>();
    const keys = [...new Set([...ms.slices.keys(), ...slices.keys()])];
    const empty = () => new Array<MetricRow | undefined>(o.windows.length).fill(undefined);
    for (const key of keys) {
      if (ms.slices.has(key)) continue;
      const series = slices.get(key)!;
      const since = o.windows[series.findIndex((r) => r !== undefined)]!;
      const sd: SliceDetector = banded
        ? { slice: sliceOfKey.get(key)!, since }
        : {
            slice: sliceOfKey.get(key)!,
            since,
            detector: newDetector(rules, shape, key === ''),
            ...(gatedByWander(metric, shape, key) ? { wander: new DayWander() } : {}),
          };
      ms.slices.set(key, sd);
      // A count slice seen for the first time has been zero in every earlier window (its own
      // detector learns that; a band starts at its first row, since siblings share its prior).
      if (!banded)
        learnZeros(
          sd,
          [...ms.zeros, ...zeroHere.filter((t) => t < since)].slice(-zeroCap),
          metric.name,
          ctx,
          o.known,
        );
    }
    const eventsOf = (key: string) =>
      o.known?.windowsOf(
        { metric: metric.name, region: dimensionValue(ms.slices.get(key)!.slice, 'region') },
        o.grain,
        o.windows,
      );
    if (banded) {
      const bands = scoreBanded(keys, slices, o, ctx, ms, eventsOf, {
        scale: metric.kind === 'ratio' ? metric.scale : undefined,
        exposure,
        weighted: !ctx.volumeAware,
      });
      for (const key of keys) scored.set(key, bands.get(key)!);
    } else
      for (const key of keys) {
        const traffic = exposure ? exposureOf(exposure, key, o.windows) : undefined;
        scored.set(
          key,
          scoreOne(ms.slices.get(key)!, slices.get(key) ?? empty(), ctx, {
            events: eventsOf(key),
            exposure: traffic,
            total: slices.get('') ?? empty(),
          }),
        );
      }
    if (shape === 'count') ms.zeros = [...ms.zeros, ...zeroHere].slice(-zeroCap);
    ms.windows += o.windows.length;
    if (keys.length === 0) return;
    scoredBy.set(metric.name, {
      metric: metric.name,
      shape,
      rules,
      slices: scored,
      sliceOf: new Map(keys.map((k) => [k, ms.slices.get(k)!.slice])),
      since: new Map(keys.map((k) => [k, ms.slices.get(k)!.since])),
      ...(exposures.has(metric.name) ? { cause: 'traffic' as const } : {}),
      ...(families.has(metric.name) ? { family: families.get(metric.name)! } : {}),
    });
  };
  return { order, score, results: () => o.metrics.metrics.flatMap((m) => scoredBy.get(m.name) ?? []) };
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
  if (ctx.shape !== 'count' || zeros.length === 0 || !sd.detector) return;
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

/** Seasonal period in windows: the band's memory is a number of them. */
const PERIOD = { hour: 24, day: 7 } as const;
const GRAIN_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Scores a metric's slices by their pooled rate bands (pooled-band.ts): a ratio's numerator over
 * its denominator, or a count over its exposure's same slice (the exposure's total for a slice it
 * lacks, or before that slice's first row). Siblings are the slices of the same dimensions; the
 * total stands alone. The bands continue from the metric's state and are advanced in it.
 */
function scoreBanded(
  keys: readonly string[],
  slices: ReadonlyMap<string, readonly (MetricRow | undefined)[]>,
  o: ScoreOptions,
  ctx: SeriesContext,
  ms: MetricState,
  eventsOf: (slice: string) => EventWindows | undefined,
  m: {
    readonly scale: number | undefined;
    readonly exposure: MetricScores | undefined;
    readonly weighted: boolean;
  },
): Map<string, ScoredPoint[]> {
  const { excluded, computed, rules } = ctx;
  const none = new Array<MetricRow | undefined>(o.windows.length).fill(undefined);
  const events = new Map(keys.map((k) => [k, eventsOf(k)]));
  const obs = new Map<string, (RateObs | null)[]>();
  for (const key of keys) {
    const series = slices.get(key) ?? none;
    const since = ms.slices.get(key)!.since;
    const own = m.exposure?.slices.get(key);
    const ownSince = m.exposure?.since.get(key) ?? Number.POSITIVE_INFINITY;
    const total = m.exposure?.slices.get('');
    obs.set(
      key,
      o.windows.map((t, i) => {
        if (excluded.has(t) || t < since) return null;
        const row = series[i];
        const ev = events.get(key);
        const unlearned = ev?.unlearned.has(t) === true;
        if (m.exposure) {
          const d = own && t >= ownSince ? own[i] : total?.[i];
          if (!d || d.excluded || d.observed === null) return null;
          const n = row?.value ?? (computed.has(t) ? 0 : null);
          return n === null ? null : { n, d: d.observed, ...(unlearned ? { unlearned } : {}) };
        }
        if (!row || row.numerator === null || row.denominator === null) return null;
        if (row.denominator < rules.minVolume) return null;
        if (m.weighted) {
          // Weighted sums are not counts: the sample they are worth is the one their CI implies.
          const d = effectiveSize(row);
          return d === undefined
            ? null
            : { n: (d * row.numerator) / row.denominator, d, ...(unlearned ? { unlearned } : {}) };
        }
        return { n: row.numerator, d: row.denominator, ...(unlearned ? { unlearned } : {}) };
      }),
    );
  }
  const states = new Map<string, SeriesState>();
  for (const key of keys) {
    const b = ms.slices.get(key)!.band;
    if (b) states.set(key, b);
  }
  const bands = scoreRateBands(
    obs,
    o.windows.length,
    {
      period: PERIOD[o.grain],
      phaseOf: (i) => Math.floor(o.windows[i]! / GRAIN_MS[o.grain]) % PERIOD[o.grain],
      warmup: rules.warmup,
      hold: parseDetectorConfig({}).hold,
      direction: rules.direction,
      sensitivity: (key) => (key === '' ? rules.sensitivity : rules.sliceSensitivity),
      groupOf: (key) => {
        const sl = ms.slices.get(key)?.slice;
        return !sl || sl.pairs.length === 0 ? null : sl.pairs.map(([d]) => d).join(';');
      },
      // A weighted proportion is a share of its sample (its effective size).
      proportion: m.weighted,
    },
    { states, offset: ms.windows },
  );
  for (const [key, b] of states) {
    const sd = ms.slices.get(key)!;
    if (sd.band !== b) ms.slices.set(key, { ...sd, band: b });
  }
  const out = new Map<string, ScoredPoint[]>();
  for (const key of keys) {
    const series = slices.get(key) ?? none;
    const since = ms.slices.get(key)!.since;
    const band = bands.get(key)!;
    const ev = events.get(key);
    out.set(
      key,
      o.windows.map((t, i) => {
        const row = series[i];
        const b = band[i];
        const x = obs.get(key)![i];
        const isExcluded = excluded.has(t);
        // Before its first row the slice is not known yet.
        const value = t < since ? null : row ? row.value : m.exposure && computed.has(t) ? 0 : null;
        const known = ev?.unlearned.has(t) === true;
        const suppressed = ev?.suppressed.has(t) === true;
        const expected = b && x ? (m.exposure ? b.expected : (m.scale ?? 1) * (b.expected / x.d)) : null;
        return {
          t,
          observed: isExcluded ? null : value,
          expected: isExcluded ? null : expected,
          numerator: isExcluded || t < since ? null : (row?.numerator ?? (m.exposure ? value : null)),
          denominator: isExcluded ? null : (row?.denominator ?? null),
          score: b?.score ?? 0,
          isAnomaly: (b?.isAnomaly ?? false) && !suppressed,
          z: b?.z ?? 0,
          ...(b && m.exposure && !isExcluded ? { volume: b.volume } : {}),
          excluded: isExcluded,
          ...(known ? { known: true as const } : {}),
          ...(suppressed ? { suppressed: true as const } : {}),
        };
      }),
    );
  }
  return out;
}

const Z95 = 1.959964;

/** Width of the 95% Wilson interval of a proportion p estimated from n samples. */
function wilsonWidth(p: number, n: number): number {
  const z2 = Z95 * Z95;
  return (2 * Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * The effective sample size of a weighted proportion: the n whose Wilson interval at the row's
 * value is as wide as the row's CI (which is Wilson on the Kish effective size). Undefined
 * without a usable CI.
 */
export function effectiveSize(row: MetricRow): number | undefined {
  if (row.value === null || row.ciLow === null || row.ciHigh === null) return undefined;
  const w = row.ciHigh - row.ciLow;
  const p = Math.min(1, Math.max(0, row.value));
  if (!(w > 0) || !(w < 1)) return undefined;
  let lo = 1e-6;
  let hi = 1e12;
  for (let k = 0; k < 100 && hi / lo > 1 + 1e-9; k++) {
    const mid = Math.sqrt(lo * hi);
    if (wilsonWidth(p, mid) > w) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
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
  o: {
    readonly events: EventWindows | undefined;
    /** The exposure's scored points (same windows), for a count judged against its traffic. */
    readonly exposure: readonly ExposurePoint[] | undefined;
    /** The metric's total (same windows): what a slice's day wander is measured against. */
    readonly total: readonly (MetricRow | undefined)[];
  },
): ScoredPoint[] {
  const { windows, excluded, computed, shape, rules, volumeAware } = ctx;
  const { events, exposure, total } = o;
  const detector = sd.detector!;
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
    // A percentile of fewer values than minVolume is one or two of them (the p90 of five decisions
    // is an appeal's latency, if one is among them): shown, but neither scored nor learned.
    if (row?.samples !== undefined && row.samples < rules.minVolume)
      return { ...empty, observed: value, numerator, denominator, volume: row.samples, excluded: false };
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
    const counts =
      sd.wander?.push(value, s.expected * e, s.isAnomaly, {
        period: PERIOD.hour,
        warmup: rules.warmup,
        learn: !known,
        total: total[i]?.value ?? 0,
      }) ?? true;
    return {
      t,
      observed: value,
      expected: gated ? null : s.expected * e,
      numerator,
      denominator,
      score: s.score,
      isAnomaly: s.isAnomaly && counts && !suppressed,
      z: gated ? 0 : s.z,
      ...(row?.samples !== undefined ? { volume: row.samples } : {}),
      excluded: false,
      ...(known ? { known: true as const } : {}),
      ...(suppressed ? { suppressed: true as const } : {}),
    };
  });
}
