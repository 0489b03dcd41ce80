import { describe, expect, it } from 'vitest';
import { Policy } from '../../shared/experiments/config.js';
import { policyHeadline, policyReadoutFromPanel } from '../../shared/policy/evaluate.js';
import { assignments, type Design, infer, statistic } from '../../shared/policy/inference.js';
import type { PolicyPanel } from '../../shared/policy/panel.js';
import { createRng } from '../../shared/stats/random.js';

const DAYS = Array.from({ length: 16 }, (_, i) => `2026-02-${String(i + 1).padStart(2, '0')}`);

/** Regions × days of rates over exposures; `lift` added from each treated region's launch day. */
function panel(n: number, seed: number, launches: Record<string, number>, lift = 0): PolicyPanel {
  const rng = createRng(seed);
  const regions = Array.from({ length: n }, (_, i) => `R${String(i).padStart(2, '0')}`);
  const num = new Map<string, Float64Array>();
  const den = new Map<string, Float64Array>();
  for (const r of regions) {
    const level = 1 + 0.2 * rng.normal();
    const d = Float64Array.from(DAYS, () => 1000);
    num.set(
      r,
      Float64Array.from(
        DAYS,
        (_, t) => 1000 * (level + 0.05 * rng.normal() + (t >= (launches[r] ?? 99) ? lift : 0)),
      ),
    );
    den.set(r, d);
  }
  return { regions, days: DAYS, num, den, ratio: true };
}

const policy = (launch: Record<string, number>, extra: object = {}) =>
  Policy.parse({
    id: 'p',
    regions: Object.keys(launch),
    launch: Object.fromEntries(Object.entries(launch).map(([r, t]) => [r, DAYS[t]])),
    metric: 'm',
    pre_days: 4,
    post_days: 4,
    ...extra,
  });

describe('policy inference', () => {
  it('randomization CI: the test-inversion bounds are where the p-value crosses alpha', () => {
    const launches = { R00: 6, R01: 6, R02: 8 };
    const h = policyHeadline(policy(launches), panel(10, 1, launches, 0.1), {
      to: new Date(0),
      truncatedBy: null,
    });
    expect(h.effect.inference).toBe('randomization');
    const lo = h.effect.ci_low!;
    const hi = h.effect.ci_high!;
    expect(lo).toBeLessThan(0.1);
    expect(hi).toBeGreaterThan(0.1);
    // Recompute p(τ) by brute force on shifted data: subtract τ from the treated regions' post days.
    const pAt = (tau: number) => {
      const shifted = panel(10, 1, launches, 0.1 - tau);
      return policyHeadline(policy(launches), shifted, { to: new Date(0), truncatedBy: null }).effect
        .p_value!;
    };
    const eps = 1e-3 * (hi - lo);
    expect(pAt(lo + eps)).toBeGreaterThan(0.05);
    expect(pAt(lo - eps)).toBeLessThanOrEqual(0.05);
    expect(pAt(hi - eps)).toBeGreaterThan(0.05);
    expect(pAt(hi + eps)).toBeLessThanOrEqual(0.05);
  });

  it('enumerates every assignment once (sets when the schedules share their windows), observed first', () => {
    const base = {
      diff: [],
      variance: [],
      effect: [],
      nyt: [
        [false, false],
        [false, false],
      ],
    };
    const d = (sameWindows: boolean): Design => ({
      regions: ['a', 'b', 'c', 'd', 'e'],
      treated: [3, 1],
      ...base,
      sameWindows,
    });
    const sets = assignments(d(true), 1);
    expect(sets.exhaustive).toBe(true);
    expect(sets.list).toHaveLength(10);
    expect([...sets.list[0]!]).toEqual([3, 1]);
    expect(new Set(sets.list.map((a) => [...a].sort().join())).size).toBe(10);
    expect(assignments(d(false), 1).list).toHaveLength(20);
  });

  it('not-yet-treated: a region launching after another’s windows is its comparison; never_treated drops it', () => {
    const launches = { R00: 5, R01: 12 };
    const p = (cg: string) => policy(launches, { control_group: cg, post_days: 3 });
    const data = panel(8, 4, launches, 0.2);
    const nyt = policyReadoutFromPanel(p('not_yet_treated'), data);
    const nt = policyReadoutFromPanel(p('never_treated'), data);
    const change = (r: string, s: number) => {
      const v = (a: number, b: number) =>
        data.num
          .get(r)!
          .slice(a, b)
          .reduce((x, y) => x + y, 0) /
        data.den
          .get(r)!
          .slice(a, b)
          .reduce((x, y) => x + y, 0);
      return v(s, s + 3) - v(s - 4, s);
    };
    const never = data.regions.filter((r) => r !== 'R00' && r !== 'R01');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(nt.per_region[0]!.comparison_change).toBeCloseTo(mean(never.map((r) => change(r, 5))), 12);
    expect(nyt.per_region[0]!.comparison_change).toBeCloseTo(
      mean([...never, 'R01'].map((r) => change(r, 5))),
      12,
    );
    // R01 (launched day 12) has no later region: both designs compare it with the never-treated only.
    expect(nyt.per_region[1]!.comparison_change).toBeCloseTo(nt.per_region[1]!.comparison_change!, 12);
    expect(nyt.synthetic_control!.per_region).toHaveLength(2);
    expect(nyt.synthetic_control!.p_value).not.toBeNull();
  });

  it('the statistic is the mean over schedules of treated change − mean comparison change', () => {
    const diff = [0, 1, 2, 3].map((c) => Float64Array.of(c, 10 * c));
    const d: Design = {
      regions: ['a', 'b', 'c', 'd'],
      treated: [0, 1],
      diff,
      variance: diff.map(() => Float64Array.of(1, 1)),
      effect: diff.map(() => Float64Array.of(0, 0)),
      nyt: [
        [false, false],
        [false, false],
      ],
      sameWindows: false,
    };
    // Schedule 0: region a (0) vs mean(c, d) = 2.5; schedule 1: region b (10) vs mean(20, 30) = 25.
    expect(statistic(d, Int32Array.of(0, 1))).toBeCloseTo((0 - 2.5 + (10 - 25)) / 2, 12);
    expect(infer(d, 0.05, 1).method).toBe('count_aware_t');
  });
});
