import {
  createRng,
  mixingVarianceForPlannedSe,
  msprt,
  welchFromMoments,
  welchTTest,
} from '../../shared/stats/index.js';

/** Monte Carlo helpers shared by the simulation tests (seeded, so every run gives the same figures). */

export interface FixedHorizonFigures {
  runs: number;
  falsePositiveRate: number;
  coverage: number;
}

/** A/A tests at a fixed horizon: Welch on two N(10, 3²) samples of `n` per arm. */
export function fixedHorizonAA(runs: number, n: number, seed: number, alpha = 0.05): FixedHorizonFigures {
  const rng = createRng(seed);
  let rejections = 0;
  let covered = 0;
  for (let r = 0; r < runs; r++) {
    const control = Array.from({ length: n }, () => 10 + 3 * rng.normal());
    const treatment = Array.from({ length: n }, () => 10 + 3 * rng.normal());
    const result = welchTTest({ control, treatment, alpha });
    if (result.pValue <= alpha) rejections++;
    if (result.ciLow <= 0 && 0 <= result.ciHigh) covered++;
  }
  return { runs, falsePositiveRate: rejections / runs, coverage: covered / runs };
}

export interface PeekingFigures {
  runs: number;
  /** Share of runs where any look's fixed-horizon Welch p ≤ alpha. */
  naiveRate: number;
  /** Share of runs where the mSPRT always-valid p-value reached ≤ alpha. */
  msprtRate: number;
  /** Share of runs whose final confidence sequence contains the true effect. */
  msprtCoverage: number;
}

/**
 * Daily peeking: `looks` days, `perDay` new units per arm per day, true effect `effect` (in units of
 * the outcome's sd = 1). Welch on the cumulative sums at every look.
 */
export function dailyPeeking(
  runs: number,
  looks: number,
  perDay: number,
  seed: number,
  effect = 0,
  alpha = 0.05,
): PeekingFigures {
  const rng = createRng(seed);
  const plannedSe = Math.sqrt(2 / (looks * perDay));
  const mixingVariance = mixingVarianceForPlannedSe(plannedSe, alpha);
  let naive = 0;
  let sequential = 0;
  let covered = 0;
  for (let r = 0; r < runs; r++) {
    const c = { n: 0, sum: 0, sum2: 0 };
    const t = { n: 0, sum: 0, sum2: 0 };
    let naiveRejected = false;
    const history: { estimate: number; se: number }[] = [];
    for (let day = 0; day < looks; day++) {
      for (let i = 0; i < perDay; i++) {
        const yc = rng.normal();
        const yt = effect + rng.normal();
        c.n++;
        c.sum += yc;
        c.sum2 += yc * yc;
        t.n++;
        t.sum += yt;
        t.sum2 += yt * yt;
      }
      const w = welchFromMoments({ control: { ...c }, treatment: { ...t }, alpha });
      if (w.pValue <= alpha) naiveRejected = true;
      history.push({ estimate: w.diff, se: w.se });
    }
    const seq = msprt(history, { mixingVariance, alpha });
    if (naiveRejected) naive++;
    if (seq.rejected) sequential++;
    if (seq.ciLow <= effect && effect <= seq.ciHigh) covered++;
  }
  return { runs, naiveRate: naive / runs, msprtRate: sequential / runs, msprtCoverage: covered / runs };
}
