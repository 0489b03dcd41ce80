import { normalTail } from './math.js';

/** Tuning of the contextual-novelty statistic (one set for every series). */
export interface NoveltyTuning {
  /** Rows whose spread fixes the quantisation grid; no novelty is scored before it exists. */
  readonly gridRows: number;
  /** Grids offset by a fraction of a level each (tile coding), so less depends on where the cuts fall. */
  readonly tilings: number;
  /** Levels across the central (2%-98%) range of the grid rows. */
  readonly levels: number;
  /** Lags d of the (level d rows ago, level now) pair contexts. */
  readonly lags: number;
  /** Longest run of recent levels used as one context (runs of 2..order levels, order <= 4). */
  readonly order: number;
  /** Rows in the short mean of the raw novelty (the anomaly-likelihood window). */
  readonly shortWindow: number;
  /** Rows of history the short mean is compared with. */
  readonly history: number;
  /** Smallest standard deviation of that history: how far above its usual level the short mean must go. */
  readonly minSd: number;
}

/**
 * Levels are kept in 7 bits around the grid (32 levels below it, ~90 above); anything further
 * out saturates (and is still new the first time). 7 bits keep every context key a small integer.
 */
const LEVEL_BITS = 7;
const LEVEL_OFFSET = 32;
const LEVEL_MAX = (1 << LEVEL_BITS) - 1;

/** One quantisation grid and the contexts seen on it. */
interface Tiling {
  readonly offset: number;
  /** Last levels, newest last (at most max(lags, order) + 1). */
  readonly recent: number[];
  readonly pairs: Set<number>;
  readonly runs: Set<number>;
}

/**
 * Contextual novelty of the recent value pattern (the idea behind NAB's contextOSE and HTM's
 * prediction error, implemented independently): values are quantised on a grid fixed from the
 * first rows, and each row forms contexts from its recent levels (the level d rows ago paired
 * with the level now, and the runs of the last 2..order levels). The raw novelty of a row is the
 * fraction of its contexts never seen before. A value or a shape the series has never shown is
 * new even when its size is ordinary, which a residual-size detector cannot see.
 *
 * The raw novelty becomes evidence as an anomaly likelihood: the mean over the last few rows is
 * compared with the history of that mean (Gaussian tail with a floor on the spread), so one odd
 * row says little, a run of new patterns says a lot, and a series that is always a little
 * novel (noise) needs more than one that has settled.
 */
export class ContextNovelty {
  private readonly warm: number[] = [];
  private lo = 0;
  private step = 0;
  private readonly tilings: Tiling[] = [];
  private readonly shortRing: Float64Array;
  private shortHead = 0;
  private shortN = 0;
  private shortSum = 0;
  private readonly histRing: Float64Array;
  private histHead = 0;
  private histN = 0;
  private histSum = 0;
  private histSq = 0;

  constructor(private readonly tuning: NoveltyTuning) {
    this.shortRing = new Float64Array(tuning.shortWindow);
    this.histRing = new Float64Array(tuning.history);
    for (let j = 0; j < tuning.tilings; j++)
      this.tilings.push({ offset: j / tuning.tilings, recent: [], pairs: new Set(), runs: new Set() });
  }

  /** Whether the grid exists (novelty is scored from then on). */
  get ready(): boolean {
    return this.step > 0;
  }

  /**
   * Learns value x and returns the evidence (-log10 p) that the recent patterns are novel:
   * 0 until the grid and a short history exist. `resolution` is the smallest step of the data.
   */
  observe(x: number, resolution: number): number {
    const t = this.tuning;
    if (this.step === 0) {
      this.warm.push(x);
      if (this.warm.length >= t.gridRows) this.makeGrid(resolution);
      return 0;
    }
    const raw = this.learn(x);
    if (this.shortN === t.shortWindow) this.shortSum -= this.shortRing[this.shortHead]!;
    else this.shortN++;
    this.shortRing[this.shortHead] = raw;
    this.shortHead = (this.shortHead + 1) % t.shortWindow;
    this.shortSum += raw;
    const mean = this.shortSum / this.shortN;
    let evidence = 0;
    if (this.histN >= 3 * t.shortWindow) {
      const mu = this.histSum / this.histN;
      const sd = Math.max(t.minSd, Math.sqrt(Math.max(0, this.histSq / this.histN - mu * mu)));
      evidence = -Math.log10(Math.max(normalTail((mean - mu) / sd), 1e-300));
    }
    this.addHistory(mean);
    return evidence;
  }

  private makeGrid(resolution: number): void {
    const t = this.tuning;
    const s = [...this.warm].sort((a, b) => a - b);
    const lo = s[Math.floor(0.02 * (s.length - 1))]!;
    const hi = s[Math.ceil(0.98 * (s.length - 1))]!;
    let step = (hi - lo) / t.levels;
    if (Number.isFinite(resolution)) step = Math.max(step, resolution);
    if (!(step > 0)) step = Math.max(1e-9 * Math.abs(lo), 1e-12);
    this.lo = lo;
    this.step = step;
    // The grid rows are learned as contexts too, so the first scored rows compare with them.
    for (const v of this.warm) this.learn(v);
    this.warm.length = 0;
  }

  /** Adds a value to every tiling; returns the mean fraction of its contexts that were new. */
  private learn(x: number): number {
    const { lags, order } = this.tuning;
    const keep = Math.max(lags, order) + 1;
    const u = (x - this.lo) / this.step;
    let sum = 0;
    for (const tiling of this.tilings) {
      const q = Math.min(LEVEL_MAX, Math.max(0, Math.floor(u + tiling.offset) + LEVEL_OFFSET));
      const seen = tiling.recent;
      seen.push(q);
      if (seen.length > keep) seen.shift();
      const n = seen.length;
      let total = 0;
      let fresh = 0;
      // Pair contexts: (lag, level then, level now).
      for (let d = 1; d <= lags && d < n; d++) {
        const key = (((d << LEVEL_BITS) | seen[n - 1 - d]!) << LEVEL_BITS) | q;
        total++;
        if (!tiling.pairs.has(key)) {
          fresh++;
          tiling.pairs.add(key);
        }
      }
      // Run contexts: the last k levels as one number, with a leading 1 bit marking k.
      let key = (1 << LEVEL_BITS) | q;
      for (let k = 2; k <= order && k <= n; k++) {
        key = (key << LEVEL_BITS) | seen[n - k]!;
        const tagged = key;
        total++;
        if (!tiling.runs.has(tagged)) {
          fresh++;
          tiling.runs.add(tagged);
        }
      }
      if (total > 0) sum += fresh / total;
    }
    return sum / this.tilings.length;
  }

  private addHistory(v: number): void {
    const cap = this.histRing.length;
    if (this.histN === cap) {
      const old = this.histRing[this.histHead]!;
      this.histSum -= old;
      this.histSq -= old * old;
      this.histN--;
    }
    this.histRing[this.histHead] = v;
    this.histHead = (this.histHead + 1) % cap;
    this.histSum += v;
    this.histSq += v * v;
    this.histN++;
  }
}
