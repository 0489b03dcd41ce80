import { Cusum } from './cusum.js';
import { RecurrenceContext } from './recurrence.js';
import { Repertoire } from './repertoire.js';
import { TailCalibrator } from './tail.js';

export type Direction = 'up' | 'down' | 'both';

export interface EvidenceTuning {
  readonly history: number;
  readonly cusumK: number;
  readonly minHistory: number;
  readonly tailFraction: number;
  readonly minTail: number;
  /** Rows in the short window whose mean surprise is the third statistic. */
  readonly shortWindow: number;
  readonly useShort: boolean;
  /** Discount evidence that recurs at this time of day (sub-hourly series only). */
  readonly recurrence: boolean;
  /**
   * Judge a row's deviation also in the series' own units against its history (see observe):
   * a spike counts as surprising only if it is both large for the current local noise and
   * large for this series.
   */
  readonly rawGate: boolean;
  /** Tail fits leave out the largest excess, so one outlier cannot blind them (TailCalibrator). */
  readonly trimTop: boolean;
  /** CUSUM and short-window statistics use the predictive (Lomax) tail (TailCalibrator). */
  readonly predictive: boolean;
}

/**
 * A raw deviation less than this many noise scales above the largest comparable past excursion
 * is not a new record (Repertoire.floor): the same event again, measured against an expectation
 * that drifted a little. Half a noise scale, as the residual scale's floor is half a resolution step.
 * The CUSUM, in z units already, uses it as it is (its records only, see observe).
 */
const RECORD_MARGIN = 0.5;

/**
 * Evidence (-log10 of a tail probability) that a standardised residual is anomalous, from two
 * time scales: the row itself (spikes, dips) and a CUSUM of recent rows (level shifts, trend
 * changes). Each statistic is judged against its own history (TailCalibrator), and the smaller
 * p-value wins with a Bonferroni factor of 2 for having looked twice.
 */
export class EvidenceTracker {
  private readonly cusum: Cusum;
  private readonly pointTail: TailCalibrator;
  private readonly shiftTail: TailCalibrator;
  private readonly shortTail: TailCalibrator;
  /** History of the raw deviation (value - expected, in the series' units). */
  private readonly rawTail: TailCalibrator;
  /** Past excursions of the raw deviation (see Repertoire). */
  private readonly repertoire: Repertoire;
  /** Past excursions of the CUSUM, in its own units (see observe). */
  private readonly shiftRepertoire: Repertoire;
  private readonly recent: number[] = [];
  /** CUSUM values of an open episode, held back from its history until it ends (see release). */
  private readonly pending: number[] = [];
  private recentSum = 0;
  private readonly recurrence: RecurrenceContext | undefined;

  constructor(
    private readonly direction: Direction,
    private readonly tuning: EvidenceTuning,
    /** Sampling step of the series (ms); NaN when not known yet. */
    stepMs: number,
  ) {
    this.cusum = new Cusum(tuning.cusumK);
    const { history, tailFraction, minTail, trimTop } = tuning;
    this.pointTail = new TailCalibrator(history, tailFraction, minTail, 0.5, trimTop);
    this.shiftTail = new TailCalibrator(history, tailFraction, minTail, 0.5, trimTop, tuning.predictive);
    this.shortTail = new TailCalibrator(history, tailFraction, minTail, 0.5, trimTop, tuning.predictive);
    // Raw units have no natural scale, so no excess floor: a flat history defers to z.
    this.rawTail = new TailCalibrator(history, tailFraction, minTail, 0, trimTop);
    this.recurrence = tuning.recurrence && stepMs <= 3_600_000 ? new RecurrenceContext() : undefined;
    this.repertoire = new Repertoire(stepMs <= 3_600_000);
    this.shiftRepertoire = new Repertoire(stepMs <= 3_600_000);
  }

  /** Rows of calibration history behind the point statistic. */
  get size(): number {
    return this.pointTail.size;
  }

  /**
   * Scores z against the history of rows before it, then adds it to the history. `dev` is the
   * same residual in the series' units (value - expected); NaN when not known. With `holdShift`
   * the row's CUSUM value waits for the end of the episode (see release).
   */
  observe(z: number, t: number, dev = Number.NaN, holdShift = false): number {
    this.cusum.update(z);
    const d = this.direction;
    const point = d === 'up' ? Math.max(z, 0) : d === 'down' ? Math.max(-z, 0) : Math.abs(z);
    const shift =
      d === 'up' ? this.cusum.up : d === 'down' ? this.cusum.down : Math.max(this.cusum.up, this.cusum.down);
    let evidence = 0;
    // Surprise of this row alone, then its mean over a short window: a burst of moderately
    // unusual rows is as telling as one extreme row (NAB's "anomaly likelihood" idea).
    const ready = this.pointTail.size >= this.tuning.minHistory;
    let pPoint = ready ? this.pointTail.pValue(point) : 1;
    // z measures a row against the *local* noise scale. In a bursty series (silence, then a
    // burst) that scale shrinks during the silence, so the next burst of a size the series has
    // shown many times gets a z orders of magnitude beyond anything seen and a p near 0. The
    // same deviation in the series' own units is judged against how often deviations that big
    // occurred before (spike-rate aware), and the less surprising of the two p-values counts:
    // a point anomaly must be unusual for the current noise and for this series.
    const raw = d === 'up' ? Math.max(dev, 0) : d === 'down' ? Math.max(-dev, 0) : Math.abs(dev);
    const hasRaw = this.tuning.rawGate && !Number.isNaN(raw);
    // ... and never below the rate at which excursions of its size did occur (Repertoire); a hair
    // above the largest of them is that size too (RECORD_MARGIN, in the noise scale z was taken in).
    if (ready && hasRaw) {
      const scale = z !== 0 ? Math.abs(dev / z) : 0;
      const floor = this.repertoire.floor(raw, t, Number.isFinite(scale) ? RECORD_MARGIN * scale : 0);
      pPoint = Math.max(this.rawTail.atLeast(raw, pPoint), floor);
    }
    const surprise = -Math.log10(Math.max(pPoint, 1e-300));
    this.recent.push(surprise);
    this.recentSum += surprise;
    if (this.recent.length > this.tuning.shortWindow) this.recentSum -= this.recent.shift()!;
    const short = this.recentSum / this.recent.length;
    if (ready) {
      // The CUSUM reports only records: an excursion no bigger than a comparable earlier one
      // (Repertoire's rules) is a drift the series has shown before, not news. Its excursions are
      // long and rare, rarer per row than the alert level, so a rate floor as the point statistic's
      // cannot stop them: in a long series each recurrence would alarm again (false alarms in
      // proportion to length; the way ARTime only reports a new category). Within RECORD_MARGIN
      // (z units: half a noise scale) of such an excursion it is that drift again, as for the point.
      const pShift =
        this.shiftRepertoire.seen(shift, t, RECORD_MARGIN) > 0 ? 1 : this.shiftTail.pValue(shift);
      let p = Math.min(pPoint, pShift);
      let tests = 2;
      if (this.tuning.useShort && this.shortTail.size >= this.tuning.minHistory) {
        p = Math.min(p, this.shortTail.pValue(short));
        tests = 3;
      }
      // p can underflow to 0 far out in the tail; cap the evidence so the score stays finite.
      evidence = -Math.log10(Math.min(1, Math.max(tests * p, 1e-300)));
      if (this.recurrence) {
        const floor = this.recurrence.floor(t, evidence);
        this.recurrence.add(t, evidence);
        if (floor > 0) evidence = Math.min(evidence, -Math.log10(floor));
      }
    }
    if (ready) this.shortTail.add(short);
    this.pointTail.add(point);
    if (hasRaw) {
      this.repertoire.add(raw, t, this.rawTail.threshold());
      this.rawTail.add(raw);
    }
    this.shiftRepertoire.add(shift, t, this.shiftTail.threshold());
    // Within an episode the CUSUM's values are one excursion, each a new high: learned as they
    // come, they would teach the calibration that the episode itself is routine.
    if (holdShift) this.pending.push(shift);
    else this.shiftTail.add(shift);
    return evidence;
  }

  /**
   * The episode whose shift values were held is over: `keep` learns them (the series came back,
   * so they were a real part of its behaviour); otherwise they are dropped and the CUSUM restarts
   * (re-based: they were measured against a level that has been replaced).
   */
  release(keep: boolean): void {
    if (keep) for (const v of this.pending) this.shiftTail.add(v);
    this.pending.length = 0;
    if (!keep) this.cusum.reset();
  }
}
