import type { Grain } from '../time/window.js';

/** One metric value for one window and slice; the unit of the CSV and of the metric store. */
export interface MetricRow {
  readonly metric: string;
  readonly grain: Grain;
  readonly windowStart: Date;
  /** '' for the total, else `dim=value` pairs sorted by dim and joined by ';' */
  readonly slice: string;
  readonly value: number | null;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly ciLow: number | null;
  readonly ciHigh: number | null;
}

export const NULL_SLICE_VALUE = '(null)';

export function sliceKey(pairs: readonly (readonly [string, string | null])[]): string {
  return [...pairs]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([d, v]) => `${d}=${v ?? NULL_SLICE_VALUE}`)
    .join(';');
}
