/**
 * Repeat suppression that does not depend on where the alert threshold ends up: a row keeps
 * its score only if it is a new high of the raw score over the last `window` rows; otherwise
 * the score is damped. Whatever threshold is applied afterwards, a sustained incident crosses
 * it once (plus once per escalation), which is what alerting and NAB's scoring both want:
 * only the first detection of an incident is news, each repeat is noise.
 */
export class RepeatSuppressor {
  // Monotonic deque of (row, raw) with decreasing raw: the front is the window maximum.
  private readonly rows: number[] = [];
  private readonly values: number[] = [];
  private head = 0;
  private row = 0;
  /** The last alert passed (its row and raw score); row -1 while there is none. */
  private alertRow = -1;
  private alertScore = 0;

  constructor(
    private readonly window: number,
    private readonly damp: number,
    /** Hold-off: for `window` rows after a passed score at or above this (an alert), a new high must
     * beat that alert by `margin` to count as an escalation. Infinity disables the hold-off. */
    private readonly fireLevel = Number.POSITIVE_INFINITY,
    private readonly margin = 0,
  ) {}

  apply(raw: number): number {
    const row = this.row++;
    while (this.head < this.rows.length && this.rows[this.head]! < row - this.window) this.head++;
    const recentMax = this.head < this.rows.length ? this.values[this.head]! : Number.NEGATIVE_INFINITY;
    while (this.rows.length > this.head && this.values[this.values.length - 1]! <= raw) {
      this.rows.pop();
      this.values.pop();
    }
    this.rows.push(row);
    this.values.push(raw);
    if (this.head > 1024) {
      this.rows.splice(0, this.head);
      this.values.splice(0, this.head);
      this.head = 0;
    }
    if (!(raw > recentMax)) return raw * this.damp;
    // The hold-off is measured from the alert that was reported, for `window` rows after it (the
    // way ARTime masks its reports for a fixed span), not from the damped rows of the episode that
    // followed it: a long false alarm's tail kept every later event within `margin` of its own
    // late rows out, however far past the alert (a labelled spike 104 rows after a drift's alert,
    // 0.05 above the drift's last high row, was damped to 0.12).
    if (this.alertRow >= 0 && row - this.alertRow <= this.window && raw < this.alertScore + this.margin)
      return raw * this.damp;
    if (raw >= this.fireLevel) {
      this.alertRow = row;
      this.alertScore = raw;
    }
    return raw;
  }
}
