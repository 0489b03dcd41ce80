import { InputError } from '../errors.js';
import { type CupedInput, cuped } from './cuped.js';
import { type DidInput, didCluster } from './did.js';
import { type MannWhitneyInput, mannWhitney } from './mann-whitney.js';
import { adjustPValues, type MultipleTestingInput } from './multiple-testing.js';
import { type OlsHc1Input, olsHc1 } from './ols.js';
import { type PoissonRateInput, poissonRateTest } from './poisson.js';
import { type PowerInput, powerSampleSize } from './power.js';
import { type TwoProportionInput, twoProportionZTest } from './proportions.js';
import { type RatioDeltaInput, ratioDeltaMethod } from './ratio-delta.js';
import { type SrmInput, srmChiSquare } from './srm.js';
import { type StaggeredDidInput, staggeredDid } from './staggered-did.js';
import { type WelchTTestInput, welchTTest } from './welch.js';

/**
 * The reference methods by their wire names (shared/reference/stats/README.md). Each library
 * function validates its own input with zod, so the casts below only satisfy the compiler.
 */
const METHODS = {
  welch_ttest: (input: unknown) => welchTTest(input as WelchTTestInput),
  two_proportion_ztest: (input: unknown) => twoProportionZTest(input as TwoProportionInput),
  ratio_delta_method: (input: unknown) => ratioDeltaMethod(input as RatioDeltaInput),
  cuped: (input: unknown) => cuped(input as CupedInput),
  srm_chisq: (input: unknown) => srmChiSquare(input as SrmInput),
  multiple_testing: (input: unknown) => adjustPValues(input as MultipleTestingInput),
  ols_hc1: (input: unknown) => olsHc1(input as OlsHc1Input),
  did_cluster: (input: unknown) => didCluster(input as DidInput),
  mann_whitney: (input: unknown) => mannWhitney(input as MannWhitneyInput),
  power_sample_size: (input: unknown) => powerSampleSize(input as PowerInput),
  poisson_rate_test: (input: unknown) => poissonRateTest(input as PoissonRateInput),
  staggered_did: (input: unknown) => staggeredDid(input as StaggeredDidInput),
} as const satisfies Record<string, (input: unknown) => object>;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}

/** camelCase keys → snake_case, recursively: the library speaks TypeScript, the wire speaks JSON. */
export function toSnakeCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toSnakeCase);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        toSnakeCase(item),
      ]),
    );
  }
  return value;
}

/** Runs a reference method on a vector's `input` object and returns the `expected`-shaped object. */
export function runMethod(method: string, input: unknown): Record<string, unknown> {
  if (!isMethodName(method)) {
    throw new InputError(`unknown stats method '${method}'; valid methods: ${METHOD_NAMES.join(', ')}`);
  }
  return toSnakeCase(METHODS[method](input)) as Record<string, unknown>;
}
