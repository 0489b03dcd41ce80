import { lowerBound } from './math.js';

/**
 * Turns a statistic into a tail probability against that statistic's own recent history
 * (peaks-over-threshold, as in SPOT: Siffer et al., KDD 2017). Below the history's upper
 * quantile the p-value is empirical; above it an exponential tail fitted to the excesses
 * extrapolates, so a value far beyond anything seen gets a correspondingly small p instead
 * of the 1/n floor of a pure rank. Calibrating on the series' own history is what lets one
 * threshold mean the same false-alarm rate on a calm series and on a spiky one.
 */
export class TailCalibrator {
  // Both arrays grow by doubling up to `capacity`: most series are far shorter than the
  // history cap, and zero-filling the full buffers for every calibrator dominated short series.
  private ring: Float64Array;
  private sorted: Float64Array;
  private n = 0;
  private head = 0;

  constructor(
    private readonly capacity: number,
    /** Fraction of the history treated as the tail for the exponential fit. */
    private readonly tailFraction = 0.02,
    /** Fewest points in that tail. */
    private readonly minTail = 10,
    /** Smallest excess scale, in the statistic's units: keeps a flat history from giving p = 0. */
    private readonly minExcess = 0.5,
    /** Leave the largest excess out of the fitted scale (see pValue). */
    private readonly trimTop = false,
    /** Lomax posterior-predictive tail instead of the plug-in exponential (see pValue). */
    private readonly predictive = false,
  ) {
    const initial = Math.min(capacity, 64);
    this.ring = new Float64Array(initial);
    this.sorted = new Float64Array(initial);
  }

  get size(): number {
    return this.n;
  }

  add(x: number): void {
    const cap = this.capacity;
    if (this.n === this.ring.length && this.n < cap) {
      // Not wrapped yet (head === n), so a plain copy keeps the ring order.
      const size = Math.min(cap, 2 * this.ring.length);
      const ring = new Float64Array(size);
      ring.set(this.ring);
      const sorted = new Float64Array(size);
      sorted.set(this.sorted);
      this.ring = ring;
      this.sorted = sorted;
    }
    if (this.n === cap) {
      const old = this.ring[this.head]!;
      const i = lowerBound(this.sorted, old, this.n);
      this.sorted.copyWithin(i, i + 1, this.n);
      this.n--;
    }
    const j = lowerBound(this.sorted, x, this.n);
    this.sorted.copyWithin(j + 1, j, this.n);
    this.sorted[j] = x;
    this.n++;
    this.ring[this.head] = x;
    this.head = (this.head + 1) % cap;
  }

  /**
   * max(p, pValue(x)), skipping the tail fit when it cannot change the answer: above the tail
   * threshold the p-value never exceeds the threshold's exceedance rate.
   */
  atLeast(x: number, p: number): number {
    const n = this.n;
    const k = Math.max(this.minTail, Math.floor(n * this.tailFraction));
    if (n > 0 && k < n && p >= (k + 1) / (n + 1) && x > this.sorted[n - k]!) return p;
    return Math.max(p, this.pValue(x));
  }

  /** The tail threshold: values above it are in the fitted tail (Infinity while the history is too short). */
  threshold(): number {
    const n = this.n;
    const k = Math.max(this.minTail, Math.floor(n * this.tailFraction));
    return k >= n ? Number.POSITIVE_INFINITY : this.sorted[n - k]!;
  }

  /** P(next history value >= x); 1 when the history is empty. */
  pValue(x: number): number {
    const n = this.n;
    if (n === 0) return 1;
    const atOrAbove = n - lowerBound(this.sorted, x, n);
    const empirical = (atOrAbove + 1) / (n + 1);
    const k = Math.max(this.minTail, Math.floor(n * this.tailFraction));
    if (k >= n) return empirical;
    const q = this.sorted[n - k]!;
    if (x <= q) return empirical;
    let sum = 0;
    for (let i = n - k; i < n; i++) sum += this.sorted[i]! - q;
    // The largest excess is left out of the scale (a trimmed mean of the others): one extreme
    // outlier would otherwise inflate it for as long as it stays in the history (thousands of
    // rows), and every later anomaly would look routine.
    const trim = this.trimTop && k > 1;
    if (trim) sum -= this.sorted[n - 1]! - q;
    const m = trim ? k - 1 : k;
    const beta = Math.max(this.minExcess, sum / m);
    // A running statistic's history is serially dependent: its top rows come from a few
    // excursions, so the fitted scale is less certain than m independent rows suggest. The
    // posterior predictive of the exponential excess model (Lomax, shape m) promises less far
    // beyond the data than the plug-in exponential.
    if (this.predictive) return ((k + 1) / (n + 1)) * (1 + (x - q) / (m * beta)) ** -m;
    // Exponential (GPD shape 0) tail beyond q, anchored at q's empirical exceedance.
    return ((k + 1) / (n + 1)) * Math.exp(-(x - q) / beta);
  }
}
