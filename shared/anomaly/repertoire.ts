import { RECURRENCE } from './recurrence.js';

/** Largest past excursions remembered: the floor only matters for the few largest. */
const KEEP = 64;
/** An excursion counts as "this size seen before" only up to this many times the row's size. */
const COMPARABLE = 10;

/**
 * The series' repertoire of large deviations: the maxima of its past excursions (runs of rows
 * above the tail threshold of the deviation's history), the largest KEEP over the series' whole
 * life. A tail fitted to the history promises a tiny p to any row past its threshold, also to a
 * burst of a size the series has shown many times; `floor` is the rate at which excursions of at
 * least this size did occur, (k + 1) / (rows + 1), so a routine burst stays routine however the
 * tail is shaped. A new record has no floor (k = 0): a deviation bigger than anything seen keeps
 * the tail's evidence, and as the series ages the floor of a size seen once shrinks like 1 / rows.
 *
 * Two contexts keep unlike events apart: an excursion far bigger than the row (over COMPARABLE
 * times) says nothing about whether rows of this size are routine (one extreme outlier must not
 * mute every later spike), and an excursion that recurs at its own time of day (a nightly job,
 * RECURRENCE) is routine only at that time: the same size at another hour is new.
 */
export class Repertoire {
  private readonly maxes: number[] = [];
  private readonly times: number[] = [];
  /** Other excursions of a similar size at the same time of day on another day. */
  private readonly links: number[] = [];
  private runMax = Number.NaN;
  private runT = 0;
  private rows = 0;

  /** `phased`: the series is sampled finely enough for time-of-day recurrence (<= hourly). */
  constructor(private readonly phased: boolean) {}

  /**
   * The smallest p a deviation x at time t may get (0: none); past excursions only, not the current
   * one. A deviation that beats every comparable excursion by less than `margin` (the noise) is not
   * a record: it counts the excursions within `margin` below it. The margin only decides whether x
   * is a record; a size already reached counts exactly the excursions at least as big.
   */
  floor(x: number, t: number, margin = 0): number {
    let k = this.seen(x, t);
    if (k === 0 && margin > 0) k = this.seen(x, t, margin);
    return k > 0 ? (k + 1) / (this.rows + 1) : 0;
  }

  /**
   * Past excursions (not the current one) that make a deviation x at time t "this size seen
   * before": at least x - margin, at most COMPARABLE x.
   */
  seen(x: number, t: number, margin = 0): number {
    let k = 0;
    for (let i = 0; i < this.maxes.length; i++) {
      const m = this.maxes[i]!;
      if (!(m >= x - margin) || m > COMPARABLE * x) continue;
      if (
        this.phased &&
        this.links[i]! >= RECURRENCE.minRepeats &&
        phaseGap(t, this.times[i]!) > RECURRENCE.toleranceMs
      )
        continue;
      k++;
    }
    return k;
  }

  /** Learns deviation x at time t; `threshold` is the current tail threshold of its history. */
  add(x: number, t: number, threshold: number): void {
    this.rows++;
    if (x > threshold) {
      if (!(this.runMax >= x)) {
        this.runMax = x;
        this.runT = t;
      }
      return;
    }
    if (Number.isNaN(this.runMax)) return;
    this.close(this.runMax, this.runT);
    this.runMax = Number.NaN;
  }

  private close(max: number, t: number): void {
    let links = 0;
    if (this.phased) {
      const { periodMs, toleranceMs, similar } = RECURRENCE;
      for (let i = 0; i < this.maxes.length; i++) {
        const m = this.maxes[i]!;
        if (Math.min(m, max) < similar * Math.max(m, max)) continue;
        if (t - this.times[i]! < periodMs - toleranceMs || phaseGap(t, this.times[i]!) > toleranceMs)
          continue;
        links++;
        this.links[i]!++;
      }
    }
    this.maxes.push(max);
    this.times.push(t);
    this.links.push(links);
    if (this.maxes.length > KEEP) {
      let j = 0;
      for (let i = 1; i < this.maxes.length; i++) if (this.maxes[i]! < this.maxes[j]!) j = i;
      this.maxes.splice(j, 1);
      this.times.splice(j, 1);
      this.links.splice(j, 1);
    }
  }
}

/** Distance between two times' positions in the day (ms, 0..half a day). */
function phaseGap(a: number, b: number): number {
  const p = RECURRENCE.periodMs;
  const d = (((a - b) % p) + p) % p;
  return Math.min(d, p - d);
}
