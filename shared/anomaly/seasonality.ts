import { type Baseline, type BaselineTuning, LevelBaseline, SeasonalBaseline } from './baseline.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

export type SeasonalityMode = 'auto' | 'none' | 'daily' | 'weekly';

/**
 * The sampling step, as the median of the first gaps: robust to a few missing or doubled
 * rows, and fixed once known so the seasonal buckets never move.
 */
export class StepEstimator {
  private readonly gaps: number[] = [];
  private last = Number.NaN;
  step = Number.NaN;

  constructor(private readonly sample = 16) {}

  observe(t: number): void {
    if (!Number.isNaN(this.step)) return;
    if (!Number.isNaN(this.last) && t > this.last) this.gaps.push(t - this.last);
    this.last = t;
    if (this.gaps.length >= this.sample) {
      const s = [...this.gaps].sort((a, b) => a - b);
      this.step = s[s.length >> 1]!;
    }
  }
}

/** Seasonal periods worth trying for a step: hour-of-day needs >= 4 rows a day, day-of-week daily rows. */
export function candidatePeriods(
  stepMs: number,
  mode: SeasonalityMode,
): { name: string; periodMs: number }[] {
  const out: { name: string; periodMs: number }[] = [];
  if ((mode === 'auto' || mode === 'daily') && stepMs <= DAY_MS / 4)
    out.push({ name: 'daily', periodMs: DAY_MS });
  if ((mode === 'auto' || mode === 'weekly') && stepMs <= DAY_MS)
    out.push({ name: 'weekly', periodMs: WEEK_MS });
  return out;
}

/**
 * Runs the no-season baseline and each candidate seasonal baseline side by side and serves
 * the one whose recent robust residuals are smallest. A seasonal model must beat the simpler
 * one by a margin (it has more parameters), and switching has hysteresis so the choice does
 * not flicker. Everything is causal: the choice at row t uses residuals of rows < t.
 */
export class SeasonalitySelector {
  readonly models: Baseline[];
  private readonly fit: number[];
  private readonly fitCount: number[];
  private readonly steps = new StepEstimator();
  activeIndex = 0;

  constructor(
    private readonly tuning: BaselineTuning,
    private readonly mode: SeasonalityMode,
    /** How much better (ratio of residual scales) a more complex model must be. */
    private readonly margin = 0.8,
  ) {
    this.models = [new LevelBaseline(tuning)];
    this.fit = [0];
    this.fitCount = [0];
  }

  get active(): Baseline {
    return this.models[this.activeIndex]!;
  }

  /** Sampling step in ms (NaN until enough rows were seen). */
  get step(): number {
    return this.steps.step;
  }

  get seasonality(): string {
    return this.active.name;
  }

  /** Learn row (t, x). `flagged` rows are learned with a small clip (see Baseline.update). */
  update(t: number, x: number, flagged: boolean, provisional = false): void {
    const hadStep = !Number.isNaN(this.steps.step);
    this.steps.observe(t);
    if (!hadStep && !Number.isNaN(this.steps.step) && this.mode !== 'none') {
      for (const c of candidatePeriods(this.steps.step, this.mode)) {
        this.models.push(new SeasonalBaseline(c.name, c.periodMs, this.steps.step, this.tuning));
        this.fit.push(0);
        this.fitCount.push(0);
      }
    }
    for (let i = 0; i < this.models.length; i++) {
      const m = this.models[i]!;
      if (!flagged && m.ready(t)) {
        // Slow average of |residual| (about a day of rows at 5-minute sampling) for the choice.
        const r = Math.abs(x - m.expected(t));
        const k = ++this.fitCount[i]!;
        const s = m.scale();
        const dev = s > 0 ? Math.min(r, 4 * s) : r;
        this.fit[i]! += Math.max(1 / k, 1 / 300) * (dev - this.fit[i]!);
      }
      m.update(t, x, flagged, provisional);
    }
    this.choose(t);
  }

  private choose(t: number): void {
    const minFit = 50;
    let best = 0;
    let bestValue = this.fit[0]!;
    for (let i = 1; i < this.models.length; i++) {
      if (!this.models[i]!.ready(t) || this.fitCount[i]! < minFit) continue;
      // Each step up in complexity must pay for itself.
      const v = this.fit[i]! / this.margin ** i;
      if (v < bestValue) {
        best = i;
        bestValue = v;
      }
    }
    if (best === this.activeIndex) return;
    const current = this.fit[this.activeIndex]! / this.margin ** this.activeIndex;
    if (bestValue < 0.9 * current || !this.models[this.activeIndex]!.ready(t)) this.activeIndex = best;
  }
}
