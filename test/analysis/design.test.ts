import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allocate,
  mdeAt,
  neymanAllocation,
  powerAt,
  proportionalAllocation,
  type Stratum,
  stratifiedVariance,
  unitsPerArm,
} from '../../shared/analysis/design.js';
import { kolmogorovSf, ksFromHistograms, psiFromHistograms } from '../../shared/analysis/models.js';
import { normalCritical } from '../../shared/stats/distributions.js';
import { createRng, poissonExact, type Rng } from '../../shared/stats/random.js';
import { fixturePath } from '../helpers/fixtures.js';

const VECTORS = fixturePath('reference', 'stats', 'power_sample_size');
const vectors = readdirSync(VECTORS)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(VECTORS, f), 'utf8')));

const close = (actual: number, expected: number, tol: { abs: number; rel: number }) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(tol.abs, tol.rel * Math.abs(expected)));

describe('experiment sample size against the power reference vectors', () => {
  it.each(vectors.map((v) => [v.description.split('.')[0], v]))('%s', (_, v) => {
    const i = v.input;
    const exact = unitsPerArm({
      kind: 'proportion',
      baseline: i.baseline_rate,
      mde: i.mde_relative,
      alpha: i.alpha,
      power: i.power,
    });
    close(exact, v.expected.n_per_arm_exact, v.tolerance);
    close(Math.ceil(exact), v.expected.n_per_arm, v.tolerance);
    // The analytic power at the planned size is the promised power, and the MDE inverts the size.
    const base = { kind: 'proportion' as const, baseline: i.baseline_rate, alpha: i.alpha };
    expect(powerAt({ ...base, mde: i.mde_relative }, exact)).toBeCloseTo(i.power, 3);
    if (i.mde_relative > 0) expect(mdeAt({ ...base, power: i.power }, exact)).toBeCloseTo(i.mde_relative, 5);
  });

  it('mean metrics use (z_α/2 + z_β)² 2σ²/δ², and CUPED scales it by 1 − ρ²', () => {
    const z = normalCritical(0.05) + 1.2815515655446004; // z_0.9
    const n = unitsPerArm({ kind: 'mean', baseline: 2, variance: 9, mde: 0.1, alpha: 0.05, power: 0.9 });
    expect(n).toBeCloseTo((z * z * 2 * 9) / 0.04, 6);
    const cuped = unitsPerArm({
      kind: 'mean',
      baseline: 2,
      variance: 9,
      mde: 0.1,
      alpha: 0.05,
      power: 0.9,
      varianceReduction: 0.5,
    });
    expect(cuped).toBeCloseTo(n / 2, 6);
  });
});

/** Simulated power: share of two-sided z-tests (unpooled SE) that reject at alpha. */
function simulate(
  reps: number,
  draw: (rng: Rng, arm: 0 | 1) => number,
  n: number,
  alpha: number,
  seed: number,
) {
  const rng = createRng(seed);
  const z = normalCritical(alpha);
  let rejected = 0;
  for (let r = 0; r < reps; r++) {
    const m = [0, 0];
    const s = [0, 0];
    for (const arm of [0, 1] as const)
      for (let i = 0; i < n; i++) {
        const y = draw(rng, arm);
        m[arm]! += y;
        s[arm]! += y * y;
      }
    const mean = m.map((x) => x / n);
    const v = s.map((x, k) => (x - n * mean[k]! * mean[k]!) / (n - 1));
    const se = Math.sqrt((v[0]! + v[1]!) / n);
    if (Math.abs(mean[1]! - mean[0]!) / se > z) rejected++;
  }
  return rejected / reps;
}

describe('simulation: the planned sample size gives the promised power (± 3 points)', () => {
  it('proportion metric (reference case: 20% baseline, −5%)', () => {
    const v = vectors.find((x) => x.input.baseline_rate === 0.2)!.input;
    const n = Math.ceil(
      unitsPerArm({
        kind: 'proportion',
        baseline: v.baseline_rate,
        mde: v.mde_relative,
        alpha: v.alpha,
        power: v.power,
      }),
    );
    const p = [v.baseline_rate, v.baseline_rate * (1 + v.mde_relative)];
    const power = simulate(800, (rng, arm) => (rng.uniform() < p[arm]! ? 1 : 0), n, v.alpha, 1);
    expect(Math.abs(power - v.power)).toBeLessThanOrEqual(0.03);
  });

  it('heavy-tailed count metric (log-normal Poisson mixture), +10%', () => {
    // y ~ Poisson(λ), λ = exp(μ + σZ): over-dispersed like reports per user.
    const mu = -1;
    const sigma = 1;
    const draw = (rng: Rng) => poissonExact(rng, Math.exp(mu + sigma * rng.normal()));
    const mean = Math.exp(mu + sigma ** 2 / 2);
    const variance = mean + (Math.exp(sigma ** 2) - 1) * mean * mean;
    const plan = { kind: 'mean' as const, baseline: mean, variance, mde: 0.1, alpha: 0.05, power: 0.8 };
    const n = Math.ceil(unitsPerArm(plan));
    const delta = plan.mde * mean;
    const power = simulate(1000, (rng, arm) => draw(rng) + (arm === 1 ? delta : 0), n, 0.05, 2);
    expect(Math.abs(power - 0.8)).toBeLessThanOrEqual(0.03);
  });

  it('CUPED: with ρ = 0.8 the adjusted test reaches the power at (1 − ρ²)·n', () => {
    const rho = 0.8;
    const plan = { kind: 'mean' as const, baseline: 1, variance: 1, mde: 0.1, alpha: 0.05, power: 0.8 };
    const n = Math.ceil(unitsPerArm({ ...plan, varianceReduction: rho * rho }));
    const rng = createRng(3);
    const z = normalCritical(0.05);
    let rejected = 0;
    const reps = 1500;
    for (let r = 0; r < reps; r++) {
      // Per arm: x ~ N(0,1) pre-period, y = 1 + ρx + √(1−ρ²)e (+ δ in treatment); adjust with the pooled θ.
      const arms = [0, 1].map((arm) => {
        const xs: number[] = [];
        const ys: number[] = [];
        for (let i = 0; i < n; i++) {
          const x = rng.normal();
          xs.push(x);
          ys.push(1 + rho * x + Math.sqrt(1 - rho * rho) * rng.normal() + (arm === 1 ? 0.1 : 0));
        }
        return { xs, ys };
      });
      let sxy = 0;
      let sxx = 0;
      for (const a of arms) {
        const mx = a.xs.reduce((s, x) => s + x, 0) / n;
        const my = a.ys.reduce((s, y) => s + y, 0) / n;
        a.xs.forEach((x, i) => {
          sxy += (x - mx) * (a.ys[i]! - my);
          sxx += (x - mx) ** 2;
        });
      }
      const theta = sxy / sxx;
      const adj = arms.map((a) => a.ys.map((y, i) => y - theta * a.xs[i]!));
      const m = adj.map((v) => v.reduce((s, y) => s + y, 0) / n);
      const v = adj.map((vals, k) => vals.reduce((s, y) => s + (y - m[k]!) ** 2, 0) / (n - 1));
      if (Math.abs(m[1]! - m[0]!) / Math.sqrt((v[0]! + v[1]!) / n) > z) rejected++;
    }
    expect(Math.abs(rejected / reps - 0.8)).toBeLessThanOrEqual(0.03);
  });
});

describe('Neyman allocation', () => {
  const strata: Stratum[] = [
    { key: 'a', size: 600_000, p: 0.005 },
    { key: 'b', size: 200_000, p: 0.05 },
    { key: 'c', size: 150_000, p: 0.01 },
    { key: 'd', size: 50_000, p: 0.2 },
  ];

  it('spends the budget, respects the minimum, and beats proportional allocation', () => {
    const ney = neymanAllocation(strata, 5000, 50);
    const prop = proportionalAllocation(strata, 5000);
    expect(ney.n.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(Math.min(...ney.n)).toBeGreaterThanOrEqual(50);
    expect(ney.variance).toBeLessThan(prop.variance);
    // Without a binding minimum the Neyman variance is the closed form (Σ W_h S_h)² / n.
    const free = neymanAllocation(strata, 5000, 0);
    const total = strata.reduce((s, x) => s + x.size, 0);
    const sum = strata.reduce((s, x) => s + (x.size / total) * Math.sqrt(x.p * (1 - x.p)), 0);
    expect(free.variance).toBeCloseTo((sum * sum) / 5000, 8);
    expect(allocate([0, 0, 0], 10)).toEqual([4, 3, 3]);
    expect(() => allocate([1, 1], 5, 3)).toThrow(/below 3 per stratum/);
  });

  it('simulated spread of the stratified estimate matches the predicted variance (± 5%)', () => {
    const ney = neymanAllocation(strata, 4000, 10);
    const total = strata.reduce((s, x) => s + x.size, 0);
    const rng = createRng(9);
    const reps = 3000;
    const estimates: number[] = [];
    for (let r = 0; r < reps; r++) {
      let est = 0;
      strata.forEach((s, h) => {
        let k = 0;
        for (let i = 0; i < ney.n[h]!; i++) if (rng.uniform() < s.p) k++;
        est += (s.size / total) * (k / ney.n[h]!);
      });
      estimates.push(est);
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / reps;
    const v = estimates.reduce((s, x) => s + (x - mean) ** 2, 0) / (reps - 1);
    expect(v / stratifiedVariance(strata, ney.n)).toBeGreaterThan(0.95);
    expect(v / stratifiedVariance(strata, ney.n)).toBeLessThan(1.05);
  });
});

describe('drift statistics', () => {
  it('PSI and KS are 0 for identical histograms and grow with a shift', () => {
    const h = Array.from({ length: 100 }, (_, i) => 100 + (i % 7));
    expect(psiFromHistograms(h, h)).toBeCloseTo(0, 12);
    expect(ksFromHistograms(h, h)!.d).toBe(0);
    const shifted = [...h.slice(20), ...new Array(20).fill(0)];
    expect(psiFromHistograms(h, shifted)).toBeGreaterThan(0.25);
    expect(ksFromHistograms(h, shifted)!.d).toBeCloseTo(0.2, 1);
  });

  it('the Kolmogorov tail matches known values', () => {
    expect(kolmogorovSf(1.3581)).toBeCloseTo(0.05, 3);
    expect(kolmogorovSf(1.6276)).toBeCloseTo(0.01, 3);
    expect(kolmogorovSf(0.1)).toBe(1);
  });
});
