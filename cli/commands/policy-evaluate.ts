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

/** `vigil policy evaluate`: DiD + event study + synthetic control readout JSON, written atomically. */
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
  const d = readout.did;
  printSummary(
    o.json,
    {
      out: o.out,
      policy: readout.policy,
      metric: readout.metric,
      relative_effect: d.relative_effect,
      relative_ci_low: d.relative_ci_low,
      relative_ci_high: d.relative_ci_high,
      p_value: d.p_value,
      pre_trend_p_value: readout.event_study?.pre_trend?.p_value ?? null,
      synthetic_control_relative_effect: readout.synthetic_control?.relative_effect ?? null,
      seconds,
    },
    [
      `Policy ${readout.policy} (${readout.region}, ${readout.metric}): DiD effect ${pct(d.relative_effect)} (CI ${pct(d.relative_ci_low)} .. ${pct(d.relative_ci_high)}), p = ${d.p_value.toPrecision(3)}`,
      ...(readout.event_study?.pre_trend
        ? [`  pre-trend test p = ${readout.event_study.pre_trend.p_value.toPrecision(3)}`]
        : []),
      ...(readout.synthetic_control
        ? [`  synthetic control: ${pct(readout.synthetic_control.relative_effect)}`]
        : []),
      `Wrote ${o.out} in ${seconds.toFixed(2)}s`,
    ],
  );
}
