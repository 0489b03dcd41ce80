/**
 * The statistics core: pure TypeScript, no engine or cloud imports. Array APIs for tests and the CLI,
 * sufficient-statistics APIs (`*FromMoments`) for sums computed in SQL, one implementation behind both.
 */

export { binomialTestTwoSided } from './binomial-test.js';
export * from './cuped.js';
export * from './did.js';
export * from './distributions.js';
export * from './event-study.js';
export * from './mann-whitney.js';
export * from './methods.js';
export * from './moments.js';
export * from './multiple-testing.js';
export * from './ols.js';
export * from './poisson.js';
export * from './poisson-tails.js';
export * from './power.js';
export * from './proportions.js';
export * from './random.js';
export * from './ratio-delta.js';
export * from './sequential.js';
export * from './simplex.js';
export * from './srm.js';
export * from './staggered-did.js';
export * from './synthetic-control.js';
export * from './welch.js';
