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
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private n = 0;
  private head = 0;

  constructor(
    capacity: number,
    /** Fraction of the history treated as the tail for the exponential fit. */
    private readonly tailFraction = 0.02,
    /** Fewest points in that tail. */
    private readonly minTail = 10,
    /** Smallest excess scale, in the statistic's units: keeps a flat history from giving p = 0. */
    private readonly minExcess = 0.5,
  ) {
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  add(x: number): void {
    const cap = this.ring.length;
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
    const beta = Math.max(this.minExcess, sum / k);
    // Exponential (GPD shape 0) tail beyond q, anchored at q's empirical exceedance.
    return ((k + 1) / (n + 1)) * Math.exp(-(x - q) / beta);
  }
}
