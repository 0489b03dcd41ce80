import { InputError } from '../../shared/errors.js';
import { findPolicy } from '../../shared/experiments/config.js';
import { evaluatePolicy, type PolicyReadout } from '../../shared/policy/evaluate.js';
import { openLakeEngine } from '../engine.js';
import { printSummary, requireLake, writeFileAtomic } from '../options.js';
import { loadExperimentConfig } from './experiment-analyze.js';

interface Opts {
  lake: string;
  config: string;
  policy: string;
  out: string;
  json?: boolean;
  quiet?: boolean;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** `vigil policy evaluate`: the policy readout JSON (written atomically) and its headline. */
export async function run(o: Opts): Promise<void> {
  if (!o.out) throw new InputError('--out FILE.json is required');
  if (!o.policy) throw new InputError('--policy ID is required');
  const config = await loadExperimentConfig(o.config);
  findPolicy(config, o.policy);
  await requireLake(o.lake);
  const started = performance.now();
  const engine = await openLakeEngine(o.lake, config.sources);
  let readout: PolicyReadout;
  try {
    readout = await evaluatePolicy({ engine, config, policy: o.policy });
  } finally {
    await engine.close();
  }
  await writeFileAtomic(o.out, `${JSON.stringify(readout, null, 2)}\n`);
  const seconds = (performance.now() - started) / 1000;
  const e = readout.effect;
  const pre = readout.event_study.pre_trend;
  printSummary(
    o.json,
    // The headline object exactly as written to the file.
    {
      out: o.out,
      policy: readout.policy,
      metric: readout.metric,
      treated_regions: readout.treated_regions,
      effect: e,
      seconds,
    },
    [
      `Policy ${readout.policy} (${readout.treated_regions.join(', ')}, ${readout.metric}): ${headline(e)}`,
      `  inference: ${e.inference_detail}`,
      pre.status === 'ok'
        ? `  pre-trend test (${pre.leads} lead bin${pre.leads === 1 ? '' : 's'}): p = ${pre.p_value!.toPrecision(3)}`
        : `  pre-trend: ${pre.reason}`,
      ...readout.notes.map((n) => `  note: ${n}`),
      `Wrote ${o.out} in ${seconds.toFixed(2)}s`,
    ],
  );
}

/** The headline `effect` in words: the same numbers as the JSON, nothing recomputed. */
export function headline(e: PolicyReadout['effect']): string {
  const rel =
    e.relative_effect === null
      ? `ATT ${e.att === null ? 'n/a' : e.att.toPrecision(4)}`
      : `effect ${pct(e.relative_effect)}`;
  if (e.status === 'not_enough_data') return `${rel}, not enough data (${e.reason})`;
  const ci =
    e.relative_effect !== null && e.relative_ci_low !== null && e.relative_ci_high !== null
      ? `CI ${pct(e.relative_ci_low)} .. ${pct(e.relative_ci_high)}`
      : `CI ${fmt(e.ci_low)} .. ${fmt(e.ci_high)}`;
  return `${rel} (${ci}), p = ${e.p_value!.toPrecision(3)} [${e.inference}]`;
}

const fmt = (v: number | null) => (v === null ? 'unbounded' : v.toPrecision(4));
