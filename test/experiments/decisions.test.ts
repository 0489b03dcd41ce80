import { describe, expect, it } from 'vitest';
import {
  type ExperimentSums,
  readoutFromSums,
  type SegmentSums,
  type VariantSums,
} from '../../shared/experiments/analyze.js';
import { Experiment } from '../../shared/experiments/config.js';
import { planExperiment } from '../../shared/experiments/plan.js';
import { fromExperimentReadout } from '../../shared/report/adapters.js';
import { renderReport } from '../../shared/report/render.js';
import { createRng } from '../../shared/stats/random.js';
import { ratioCupedFromSums } from '../../shared/stats/ratio-cuped.js';

/** Per-arm sums of mean metrics from (mean, sd, n): Σy = n·mean, Σy² = (n−1)·sd² + n·mean². */
const arm = (
  variant: string,
  n: number,
  metrics: [number, number][],
  segment?: string | null,
): VariantSums => ({
  variant,
  n,
  ...(segment !== undefined ? { segment } : {}),
  metrics: metrics.map(([mean, sd]) => ({ y: n * mean, y2: (n - 1) * sd * sd + n * mean * mean })),
});

const metric = (name: string, role: string, extra: object = {}) => ({
  name,
  role,
  kind: 'count',
  source: 'user_reports',
  unit_column: 'reporter_id',
  ...extra,
});

function experiment(variants: string[], metrics: object[], extra: object = {}) {
  return Experiment.parse({
    id: 'exp',
    variants: variants.map((name) => ({ name, weight: 1 })),
    start: '2026-01-01',
    end: '2026-01-15',
    metrics,
    ...extra,
  });
}

const end = new Date('2026-01-15T00:00:00Z');
const sums = (e: Experiment, variants: VariantSums[]): ExperimentSums => ({
  plan: planExperiment(e, end),
  sql: '',
  variants,
  conflicting: 0,
});

describe('experiment decisions', () => {
  it('3 variants: Holm across the arms, and the decision names the variant to ship', () => {
    const e = experiment(['control', 'B', 'C'], [metric('m', 'primary')]);
    const r = readoutFromSums(
      e,
      sums(e, [arm('control', 5000, [[1, 1]]), arm('B', 5000, [[1.05, 1]]), arm('C', 5000, [[1.1, 1]])]),
      end,
    );
    expect(r.decision).toBe('ship');
    expect(r.decision_variant).toBe('C');
    expect(r.summary).toMatch(/^ship C \(also shippable: B/);
    const p = r.metrics.map((m) => m.p_value!);
    const adj = r.metrics.map((m) => m.p_value_adjusted!);
    // Holm over the two arms: the smaller p doubles, the larger is max(its own, that).
    const [lo, hi] = p[0]! < p[1]! ? [0, 1] : [1, 0];
    expect(adj[lo]).toBeCloseTo(Math.min(1, 2 * p[lo]!), 12);
    expect(adj[hi]).toBeCloseTo(Math.max(adj[lo]!, p[hi]!), 12);
    expect(r.rule.correction.primary).toBe('holm');
  });

  it('an arm that is only nominally significant is not shipped once corrected across arms', () => {
    const e = experiment(['control', 'B', 'C', 'D'], [metric('m', 'primary')]);
    // B: z ≈ 2.1 (p ≈ 0.036) alone, but Holm over 3 arms needs p ≤ 0.0167.
    const d = 2.1 * Math.sqrt(2 / 4000);
    const r = readoutFromSums(
      e,
      sums(e, [
        arm('control', 4000, [[1, 1]]),
        arm('B', 4000, [[1 + d, 1]]),
        arm('C', 4000, [[1, 1]]),
        arm('D', 4000, [[1, 1]]),
      ]),
      end,
    );
    const b = r.metrics.find((m) => m.variant === 'B')!;
    expect(b.p_value!).toBeLessThan(0.05);
    expect(b.significant).toBe(false);
    expect(r.decision).toBe('dont_ship');
    expect(r.decision_variant).toBeNull();
  });

  it('a guardrail with not_enough_data blocks ship', () => {
    const e = experiment(['control', 'B'], [metric('m', 'primary'), metric('g', 'guardrail')]);
    const r = readoutFromSums(
      e,
      sums(e, [
        arm('control', 5000, [
          [1, 1],
          [2, 0],
        ]),
        arm('B', 5000, [
          [1.2, 1],
          [2, 0],
        ]),
      ]),
      end,
    );
    const g = r.metrics.find((m) => m.metric === 'g')!;
    expect(g.status).toBe('not_enough_data');
    expect(r.metrics.find((m) => m.metric === 'm')!.significant).toBe(true);
    expect(r.decision).not.toBe('ship');
    expect(r.decisions[0]!.reasons).toContain('guardrail g: not enough data');
  });

  it('non-inferiority margin: a guardrail whose CI allows more harm than the margin blocks ship', () => {
    const e = (margin: number) =>
      experiment(
        ['control', 'B'],
        [metric('m', 'primary'), metric('g', 'guardrail', { non_inferiority_margin: margin })],
      );
    const data = [
      arm('control', 5000, [
        [1, 1],
        [10, 5],
      ]),
      arm('B', 5000, [
        [1.2, 1],
        [9.9, 5],
      ]),
    ];
    // g: −1% with a CI of about ±2%: not a significant harm, but not within a 1% margin.
    const strict = readoutFromSums(e(0.01), sums(e(0.01), data), end);
    const g = strict.metrics.find((m) => m.metric === 'g')!;
    expect(g.significant).toBe(false);
    expect(g.non_inferior).toBe(false);
    expect(strict.decision).toBe('dont_ship');
    expect(strict.decisions[0]!.reasons.join(' ')).toMatch(/not shown non-inferior/);
    const loose = readoutFromSums(e(0.05), sums(e(0.05), data), end);
    expect(loose.metrics.find((m) => m.metric === 'g')!.non_inferior).toBe(true);
    expect(loose.decision).toBe('ship');
    expect(() =>
      experiment(['control', 'B'], [metric('m', 'primary', { non_inferiority_margin: 0.01 })]),
    ).toThrow(/only guardrails take a non-inferiority margin/);
  });

  it('heterogeneous effects by segment: BH q-values over every cell; only the real segment effect survives', () => {
    const e = experiment(['control', 'B'], [metric('m', 'primary')], { segments: ['region'] });
    const regions = ['BR', 'DE', 'IN', 'US', 'MX', 'JP'];
    const bySegment: VariantSums[] = regions.flatMap((r) => [
      arm('control', 3000, [[1, 1]], r),
      arm('B', 3000, [[r === 'BR' ? 1.15 : 1.01, 1]], r),
    ]);
    const segs: SegmentSums[] = [{ dimension: 'region', sums: sums(e, bySegment) }];
    const r = readoutFromSums(
      e,
      sums(e, [arm('control', 18000, [[1, 1]]), arm('B', 18000, [[1.035, 1]])]),
      end,
      segs,
    );
    expect(r.segments).toHaveLength(regions.length);
    const sorted = [...r.segments].filter((s) => s.p_value !== null).sort((a, b) => a.p_value! - b.p_value!);
    // BH step-up: q_(i) = min over j ≥ i of p_(j)·m/j.
    const m = sorted.length;
    sorted.forEach((s, i) => {
      const q = Math.min(...sorted.slice(i).map((x, j) => Math.min(1, (x.p_value! * m) / (i + j + 1))));
      expect(s.q_value).toBeCloseTo(q, 12);
    });
    expect(r.segments.filter((s) => s.significant).map((s) => s.value)).toEqual(['BR']);
    // The report draws the segments in the experiment's forest plot; only BR is filled (significant).
    const rep = fromExperimentReadout(r);
    const rows = rep.metrics.filter((m) => m.name.startsWith('m · region='));
    expect(rows.map((m) => m.name)).toEqual([...regions].sort().map((x) => `m · region=${x}`));
    expect(rows.filter((m) => m.direction !== undefined).map((m) => m.name)).toEqual(['m · region=BR']);
    expect(rep.reasons![0]).toBe(r.summary);
    const html = renderReport({
      generatedAt: '2026-01-15T00:00:00Z',
      title: 't',
      window: { from: '2026-01-01T00:00:00Z', to: '2026-01-15T00:00:00Z' },
      incidents: [],
      dataQuality: [],
      metrics: [],
      experiments: [rep],
      policies: [],
    });
    expect(html).toContain('m · region=BR');
  });

  it('ratio CUPED: θ and the adjusted difference match a per-unit computation, and the variance shrinks', () => {
    const rng = createRng(3);
    const units = (n: number, lift: number) =>
      Array.from({ length: n }, () => {
        const activity = Math.exp(rng.normal());
        const v = Math.max(1, Math.round(10 * activity + rng.normal()));
        const x = Math.max(1, Math.round(10 * activity + rng.normal()));
        const rate = 0.2 * Math.exp(0.3 * rng.normal());
        return { y: rate * (1 + lift) * x + rng.normal(), x, u: rate * v + rng.normal(), v };
      });
    const c = units(3000, 0);
    const t = units(3000, 0.05);
    const sumsOf = (a: typeof c) => {
      const s = (f: (r: (typeof c)[number]) => number) => a.reduce((acc, r) => acc + f(r), 0);
      return {
        n: a.length,
        y: s((r) => r.y),
        x: s((r) => r.x),
        u: s((r) => r.u),
        v: s((r) => r.v),
        yy: s((r) => r.y * r.y),
        xx: s((r) => r.x * r.x),
        uu: s((r) => r.u * r.u),
        vv: s((r) => r.v * r.v),
        xy: s((r) => r.x * r.y),
        yu: s((r) => r.y * r.u),
        yv: s((r) => r.y * r.v),
        xu: s((r) => r.x * r.u),
        xv: s((r) => r.x * r.v),
        uv: s((r) => r.u * r.v),
      };
    };
    const res = ratioCupedFromSums({ control: sumsOf(c), treatment: sumsOf(t), alpha: 0.05 });
    // Per-unit linearisation, by hand.
    const lin = (a: typeof c) => {
      const R = a.reduce((s, r) => s + r.y, 0) / a.reduce((s, r) => s + r.x, 0);
      const Q = a.reduce((s, r) => s + r.u, 0) / a.reduce((s, r) => s + r.v, 0);
      const xb = a.reduce((s, r) => s + r.x, 0) / a.length;
      const vb = a.reduce((s, r) => s + r.v, 0) / a.length;
      return { R, Q, l: a.map((r) => (r.y - R * r.x) / xb), k: a.map((r) => (r.u - Q * r.v) / vb) };
    };
    const lc = lin(c);
    const lt = lin(t);
    const dot = (a: number[], b: number[]) => a.reduce((s, z, i) => s + z * b[i]!, 0);
    const theta = (dot(lc.l, lc.k) + dot(lt.l, lt.k)) / (dot(lc.k, lc.k) + dot(lt.k, lt.k));
    expect(res.theta).toBeCloseTo(theta, 9);
    expect(res.diffAdjusted).toBeCloseTo(lt.R - lc.R - theta * (lt.Q - lc.Q), 9);
    expect(res.varianceReduction).toBeGreaterThan(0.3);
    expect(res.ciLow).toBeLessThan(0.05 * 0.2);
    expect(res.ciHigh).toBeGreaterThan(0.05 * 0.2);
  });
});
