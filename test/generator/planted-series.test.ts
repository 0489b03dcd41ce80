import { describe, expect, it } from 'vitest';
import { generatePlanted } from '../../shared/generator/planted-series.js';

const DAY = 86_400_000;

/** Coefficient of variation of region=US's daily removals per impression. */
function dailyRateCv(noise: number): number {
  const data = generatePlanted({ seed: 3, days: 14, noise });
  const rem = new Map<number, number>();
  const imp = new Map<number, number>();
  for (const r of data.rows) {
    if (r.slice.key !== 'region=US') continue;
    const day = Math.floor((r.windowStart.getTime() - data.start) / DAY);
    if (r.metric === 'removals') rem.set(day, (rem.get(day) ?? 0) + r.value!);
    if (r.metric === 'impressions') imp.set(day, (imp.get(day) ?? 0) + r.value!);
  }
  // The first 10 days hold no planted incident.
  const rates = [...rem].filter(([d]) => d < 10).map(([d, n]) => n / imp.get(d)!);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const sd = Math.sqrt(rates.reduce((a, b) => a + (b - mean) ** 2, 0) / (rates.length - 1));
  return sd / mean;
}

describe('generatePlanted noise', () => {
  it('is Poisson alone by default: noise 0 is the same series', () => {
    const a = generatePlanted({ seed: 5, days: 7 });
    const b = generatePlanted({ seed: 5, days: 7, noise: 0 });
    expect(b.rows).toEqual(a.rows);
  });

  it('makes a large slice wander from day to day beyond Poisson', () => {
    // ~650 removals a day: Poisson alone spreads the daily rate by ~4%, a 0.1 log-normal by ~10%.
    const quiet = dailyRateCv(0);
    const noisy = dailyRateCv(0.1);
    expect(quiet).toBeLessThan(0.06);
    expect(noisy).toBeGreaterThan(2 * quiet);
  });

  it('counts moderation decisions as the guard reads a source: Poisson, not removals scaled', () => {
    // Weekday hours of the first two weeks (no plant yet): variance over mean per hour of day.
    const data = generatePlanted({ seed: 4, days: 14 });
    const byHour = new Map<number, number[]>();
    for (const [t, n] of data.counts.get('moderation_decisions')!) {
      const dow = new Date(t).getUTCDay();
      if (dow === 0 || dow === 6) continue;
      const h = new Date(t).getUTCHours();
      byHour.set(h, [...(byHour.get(h) ?? []), n]);
    }
    const ratios = [...byHour.values()].map((ns) => {
      const mean = ns.reduce((a, b) => a + b, 0) / ns.length;
      return ns.reduce((a, b) => a + (b - mean) ** 2, 0) / (ns.length - 1) / mean;
    });
    // Removals / 0.4 would be 2.5 times Poisson.
    expect(ratios.reduce((a, b) => a + b, 0) / ratios.length).toBeLessThan(1.5);
  });

  it('names the option when it is out of range', () => {
    expect(() => generatePlanted({ seed: 1, days: 7, noise: -0.1 })).toThrow(
      /noise must be in \[0, 1\], got -0.1/,
    );
  });
});
