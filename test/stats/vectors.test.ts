import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cupedFromMoments,
  METHOD_NAMES,
  ratioDeltaFromMoments,
  runMethod,
  toSnakeCase,
  welchFromMoments,
  welchFromSummary,
} from '../../shared/stats/index.js';
import { expectMatches, loadAllVectors, loadVectors, VECTOR_ROOT } from './vectors.js';

const vectors = loadVectors();
const pending = loadAllVectors().filter((v) => !vectors.some((w) => w.file === v.file));
const byMethod = (method: string) => vectors.filter((v) => v.method === method);

interface Arm {
  [key: string]: number[];
}

/** Raw sums as SQL would compute them: SUM(v - shift), SUM((v - shift)^2), ... */
function sums(values: number[], shift = 0) {
  let sum = 0;
  let sum2 = 0;
  for (const v of values) {
    sum += v - shift;
    sum2 += (v - shift) ** 2;
  }
  return { n: values.length, sum, sum2, shift };
}

function crossSums(x: number[], y: number[]) {
  let sumX = 0;
  let sumY = 0;
  let sumX2 = 0;
  let sumY2 = 0;
  let sumXY = 0;
  x.forEach((xi, i) => {
    const yi = y[i] as number;
    sumX += xi;
    sumY += yi;
    sumX2 += xi * xi;
    sumY2 += yi * yi;
    sumXY += xi * yi;
  });
  return { n: x.length, sumX, sumY, sumX2, sumY2, sumXY };
}

describe('reference vectors', () => {
  it('finds the vector folder and one or more cases for every method', () => {
    expect(fs.existsSync(VECTOR_ROOT)).toBe(true);
    for (const method of METHOD_NAMES) expect(byMethod(method).length, method).toBeGreaterThan(0);
    expect(new Set(vectors.map((v) => v.method))).toEqual(new Set(METHOD_NAMES));
    // The fixture copy is complete: every method of the reference set is there.
    expect(fs.readdirSync(VECTOR_ROOT).length).toBeGreaterThanOrEqual(METHOD_NAMES.length);
  });

  for (const v of pending) it.todo(`${v.file}: method ${v.method} not implemented yet`);

  it.each(vectors.map((v) => [v.file, v] as const))('%s', (_file, vector) => {
    const actual = runMethod(vector.method, vector.input);
    expectMatches(actual, vector.expected, vector.tolerance);
  });
});

describe('sufficient-statistics APIs agree with the vectors', () => {
  it.each(byMethod('welch_ttest').map((v) => [v.file, v] as const))('welchFromMoments %s', (_f, vector) => {
    const input = vector.input as { control: number[]; treatment: number[]; alpha: number };
    for (const shift of [0, 7.5]) {
      const result = welchFromMoments({
        control: sums(input.control, shift),
        treatment: sums(input.treatment, shift),
        alpha: input.alpha,
      });
      expectMatches(toSnakeCase(result) as Record<string, unknown>, vector.expected, vector.tolerance);
    }
    const summary = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
      return { n: values.length, mean, variance };
    };
    const fromSummary = welchFromSummary({
      control: summary(input.control),
      treatment: summary(input.treatment),
      alpha: input.alpha,
    });
    expectMatches(toSnakeCase(fromSummary) as Record<string, unknown>, vector.expected, vector.tolerance);
  });

  it.each(byMethod('ratio_delta_method').map((v) => [v.file, v] as const))(
    'ratioDeltaFromMoments %s',
    (_f, vector) => {
      const input = vector.input as { control: Arm; treatment: Arm; alpha: number };
      const arm = (a: Arm) => {
        const s = crossSums(a.num as number[], a.den as number[]);
        return {
          n: s.n,
          sumNum: s.sumX,
          sumDen: s.sumY,
          sumNum2: s.sumX2,
          sumDen2: s.sumY2,
          sumNumDen: s.sumXY,
        };
      };
      const result = ratioDeltaFromMoments({
        control: arm(input.control),
        treatment: arm(input.treatment),
        alpha: input.alpha,
      });
      expectMatches(toSnakeCase(result) as Record<string, unknown>, vector.expected, vector.tolerance);
    },
  );

  it.each(byMethod('cuped').map((v) => [v.file, v] as const))('cupedFromMoments %s', (_f, vector) => {
    const input = vector.input as { control: Arm; treatment: Arm; alpha: number };
    const arm = (a: Arm) => crossSums(a.x as number[], a.y as number[]);
    const result = cupedFromMoments({
      control: arm(input.control),
      treatment: arm(input.treatment),
      alpha: input.alpha,
    });
    expectMatches(toSnakeCase(result) as Record<string, unknown>, vector.expected, vector.tolerance);
  });
});
