import { parseDetectorConfig } from '../anomaly/config.js';
import { type PointScore, StreamingDetector } from '../anomaly/index.js';
import { peek } from '../anomaly/peek.js';
import type { EventWindows, KnownEvents } from '../calendar/calendar.js';
import { getOrInsert } from '../collections.js';
import type { Metric, MetricConfig } from '../config/schema.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { AlertCause } from '../ports/alert-sink.js';
import { dimensionValue, type Slice } from '../slices/slice.js';
import type { Grain } from '../time/window.js';
import { detectionFor, type MetricDetection } from './detection-config.js';
import { type RateObs, scoreRateBands } from './pooled-band.js';

/** Score of the exposure at which its move is passed on to the counts judged against it. */
const EXPOSURE_MOVED = 0.5;

interface ExposurePoint extends ScoredPoint {
  /** The exposure moved in this window: the slice's own, or the total (a global traffic change). */
  readonly moved: boolean;
}

/** The exposure series a slice is judged against: the same slice when it has one, else the total. */
function exposureOf(exposure: MetricScores, slice: string): ExposurePoint[] | undefined {
  const total = exposure.slices.get('');
  const own = exposure.slices.get(slice) ?? total;
  return own?.map((p, i) => ({
    ...p,
    moved: p.score >= EXPOSURE_MOVED || (total?.[i]?.score ?? 0) >= EXPOSURE_MOVED,
  }));
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
  /** `traffic`: another metric is judged against this one (its exposure), so its moves are notices. */
  readonly cause?: AlertCause;
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
  const scoredBy = new Map<string, MetricScores>();
  // A metric other counts are judged against is the platform's traffic.
  const exposures = new Set(o.metrics.metrics.flatMap((m) => m.detection?.exposure ?? []));
  // Exposures first: a count judged against its exposure needs the exposure's expectation.
  const ordered = [...o.metrics.metrics].sort(
    (a, b) => Number(a.detection?.exposure !== undefined) - Number(b.detection?.exposure !== undefined),
  );
  for (const metric of ordered) {
    const rules = detectionFor(metric.detection, o.grain);
    const slices = byMetric.get(metric.name);
    if (!rules.enabled || !rules.grains.includes(o.grain) || !slices) continue;
    const exposure = rules.exposure !== undefined ? scoredBy.get(rules.exposure) : undefined;
    const shape = shapeOf(metric);
    // Weighted sums are not counts: treating them as such would understate the sampling noise.
    const volumeAware = metric.kind !== 'weighted_proportion';
    const excluded = o.excluded.get(metric.name) ?? new Set<number>();
    const eventsOf = (slice: string) =>
      o.known?.windowsOf(
        { metric: metric.name, region: dimensionValue(sliceOf.get(slice)!, 'region') },
        o.grain,
        o.windows,
      );
    // Counts with an exposure, and ratios of counts, are judged by their pooled rate band.
    const banded =
      shape === 'ratio' || (shape === 'count' && exposure !== undefined)
        ? scoreBanded(slices, o, excluded, computed, rules, eventsOf, sliceOf, {
            scale: metric.kind === 'ratio' ? metric.scale : undefined,
            exposure,
            weighted: !volumeAware,
          })
        : undefined;
    const scored = new Map<string, ScoredPoint[]>();
    for (const [slice, series] of slices) {
      if (banded) {
        scored.set(slice, banded.get(slice)!);
        continue;
      }
      const events = eventsOf(slice);
      const traffic = exposure ? exposureOf(exposure, slice) : undefined;
      scored.set(
        slice,
        scoreOne(
          series,
          o.windows,
          excluded,
          computed,
          shape,
          rules,
          slice === '',
          volumeAware,
          events,
          traffic,
        ),
      );
    }
    scoredBy.set(metric.name, {
      metric: metric.name,
      shape,
      rules,
      slices: scored,
      sliceOf: new Map([...slices.keys()].map((k) => [k, sliceOf.get(k)!])),
      ...(exposures.has(metric.name) ? { cause: 'traffic' as const } : {}),
    });
  }
  return o.metrics.metrics.flatMap((m) => scoredBy.get(m.name) ?? []);
}

/** Seasonal period in windows: the band's memory is a number of them. */
const PERIOD = { hour: 24, day: 7 } as const;
const GRAIN_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Scores a metric's slices by their pooled rate bands (pooled-band.ts): a ratio's numerator over
 * its denominator, or a count over its exposure's same slice (the exposure's total for a slice it
 * lacks). Siblings are the slices of the same dimensions; the total stands alone.
 */
function scoreBanded(
  slices: ReadonlyMap<string, readonly (MetricRow | undefined)[]>,
  o: ScoreOptions,
  excluded: ReadonlySet<number>,
  computed: ReadonlySet<number>,
  rules: MetricDetection,
  eventsOf: (slice: string) => EventWindows | undefined,
  sliceOf: ReadonlyMap<string, Slice>,
  m: {
    readonly scale: number | undefined;
    readonly exposure: MetricScores | undefined;
    readonly weighted: boolean;
  },
): Map<string, ScoredPoint[]> {
  const events = new Map([...slices.keys()].map((k) => [k, eventsOf(k)]));
  const obs = new Map<string, (RateObs | null)[]>();
  for (const [key, series] of slices) {
    const exp = m.exposure ? (m.exposure.slices.get(key) ?? m.exposure.slices.get('')) : undefined;
    obs.set(
      key,
      o.windows.map((t, i) => {
        if (excluded.has(t)) return null;
        const row = series[i];
        const ev = events.get(key);
        const unlearned = ev?.unlearned.has(t) === true;
        if (m.exposure) {
          const d = exp?.[i];
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
  const bands = scoreRateBands(obs, o.windows.length, {
    period: PERIOD[o.grain],
    phaseOf: (i) => Math.floor(o.windows[i]! / GRAIN_MS[o.grain]) % PERIOD[o.grain],
    warmup: rules.warmup,
    hold: parseDetectorConfig({}).hold,
    direction: rules.direction,
    sensitivity: (key) => (key === '' ? rules.sensitivity : rules.sliceSensitivity),
    groupOf: (key) => {
      const sl = sliceOf.get(key);
      return !sl || sl.pairs.length === 0 ? null : sl.pairs.map(([d]) => d).join(';');
    },
  });
  const out = new Map<string, ScoredPoint[]>();
  for (const [key, series] of slices) {
    const band = bands.get(key)!;
    const ev = events.get(key);
    out.set(
      key,
      o.windows.map((t, i) => {
        const row = series[i];
        const b = band[i];
        const x = obs.get(key)![i];
        const isExcluded = excluded.has(t);
        const value = row ? row.value : m.exposure && computed.has(t) ? 0 : null;
        const known = ev?.unlearned.has(t) === true;
        const suppressed = ev?.suppressed.has(t) === true;
        const expected = b && x ? (m.exposure ? b.expected : (m.scale ?? 1) * (b.expected / x.d)) : null;
        return {
          t,
          observed: isExcluded ? null : value,
          expected: isExcluded ? null : expected,
          numerator: isExcluded ? null : (row?.numerator ?? (m.exposure ? value : null)),
          denominator: isExcluded ? null : (row?.denominator ?? null),
          score: b?.score ?? 0,
          isAnomaly: (b?.isAnomaly ?? false) && !suppressed,
          z: b?.z ?? 0,
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
  series: readonly (MetricRow | undefined)[],
  windows: readonly number[],
  excluded: ReadonlySet<number>,
  computed: ReadonlySet<number>,
  shape: MetricShape,
  rules: MetricDetection,
  isTotal: boolean,
  volumeAware: boolean,
  events?: EventWindows,
  /** The exposure's scored points (same windows), for a count judged against its traffic. */
  exposure?: readonly ExposurePoint[],
): ScoredPoint[] {
  const detector = new StreamingDetector({
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
    // Judged per unit of expected traffic: the detector learns and scores the count divided by
    // the exposure's observed / expected ratio, and its expectation is scaled back.
    const e = exposure ? exposureFactor(exposure[i]) : 1;
    const sd = noiseSdOf(row);
    const point = {
      t,
      value: value / e,
      ...(volumeAware && numerator !== null ? { numerator: numerator / e } : {}),
      ...(volumeAware && denominator !== null ? { denominator } : {}),
      ...(sd !== undefined ? { noiseSd: sd } : {}),
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
