import { clamp } from './math.js';

/** √(π/2): turns a mean absolute deviation into a normal-equivalent standard deviation. */
const MAD_TO_SIGMA = 1.2533;

/** Tuning shared by the baselines (one set for every series). */
export interface BaselineTuning {
  /** Level smoothing per row. */
  readonly levelAlpha: number;
  /** Seasonal-profile smoothing per visit of a bucket. */
  readonly seasonGamma: number;
  /** Scale (mean absolute residual) smoothing per row. */
  readonly scaleAlpha: number;
  /** Huber clip, in scales, applied to residuals learned from normal rows. */
  readonly clip: number;
  /** Clip applied while a row is flagged: an incident barely moves the baseline. */
  readonly flaggedClip: number;
  /** Share of a seasonal bucket's update given to each neighbouring bucket. */
  readonly neighbourShare: number;
  /**
   * Seasonal baselines also learn the residual scale per phase (noise is often larger at
   * some times of day): the phase's scale, pooled over +-2 buckets, is shrunk towards the
   * overall scale with the weight of this many visits. 0 turns the scale profile off.
   */
  readonly scalePrior: number;
  /**
   * Whether an outlier can set a bucket's profile in its first visits: a flagged row, or a second
   * visit beyond the clip of the first. Off for incidents (the alerting path): a traffic day in a
   * weekly profile's first weeks must not become next week's normal, whether or not it opened an
   * episode. On for NAB's stream, where it measured better on long files.
   */
  readonly flaggedSetsProfile?: boolean;
}

/**
 * A streaming robust baseline: predicts the next value and tracks the scale of its own
 * residuals. Updates are Huber-clipped so a spike cannot drag the baseline, and a flagged row
 * is learned with a much smaller clip so an incident is not absorbed as the new normal.
 */
export interface Baseline {
  readonly name: string;
  expected(t: number): number;
  /** Normal-equivalent residual standard deviation (at time t, when the model knows phases). */
  scale(t?: number): number;
  /** Rows learned so far. */
  readonly count: number;
  /** Whether the model has seen enough to be trusted. */
  ready(t: number): boolean;
  /**
   * Learns row (t, x). `provisional`: the level the row is measured against is a re-base that can
   * still be undone (see StreamingDetector.maybeRestore).
   */
  update(t: number, x: number, flagged: boolean, provisional?: boolean): void;
  /** Moves the level by delta: a confirmed new normal replaces the old one at once. */
  shiftLevel(delta: number): void;
}

/** Level-only (no seasonality): an exponentially weighted robust location. */
export class LevelBaseline implements Baseline {
  readonly name = 'none';
  private level = 0;
  private absDev = 0;
  count = 0;

  constructor(private readonly tuning: BaselineTuning) {}

  expected(): number {
    return this.level;
  }

  scale(): number {
    return MAD_TO_SIGMA * this.absDev;
  }

  ready(): boolean {
    return this.count >= 10;
  }

  shiftLevel(delta: number): void {
    this.level += delta;
  }

  update(_t: number, x: number, flagged: boolean): void {
    const { levelAlpha, scaleAlpha, clip, flaggedClip } = this.tuning;
    const n = this.count++;
    if (n === 0) {
      this.level = x;
      return;
    }
    const r = x - this.level;
    const s = this.scale();
    // Warm start: plain running averages until the smoothing constant takes over.
    const a = Math.max(levelAlpha, 1 / (n + 1));
    const c = (flagged ? flaggedClip : clip) * s;
    this.level += a * (s > 0 && n > 8 ? clamp(r, -c, c) : r);
    if (!flagged) {
      const as = Math.max(scaleAlpha, 1 / n);
      const dev = s > 0 && n > 8 ? Math.min(Math.abs(r), 4 * s) : Math.abs(r);
      this.absDev += as * (dev - this.absDev);
    }
  }
}

/** Visits of a bucket whose raw deviations set its profile robustly before smoothing takes over. */
const INIT_VISITS = 3;

/** One value: itself; two: the one nearer 0 (no seasonal effect); three: the median. */
function robustStart(d: Float64Array, at: number, n: number): number {
  const a = d[at]!;
  if (n === 1) return a;
  const b = d[at + 1]!;
  if (n === 2) return Math.abs(a) <= Math.abs(b) ? a : b;
  const c = d[at + 2]!;
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/**
 * Level plus a seasonal profile over buckets of a fixed period (hour-of-day, day-of-week),
 * additive Holt-Winters in error-correction form with robust updates. Buckets are taken from
 * the timestamp's position in the UTC period, so gaps and irregular sampling keep the phase.
 */
export class SeasonalBaseline implements Baseline {
  readonly buckets: number;
  private readonly bucketMs: number;
  private readonly season: Float64Array;
  private readonly visits: Uint32Array;
  /** Mean absolute residual per bucket, and how many rows it has learned (capped). */
  private readonly devs: Float64Array;
  private readonly devCounts: Uint16Array;
  /** Raw deviations of each bucket's first visits (see update). */
  private readonly initDevs: Float64Array;
  private level = 0;
  private absDev = 0;
  private firstT = Number.NaN;
  count = 0;

  constructor(
    readonly name: string,
    private readonly periodMs: number,
    stepMs: number,
    private readonly tuning: BaselineTuning,
  ) {
    // Very fine sampling would need huge profiles; 4096 buckets is ample for any period used.
    this.buckets = Math.max(2, Math.min(4096, Math.round(periodMs / stepMs)));
    this.bucketMs = periodMs / this.buckets;
    this.season = new Float64Array(this.buckets);
    this.visits = new Uint32Array(this.buckets);
    this.devs = new Float64Array(this.buckets);
    this.initDevs = new Float64Array(this.buckets * INIT_VISITS);
    this.devCounts = new Uint16Array(this.buckets);
  }

  private bucket(t: number): number {
    const phase = ((t % this.periodMs) + this.periodMs) % this.periodMs;
    return Math.min(this.buckets - 1, Math.floor(phase / this.bucketMs));
  }

  expected(t: number): number {
    return this.level + this.season[this.bucket(t)]!;
  }

  scale(t?: number): number {
    const prior = this.tuning.scalePrior;
    if (t === undefined || prior <= 0) return MAD_TO_SIGMA * this.absDev;
    const b = this.bucket(t);
    const n = this.buckets;
    let sum = prior * this.absDev;
    let weight = prior;
    for (let d = -2; d <= 2; d++) {
      const j = (b + d + n) % n;
      const c = this.devCounts[j]!;
      sum += c * this.devs[j]!;
      weight += c;
    }
    return (MAD_TO_SIGMA * sum) / weight;
  }

  /** Two full periods: one to learn the profile, one to check it. */
  ready(t: number): boolean {
    return this.count >= 2 * this.buckets && t - this.firstT >= 2 * this.periodMs;
  }

  shiftLevel(delta: number): void {
    this.level += delta;
  }

  update(t: number, x: number, flagged: boolean, provisional = false): void {
    const { levelAlpha, seasonGamma, scaleAlpha, clip, flaggedClip } = this.tuning;
    const n = this.count++;
    if (n === 0) {
      this.firstT = t;
      this.level = x;
    }
    const b = this.bucket(t);
    const visits = this.visits[b]!;
    const r = x - this.level - this.season[b]!;
    const s = this.scale();
    const robust = s > 0 && n > this.buckets;
    const c = (flagged ? flaggedClip : clip) * s;
    const rc = robust ? clamp(r, -c, c) : r;
    // A flagged row after the first visit does not set the profile (see flaggedSetsProfile), nor
    // one on a provisional level: after a day of traffic re-based at its last hour, the next
    // day's normal hours sit a whole shift below it until the re-base is undone.
    const outliersOut = this.tuning.flaggedSetsProfile === false;
    const skipInit = (flagged || provisional) && visits > 0 && visits < INIT_VISITS && outliersOut;
    if (skipInit) {
      // Left for a later, normal visit.
    } else if (visits < INIT_VISITS) {
      // First visits of a bucket: the profile is a robust summary of the raw deviations from
      // the level (one visit: it; two: the smaller; three: the median). A one-off event on the
      // first day must not become the profile, which clipped updates would then unlearn only
      // very slowly.
      const d = this.initDevs;
      d[b * INIT_VISITS + visits] = x - this.level;
      // Two visits further apart than the clip: one is an outlier, too mild to open an episode
      // (a day of traffic in a slice whose calibration has seen large residuals). "The smaller"
      // would take it whenever it lies towards 0 (traffic up in a quiet hour), so the first visit
      // stands, as a learned row's clip keeps it, until the third visit's median tells which.
      const disagree = visits === 1 && robust && Math.abs(r) > c;
      if (!(disagree && outliersOut)) this.season[b] = robustStart(d, b * INIT_VISITS, visits + 1);
    } else {
      const g = Math.max(seasonGamma, 1 / (visits + 1));
      this.season[b]! += g * rc;
      // Neighbouring buckets share half the update: smooths a profile learned from few periods.
      const left = (b + this.buckets - 1) % this.buckets;
      const right = (b + 1) % this.buckets;
      const share = this.tuning.neighbourShare;
      if (share > 0 && this.visits[left]! > 0) this.season[left]! += share * g * rc;
      if (share > 0 && this.visits[right]! > 0) this.season[right]! += share * g * rc;
    }
    if (!skipInit) this.visits[b] = visits + 1;
    if (visits > 0) this.level += levelAlpha * rc;
    if (!flagged && visits > 0) {
      const as = Math.max(scaleAlpha, 1 / (n + 1));
      const dev = robust ? Math.min(Math.abs(r), 4 * s) : Math.abs(r);
      this.absDev += as * (dev - this.absDev);
      // The phase's own scale: a running mean over its last ~1/seasonGamma visits.
      const c = this.devCounts[b]!;
      this.devs[b]! += Math.max(seasonGamma, 1 / (c + 1)) * (dev - this.devs[b]!);
      if (c < Math.ceil(1 / seasonGamma)) this.devCounts[b] = c + 1;
    }
  }
}
