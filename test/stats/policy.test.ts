import { describe, expect, it } from 'vitest';
import { InputError } from '../../shared/errors.js';
import {
  createRng,
  didCluster,
  eventStudy,
  projectToSimplex,
  syntheticControl,
} from '../../shared/stats/index.js';

interface Row {
  unit: string;
  period: number;
  y: number;
}

/** Region × day panel with unit and period effects; `effect(e)` at event time e ≥ 0, `pretrend(e)` before. */
function panel(options: {
  seed: number;
  units: number;
  periods: number;
  treatedAt: (u: number) => number | null;
  effect: (e: number) => number;
  pretrend?: (e: number) => number;
  noise?: number;
}) {
  const rng = createRng(options.seed);
  const periodEffect = Array.from({ length: options.periods }, (_, t) => 0.05 * t + 0.5 * rng.normal());
  const rows: Row[] = [];
  const treatedAt: Record<string, number> = {};
  for (let u = 0; u < options.units; u++) {
    const unit = `R${String(u).padStart(2, '0')}`;
    const level = 10 + 2 * rng.normal();
    const start = options.treatedAt(u);
    if (start !== null) treatedAt[unit] = start;
    for (let t = 0; t < options.periods; t++) {
      let y = level + (periodEffect[t] as number) + (options.noise ?? 0.3) * rng.normal();
      if (start !== null) {
        const e = t - start;
        y += e >= 0 ? options.effect(e) : (options.pretrend?.(e) ?? 0);
      }
      rows.push({ unit, period: t, y });
    }
  }
  return { rows, treatedAt };
}

describe('eventStudy', () => {
  const effect = (e: number) => 1 + 0.1 * e;

  it('recovers dynamic effects, passes the pre-trend test under parallel trends', () => {
    const { rows, treatedAt } = panel({
      seed: 3,
      units: 24,
      periods: 20,
      treatedAt: (u) => (u < 6 ? 10 : u < 12 ? 14 : null),
      effect,
    });
    const result = eventStudy({ rows, treatedAt, leads: 4, lags: 5 });
    expect(result.nObs).toBe(480);
    expect(result.nClusters).toBe(24);
    expect(result.nTreatedUnits).toBe(12);
    expect(result.effects.map((e) => e.eventTime)).toEqual([-5, -4, -3, -2, 0, 1, 2, 3, 4, 5]);
    for (const e of result.effects) {
      expect(e.ciLow).toBeLessThan(e.ciHigh);
      if (e.eventTime >= 0 && e.eventTime < 5) {
        expect(Math.abs(e.estimate - effect(e.eventTime))).toBeLessThan(4 * e.se);
      }
      if (e.eventTime < -1) expect(Math.abs(e.estimate)).toBeLessThan(4 * e.se);
    }
    expect(result.preTrend).not.toBeNull();
    expect(result.preTrend?.df).toBe(4);
    expect(result.preTrend?.pValue).toBeGreaterThan(0.01);
    expect(result.preTrend?.pValueF).toBeGreaterThan(0.01);
  });

  it('flags a violated pre-trend', () => {
    const { rows, treatedAt } = panel({
      seed: 4,
      units: 24,
      periods: 20,
      treatedAt: (u) => (u < 10 ? 12 : null),
      effect,
      pretrend: (e) => 0.25 * (e + 12),
    });
    const result = eventStudy({ rows, treatedAt, leads: 5, lags: 4 });
    expect(result.preTrend?.pValue).toBeLessThan(0.001);
  });

  it('accepts ISO-date periods and defaults to every observed event time', () => {
    const { rows, treatedAt } = panel({
      seed: 5,
      units: 8,
      periods: 6,
      treatedAt: (u) => (u < 4 ? 3 : null),
      effect,
    });
    const day = (t: number) => `2026-01-0${t + 1}`;
    const result = eventStudy({
      rows: rows.map((r) => ({ ...r, period: day(r.period) })),
      treatedAt: Object.fromEntries(Object.entries(treatedAt).map(([u, t]) => [u, day(t)])),
    });
    expect(result.effects.map((e) => e.eventTime)).toEqual([-3, -2, 0, 1, 2]);
  });

  it('rejects designs it cannot identify or place', () => {
    const { rows } = panel({ seed: 6, units: 6, periods: 8, treatedAt: () => 4, effect });
    const allAtOnce = Object.fromEntries([...new Set(rows.map((r) => r.unit))].map((u) => [u, 4]));
    expect(() => eventStudy({ rows, treatedAt: allAtOnce })).toThrow(/rank deficient/);
    expect(() => eventStudy({ rows, treatedAt: { R00: 99 } })).toThrow(/treatedAt\.R00 '99' is not a period/);
    expect(() => eventStudy({ rows, treatedAt: { nowhere: 4 } })).toThrow(InputError);
    expect(() => eventStudy({ rows, treatedAt: {} })).toThrow(/no treated units/);
    expect(() => eventStudy({ rows: [...rows, rows[0] as Row], treatedAt: { R00: 4 } })).toThrow(
      /duplicate row/,
    );
  });

  it('two-group DiD on a balanced panel equals the difference of the four cell means', () => {
    const { rows, treatedAt } = panel({
      seed: 8,
      units: 10,
      periods: 6,
      treatedAt: (u) => (u < 5 ? 3 : null),
      effect: () => 2,
    });
    const didRows = rows.map((r) => ({
      ...r,
      treated: r.unit in treatedAt ? 1 : 0,
      post: r.period >= 3 ? 1 : 0,
    }));
    const mean = (f: (r: (typeof didRows)[number]) => boolean) => {
      const s = didRows.filter(f);
      return s.reduce((a, r) => a + r.y, 0) / s.length;
    };
    const expected =
      mean((r) => r.treated === 1 && r.post === 1) -
      mean((r) => r.treated === 1 && r.post === 0) -
      (mean((r) => r.treated === 0 && r.post === 1) - mean((r) => r.treated === 0 && r.post === 0));
    const result = didCluster({ rows: didRows });
    expect(result.att).toBeCloseTo(expected, 10);
    expect(result.nClusters).toBe(10);
  });
});

describe('syntheticControl', () => {
  function synthPanel(seed: number, lift: number) {
    const rng = createRng(seed);
    const periods = 30;
    const start = 20;
    // Donors share two latent factors with their own loadings, so no donor alone fits the treated unit.
    const f1 = Array.from({ length: periods }, (_, t) => Math.sin(t / 3) * 2 + rng.normal() * 0.2);
    const f2 = Array.from({ length: periods }, (_, t) => 0.1 * t + rng.normal() * 0.2);
    const donors = Array.from({ length: 10 }, (_, d) => {
      const a = 0.5 + rng.uniform();
      const b = 0.5 + rng.uniform() * 2;
      return Array.from(
        { length: periods },
        (_, t) => 20 + d + a * (f1[t] as number) + b * (f2[t] as number) + 0.5 * rng.normal(),
      );
    });
    const truth = [0.5, 0.3, 0.2];
    const treated = Array.from({ length: periods }, (_, t) => {
      const base = truth.reduce((s, w, i) => s + w * ((donors[i] as number[])[t] as number), 0);
      return base + 0.05 * rng.normal() + (t >= start ? lift : 0);
    });
    const rows: Row[] = [];
    treated.forEach((y, t) => {
      rows.push({ unit: 'treated', period: t, y });
    });
    donors.forEach((series, d) => {
      series.forEach((y, t) => {
        rows.push({ unit: `D${d}`, period: t, y });
      });
    });
    return { rows, start };
  }

  it('recovers the donor weights and the effect, with the smallest attainable placebo p-value', () => {
    const { rows, start } = synthPanel(21, 3);
    const result = syntheticControl({ rows, treatedUnit: 'treated', treatmentStart: start });
    const total = result.weights.reduce((s, w) => s + w.weight, 0);
    expect(total).toBeCloseTo(1, 9);
    expect(result.weights.every((w) => w.weight >= 0)).toBe(true);
    const weight = (u: string) => result.weights.find((w) => w.unit === u)?.weight ?? 0;
    // 20 pre-periods and 10 donors leave a little room to overfit the noise, hence the slack.
    expect(Math.abs(weight('D0') - 0.5)).toBeLessThan(0.08);
    expect(Math.abs(weight('D1') - 0.3)).toBeLessThan(0.08);
    expect(Math.abs(weight('D2') - 0.2)).toBeLessThan(0.08);
    expect(result.estimate).toBeGreaterThan(2.7);
    expect(result.estimate).toBeLessThan(3.3);
    expect(result.preRmspe).toBeLessThan(0.2);
    expect(result.placebos).toHaveLength(10);
    expect(result.pValue).toBeCloseTo(1 / 11, 12);
    expect(result.path).toHaveLength(30);
    expect(result.path.filter((p) => p.post)).toHaveLength(10);
  });

  it('finds nothing when there is nothing', () => {
    const { rows, start } = synthPanel(22, 0);
    const result = syntheticControl({ rows, treatedUnit: 'treated', treatmentStart: start });
    expect(Math.abs(result.estimate)).toBeLessThan(0.3);
    expect(result.pValue).toBeGreaterThan(0.1);
    expect(
      syntheticControl({ rows, treatedUnit: 'treated', treatmentStart: start, placebo: false }).pValue,
    ).toBeNull();
  });

  it('rejects unbalanced panels, unknown units and too short pre-periods', () => {
    const { rows, start } = synthPanel(23, 0);
    expect(() =>
      syntheticControl({ rows: rows.slice(1), treatedUnit: 'treated', treatmentStart: start }),
    ).toThrow(/balanced; unit 'treated' has no row for period '0'/);
    expect(() => syntheticControl({ rows, treatedUnit: 'nope', treatmentStart: start })).toThrow(
      /treatedUnit 'nope'/,
    );
    expect(() => syntheticControl({ rows, treatedUnit: 'treated', treatmentStart: 1 })).toThrow(/pre-period/);
  });

  it('projects onto the simplex', () => {
    expect(projectToSimplex([0.2, 0.3, 0.5])).toEqual([0.2, 0.3, 0.5]);
    expect(projectToSimplex([2, 0, 0])).toEqual([1, 0, 0]);
    const p = projectToSimplex([0.9, 0.8, -3]);
    expect(p[0]).toBeCloseTo(0.55, 12);
    expect(p[1]).toBeCloseTo(0.45, 12);
    expect(p[2]).toBe(0);
  });
});
