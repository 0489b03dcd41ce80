import { describe, expect, it } from 'vitest';
import { InputError } from '../../shared/errors.js';
import {
  adjustPValues,
  cuped,
  cupedFromMoments,
  didCluster,
  mannWhitney,
  mixingVarianceForPlannedSe,
  msprt,
  olsHc1,
  poissonRateTest,
  powerSampleSize,
  ratioDeltaFromMoments,
  ratioDeltaMethod,
  runMethod,
  srmChiSquare,
  twoProportionZTest,
  welchFromMoments,
  welchFromSummary,
  welchTTest,
} from '../../shared/stats/index.js';

/** Expects an InputError whose message matches every pattern (field name, offending value, ...). */
function expectInputError(fn: () => unknown, ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  for (const pattern of patterns) expect((caught as Error).message).toMatch(pattern);
}

describe('bad input is an InputError that names the field and value', () => {
  it('welch', () => {
    expectInputError(
      () => welchTTest({ control: [1], treatment: [1, 2] }),
      /control/,
      /at least 2/,
      /got \[1\]/,
    );
    expectInputError(() => welchTTest({ control: [], treatment: [1, 2] }), /control/);
    expectInputError(() => welchTTest({ control: [1, 2], treatment: [1, 2], alpha: 0 }), /alpha/, /got 0/);
    expectInputError(
      () => welchTTest({ control: [1, 2], treatment: [1, 2], alpha: 1.5 }),
      /alpha/,
      /got 1\.5/,
    );
    expectInputError(() => welchTTest({ control: [3, 3, 3], treatment: [3, 3] }), /zero variance/);
    expectInputError(() => welchTTest({ control: [1, Number.NaN], treatment: [1, 2] }), /control\[1\]/);
    expectInputError(
      () => welchTTest({ control: [1, Number.POSITIVE_INFINITY], treatment: [1, 2] }),
      /control\[1\]/,
    );
    expectInputError(() => runMethod('welch_ttest', { control: [1, 2] }), /treatment/, /expected array/);
    expectInputError(() => runMethod('welch_ttest', null), /\(input\)/);
    expectInputError(
      () => welchFromMoments({ control: { n: 1, sum: 1, sum2: 1 }, treatment: { n: 5, sum: 1, sum2: 1 } }),
      /control\.n/,
      /got 1/,
    );
    expectInputError(
      () =>
        welchFromSummary({
          control: { n: 3, mean: 1, variance: -1 },
          treatment: { n: 3, mean: 1, variance: 1 },
        }),
      /control\.variance/,
      /got -1/,
    );
  });

  it('proportions, SRM, Poisson', () => {
    expectInputError(
      () => twoProportionZTest({ control: { successes: 11, n: 10 }, treatment: { successes: 1, n: 10 } }),
      /control\.successes/,
      /must not exceed n/,
    );
    expectInputError(
      () => twoProportionZTest({ control: { successes: -1, n: 10 }, treatment: { successes: 1, n: 10 } }),
      /control\.successes/,
      /got -1/,
    );
    expectInputError(
      () => twoProportionZTest({ control: { successes: 0, n: 10 }, treatment: { successes: 0, n: 10 } }),
      /zero variance/,
    );
    expectInputError(
      () => srmChiSquare({ observed: [10, -2], expected_weights: [1, 1] }),
      /observed\[1\]/,
      /got -2/,
    );
    expectInputError(
      () => srmChiSquare({ observed: [10, 2, 3], expected_weights: [1, 1] }),
      /expected_weights/,
      /same length/,
    );
    expectInputError(
      () => srmChiSquare({ observed: [10, 2], expected_weights: [1, 0] }),
      /expected_weights\[1\]/,
    );
    expectInputError(() => srmChiSquare({ observed: [0, 0], expected_weights: [1, 1] }), /all counts are 0/);
    expectInputError(
      () => poissonRateTest({ control: { count: 5, exposure: 0 }, treatment: { count: 1, exposure: 10 } }),
      /control\.exposure/,
      /got 0/,
    );
    expectInputError(
      () => poissonRateTest({ control: { count: 2.5, exposure: 1 }, treatment: { count: 1, exposure: 10 } }),
      /control\.count/,
      /got 2\.5/,
    );
    expectInputError(
      () => poissonRateTest({ control: { count: 0, exposure: 1 }, treatment: { count: 0, exposure: 10 } }),
      /both counts are 0/,
    );
  });

  it('ratio, CUPED, Mann–Whitney', () => {
    expectInputError(
      () =>
        ratioDeltaMethod({
          control: { num: [1, 2, 3], den: [1, 2] },
          treatment: { num: [1, 2], den: [1, 2] },
        }),
      /control\.den/,
      /same length/,
    );
    expectInputError(
      () =>
        ratioDeltaMethod({ control: { num: [1, 2], den: [0, 0] }, treatment: { num: [1, 2], den: [1, 2] } }),
      /control\.den has mean 0/,
    );
    expectInputError(
      () =>
        ratioDeltaFromMoments({
          control: { n: 10, sumNum: 1, sumDen: 1, sumNum2: -1, sumDen2: 1, sumNumDen: 1 },
          treatment: { n: 10, sumNum: 1, sumDen: 1, sumNum2: 1, sumDen2: 1, sumNumDen: 1 },
        }),
      /control\.sumNum2/,
    );
    expectInputError(
      () => cuped({ control: { y: [1, 2, 3], x: [1, 2] }, treatment: { y: [1, 2], x: [1, 2] } }),
      /control\.x/,
      /same length/,
    );
    expectInputError(
      () => cuped({ control: { y: [1, 2, 3], x: [5, 5, 5] }, treatment: { y: [1, 2], x: [4, 4] } }),
      /x has zero variance/,
    );
    expectInputError(
      () =>
        cupedFromMoments({
          control: { n: 0, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 },
          treatment: { n: 3, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 },
        }),
      /control\.n/,
    );
    expectInputError(() => mannWhitney({ control: [], treatment: [1] }), /control/);
    expectInputError(() => mannWhitney({ control: [2, 2], treatment: [2] }), /every value is tied/);
  });

  it('multiple testing, power, OLS, DiD', () => {
    expectInputError(
      () => adjustPValues({ p_values: [0.1, 1.2], method: 'bh' }),
      /p_values\[1\]/,
      /got 1\.2/,
    );
    expectInputError(() => adjustPValues({ p_values: [], method: 'bh' }), /p_values/);
    expectInputError(() => adjustPValues({ p_values: [0.1], method: 'sidak' as 'bh' }), /method/, /"sidak"/);
    expectInputError(
      () => powerSampleSize({ baseline_rate: 1.2, mde_relative: 0.1 }),
      /baseline_rate/,
      /got 1\.2/,
    );
    expectInputError(() => powerSampleSize({ baseline_rate: 0.6, mde_relative: 1 }), /outside \(0, 1\)/);
    expectInputError(() => powerSampleSize({ baseline_rate: 0.2, mde_relative: 0 }), /mde_relative/);
    expectInputError(
      () => powerSampleSize({ baseline_rate: 0.2, mde_relative: 0.1, power: 0.01 }),
      /power must exceed alpha/,
    );
    expectInputError(() => olsHc1({ y: [1, 2, 3], X: [[1], [1]] }), /X/, /2 rows but y has 3/);
    expectInputError(() => olsHc1({ y: [1, 2, 3], X: [[1, 0], [1, 1], [1]] }), /X\[2\]/, /columns/);
    expectInputError(
      () =>
        olsHc1({
          y: [1, 2, 3, 4],
          X: [
            [1, 2],
            [1, 2],
            [1, 2],
            [1, 2],
          ],
          names: ['const', 'x'],
        }),
      /rank deficient/,
      /x is collinear/,
    );
    const rows = [0, 1, 2].flatMap((u) =>
      [0, 1].map((p) => ({ unit: 'only', period: p + 2 * u, treated: 1, post: p, y: u + p })),
    );
    expectInputError(() => didCluster({ rows }), /rank deficient|at least 2 clusters/);
    expectInputError(
      () => didCluster({ rows: rows.map((r) => ({ ...r, treated: 2 })) }),
      /rows\[0\]\.treated/,
    );
  });

  it('sequential', () => {
    expectInputError(() => msprt([{ estimate: 1, se: 0 }], { mixingVariance: 1 }), /\[0\]\.se/, /got 0/);
    expectInputError(() => msprt([], { mixingVariance: 1 }), /at least 1 look/);
    expectInputError(() => msprt([{ estimate: 1, se: 1 }], { mixingVariance: -1 }), /mixingVariance/);
    expectInputError(() => mixingVarianceForPlannedSe(0), /plannedSe/);
  });

  it('unknown methods list the valid ones', () => {
    expectInputError(
      () => runMethod('t_test', {}),
      /unknown stats method 't_test'/,
      /welch_ttest/,
      /poisson_rate_test/,
    );
  });
});
