/**
 * Window contrasts on a region × day panel of numerators and denominators. A window's value is
 * Σ num / Σ den (days weighted by exposure). Its sampling variance comes from the days as
 * replicates (delta method for a ratio of sums: Σ_d (num_d − R·den_d)² / (Σ den)², × D/(D−1)), which
 * tracks binomial or Poisson noise on small counts and over-dispersion on large ones alike.
 */

export interface Series {
  readonly num: Float64Array;
  readonly den: Float64Array;
  /**
   * Common day factor (rate of the comparison regions that day over their window rate): shocks
   * every region shares cancel in a difference in differences, so they are taken out of the day
   * residuals rather than counted as one region's noise. Default 1.
   */
  readonly dayFactor?: Float64Array;
}

/** A half-open day range [start, end) of panel positions. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface WindowStat {
  /** Σ num / Σ den, or null when Σ den = 0. */
  readonly value: number | null;
  readonly num: number;
  readonly den: number;
  /** Days with a positive denominator. */
  readonly days: number;
  /** Days with a non-zero numerator: with few events, the variance is only as good as their number. */
  readonly eventDays: number;
}

export function windowStat(s: Series, w: Span): WindowStat {
  let num = 0;
  let den = 0;
  let days = 0;
  let eventDays = 0;
  for (let d = Math.max(0, w.start); d < Math.min(w.end, s.den.length); d++) {
    num += s.num[d]!;
    den += s.den[d]!;
    if (s.den[d]! > 0) days++;
    if (s.den[d]! > 0 && s.num[d]! !== 0) eventDays++;
  }
  return { value: den > 0 ? num / den : null, num, den, days, eventDays };
}

/** Day-replicate variance of Σnum/Σden over `w`, residuals around the rate `rate`. */
function replicateVariance(s: Series, w: Span, rate: number, stat: WindowStat): number {
  if (stat.days < 2 || !(stat.den > 0)) return Number.NaN;
  const lo = Math.max(0, w.start);
  const hi = Math.min(w.end, s.den.length);
  const f = s.dayFactor;
  // Expected day d: rate × den_d × f_d / f̄ (f̄ exposure-weighted), so the residuals still sum to zero.
  let fbar = 1;
  if (f) {
    let fd = 0;
    for (let d = lo; d < hi; d++) fd += f[d]! * s.den[d]!;
    fbar = fd / stat.den || 1;
  }
  let ss = 0;
  for (let d = lo; d < hi; d++) {
    if (!(s.den[d]! > 0)) continue;
    ss += (s.num[d]! - (rate * s.den[d]! * (f ? f[d]! : 1)) / fbar) ** 2;
  }
  return (ss / (stat.den * stat.den)) * (stat.days / (stat.days - 1));
}

export interface Contrast {
  /** value(post) − value(pre); null when either window has no exposure. */
  readonly diff: number | null;
  /** Sampling variance of diff (the two windows independent). */
  readonly variance: number;
  readonly pre: WindowStat;
  readonly post: WindowStat;
}

/**
 * post − pre for one region. When a window's own residuals are all zero (no events at all) the
 * residuals around the two windows' pooled rate stand in, so a window of zeros next to a window
 * of events is not taken as exact.
 */
export function contrast(s: Series, pre: Span, post: Span): Contrast {
  const a = windowStat(s, pre);
  const b = windowStat(s, post);
  if (a.value === null || b.value === null) return { diff: null, variance: Number.NaN, pre: a, post: b };
  const pooled = (a.num + b.num) / (a.den + b.den);
  const v = (w: Span, st: WindowStat) => {
    const own = replicateVariance(s, w, st.value!, st);
    return own > 0 ? own : replicateVariance(s, w, pooled, st);
  };
  return { diff: b.value - a.value, variance: v(pre, a) + v(post, b), pre: a, post: b };
}

/**
 * Share of a window's exposure that falls on days where `treated` holds: how much of an additive
 * effect τ on the daily rate shows in that window's value (for test inversion).
 */
export function exposureShare(s: Series, w: Span, treated: (day: number) => boolean): number {
  let den = 0;
  let hit = 0;
  for (let d = Math.max(0, w.start); d < Math.min(w.end, s.den.length); d++) {
    den += s.den[d]!;
    if (treated(d)) hit += s.den[d]!;
  }
  return den > 0 ? hit / den : 0;
}
