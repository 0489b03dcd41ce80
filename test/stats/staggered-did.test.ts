import { describe, expect, it } from 'vitest';
import { createRng } from '../../shared/stats/random.js';
import { staggeredDid } from '../../shared/stats/staggered-did.js';

type Row = { unit: string; period: number; group: number; y: number };

/** Units × periods 1..T with unit and period effects, noise, and `effect(e)` from the unit's launch on. */
function panel(groups: number[], T: number, seed: number, effect: (e: number) => number, sd = 0.1): Row[] {
  const rng = createRng(seed);
  const periodFx = Array.from({ length: T + 1 }, () => rng.normal());
  return groups.flatMap((g, u) => {
    const unitFx = 3 * rng.normal();
    return Array.from({ length: T }, (_, i) => {
      const t = i + 1;
      const y = unitFx + periodFx[t]! + (g > 0 && t >= g ? effect(t - g) : 0) + sd * rng.normal();
      return { unit: `u${u}`, period: t, group: g, y };
    });
  });
}

describe('staggeredDid (Callaway–Sant’Anna)', () => {
  it('recovers a planted dynamic effect and zero leads in a noiseless parallel-trends panel', () => {
    const groups = [3, 3, 4, 4, 5, 0, 0, 0];
    const r = staggeredDid({ rows: panel(groups, 6, 1, (e) => 1 + e, 0), control_group: 'never_treated' });
    for (const a of r.attGt) {
      const e = Number(a.t) - Number(a.group);
      expect(a.att).toBeCloseTo(e >= 0 ? 1 + e : 0, 10);
    }
    for (const d of r.dynamic.effects) expect(d.att).toBeCloseTo(d.e >= 0 ? 1 + d.e : 0, 10);
    // e = 0..3 observed: mean of 1, 2, 3, 4.
    expect(r.dynamic.att).toBeCloseTo(2.5, 10);
  });

  it('ATT(g,t) and its SE are the two-sample difference in means of ΔY (divisor n, as R did)', () => {
    const rows = panel([3, 3, 3, 0, 0, 0, 0], 4, 7, () => 0.5);
    const r = staggeredDid({ rows, control_group: 'never_treated' });
    const y = (u: number, t: number) => rows.find((x) => x.unit === `u${u}` && x.period === t)!.y;
    const dy = (u: number) => y(u, 4) - y(u, 2);
    const t = [0, 1, 2].map(dy);
    const c = [3, 4, 5, 6].map(dy);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const v = (a: number[]) => a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / a.length;
    const hit = r.attGt.find((a) => a.group === 3 && a.t === 4)!;
    expect(hit.att).toBeCloseTo(mean(t) - mean(c), 12);
    expect(hit.se).toBeCloseTo(Math.sqrt(v(t) / 3 + v(c) / 4), 12);
  });

  it('not-yet-treated controls add the later cohort before its launch, and only then', () => {
    const rows = panel([2, 2, 4, 4, 0, 0], 4, 3, () => 1);
    const nyt = staggeredDid({ rows, control_group: 'not_yet_treated' });
    const nt = staggeredDid({ rows, control_group: 'never_treated' });
    const y = (u: number, t: number) => rows.find((x) => x.unit === `u${u}` && x.period === t)!.y;
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    // Group 2 at t = 3 (base 1): controls are never-treated u4, u5 and not-yet-treated u2, u3.
    const d = (u: number) => y(u, 3) - y(u, 1);
    const expected = mean([0, 1].map(d)) - mean([2, 3, 4, 5].map(d));
    expect(nyt.attGt.find((a) => a.group === 2 && a.t === 3)!.att).toBeCloseTo(expected, 12);
    // At t = 4 group 4 is treated: both designs use the never-treated only.
    const at4 = (r: typeof nt) => r.attGt.find((a) => a.group === 2 && a.t === 4)!;
    expect(at4(nyt).att).toBeCloseTo(at4(nt).att, 12);
    expect(at4(nyt).se).toBeCloseTo(at4(nt).se, 12);
  });

  it('analytical SEs are calibrated: 95% normal CIs of the simple ATT cover the truth ~95% of the time', () => {
    let covered = 0;
    const reps = 400;
    for (let s = 0; s < reps; s++) {
      const groups = [...Array(20).fill(3), ...Array(20).fill(4), ...Array(40).fill(0)];
      const r = staggeredDid({
        rows: panel(groups, 5, 100 + s, () => 0.3, 1),
        control_group: 'never_treated',
      });
      if (Math.abs(r.simple.att - 0.3) <= 1.96 * r.simple.se) covered++;
    }
    expect(covered / reps).toBeGreaterThan(0.92);
    expect(covered / reps).toBeLessThan(0.98);
  });

  it('refuses unbalanced panels, groups that change, and never_treated without never-treated units', () => {
    const rows = panel([2, 3, 0], 3, 1, () => 0);
    expect(() => staggeredDid({ rows: rows.slice(1) })).toThrow(/not balanced: unit 'u0' has 2 of 3/);
    expect(() => staggeredDid({ rows: rows.map((r, i) => (i === 1 ? { ...r, group: 3 } : r)) })).toThrow(
      /rows\[1\]\.group: unit 'u0' has more than one group/,
    );
    const noNever = panel([2, 3, 3], 3, 1, () => 0);
    expect(() => staggeredDid({ rows: noNever, control_group: 'never_treated' })).toThrow(/never-treated/);
    // With not-yet-treated controls the last cohort becomes the comparison group (R did).
    const r = staggeredDid({ rows: noNever, control_group: 'not_yet_treated' });
    expect(r.attGt.map((a) => [a.group, a.t])).toEqual([[2, 2]]);
  });
});
