import * as z from 'zod';
import { InputError } from '../errors.js';

/**
 * Sufficient statistics. The experiment engine computes per-variant sums in SQL and the core turns
 * them into means, variances and covariances here; the array APIs compute the same sums and call
 * the same code, so there is one implementation of every test.
 *
 * Cancellation: Σv² − (Σv)²/n loses about log10(mean²/variance) digits when the mean is large
 * relative to the spread (e.g. timestamps, or a ratio near 1 with tiny variance). Every moments type
 * therefore accepts an optional `shift` c: pass sums of (v − c) instead of v, with c near the mean
 * (yesterday's mean, or any rough value). The array helpers here shift by the exact mean (two
 * passes), which makes the centred sum of squares exact up to rounding.
 */

const count = z.number().int().min(2, { message: 'n must be an integer >= 2' });

export const momentsSchema = z.object({
  /** Number of units. */
  n: count,
  /** Σ(v − shift). */
  sum: z.number(),
  /** Σ(v − shift)². */
  sum2: z.number().nonnegative(),
  /** The constant subtracted before summing (0 when the sums are raw). */
  shift: z.number().default(0),
});
export type Moments = z.input<typeof momentsSchema>;

export const crossMomentsSchema = z.object({
  n: count,
  sumX: z.number(),
  sumY: z.number(),
  sumX2: z.number().nonnegative(),
  sumY2: z.number().nonnegative(),
  sumXY: z.number(),
  shiftX: z.number().default(0),
  shiftY: z.number().default(0),
});
/** Σx, Σy, Σx², Σy², Σxy over n units (each optionally of the shifted values). */
export type CrossMoments = z.input<typeof crossMomentsSchema>;

/** Mean and sample variance (ddof = 1) of one arm: what every two-sample test consumes. */
export interface Summary {
  n: number;
  mean: number;
  variance: number;
}

export interface BivariateSummary {
  n: number;
  meanX: number;
  meanY: number;
  varianceX: number;
  varianceY: number;
  /** Sample covariance, ddof = 1. */
  covariance: number;
}

function meanOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sums of one sample, shifted by its own mean so the sum of squares is already centred. */
export function momentsOf(values: readonly number[]): Required<Moments> {
  const shift = meanOf(values);
  let sum = 0;
  let sum2 = 0;
  for (const v of values) {
    const d = v - shift;
    sum += d;
    sum2 += d * d;
  }
  return { n: values.length, sum, sum2, shift };
}

/** Cross sums of paired samples x and y (same length), shifted by their means. */
export function crossMomentsOf(x: readonly number[], y: readonly number[]): Required<CrossMoments> {
  if (x.length !== y.length) {
    throw new InputError(`paired samples must have equal lengths, got ${x.length} and ${y.length}`);
  }
  const shiftX = meanOf(x);
  const shiftY = meanOf(y);
  let sumX = 0;
  let sumY = 0;
  let sumX2 = 0;
  let sumY2 = 0;
  let sumXY = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] as number) - shiftX;
    const dy = (y[i] as number) - shiftY;
    sumX += dx;
    sumY += dy;
    sumX2 += dx * dx;
    sumY2 += dy * dy;
    sumXY += dx * dy;
  }
  return { n: x.length, sumX, sumY, sumX2, sumY2, sumXY, shiftX, shiftY };
}

/** Mean and variance from sums. A variance made slightly negative by rounding is clamped to 0. */
export function summarize(m: Moments): Summary {
  const shift = m.shift ?? 0;
  const d = m.sum / m.n;
  const centred = m.sum2 - m.sum * d;
  return { n: m.n, mean: shift + d, variance: Math.max(0, centred) / (m.n - 1) };
}

export function summarizeCross(m: CrossMoments): BivariateSummary {
  const dx = m.sumX / m.n;
  const dy = m.sumY / m.n;
  return {
    n: m.n,
    meanX: (m.shiftX ?? 0) + dx,
    meanY: (m.shiftY ?? 0) + dy,
    varianceX: Math.max(0, m.sumX2 - m.sumX * dx) / (m.n - 1),
    varianceY: Math.max(0, m.sumY2 - m.sumY * dy) / (m.n - 1),
    covariance: (m.sumXY - m.sumX * dy) / (m.n - 1),
  };
}
