import { median } from '../anomaly/math.js';
import { registerStateClass } from '../anomaly/state.js';

/**
 * A slice of an exposure (a region of impressions) wanders by the day: 20% off one day and back
 * the next, for reasons nobody pages on. Its detector learns hour by hour, so such a day reads as
 * a shift at z 4-6. This gate learns how far the slice's daily share of its total strays, and how
 * far its windows stray from the detector's predictions within a day, beyond Poisson both. A
 * flagged window counts only when the run of flagged windows it ends is off the detector's
 * expectation by WANDER_Z sds of such a run.
 *
 * It never changes what the detector learns or scores, only whether a flagged window may open or
 * extend an incident. Without wander the learned scales are small and every flagged move passes.
 * The day's share is the reference because the detector's own predictions follow a normal day's
 * level within hours, so they would understate the wander (by about half on region-days of sd
 * 0.1), and because a day of the platform's traffic is not a region's wander. Totals are not gated
 * (score-series.ts): the platform's day off its level is the exposure's one traffic notice. The
 * estimates are medians, biased for counts of a few events an hour: only exposures are gated.
 */

/** Sds of a run's wander a flagged run must exceed (two-sided p ≈ 6e-5 per region-day). */
export const WANDER_Z = 4;
/** Whole days remembered: four weeks, in which an incident day is outvoted by the median. */
const WANDER_MEMORY = 28;
/** Whole days needed before the gate acts at all. */
const WANDER_MIN_DAYS = 4;
/** The median of a χ²₁: a median square deviation over it is a variance. */
const CHI2_1_MEDIAN = 0.4549;
/** The median absolute value of a normal deviation, in its standard deviations. */
const MAD_TO_SD = 1.4826;

/** One series' gate, kept in the detector state (field for field, like the detectors). */
export class DayWander {
  /** Observed and expected of the last windows (at most a day), oldest first. */
  obs: number[] = [];
  exp: number[] = [];
  /** Consecutive flagged windows up to the latest. */
  run = 0;
  /** The current day's sums: the slice's, and its metric's total. */
  dayObs = 0;
  dayTotal = 0;
  /** Log shares of the total of the last whole days, oldest first. */
  days: number[] = [];
  /** Each of those days' Poisson variance of its log share (1 / its count). */
  dayPoisson: number[] = [];
  /** Windows taken so far: days are learned only after the detector's warm-up. */
  seen = 0;
  /** The current day's windows' log ratios observed / expected, and their summed Poisson variance. */
  dayLogs: number[] = [];
  dayWindowPoisson = 0;
  /** Each of the last whole days' variance of its windows around the day's own level, beyond Poisson. */
  dayOwn: number[] = [];

  /**
   * The sd of a run of n windows' log ratio beyond Poisson: the day's wander, which the run
   * shares, plus the windows' own deviations beyond it, which average out over the run.
   */
  runScale(n: number): number | undefined {
    const day = this.dayScale();
    if (day === undefined) return undefined;
    return Math.sqrt(day * day + median(this.dayOwn) / n);
  }

  /** The sd of the slice's daily log share of its total, once WANDER_MIN_DAYS days are known. */
  dayScale(): number | undefined {
    if (this.days.length < WANDER_MIN_DAYS) return undefined;
    const poisson = this.dayPoisson.reduce((a, b) => a + b, 0) / this.dayPoisson.length;
    const centre = median(this.days);
    const mad = MAD_TO_SD * median(this.days.map((d) => Math.abs(d - centre)));
    // Beyond Poisson only, like the windows': sampling noise is the detector's to judge.
    return Math.sqrt(Math.max(0, mad * mad - poisson));
  }

  /**
   * Takes one scored window (`period` windows make a day) and says whether a flagged window may
   * count. `learn` false: the window is judged but not learned (a known event). Windows of the
   * detector's warm-up (`warmup`) are not learned: its predictions are still being formed.
   */
  push(
    observed: number,
    expected: number,
    flagged: boolean,
    o: { readonly period: number; readonly warmup: number; readonly learn: boolean; readonly total: number },
  ): boolean {
    const { period } = o;
    this.obs.push(observed);
    this.exp.push(expected);
    if (this.obs.length > period) {
      this.obs.shift();
      this.exp.shift();
    }
    this.run = flagged ? this.run + 1 : 0;
    let passes = true;
    if (flagged) {
      const n = Math.min(this.run, this.obs.length);
      const s = this.runScale(n);
      if (s !== undefined) {
        let runObs = 0;
        let runExp = 0;
        for (let i = this.obs.length - n; i < this.obs.length; i++) {
          runObs += this.obs[i]!;
          runExp += this.exp[i]!;
        }
        passes = Math.abs(logRatio(runObs, runExp)) >= WANDER_Z * s;
      }
    }
    if (o.learn && this.seen++ >= o.warmup) {
      this.dayObs += observed;
      this.dayTotal += o.total;
      this.dayLogs.push(logRatio(observed, expected));
      this.dayWindowPoisson += 1 / (Math.max(0, expected) + 1);
      if (this.dayLogs.length === period) this.closeDay();
    }
    return passes;
  }

  /**
   * A whole day learned: the slice's share of the total, and its windows' spread around the day's
   * own level. Both are read as medians over the days, so an incident day or the detector's first
   * days of forming its profile are outvoted rather than averaged in.
   */
  private closeDay(): void {
    const n = this.dayLogs.length;
    const level = this.dayLogs.reduce((a, b) => a + b, 0) / n;
    const spread = median(this.dayLogs.map((l) => (l - level) ** 2)) / CHI2_1_MEDIAN;
    this.days.push(logRatio(this.dayObs, this.dayTotal));
    this.dayPoisson.push(1 / (Math.max(0, this.dayObs) + 1));
    this.dayOwn.push(Math.max(0, spread - this.dayWindowPoisson / n));
    if (this.days.length > WANDER_MEMORY) {
      this.days.shift();
      this.dayPoisson.shift();
      this.dayOwn.shift();
    }
    this.dayObs = 0;
    this.dayTotal = 0;
    this.dayLogs = [];
    this.dayWindowPoisson = 0;
  }
}

/** ln(observed / expected) of counts, kept finite for empty windows. */
function logRatio(observed: number, expected: number): number {
  return Math.log((Math.max(0, observed) + 1) / (Math.max(0, expected) + 1));
}

registerStateClass('DayWander', DayWander);
