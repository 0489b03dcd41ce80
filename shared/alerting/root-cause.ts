import { dimensionSetKey, isTotal, type Slice } from '../slices/slice.js';
import type { MetricShape, ScoredPoint } from './score-series.js';

/** Slices below the privacy threshold, merged into one entry (see privacy/k-anonymity). */
export const OTHER = 'other' as const;

/** One root-cause slice: how much of the incident's move it explains. */
export interface SliceShare {
  readonly slice: Slice | typeof OTHER;
  readonly observed: number | null;
  readonly expected: number | null;
  /** Share of the deviation explained in the incident's direction, in [0, 1]. */
  readonly contribution: number;
}

export function shareKey(s: SliceShare): string {
  return s.slice === OTHER ? OTHER : s.slice.key;
}

/**
 * Ranks slices by their share of the deviation they explain. Every slice's deviation is put in the
 * total's units:
 * - counts add up: a slice contributes its own deviation (observed − expected);
 * - ratios (N/D) use the rate effect at the observed mix: (D_s / D_total) × (R_s − R̂_s);
 * - other metrics (percentiles) do not decompose: the slice's own deviation is the proxy.
 * The slices of one dimension set partition the rows, so within it the deviations in the
 * incident's direction are the explained move: a slice's share is its deviation over their sum.
 * Shares are therefore in [0, 1] and those of one dimension add up to 100%, whether or not the
 * total itself moved (a flat total with one slice up and another down still has a cause to show).
 * Slices moving the other way are not causes and are left out. Near-ties (within 0.1) are ordered
 * by the slice's anomaly score.
 */
export function rankSlices(
  shape: MetricShape,
  total: ScoredPoint | undefined,
  slices: Iterable<readonly [Slice, ScoredPoint]>,
  direction: 'up' | 'down',
  limit = 5,
): SliceShare[] {
  const sign = direction === 'up' ? 1 : -1;
  const totalDen = total?.denominator ?? null;
  const deviation = (p: ScoredPoint): number | null => {
    if (p.observed === null || p.expected === null) return null;
    const d = p.observed - p.expected;
    if (shape !== 'ratio') return d;
    if (p.denominator === null || !totalDen) return null;
    return (p.denominator / totalDen) * d;
  };
  const movers: { slice: Slice; p: ScoredPoint; dev: number }[] = [];
  const explained = new Map<string, number>();
  for (const [slice, p] of slices) {
    if (isTotal(slice)) continue;
    const dev = deviation(p);
    if (dev === null || !Number.isFinite(dev) || sign * dev <= 0) continue;
    movers.push({ slice, p, dev: sign * dev });
    const dims = dimensionSetKey(slice);
    explained.set(dims, (explained.get(dims) ?? 0) + sign * dev);
  }
  const scored = movers.map((m) => ({
    ...m,
    contribution: m.dev / explained.get(dimensionSetKey(m.slice))!,
  }));
  scored.sort((a, b) => {
    const gap = b.contribution - a.contribution;
    if (Math.abs(gap) > 0.1) return gap;
    return b.p.score - a.p.score || gap || b.dev - a.dev || (a.slice.key < b.slice.key ? -1 : 1);
  });
  return scored
    .filter((d) => d.contribution >= 0.005)
    .slice(0, limit)
    .map((d) => ({
      slice: d.slice,
      observed: d.p.observed,
      expected: d.p.expected,
      contribution: Math.min(1, round(d.contribution, 4)),
    }));
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
