/** What "recurs at this time of day" means, shared by RecurrenceContext and Repertoire. */
export const RECURRENCE = {
  periodMs: 86_400_000,
  toleranceMs: 45 * 60_000,
  /** Previous periods that must show it before it counts as recurring. */
  minRepeats: 2,
  /** Smallest ratio of two sizes that count as the same event. */
  similar: 0.8,
} as const;

/**
 * Context for events that recur at the same time of day (a nightly batch job's CPU spike): if
 * evidence as strong as now was seen within `tolerance` of this time of day on several of the
 * previous days, the row is expected, whatever a per-row model says. A seasonal profile cannot
 * learn such spikes because their exact minute jitters; this looks at a neighbourhood instead.
 */
export class RecurrenceContext {
  private readonly times: number[] = [];
  private readonly values: number[] = [];
  private head = 0;

  constructor(
    private readonly periodMs: number = RECURRENCE.periodMs,
    private readonly periods = 7,
    private readonly toleranceMs: number = RECURRENCE.toleranceMs,
    /** Previous periods that must show it before it counts as recurring. */
    private readonly minRepeats: number = RECURRENCE.minRepeats,
  ) {}

  /**
   * A probability floor for evidence `x` at time t: (k+1)/(d+1) when k of the d previous
   * periods had evidence >= `similar * x` near this phase and k >= minRepeats, else 0.
   */
  floor(t: number, x: number, similar: number = RECURRENCE.similar): number {
    if (this.head >= this.times.length) return 0;
    const first = this.times[this.head]!;
    const days = Math.min(this.periods, Math.floor((t - first) / this.periodMs));
    if (days < this.minRepeats) return 0;
    let k = 0;
    for (let d = 1; d <= days; d++) {
      const lo = t - d * this.periodMs - this.toleranceMs;
      const hi = t - d * this.periodMs + this.toleranceMs;
      let i = this.lowerBound(lo);
      let seen = false;
      for (; i < this.times.length && this.times[i]! <= hi; i++) {
        if (this.values[i]! >= similar * x) {
          seen = true;
          break;
        }
      }
      if (seen) k++;
    }
    return k >= this.minRepeats ? (k + 1) / (days + 1) : 0;
  }

  add(t: number, x: number): void {
    this.times.push(t);
    this.values.push(x);
    const horizon = t - this.periods * this.periodMs - this.toleranceMs;
    while (this.head < this.times.length && this.times[this.head]! < horizon) this.head++;
    if (this.head > 4096) {
      this.times.splice(0, this.head);
      this.values.splice(0, this.head);
      this.head = 0;
    }
  }

  private lowerBound(t: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
