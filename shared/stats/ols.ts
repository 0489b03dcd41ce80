import * as z from 'zod';
import { InputError } from '../errors.js';
import { normalTwoSidedP } from './distributions.js';
import { leastSquares, type Matrix, sandwich } from './linalg.js';
import { checkFinite, parseInput } from './validate.js';

/** An ordinary least squares fit with what the robust covariances need. */
export interface OlsFit {
  n: number;
  k: number;
  coef: number[];
  residuals: number[];
  xtxInverse: Matrix;
  /** Centred R² = 1 − SSR / Σ(y − ȳ)². */
  r2: number;
}

export function fitOls(x: Matrix, y: readonly number[], names?: readonly string[]): OlsFit {
  const { coef, xtxInverse } = leastSquares(x, y, names);
  const n = y.length;
  const k = coef.length;
  const residuals = y.map((yi, i) => {
    const row = x[i] as number[];
    let fitted = 0;
    for (let j = 0; j < k; j++) fitted += (row[j] as number) * (coef[j] as number);
    return yi - fitted;
  });
  const mean = y.reduce((a, b) => a + b, 0) / n;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    ssr += (residuals[i] as number) ** 2;
    sst += ((y[i] as number) - mean) ** 2;
  }
  return { n, k, coef, residuals, xtxInverse, r2: sst > 0 ? 1 - ssr / sst : 0 };
}

/** HC1: n/(n−k) · (X'X)⁻¹ (Σ e_i² x_i x_i') (X'X)⁻¹. */
export function hc1Covariance(fit: OlsFit, x: Matrix): Matrix {
  const { k, n } = fit;
  const meat: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) {
    const row = x[i] as number[];
    const e2 = (fit.residuals[i] as number) ** 2;
    for (let a = 0; a < k; a++) {
      const va = e2 * (row[a] as number);
      if (va === 0) continue;
      const ma = meat[a] as number[];
      for (let b = 0; b < k; b++) ma[b] = (ma[b] as number) + va * (row[b] as number);
    }
  }
  return sandwich(fit.xtxInverse, meat, n / (n - k));
}

export interface ClusterCovariance {
  cov: Matrix;
  nClusters: number;
}

/**
 * Cluster-robust (Liang–Zeger) covariance: c · (X'X)⁻¹ [Σ_g (X_g'e_g)(X_g'e_g)'] (X'X)⁻¹ with
 * c = G/(G−1) · (N−1)/(N−K), the statsmodels/Stata default. `absorbedInClusters` lets a caller drop
 * fixed effects nested within clusters from K (as reghdfe does): they cost no degrees of freedom
 * once the errors are clustered at that level, and counting them would inflate c on short panels.
 */
export function clusterCovariance(
  fit: OlsFit,
  x: Matrix,
  clusters: readonly (string | number)[],
  absorbedInClusters = 0,
): ClusterCovariance {
  const { k, n } = fit;
  const scores = new Map<string | number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = clusters[i] as string | number;
    let s = scores.get(g);
    if (s === undefined) {
      s = new Array<number>(k).fill(0);
      scores.set(g, s);
    }
    const row = x[i] as number[];
    const e = fit.residuals[i] as number;
    for (let j = 0; j < k; j++) s[j] = (s[j] as number) + (row[j] as number) * e;
  }
  const g = scores.size;
  if (g < 2) throw new InputError(`cluster-robust errors need at least 2 clusters, got ${g}`);
  const meat: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const s of scores.values()) {
    for (let a = 0; a < k; a++) {
      const sa = s[a] as number;
      if (sa === 0) continue;
      const ma = meat[a] as number[];
      for (let b = 0; b < k; b++) ma[b] = (ma[b] as number) + sa * (s[b] as number);
    }
  }
  const kEff = k - absorbedInClusters;
  if (n <= kEff) throw new InputError(`need more observations than parameters, got ${n} and ${kEff}`);
  const c = (g / (g - 1)) * ((n - 1) / (n - kEff));
  return { cov: sandwich(fit.xtxInverse, meat, c), nClusters: g };
}

export const olsHc1InputSchema = z
  .object({
    y: z.array(z.number()).min(2, { message: 'needs at least 2 values' }),
    /** One row per observation; include the intercept column yourself. */
    X: z.array(z.array(z.number()).min(1, { message: 'each row needs at least 1 column' })),
    names: z.array(z.string()).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.X.length !== v.y.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['X'],
        message: `has ${v.X.length} rows but y has ${v.y.length} values`,
      });
      return;
    }
    const k = v.X[0]?.length ?? 0;
    const bad = v.X.findIndex((row) => row.length !== k);
    if (bad >= 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['X', bad],
        message: `has ${v.X[bad]?.length} columns, expected ${k} like row 0`,
      });
    }
    if (v.names !== undefined && v.names.length !== k) {
      ctx.addIssue({
        code: 'custom',
        path: ['names'],
        message: `has ${v.names.length} names for ${k} columns`,
      });
    }
    if (v.y.length <= k) {
      ctx.addIssue({
        code: 'custom',
        path: ['y'],
        message: `needs more rows than columns, got ${v.y.length} rows, ${k} columns`,
      });
    }
  });
export type OlsHc1Input = z.input<typeof olsHc1InputSchema>;

export interface OlsHc1Result {
  names: string[];
  coef: number[];
  seHc1: number[];
  /** coef / se_hc1. */
  t: number[];
  /** Standard normal, the statsmodels default for robust covariances. */
  pValue: number[];
  r2: number;
}

/** OLS with heteroskedasticity-robust HC1 standard errors (statsmodels fit(cov_type='HC1')). */
export function olsHc1(input: OlsHc1Input): OlsHc1Result {
  const { y, X, names } = parseInput(olsHc1InputSchema, input, 'ols_hc1');
  const columnNames = names ?? (X[0] as number[]).map((_, j) => `x${j}`);
  const fit = fitOls(X, y, columnNames);
  const cov = hc1Covariance(fit, X);
  const seHc1 = cov.map((row, j) => Math.sqrt(row[j] as number));
  if (seHc1.some((se) => !(se > 0)))
    throw new InputError('ols_hc1: a coefficient has zero standard error (perfect fit)');
  const t = fit.coef.map((b, j) => b / (seHc1[j] as number));
  return checkFinite('ols_hc1', {
    names: columnNames,
    coef: fit.coef,
    seHc1,
    t,
    pValue: t.map(normalTwoSidedP),
    r2: fit.r2,
  });
}
