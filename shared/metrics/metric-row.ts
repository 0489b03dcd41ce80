import type { Slice } from '../slices/slice.js';
import type { Grain } from '../time/window.js';

/** One metric value for one window and slice; the unit of the CSV and of the metric store. */
export interface MetricRow {
  readonly metric: string;
  readonly grain: Grain;
  readonly windowStart: Date;
  /** Structured (TOTAL for the total); rendered to the `dim=value;…` key only when written. */
  readonly slice: Slice;
  readonly value: number | null;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly ciLow: number | null;
  readonly ciHigh: number | null;
  /**
   * Percentiles: how many values the percentile is taken over (its volume: the p90 of five values is
   * one of them). Absent for other kinds. Kept by the metric store, not part of the output CSV.
   */
  readonly samples?: number;
}
