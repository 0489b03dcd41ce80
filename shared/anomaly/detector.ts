import type { BaselineTuning } from './baseline.js';
import {
  alertThreshold,
  type DetectorConfig,
  type DetectorConfigInput,
  parseDetectorConfig,
} from './config.js';
import { EvidenceTracker, type EvidenceTuning } from './evidence.js';
import { ContextNovelty, type NoveltyTuning } from './novelty.js';
import { RecurrenceContext } from './recurrence.js';
import { SeasonalitySelector } from './seasonality.js';
import { RepeatSuppressor } from './suppress.js';
import { countNoiseSd, ratioNoiseSd } from './volume.js';

/** One observation. `numerator`/`denominator` make the score volume-aware (see volume.ts). */
export interface SeriesPoint {
  /** Epoch milliseconds, strictly increasing. */
  readonly t: number;
  readonly value: number;
  /** Count behind the value; alone it means the value is a count (Poisson noise). */
  readonly numerator?: number;
  /** Exposure behind a ratio value: its size sets the binomial/Poisson noise floor. */
  readonly denominator?: number;
  /**
   * Known sampling standard deviation of the value (e.g. from a weighted estimate's confidence
   * interval): the residual scale is never taken below it.
   */
  readonly noiseSd?: number;
}

export interface PointScore {
  /** 0..1, higher is more anomalous; comparable across series (a calibrated tail probability). */
  readonly score: number;
  readonly isAnomaly: boolean;
  /** The baseline's prediction for this row, made before seeing it. */
  readonly expected: number;
  /** Residual in robust standard deviations (0 while warming up or below minVolume). */
  readonly z: number;
  /** The seasonal model in use: none | daily | weekly. */
  readonly seasonality: string;
}

/** Internal constants: one set for every series, never tuned per file. */
export const TUNING = {
  baseline: {
    levelAlpha: 0.05,
    seasonGamma: 0.25,
    scaleAlpha: 0.05,
    clip: 3,
    flaggedClip: 0.5,
    neighbourShare: 0.5,
    scalePrior: 20,
  } as BaselineTuning,
  evidence: {
    history: 4000,
    cusumK: 0.5,
    minHistory: 30,
    tailFraction: 0.1,
    minTail: 10,
    shortWindow: 10,
    useShort: true,
    recurrence: true,
    rawGate: true,
    trimTop: true,
    predictive: true,
  } as EvidenceTuning,
  novelty: {
    gridRows: 100,
    tilings: 3,
    levels: 8,
    lags: 6,
    order: 4,
    shortWindow: 10,
    history: 2000,
    minSd: 0.15,
  } as NoveltyTuning,
  /** Use contextual novelty as a second opinion next to the residual evidence. */
  useNovelty: true,
  /** Evidence taken off novelty before it competes with the residual evidence (a prior weight). */
  noveltyPenalty: 0.3,
  /**
   * Evidence (-log10 p) at which the score crosses 0.5 (the default alert level). Residual
   * evidence this strong also opens an anomalous episode, the only thing that keeps a row out of
   * the baseline (see stepEpisode).
   */
  halfEvidence: 2.5,
  /** Score multiplier for rows that are not a new recent high (see RepeatSuppressor). */
  cooldownDamp: 0.2,
  /** After an alert, a new high must beat it by holdOffMargin (score units) to count again. */
  holdOff: true,
  holdOffMargin: 0.1,
};

/** A row's score from its evidence (-log10 p): 0.5 at TUNING.halfEvidence, toward 1 as it grows. */
export function scoreOfEvidence(evidence: number): number {
  return evidence / (evidence + TUNING.halfEvidence);
}

/** The evidence a score stands for (scoreOfEvidence's inverse): what a threshold asks of a row. */
export function evidenceOfScore(score: number): number {
  return (TUNING.halfEvidence * score) / (1 - score);
}

/**
 * Streaming detector for one series. `push` scores a row using only the rows before it
 * (plus the row itself), then learns from it: feeding a prefix gives exactly the prefix's
 * scores, which is what makes it usable both online and as NAB's streaming detector.
 */
export class StreamingDetector {
  readonly config: DetectorConfig;
  private readonly threshold: number;
  private readonly selector: SeasonalitySelector;
  /** One evidence tracker per candidate baseline, so switching models keeps a calibrated history. */
  private readonly trackers: EvidenceTracker[] = [];
  private readonly suppressor: RepeatSuppressor;
  private readonly novelty: ContextNovelty | undefined;
  private noveltyRecurrence: RecurrenceContext | undefined;
  /** Rows of the current anomalous episode (0: none), its direction and residuals. */
  private episode = 0;
  private episodeSign = 0;
  private episodeResiduals: number[] = [];
  private readonly recentZ: number[] = [];
  /** The last re-base (level move and row), while a return to the old level can still undo it. */
  private rebased: { shift: number; row: number } | undefined;

  /** Whether an episode's CUSUM values wait for its end (config `episodeCalibration: hold`). */
  private get holdShift(): boolean {
    return this.episode > 0 && this.config.episodeCalibration === 'hold';
  }
  /** The model active before the last switch, while the new one's calibration is younger. */
  private trailing = -1;
  private lastActive = 0;
  private lastValue = Number.NaN;
  private resolution = Number.POSITIVE_INFINITY;
  private rows = 0;

  constructor(config: DetectorConfigInput | DetectorConfig = {}) {
    this.config = parseDetectorConfig(config);
    this.threshold = alertThreshold(this.config.sensitivity);
    this.selector = new SeasonalitySelector(
      { ...TUNING.baseline, flaggedSetsProfile: this.config.episodeCalibration !== 'hold' },
      this.config.seasonality,
    );
    this.suppressor = new RepeatSuppressor(
      this.config.cooldown,
      TUNING.cooldownDamp,
      TUNING.holdOff ? this.threshold : Number.POSITIVE_INFINITY,
      TUNING.holdOffMargin,
    );
    this.novelty = TUNING.useNovelty ? new ContextNovelty(TUNING.novelty) : undefined;
  }

  push(p: SeriesPoint): PointScore {
    const { direction, minVolume, warmup } = this.config;
    const volume = p.denominator ?? p.numerator;
    const active = this.selector.active;
    const seasonality = this.selector.seasonality;
    if (!Number.isFinite(p.value) || (volume !== undefined && volume < minVolume)) {
      // Too little volume to say anything; and not learned from, it would only add noise.
      return { score: 0, isAnomaly: false, expected: active.expected(p.t), z: 0, seasonality };
    }
    const row = this.rows++;
    this.maybeRestore(p.t, p.value);

    // Every ready candidate is scored, so each keeps its own calibrated history.
    let evidence = 0;
    let z = 0;
    const expected = active.count > 0 ? active.expected(p.t) : p.value;
    const models = this.selector.models;
    const ai = this.selector.activeIndex;
    if (ai !== this.lastActive) {
      this.trailing = this.lastActive;
      this.lastActive = ai;
    }
    let trailingEvidence = Number.POSITIVE_INFINITY;
    for (let i = 0; i < models.length; i++) {
      const m = models[i]!;
      // Trackers wait for the sampling step, which sets their time-of-day context.
      if (!m.ready(p.t) || Number.isNaN(this.selector.step)) continue;
      const e = m.expected(p.t);
      const zi = (p.value - e) / Math.max(m.scale(p.t), this.noiseFloor(p, e));
      this.trackers[i] ??= new EvidenceTracker(direction, TUNING.evidence, this.selector.step);
      const ev = this.trackers[i]!.observe(zi, p.t, p.value - e, this.holdShift);
      if (i === ai) {
        evidence = ev;
        z = zi;
      } else if (i === this.trailing) trailingEvidence = ev;
    }
    if (this.trailing >= 0) evidence = this.agreeAfterSwitch(evidence, trailingEvidence);

    // Learning protection follows the episode, not the metric's alert sensitivity: a row is
    // kept out of the baseline while the series is anomalous at the default alert level, and
    // learned as soon as it is back (even while the CUSUM still remembers the excursion).
    const flagged = this.stepEpisode(row >= warmup ? evidence : 0, z, p.value - expected);
    if (this.novelty) {
      const novelty = this.noveltyEvidence(p, expected);
      if (novelty > evidence) evidence = novelty;
    }
    const raw = row < warmup ? 0 : scoreOfEvidence(evidence);
    const score = this.suppressor.apply(raw);
    const isAnomaly = score >= this.threshold;

    this.selector.update(p.t, p.value, flagged, this.rebased !== undefined);
    const d = Math.abs(p.value - this.lastValue);
    if (d > 0 && d < this.resolution) this.resolution = d;
    this.lastValue = p.value;
    return { score, isAnomaly, expected, z, seasonality };
  }

  /**
   * Just after the selector switched models, the new model's calibration history is young (the
   * switch needs only a few dozen rows of fit), and a tail fitted to so few rows promises far
   * more than it knows: right after a switch to a weekly profile, one ordinary burst scored 0.96.
   * Until the new tracker has as many rows as the one it replaced, or enough for its tail to be
   * a proper fraction of the history (minTail / tailFraction rows), a row counts as anomalous
   * only as far as both models agree.
   */
  private agreeAfterSwitch(evidence: number, trailingEvidence: number): number {
    const now = this.trackers[this.selector.activeIndex];
    const before = this.trackers[this.trailing];
    const { minTail, tailFraction } = TUNING.evidence;
    if (!now || !before || now.size >= Math.min(before.size, minTail / tailFraction)) {
      this.trailing = -1;
      return evidence;
    }
    return Math.min(evidence, trailingEvidence);
  }

  /**
   * Anomalous episodes: a row with residual evidence at the default alert level opens one. While
   * it lasts, the baseline learns only with the small clip, the noise scale not at all, and each
   * tracker holds the rows' statistics back, so neither the expectation, nor the scale, nor the
   * calibration can learn the anomaly while it is going on (a shift or ramp would otherwise be
   * absorbed within hours, and a large drop lose its z as the scale grows from the drop itself).
   * It ends when the last rows are back near the expectation: the held rows are then learned (it
   * was a burst; the series may well do that again). If the residual keeps one sign for `hold`
   * rows, it is the new normal: every baseline's level moves by the median residual of the
   * episode's second half, and the held statistics are dropped. Returns whether the row is held.
   */
  private stepEpisode(evidence: number, z: number, residual: number): boolean {
    const zs = this.recentZ;
    zs.push(z);
    if (zs.length > 3) zs.shift();
    if (this.episode === 0) {
      if (!(evidence >= TUNING.halfEvidence)) {
        this.releaseAll(true);
        return false;
      }
      this.episode = 1;
      this.episodeSign = Math.sign(z);
      this.episodeResiduals = [residual];
      return true;
    }
    this.episode++;
    this.episodeResiduals.push(residual);
    const meanZ = zs.reduce((a, b) => a + b, 0) / zs.length;
    // Back: the last rows sit near the expectation again, and this row is not itself anomalous.
    // (Not the evidence: the CUSUM remembers the episode long after the series is back.)
    if (Math.abs(meanZ) < 1 && Math.abs(z) < 2) {
      this.episode = 0;
      this.releaseAll(true);
      return false;
    }
    if (this.episode >= this.config.hold) {
      const late = this.episodeResiduals.slice(this.episodeResiduals.length >> 1).sort((a, b) => a - b);
      const shift = late[late.length >> 1]!;
      // One direction throughout the second half: a new level, not noise around the old one.
      if (Math.sign(shift) === this.episodeSign && Math.sign(meanZ) === this.episodeSign) {
        for (const m of this.selector.models) m.shiftLevel(shift);
        this.rebased = { shift, row: this.rows };
        this.episode = 0;
        this.releaseAll(false);
        return true;
      }
      // No steady direction: volatility, not an incident; learn it.
      this.episode = 0;
      this.releaseAll(true);
    }
    return true;
  }

  /**
   * After a re-base, the series going back to where it was before is a return to a known
   * normal, not a new incident: while the old level explains the row far better than the new
   * one (within 2 scales of it, 3 or more away from the new), the re-base is undone.
   */
  private maybeRestore(t: number, x: number): void {
    const r = this.rebased;
    if (!r) return;
    if (this.rows - r.row > 3 * this.config.hold) {
      this.rebased = undefined;
      return;
    }
    const m = this.selector.active;
    if (m.count === 0) return;
    const e = m.expected(t);
    const s = Math.max(m.scale(t), 1e-12);
    // "Far better": within 2 scales of the old level, or a third of the shift (a multiplicative
    // move, like a day of traffic, leaves a residual at the old level that a constant shift misses).
    const old = Math.abs(x - (e - r.shift));
    if (old <= Math.max(2 * s, Math.abs(r.shift) / 3) && Math.abs(x - e) >= Math.max(3 * s, 2 * old)) {
      for (const b of this.selector.models) b.shiftLevel(-r.shift);
      this.rebased = undefined;
    }
  }

  private releaseAll(keep: boolean): void {
    for (const t of this.trackers) t?.release(keep);
  }

  /**
   * Evidence that the recent value pattern is new (see ContextNovelty), less a prior weight.
   * It counts only for a row that moves in the watched direction by more than sampling noise
   * alone explains (so direction and count/ratio volume are honoured as for the residual), and
   * not when equally novel rows recur at this time of day.
   */
  private noveltyEvidence(p: SeriesPoint, expected: number): number {
    let nov = this.novelty!.observe(p.value, this.resolution);
    const step = this.selector.step;
    if (TUNING.evidence.recurrence && step <= 3_600_000) {
      this.noveltyRecurrence ??= new RecurrenceContext();
      const floor = this.noveltyRecurrence.floor(p.t, nov);
      this.noveltyRecurrence.add(p.t, nov);
      if (floor > 0) nov = Math.min(nov, -Math.log10(floor));
    }
    const { direction } = this.config;
    const dev = p.value - expected;
    const moved = direction === 'up' ? dev : direction === 'down' ? -dev : Math.abs(dev);
    if (!(moved > this.noiseFloor(p, expected))) return 0;
    return Math.max(0, nov - TUNING.noveltyPenalty);
  }

  /** Smallest credible residual scale: data resolution, float noise, and sampling noise. */
  private noiseFloor(p: SeriesPoint, expected: number): number {
    let floor = Math.max(1e-9 * Math.abs(expected), 1e-12);
    if (Number.isFinite(this.resolution)) floor = Math.max(floor, 0.5 * this.resolution);
    if (p.noiseSd !== undefined && p.noiseSd > floor) floor = p.noiseSd;
    if (p.denominator !== undefined && p.numerator !== undefined) {
      floor = Math.max(floor, ratioNoiseSd(expected, p.numerator, p.denominator, p.value));
    } else if (p.numerator !== undefined) {
      floor = Math.max(floor, countNoiseSd(expected));
    }
    return floor;
  }
}

/** Scores a whole series (rows in time order) with a fresh detector. */
export function detectSeries(points: readonly SeriesPoint[], config: DetectorConfigInput = {}): PointScore[] {
  const detector = new StreamingDetector(config);
  return points.map((p) => detector.push(p));
}
