import * as z from 'zod';
import { InputError } from '../errors.js';
import { normalCritical, normalTwoSidedP } from './distributions.js';
import { clusterCovariance, fitOls } from './ols.js';
import { alphaSchema, checkFinite, parseInput } from './validate.js';

/** 0/1 or a boolean; typed as number so callers building rows arithmetically need no casts. */
const indicator = z
  .union([z.number(), z.boolean()])
  .refine((v) => typeof v === 'boolean' || v === 0 || v === 1, { message: 'must be 0, 1 or a boolean' })
  .transform((v) => (v === true || v === 1 ? 1 : 0));

export const didRowSchema = z.object({
  unit: z.union([z.string(), z.number()]),
  /** Not used by the two-group model; accepted so panels can be passed as they are. */
  period: z.union([z.string(), z.number()]).optional(),
  /** 1 for units in the treated group (all periods). */
  treated: indicator,
  /** 1 for periods after the launch (all units). */
  post: indicator,
  y: z.number(),
});

export const didInputSchema = z.object({
  rows: z.array(didRowSchema).min(5, { message: 'needs at least 5 rows' }),
  alpha: alphaSchema,
});
export type DidInput = z.input<typeof didInputSchema>;

export interface DidResult {
  /** Coefficient on treated × post. */
  att: number;
  seCluster: number;
  pValue: number;
  ciLow: number;
  ciHigh: number;
  nClusters: number;
  nObs: number;
}

/**
 * Two-group difference in differences: OLS y ~ 1 + treated + post + treated:post with errors
 * clustered by unit (serial correlation within a region would otherwise understate the SE,
 * Bertrand–Duflo–Mullainathan 2004). Small-sample factor G/(G−1)·(N−1)/(N−K); normal p and CI
 * (statsmodels defaults).
 */
export function didCluster(input: DidInput): DidResult {
  const { rows, alpha } = parseInput(didInputSchema, input, 'did_cluster');
  const names = ['intercept', 'treated', 'post', 'treated:post'];
  const x = rows.map((r) => [1, r.treated, r.post, r.treated * r.post]);
  const y = rows.map((r) => r.y);
  const groups = rows.map((r) => `${typeof r.unit}:${r.unit}`);
  const fit = fitOls(x, y, names);
  const { cov, nClusters } = clusterCovariance(fit, x, groups);
  const att = fit.coef[3] as number;
  const se = Math.sqrt((cov[3] as number[])[3] as number);
  if (!(se > 0)) throw new InputError('did_cluster: the treated:post coefficient has zero standard error');
  const q = normalCritical(alpha);
  return checkFinite('did_cluster', {
    att,
    seCluster: se,
    pValue: normalTwoSidedP(att / se),
    ciLow: att - q * se,
    ciHigh: att + q * se,
    nClusters,
    nObs: rows.length,
  });
}
