import { describe, expect, it } from 'vitest';
import { Policy } from '../../shared/experiments/config.js';
import { policyHeadline } from '../../shared/policy/evaluate.js';
import type { PolicyPanel } from '../../shared/policy/panel.js';
import { createRng, poissonDraw } from '../../shared/stats/random.js';

/**
 * Seeded region × day panels of counts over exposures, read out by the policy headline exactly as
 * `vigil policy evaluate` does (closed form per panel, no engine). Regions differ in size (exposure
 * spans two orders of magnitude), share day shocks, and carry their own level and day-to-day
 * over-dispersion; the treated regions are drawn at random, as a placebo launch would be.
 */

const DAYS = Array.from({ length: 20 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`);
const PANELS = 1000;

interface Sim {
  readonly panel: PolicyPanel;
  readonly treated: string[];
}

/** One panel; `effect` is added to the daily rate of each treated region from its launch day on. */
function simulate(seed: number, nRegions: number, launches: number[], effect: number): Sim {
  const rng = createRng(seed);
  const regions = Array.from({ length: nRegions }, (_, i) => `R${String(i).padStart(2, '0')}`);
  const order = regions.map((r) => ({ r, u: rng.uniform() })).sort((a, b) => a.u - b.u);
  const treated = order.slice(0, launches.length).map((x) => x.r);
  const dayFx = DAYS.map(() => 0.1 * rng.normal());
  const num = new Map<string, Float64Array>();
  const den = new Map<string, Float64Array>();
  for (const r of regions) {
    const size = 300 * Math.exp(1.2 * rng.normal());
    const level = 0.3 * rng.normal();
    const launch = treated.includes(r) ? launches[treated.indexOf(r)]! : Number.POSITIVE_INFINITY;
    const n = new Float64Array(DAYS.length);
    const d = new Float64Array(DAYS.length);
    DAYS.forEach((_, t) => {
      d[t] = Math.max(1, Math.round(size * (0.8 + 0.4 * rng.uniform())));
      const rate = 0.02 * Math.exp(level + dayFx[t]! + 0.15 * rng.normal()) + (t >= launch ? effect : 0);
      n[t] = poissonDraw(rng, rate * d[t]!);
    });
    num.set(r, n);
    den.set(r, d);
  }
  return { panel: { regions, days: DAYS, num, den, ratio: true }, treated };
}

function policyFor(treated: string[], launches: number[]): Policy {
  return Policy.parse({
    id: 'sim',
    regions: treated,
    launch: Object.fromEntries(treated.map((r, i) => [r, `${DAYS[launches[i]!]}T00:00:00Z`])),
    metric: 'sim_rate',
    pre_days: 7,
    post_days: 7,
  });
}

/** Rejections count over all panels (no p-value is no rejection); coverage over the panels with a CI. */
function run(launches: number[], effect: number, seed0: number) {
  let rejected = 0;
  let covered = 0;
  let withCi = 0;
  let notEnough = 0;
  const methods = new Set<string>();
  for (let i = 0; i < PANELS; i++) {
    const { panel, treated } = simulate(seed0 + i, 10 + (i % 6), launches, effect);
    const { effect: e } = policyHeadline(policyFor(treated, launches), panel, {
      to: new Date(0),
      truncatedBy: null,
    });
    methods.add(e.inference);
    if (e.status === 'not_enough_data') {
      // Only a region with no event at all in its windows may come out without a p-value.
      expect(e.reason).toMatch(/no events/);
      expect(e.p_value).toBeNull();
      notEnough++;
      continue;
    }
    if (e.p_value! <= 0.05) rejected++;
    withCi++;
    if (e.ci_low! <= effect && effect <= e.ci_high!) covered++;
  }
  expect(notEnough / PANELS).toBeLessThan(0.02);
  return { rejected: rejected / PANELS, covered: covered / withCi, methods: [...methods], notEnough };
}

describe('policy readout on 1,000 simulated panels of 10–15 regions', () => {
  it('staggered launch in 3 regions, randomization inference: a placebo launch rejects at 5% ± 1.5 points', () => {
    const r = run([7, 9, 11], 0, 1_000);
    console.log(`placebo, 3 staggered regions: rejected ${(100 * r.rejected).toFixed(1)}% (${r.methods})`);
    expect(r.methods).toEqual(['randomization']);
    expect(r.rejected).toBeGreaterThanOrEqual(0.035);
    expect(r.rejected).toBeLessThanOrEqual(0.065);
  }, 60_000);

  it('staggered launch in 3 regions: the 95% CI covers a planted effect 95% ± 1.5 points', () => {
    const effect = 0.006;
    const r = run([7, 9, 11], effect, 50_000);
    console.log(
      `planted +${effect} (30% of the base rate): CI coverage ${(100 * r.covered).toFixed(1)}%, power ${(100 * r.rejected).toFixed(1)}%`,
    );
    expect(r.covered).toBeGreaterThanOrEqual(0.935);
    expect(r.covered).toBeLessThanOrEqual(0.965);
    // Not vacuous: the interval is narrow enough to detect the effect often.
    expect(r.rejected).toBeGreaterThan(0.2);
  }, 60_000);

  it('one treated region (count-aware t, too few assignments for randomization): valid, conservative', () => {
    const placebo = run([10], 0, 90_000);
    const planted = run([10], 0.006, 120_000);
    console.log(
      `one region: placebo rejected ${(100 * placebo.rejected).toFixed(1)}%, planted coverage ${(100 * planted.covered).toFixed(1)}% (${placebo.methods}; ${placebo.notEnough + planted.notEnough} panels without events: not enough data)`,
    );
    expect(placebo.methods).toEqual(['count_aware_t']);
    // The between-region variance is estimated from ~10 controls and kept ≥ 0: errs on the safe side.
    expect(placebo.rejected).toBeGreaterThanOrEqual(0.01);
    expect(placebo.rejected).toBeLessThanOrEqual(0.065);
    expect(planted.covered).toBeGreaterThanOrEqual(0.935);
    expect(planted.covered).toBeLessThanOrEqual(0.995);
  }, 60_000);
});
