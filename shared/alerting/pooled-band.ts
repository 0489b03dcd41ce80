import { alertThreshold } from '../anomaly/config.js';
import { evidenceOfScore, scoreOfEvidence, TUNING } from '../anomaly/detector.js';
import { registerStateClass } from '../anomaly/state.js';
import { binomialLowerTail, binomialUpperTail } from '../stats/binomial-tails.js';
import { poissonLowerTail, poissonUpperTail } from '../stats/poisson-tails.js';

/**
 * Rate bands for counts with an exposure (removals per impression, reports per impression): a
 * slice's expected count in a window is its rate times the window's exposure, the rate borrowed
 * from its parent by empirical Bayes, and the window judged by its own counts (quasi-Poisson).
 *
 * - Each series keeps exponentially weighted sums of its counts N and exposures D (memory of a
 *   week of windows), learned only from windows that are not part of an anomalous episode.
 * - Siblings (the slices of one dimension, e.g. every region) share a prior: their pooled rate
 *   r̄ = ΣN / ΣD, with the between-slice variance τ² estimated by moments (Marshall 1991:
 *   τ² = s² − r̄ / D̄). A slice's rate is (N + κ r̄) / (D + κ) with κ = r̄ / τ²: a small region
 *   with a few events a week sits near its siblings' rate, a large one on its own. The same
 *   estimate, one level down, gives each phase of the period (hour of day, by the clock) its own
 *   rate only as far as the phases really differ: a flat rate stays flat.
 * - The band's noise is the slice's own: Poisson in its expected count, inflated by the dispersion
 *   φ ≥ 1 its past windows showed (mean Pearson χ², kept only beyond its own sampling noise). Small
 *   counts get exact Poisson tails, so a spike of 8 events where 1 is expected is as surprising as
 *   it is, not a 6-sd normal event; a share of a sample (violating labels of the labelled) gets
 *   exact binomial tails. A span of the longer scales is judged with its own scale's dispersion,
 *   learned the same way from spans of its length: a large slice whose rate wanders by the day is
 *   near Poisson hour by hour and several times Poisson over 16 hours.
 * - Evidence is the smallest tail probability of three time scales, Bonferroni-corrected over the
 *   tests that could reach the level at all (Tarone: a 2-event slice cannot show a one-hour drop): the
 *   window, the best of the last 2-4 and the best of the last 5-16 (spikes, bursts, sustained
 *   shifts), each over the trailing run of windows off the band, against the rate its first window
 *   was judged at. A longer scale counts only while its latest quarter is itself off (jointly,
 *   z ≥ 2), so a move that ended does not linger.
 * - Tails are mid-p (half the observed count's own probability): an exact tail of a few events
 *   jumps by a factor λ / n from one count to the next, so at the alert level its false-alarm rate
 *   is well under the level it is charged, most of all in the smallest slices, whose moves are the
 *   hardest to see. Mid-p spends the level as charged, on average.
 * - An episode that stays off for `hold` windows is a new normal: the sums restart from it.
 */
export interface RateObs {
  /** The count (numerator) of the window. */
  readonly n: number;
  /** Its exposure (denominator). */
  readonly d: number;
  /** Scored against what was learned, never learned itself (a known event of the calendar). */
  readonly unlearned?: boolean;
}

export interface BandPoint {
  /** Expected count of the window (rate × exposure), made before seeing it. */
  readonly expected: number;
  /** The window's residual in its own noise units: (n − expected) / sqrt(φ · expected). */
  readonly z: number;
  /** 0..1, on the detector's scale (evidence / (evidence + halfEvidence)). */
  readonly score: number;
  readonly isAnomaly: boolean;
  /**
   * Volume of the span the evidence was judged on (the scale of the smallest tail: the window, or
   * the trailing run of the last 4 or 16): the larger of its count and its expected count. A move
   * of a few events an hour that lasts is judged, and gated, on all the windows that carry it.
   */
  readonly volume: number;
}

export interface BandOptions {
  /** Seasonal period in windows (24 hourly, 7 daily): the sums remember 7 periods. */
  readonly period: number;
  /** The phase (hour of day, day of week) of window i, by the clock: 0 .. period − 1. */
  readonly phaseOf: (i: number) => number;
  /** Windows learned before a series is scored. */
  readonly warmup: number;
  /** Windows an episode must last to be taken as the new normal. */
  readonly hold: number;
  readonly direction: 'up' | 'down' | 'both';
  /** Alert sensitivity of a series (the total's, or the slices'). */
  readonly sensitivity: (key: string) => number;
  /** Siblings share a prior: the group of a series (e.g. its dimension names); null = no parent. */
  readonly groupOf: (key: string) => string | null;
  /**
   * The count is a share of its exposure (violating labels of the labelled sample): its tails are
   * binomial in the sample, not Poisson, whose spread is a share's only as the share goes to 0.
   */
  readonly proportion?: boolean;
}

/**
 * Time scales (windows) of the evidence, and how many latest windows must themselves be off
 * (jointly, by RECENT_Z) for a longer scale to count: what ended no longer holds it up.
 */
const SCALES = [
  { k: 1, recent: 1 },
  { k: 4, recent: 1 },
  { k: 16, recent: 4 },
] as const;
const RECENT_Z = 2;
/** Pearson χ² above this is clipped before it feeds the dispersion, so an outlier cannot blind it. */
const PEARSON_CLIP = 25;
/**
 * A span's Pearson χ² is clipped at this many of its scale's dispersions (3 sds of a χ²₁), and the
 * clipped mean divided by what clipping leaves of a χ²₁'s mean (E min(χ²₁, 9) = 0.995): a real
 * move lasting a span cannot teach the span tails that moves are normal, and noise is kept whole.
 */
const SPAN_CLIP = 9;
const SPAN_CLIP_MEAN = 0.995;
/**
 * A span dispersion counts only once its excess is this many of its own sds: spans are few (two
 * weeks hold 21 of 16 hours), so a Poisson series would show a chance excess, costing a real
 * move of a small slice its evidence; a large slice's wander stands far above it.
 */
const SPAN_MIN_Z = 2;
/**
 * …and only once it rests on this many spans (their discounted count): one span's chance χ² of 9
 * would otherwise read as a dispersion of 9. After the warm-up (the count decays with the memory)
 * that is 5 or 6 spans: 20 and 80 hours at the hour; at the day, 20 days and 14 weeks, so a young
 * daily series keeps its window's φ.
 */
const SPAN_MIN_WEIGHT = 4;
/** The longer scales, whose spans learn a dispersion of their own (index = position in SCALES − 1). */
const SPAN_SCALES = SCALES.slice(1).map(({ k }) => k);

/** One series' band: its sums, dispersion, recent windows and episode (kept between runs). */
export class SeriesState {
  n = 0;
  d = 0;
  /** The same sums per phase of the period (hour of day), each remembering 7 periods. */
  pn: number[] = [];
  pd: number[] = [];
  phiSum = 0;
  phiWeight = 0;
  /** Σ w² · Var(Pearson χ²) of the same windows under Poisson (2 + 1/μ): the mean's sampling noise. */
  phiVar = 0;
  learned = 0;
  /**
   * The same sums for non-overlapping spans of each longer scale (4 and 16 windows): a count whose
   * rate wanders by the day (traffic mix, a busy news day) is far more dispersed over 16 hours than
   * one hour shows, and a span judged with the hour's dispersion calls that wander an incident.
   */
  spanSum: number[] = [];
  spanWeight: number[] = [];
  spanVar: number[] = [];
  /** Judged, learnable windows in a row (a gap, a calendar event or a re-base restarts it). */
  judgedRun = 0;
  /** Recent windows' counts and expected counts (newest last), for the longer scales. */
  readonly recentN: number[] = [];
  readonly recentMu: number[] = [];
  /** The rate each recent window was judged at, before its phase's factor (rateOf). */
  readonly recentRate: number[] = [];
  /** …and their exposures (a proportion's tail is binomial in its sample). */
  readonly recentD: number[] = [];
  episode = 0;
  episodeSign = 0;
  /** The episode's windows (counts, exposures): its later half becomes the new normal. */
  readonly episodeN: number[] = [];
  readonly episodeD: number[] = [];
  /** The sums before the last re-base and when it happened, while a return can still undo it. */
  before: { n: number; d: number; at: number } | undefined;

  /**
   * The dispersion, shrunk toward Poisson by what its own estimate can tell: the mean Pearson χ²'s
   * excess over 1 is kept only as far as it exceeds its sampling noise under Poisson (positive-part
   * James-Stein, the moment estimate the rates use: δ² = e² − v). A slice of a few events an hour
   * shows a mean of 1.1 by chance; read as overdispersion it would cost a real spike a third of its
   * evidence. A large series' dispersion is estimated well and kept.
   */
  get phi(): number {
    return shrunkDispersion(this.phiSum, this.phiWeight, this.phiVar);
  }

  /** The dispersion of a span of `len` windows: its scale's, never below the window's own. */
  phiOf(len: number): number {
    const phi = this.phi;
    const j = SPAN_SCALES.findIndex((k) => len <= k);
    if (len <= 1 || j < 0) return phi;
    const weight = this.spanWeight[j] ?? 0;
    if (!(weight >= SPAN_MIN_WEIGHT)) return phi;
    return Math.max(phi, shrunkDispersion(this.spanSum[j] ?? 0, weight, this.spanVar[j] ?? 0, SPAN_MIN_Z));
  }
}

/** A mean Pearson χ²'s excess over 1, kept as far as it exceeds its own sampling noise (see phi). */
function shrunkDispersion(sum: number, weight: number, variance: number, minZ = 0): number {
  if (!(weight > 0)) return 1;
  const e = sum / weight - 1;
  if (!(e > 0)) return 1;
  const v = variance / (weight * weight);
  if (e < minZ * Math.sqrt(v)) return 1;
  return 1 + e * Math.max(0, 1 - v / (e * e));
}
// Bands are kept in the detector state store like the detectors (encoded field for field).
registerStateClass('SeriesState', SeriesState);

/**
 * Scores every series of one metric (key → one observation per window, null when the window is
 * missing), window by window, so each window's prior comes from the siblings' state before it.
 */
export function scoreRateBands(
  series: ReadonlyMap<string, readonly (RateObs | null)[]>,
  windows: number,
  o: BandOptions,
  /**
   * Bands that already saw earlier windows (advanced in place; a series without one gets a new
   * band), and how many windows came before these (re-bases are dated in windows).
   */
  persist?: { readonly states: Map<string, SeriesState>; readonly offset: number },
): Map<string, (BandPoint | null)[]> {
  const alpha = 1 / (7 * o.period);
  const states = persist?.states ?? new Map<string, SeriesState>();
  for (const k of series.keys()) {
    const st = states.get(k) ?? new SeriesState();
    states.set(k, st);
    // A band of another period (or kept before phases existed) starts its phases afresh.
    if (st.pn?.length !== o.period) {
      st.pn = new Array<number>(o.period).fill(0);
      st.pd = new Array<number>(o.period).fill(0);
    }
    if (st.spanSum?.length !== SPAN_SCALES.length) {
      st.spanSum = new Array<number>(SPAN_SCALES.length).fill(0);
      st.spanWeight = new Array<number>(SPAN_SCALES.length).fill(0);
      st.spanVar = new Array<number>(SPAN_SCALES.length).fill(0);
      st.judgedRun = 0;
    }
  }
  const offset = persist?.offset ?? 0;
  const out = new Map([...series.keys()].map((k) => [k, new Array<BandPoint | null>(windows).fill(null)]));
  const groups = new Map<string, string[]>();
  for (const key of series.keys()) {
    const g = o.groupOf(key);
    if (g === null) continue;
    const members = groups.get(g) ?? [];
    members.push(key);
    groups.set(g, members);
  }
  for (let i = 0; i < windows; i++) {
    const priors = new Map<string, { rate: number; kappa: number }>();
    for (const [g, members] of groups) priors.set(g, groupPrior(members.map((k) => states.get(k)!)));
    for (const [key, obs] of series) {
      const x = obs[i];
      const s = states.get(key)!;
      if (!x || !(x.d > 0)) {
        // A window never judged (too small, missing) breaks the run: a longer scale's latest
        // windows and its trailing run are judged windows in a row, never reached across a gap.
        if (s.recentN.length > 0) pushRecent(s, Number.NaN, Number.NaN, Number.NaN, Number.NaN);
        s.judgedRun = 0;
        continue;
      }
      const g = o.groupOf(key);
      const prior = g === null ? undefined : priors.get(g);
      const phase = o.phaseOf(i);
      maybeRestore(s, x, rateOf(s, prior) * seasonalFactor(s, phase), prior, offset + i, o.hold);
      // Read after maybeRestore, which may put the old sums back.
      const base = rateOf(s, prior);
      const factor = seasonalFactor(s, phase);
      out.get(key)![i] = judge(s, x, base, factor, o, key);
      if (x.unlearned) s.judgedRun = 0;
      else {
        learnSpans(s, o);
        learn(s, x, base * factor, alpha, o.hold, offset + i, phase);
      }
    }
  }
  return out;
}

/** Pooled rate of the siblings and the prior weight κ (in exposure units) their spread allows. */
function groupPrior(members: readonly { readonly n: number; readonly d: number }[]): {
  rate: number;
  kappa: number;
} {
  const live = members.filter((s) => s.d > 0);
  const D = live.reduce((a, s) => a + s.d, 0);
  if (live.length < 2 || !(D > 0)) return { rate: 0, kappa: 0 };
  const rate = live.reduce((a, s) => a + s.n, 0) / D;
  const s2 = live.reduce((a, s) => a + s.d * (s.n / s.d - rate) ** 2, 0) / D;
  const tau2 = s2 - rate / (D / live.length);
  return { rate, kappa: tau2 > 0 ? rate / tau2 : Number.POSITIVE_INFINITY };
}

/**
 * The phase's rate relative to the series' own (1 when the phases do not differ beyond their
 * sampling noise): each phase's rate shrunk toward the series' by the same moment estimate as
 * slices toward their siblings, so a rate with an hour-of-day pattern gets it, a flat one none.
 */
function seasonalFactor(s: SeriesState, phase: number): number {
  const { rate, kappa } = groupPrior(s.pn.map((n, h) => ({ n, d: s.pd[h]! })));
  if (!(rate > 0) || !Number.isFinite(kappa) || kappa === 0) return 1;
  return (s.pn[phase]! + kappa * rate) / (s.pd[phase]! + kappa) / rate;
}

function rateOf(s: SeriesState, prior: { rate: number; kappa: number } | undefined): number {
  if (!prior || prior.kappa === 0 || !(prior.rate > 0)) return s.d > 0 ? s.n / s.d : 0;
  if (!Number.isFinite(prior.kappa)) return prior.rate;
  return (s.n + prior.kappa * prior.rate) / (s.d + prior.kappa);
}

function judge(
  s: SeriesState,
  x: RateObs,
  base: number,
  factor: number,
  o: BandOptions,
  key: string,
): BandPoint {
  const rate = base * factor;
  const mu = rate * x.d;
  const phi = s.phi;
  const z = (x.n - mu) / Math.sqrt(phi * Math.max(mu, 1e-9));
  pushRecent(s, x.n, mu, base, x.d);
  if (s.learned < o.warmup || !(rate > 0))
    return {
      expected: mu,
      z: s.learned < o.warmup ? 0 : z,
      score: 0,
      isAnomaly: false,
      volume: Math.max(x.n, mu),
    };
  const tails = o.direction === 'both' ? 2 : 1;
  let p = 1;
  let below = 0;
  let volume = Math.max(x.n, mu);
  const m = s.recentN.length;
  for (const { k, recent } of SCALES) {
    if (m < k) continue;
    const [rn, rl] = sums(s, m - recent, m);
    for (const dir of ['up', 'down'] as const) {
      if (o.direction !== 'both' && o.direction !== dir) continue;
      const sign = dir === 'up' ? 1 : -1;
      // NaN (a gap among the latest windows) fails this too.
      if (k > 1 && !((sign * (rn - rl)) / Math.sqrt(s.phiOf(recent) * Math.max(rl, 1e-9)) >= RECENT_Z))
        continue;
      // A longer scale reaches back only over the trailing run of windows off the band this way:
      // an earlier move that ended (a window back on the other side) cannot lend it evidence. It
      // takes the best of its lengths (longer than the scale below it) within that run, so a window
      // barely off before a two-hour spike does not dilute it, and the scales test disjoint lengths.
      const longest = k > 1 ? Math.min(k, runLength(s, sign)) : 1;
      const phiK = s.phiOf(k);
      for (let len = below + 1; len <= longest; len++) {
        const [n, lam, d] = sums(s, m - len, m);
        const tail = o.proportion
          ? midBinomialTail(dir, n / phiK, d / phiK, lam / d)
          : midTail(dir, n / phiK, lam / phiK);
        if (tail < p) {
          p = tail;
          volume = Math.max(n, lam);
        }
      }
    }
    below = k;
  }
  const threshold = alertThreshold(o.sensitivity(key));
  const charged = chargedTests(s, o, SCALES.length * tails, threshold);
  const evidence = -Math.log10(Math.min(1, Math.max(charged * p, 1e-300)));
  const score = scoreOfEvidence(evidence);
  return { expected: mu, z, score, isAnomaly: score >= threshold, volume };
}

/**
 * How many of the scale × direction tests the evidence is charged for (Tarone 1990): a test whose
 * smallest attainable p (a drop to 0 events over its longest span, from what was expected: known
 * before the window is seen) cannot reach the level it would be given is no test, so it costs
 * nothing. A slice expecting 2 events an hour cannot show a one-hour or a 4-hour drop at the
 * slices' level: 'both' costs it ×4, not ×6. The count is the smallest m whose level α / m no more
 * than m tests can reach.
 */
function chargedTests(s: SeriesState, o: BandOptions, all: number, threshold: number): number {
  if (o.direction === 'up') return all;
  const alpha = 10 ** -evidenceOfScore(threshold);
  const m = s.recentN.length;
  const least: number[] = [];
  for (const { k } of SCALES) {
    const [, lam, d] = sums(s, m - k, m);
    const phi = s.phiOf(k);
    if (o.direction === 'both') least.push(0);
    // Mid-p of no event at all: the smallest a drop's tail can be.
    least.push(o.proportion ? (1 - lam / d) ** (d / phi) / 2 : Math.exp(-lam / phi) / 2);
  }
  for (let c = 1; c < all; c++) if (least.filter((q) => !(q > alpha / c)).length <= c) return c;
  return all;
}

/** Mid-p tail of a binomial count x of n trials (possibly scaled by the dispersion) at share p. */
function midBinomialTail(dir: 'up' | 'down', x: number, n: number, p: number): number {
  return dir === 'up'
    ? (binomialUpperTail(x, n, p) + binomialUpperTail(x + 1, n, p)) / 2
    : (binomialLowerTail(x, n, p) + binomialLowerTail(x - 1, n, p)) / 2;
}

/** Mid-p tail of a Poisson count x (possibly scaled by the dispersion) in direction dir. */
function midTail(dir: 'up' | 'down', x: number, lambda: number): number {
  return dir === 'up'
    ? (poissonUpperTail(x, lambda) + poissonUpperTail(x + 1, lambda)) / 2
    : (poissonLowerTail(x, lambda) + poissonLowerTail(x - 1, lambda)) / 2;
}

function endEpisode(s: SeriesState): void {
  s.episode = 0;
  s.episodeN.length = 0;
  s.episodeD.length = 0;
}

/**
 * After a re-base, going back to where the series was is a return to a known normal, not a new
 * incident: while the old rate explains the window (within 2 of its sds) and the new one does not
 * (3 or more away), the re-base is undone. Possible for 3 × hold windows after it.
 */
function maybeRestore(
  s: SeriesState,
  x: RateObs,
  rate: number,
  prior: { rate: number; kappa: number } | undefined,
  i: number,
  hold: number,
): void {
  const b = s.before;
  if (!b) return;
  if (i - b.at > 3 * hold) {
    s.before = undefined;
    return;
  }
  const old = rateOf({ ...s, n: b.n, d: b.d } as SeriesState, prior) * x.d;
  const now = rate * x.d;
  const sd = (mu: number) => Math.sqrt(s.phi * Math.max(mu, 1));
  if (Math.abs(x.n - old) <= 2 * sd(old) && Math.abs(x.n - now) >= 3 * sd(now)) {
    s.n = b.n;
    s.d = b.d;
    s.before = undefined;
    s.recentN.length = 0;
    s.recentMu.length = 0;
    s.recentRate.length = 0;
    s.recentD.length = 0;
    s.judgedRun = 0;
  }
}

/** Keeps the latest windows for the longer scales (NaN: a window never judged). */
function pushRecent(s: SeriesState, n: number, mu: number, rate: number, d: number): void {
  s.recentN.push(n);
  s.recentMu.push(mu);
  s.recentRate.push(rate);
  s.recentD.push(d);
  if (s.recentN.length > SCALES[SCALES.length - 1]!.k) {
    s.recentN.shift();
    s.recentMu.shift();
    s.recentRate.shift();
    s.recentD.shift();
  }
}

/** Trailing windows whose count is off the band in direction `sign` (n − μ of that sign; a gap ends it). */
function runLength(s: SeriesState, sign: number): number {
  let r = 0;
  for (let j = s.recentN.length - 1; j >= 0 && sign * (s.recentN[j]! - s.recentMu[j]!) > 0; j--) r++;
  return r;
}

/**
 * Count and expected count of recent windows [from, to), the expectation at the rate the span's
 * first window was judged at: what the span's own windows taught the rate (the hours of a move
 * too small to be off one by one) is not its expectation.
 */
function sums(s: SeriesState, from: number, to: number): [number, number, number] {
  let n = 0;
  let mu = 0;
  let d = 0;
  const start = Math.max(0, from);
  const r0 = s.recentRate[start]!;
  for (let j = start; j < to; j++) {
    n += s.recentN[j]!;
    d += s.recentD[j]!;
    const r = s.recentRate[j]!;
    mu += r > 0 && r0 > 0 ? (s.recentMu[j]! * r0) / r : s.recentMu[j]!;
  }
  return [n, mu, d];
}

/**
 * Learns each longer scale's dispersion from the span of its last k judged windows, every k
 * windows (non-overlapping spans, each against the rate its first window was judged at, as the
 * span tails judge it). Episode windows count too: a span of a large slice's normal wander is often
 * off at the window's level, and leaving those out would keep the span dispersion too small to
 * ever admit them. The clip keeps a real move from inflating it; it remembers two weeks of spans,
 * and starts after the warm-up.
 */
function learnSpans(s: SeriesState, o: BandOptions): void {
  // Warm-up windows are judged against a rate still being learned: their spans measure that.
  if (s.learned < o.warmup) {
    s.judgedRun = 0;
    return;
  }
  s.judgedRun++;
  const m = s.recentN.length;
  for (const [j, k] of SPAN_SCALES.entries()) {
    if (s.judgedRun % k !== 0 || m < k) continue;
    const [n, lam] = sums(s, m - k, m);
    if (!(lam > 0)) continue;
    const pearson = Math.min(SPAN_CLIP * s.phiOf(k), (n - lam) ** 2 / lam) / SPAN_CLIP_MEAN;
    const a = Math.min(1, k / (14 * o.period));
    s.spanSum[j] = (1 - a) * s.spanSum[j]! + pearson;
    s.spanWeight[j] = (1 - a) * s.spanWeight[j]! + 1;
    s.spanVar[j] = (1 - a) ** 2 * s.spanVar[j]! + 2 + 1 / lam;
  }
}

/**
 * Learns the window unless it is part of an anomalous episode (its own residual at the
 * detector's episode level). An episode of `hold` windows with one sign is the new normal.
 */
function learn(
  s: SeriesState,
  x: RateObs,
  rate: number,
  alpha: number,
  hold: number,
  i: number,
  phase: number,
): void {
  const mu = rate * x.d;
  const phi = s.phi;
  const z = s.learned > 0 && mu > 0 ? (x.n - mu) / Math.sqrt(phi * mu) : 0;
  const tail =
    z > 0 ? poissonUpperTail(x.n / phi, mu / phi) : z < 0 ? poissonLowerTail(x.n / phi, mu / phi) : 1;
  const off = s.learned >= 1 && -Math.log10(Math.max(tail, 1e-300)) >= TUNING.halfEvidence;
  if (off && (s.episode === 0 || Math.sign(z) === s.episodeSign)) {
    if (s.episode === 0) s.episodeSign = Math.sign(z);
    s.episode++;
    s.episodeN.push(x.n);
    s.episodeD.push(x.d);
    if (s.episode < hold) return;
    // The new normal: learned from the episode's later half alone (a ramp's end, not its
    // middle), and the longer scales restart. The old sums are kept for a return (maybeRestore).
    s.before = { n: s.n, d: s.d, at: i };
    const half = s.episodeN.length >> 1;
    s.n = s.episodeN.slice(half).reduce((a, b) => a + b, 0);
    s.d = s.episodeD.slice(half).reduce((a, b) => a + b, 0);
    s.recentN.length = 0;
    s.recentMu.length = 0;
    s.recentRate.length = 0;
    s.recentD.length = 0;
    s.judgedRun = 0;
    endEpisode(s);
    return;
  }
  endEpisode(s);
  s.n = (1 - alpha) * s.n + x.n;
  s.d = (1 - alpha) * s.d + x.d;
  s.pn[phase] = (1 - 1 / 7) * s.pn[phase]! + x.n;
  s.pd[phase] = (1 - 1 / 7) * s.pd[phase]! + x.d;
  if (mu > 0 && s.learned > 0) {
    const pearson = Math.min(PEARSON_CLIP, (x.n - mu) ** 2 / mu);
    s.phiSum = (1 - alpha) * s.phiSum + pearson;
    s.phiWeight = (1 - alpha) * s.phiWeight + 1;
    s.phiVar = (1 - alpha) ** 2 * s.phiVar + 2 + 1 / mu;
  }
  s.learned++;
}
