import type { ContributingSlice } from '../ports/alert-sink.js';
import type { MetricShape, ScoredPoint } from './score-series.js';

/**
 * Ranks slices by their share of the total's deviation (observed − expected).
 * - counts add up: a slice contributes its own deviation;
 * - ratios (N/D) use the rate effect at the observed mix: (D_s / D_total) × (R_s − R̂_s), which sums
 *   over one dimension to the total's deviation up to the mix effect, and puts each slice in the
 *   total's units;
 * - other metrics (percentiles) do not decompose: the slice's own deviation is used as a proxy.
 * Shares are relative to the total's deviation when the total moved in the incident's direction,
 * else to the sum of absolute deviations in the slice's dimension (the total can stay flat while a
 * slice moves). Near-ties (within 0.1) are ordered by the slice's anomaly score.
 */
export function rankSlices(
  shape: MetricShape,
  total: ScoredPoint | undefined,
  slices: ReadonlyMap<string, ScoredPoint>,
  direction: 'up' | 'down',
  limit = 5,
): ContributingSlice[] {
  const sign = direction === 'up' ? 1 : -1;
  const totalDen = total?.denominator ?? null;
  const deviation = (p: ScoredPoint): number | null => {
    if (p.observed === null || p.expected === null) return null;
    const d = p.observed - p.expected;
    if (shape !== 'ratio') return d;
    if (p.denominator === null || !totalDen) return null;
    return (p.denominator / totalDen) * d;
  };
  const devs: { slice: string; p: ScoredPoint; dev: number }[] = [];
  for (const [slice, p] of slices) {
    if (slice === '') continue;
    const dev = deviation(p);
    if (dev !== null && Number.isFinite(dev)) devs.push({ slice, p, dev });
  }
  const totalDev =
    total && total.observed !== null && total.expected !== null ? total.observed - total.expected : 0;
  const perDimension = new Map<string, number>();
  for (const d of devs) {
    const dim = dimensionsOf(d.slice);
    perDimension.set(dim, (perDimension.get(dim) ?? 0) + Math.abs(d.dev));
  }
  const scored = devs.map((d) => {
    const reference = sign * totalDev > 0 ? totalDev : sign * (perDimension.get(dimensionsOf(d.slice)) ?? 0);
    return { ...d, contribution: reference === 0 ? 0 : d.dev / reference };
  });
  scored.sort((a, b) => {
    const gap = b.contribution - a.contribution;
    if (Math.abs(gap) > 0.1) return gap;
    return b.p.score - a.p.score || gap || a.slice.localeCompare(b.slice);
  });
  return scored
    .filter((d) => d.contribution > 0)
    .slice(0, limit)
    .map((d) => ({
      slice: d.slice,
      observed: d.p.observed,
      expected: d.p.expected,
      contribution: round(d.contribution, 4),
    }));
}

/** `region=BR;surface=live` → `region;surface`. */
function dimensionsOf(slice: string): string {
  return slice
    .split(';')
    .map((pair) => pair.slice(0, pair.indexOf('=')))
    .join(';');
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
