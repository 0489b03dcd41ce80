/**
 * Experiments and policy launches: config, query planning (per-variant sufficient statistics in
 * one engine statement), readouts and decisions. No DuckDB or node:fs imports here.
 */
import { VigilError } from '../errors.js';
import { evaluatePolicy, type PolicyReadout } from '../policy/evaluate.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { analyzeExperiment } from './analyze.js';
import type { ExperimentConfig } from './config.js';
import type { ExperimentReadout } from './readout.js';

export * from './analyze.js';
export * from './config.js';
export * from './demo-config.js';
export * from './plan.js';
export * from './readout.js';

export interface AllReadouts {
  readonly experiments: ExperimentReadout[];
  readonly policies: PolicyReadout[];
  /** Experiments / policies not read out, with the reason (not started, no data yet, ...). */
  readonly skipped: {
    readonly kind: 'experiment' | 'policy';
    readonly id: string;
    readonly reason: string;
  }[];
}

/**
 * Reads out every configured experiment and policy as of `asOf` (the daily job and the demo).
 * Input problems of one item (not started, no units yet) skip it with a reason; engine failures throw.
 */
export async function analyzeAll(o: {
  engine: QueryEngine;
  config: ExperimentConfig;
  asOf: Date;
}): Promise<AllReadouts> {
  const out: AllReadouts = { experiments: [], policies: [], skipped: [] };
  const skip = (kind: 'experiment' | 'policy', id: string, err: unknown) => {
    if (!(err instanceof VigilError) || err.exitCode !== 2) throw err;
    out.skipped.push({ kind, id, reason: err.message });
  };
  for (const e of o.config.experiments) {
    try {
      out.experiments.push(await analyzeExperiment({ ...o, experiment: e.id }));
    } catch (err) {
      skip('experiment', e.id, err);
    }
  }
  for (const p of o.config.policies) {
    try {
      out.policies.push(await evaluatePolicy({ ...o, policy: p.id }));
    } catch (err) {
      skip('policy', p.id, err);
    }
  }
  return out;
}
