/** Seeded synthetic series for the detector tests. */
import { uniformStream } from '../../shared/stats/random.js';

/** Standard normal via Box-Muller. */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2026, 0, 5);

export interface Series {
  t: number[];
  x: number[];
}

/** Hourly series with an hour-of-day profile (daytime peak), level 100, noise sd `noise`. */
export function hourlySeasonal(days: number, seed: number, noise = 2): Series {
  const n = gaussian(uniformStream(seed));
  const t: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < days * 24; i++) {
    const hour = i % 24;
    t.push(T0 + i * HOUR);
    x.push(100 + 30 * Math.sin((2 * Math.PI * (hour - 6)) / 24) + noise * n());
  }
  return { t, x };
}

/** Flat noisy series at a given step. */
export function flat(rows: number, seed: number, stepMs = HOUR, level = 50, noise = 1): Series {
  const n = gaussian(uniformStream(seed));
  const t: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < rows; i++) {
    t.push(T0 + i * stepMs);
    x.push(level + noise * n());
  }
  return { t, x };
}

/** Daily series with a day-of-week pattern (weekend dip). */
export function dailyWeekly(days: number, seed: number): Series {
  const n = gaussian(uniformStream(seed));
  const t: number[] = [];
  const x: number[] = [];
  for (let i = 0; i < days; i++) {
    const dow = new Date(T0 + i * DAY).getUTCDay();
    t.push(T0 + i * DAY);
    x.push((dow === 0 || dow === 6 ? 600 : 1000) + 10 * n());
  }
  return { t, x };
}

export function points(s: Series): { t: number; value: number }[] {
  return s.t.map((t, i) => ({ t, value: s.x[i]! }));
}

/** Index of the first anomaly at or after `from`, or -1. */
export function firstFlag(flags: readonly { isAnomaly: boolean }[], from: number): number {
  for (let i = from; i < flags.length; i++) if (flags[i]!.isAnomaly) return i;
  return -1;
}
