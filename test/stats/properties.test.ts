import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adjustPValues,
  binomialPmf,
  binomialTestTwoSided,
  msprt,
  projectToSimplex,
  welchFromMoments,
  welchTTest,
} from '../../shared/stats/index.js';

// Millesimal values: realistic metric values, and no subnormals whose squares underflow to 0.
const sampleArb = fc.array(
  fc.integer({ min: -1e6, max: 1e6 }).map((v) => v / 1000),
  { minLength: 2, maxLength: 40 },
);

describe('properties', () => {
  it('Welch from shifted sums equals Welch on the arrays (shift invariance)', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, fc.nat(), (c, t, pick) => {
        fc.pre(new Set(c).size > 1 || new Set(t).size > 1);
        // Each arm shifted by one of its own values, as SQL would with a reference value near the data.
        const sums = (v: number[]) => {
          const shift = v[pick % v.length] as number;
          return {
            n: v.length,
            sum: v.reduce((a, x) => a + (x - shift), 0),
            sum2: v.reduce((a, x) => a + (x - shift) ** 2, 0),
            shift,
          };
        };
        const direct = welchTTest({ control: c, treatment: t });
        const fromSums = welchFromMoments({ control: sums(c), treatment: sums(t) });
        expect(fromSums.diff - direct.diff).toBeCloseTo(0, 9);
        expect(fromSums.se / direct.se).toBeCloseTo(1, 9);
        expect(fromSums.df / direct.df).toBeCloseTo(1, 6);
      }),
      { numRuns: 300 },
    );
  });

  it('centred sums survive a large offset where raw sums would cancel', () => {
    // Spread 1e-3 around 1e6: Σy² ≈ 5e12 while the centred sum of squares is 1e-5, 18 orders below.
    const base = [1, 2, 3, 4, 5].map((v) => 1e6 + v * 1e-3);
    const other = [2, 3, 4, 5, 6].map((v) => 1e6 + v * 1e-3);
    const result = welchTTest({ control: base, treatment: other });
    expect(result.diff / 1e-3).toBeCloseTo(1, 6);
    expect(result.se / Math.sqrt((2 * 2.5e-6) / 5)).toBeCloseTo(1, 6);
  });

  it('multiple-testing adjustments: ordered like the p-values, ≥ p, Holm ≤ Bonferroni, BH ≤ Holm', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (p) => {
          const bh = adjustPValues({ p_values: p, method: 'bh' }).adjusted;
          const holm = adjustPValues({ p_values: p, method: 'holm' }).adjusted;
          const bonf = adjustPValues({ p_values: p, method: 'bonferroni' }).adjusted;
          p.forEach((pi, i) => {
            for (const adj of [bh, holm, bonf]) {
              expect(adj[i]).toBeGreaterThanOrEqual(pi - 1e-15);
              expect(adj[i]).toBeLessThanOrEqual(1);
            }
            expect(holm[i]).toBeLessThanOrEqual((bonf[i] as number) + 1e-12);
            expect(bh[i]).toBeLessThanOrEqual((holm[i] as number) + 1e-12);
            p.forEach((pj, j) => {
              if (pi < pj) expect(bh[i]).toBeLessThanOrEqual((bh[j] as number) + 1e-12);
            });
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('simplex projection lands on the simplex and is the nearest point there', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 12 }),
        (v) => {
          const w = projectToSimplex(v);
          expect(w.every((x) => x >= 0)).toBe(true);
          expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
          // Optimality (KKT): v − w equals the threshold on the support and v ≤ threshold off it.
          const tau = v.map((x, i) => x - (w[i] as number));
          const onSupport = tau.filter((_, i) => (w[i] as number) > 0);
          const t0 = onSupport[0] as number;
          for (const t of onSupport) expect(t).toBeCloseTo(t0, 9);
          tau.forEach((t, i) => {
            if (w[i] === 0) expect(t).toBeLessThanOrEqual(t0 + 1e-8);
          });
        },
      ),
    );
  });

  it('the exact binomial test equals the brute-force "minlike" sum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.nat(),
        (n, p, seed) => {
          const k = n === 0 ? 0 : seed % (n + 1);
          const threshold = binomialPmf(k, n, p) * (1 + 1e-7);
          let brute = 0;
          for (let i = 0; i <= n; i++) {
            const pi = binomialPmf(i, n, p);
            if (pi <= threshold) brute += pi;
          }
          const expected = k === n * p ? 1 : Math.min(1, brute);
          expect(binomialTestTwoSided(k, n, p)).toBeCloseTo(expected, 12);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mSPRT p-values never increase and confidence sequences never widen', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            estimate: fc.double({ min: -1, max: 1, noNaN: true }),
            se: fc.double({ min: 0.01, max: 1, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        (looks) => {
          const result = msprt(looks, { mixingVariance: 0.05 });
          result.looks.forEach((look, i) => {
            expect(look.ciLow).toBeLessThanOrEqual(look.ciHigh);
            if (i === 0) return;
            const prev = result.looks[i - 1];
            expect(look.pValue).toBeLessThanOrEqual(prev?.pValue as number);
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});
