import { InputError } from '../../shared/errors.js';
import type { ExperimentConfig } from '../../shared/experiments/config.js';
import { analyzeExperiment, findExperiment } from '../../shared/experiments/index.js';
import { parseUtc } from '../../shared/time/window.js';
import { openLakeEngine } from '../engine.js';
import { loadConfig, printSummary, requireLake, writeFileAtomic } from '../options.js';

interface Opts {
  lake: string;
  config: string;
  experiment: string;
  asOf: string;
  out: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * Reads and validates the config file (vigil.yaml; an experiments-only file of the older form is a
 * valid vigil.yaml too). Bad file → InputError, exit 2.
 */
export async function loadExperimentConfig(file: string | undefined): Promise<ExperimentConfig> {
  if (!file) throw new InputError('--config FILE is required (vigil.yaml with experiments and policies)');
  return loadConfig(file);
}

/** `vigil experiment analyze`: one experiment's readout JSON, written atomically. */
export async function run(o: Opts): Promise<void> {
  if (!o.out) throw new InputError('--out FILE.json is required');
  if (!o.experiment) throw new InputError('--experiment ID is required');
  if (!o.asOf) throw new InputError('--as-of ISO is required');
  const config = await loadExperimentConfig(o.config);
  findExperiment(config, o.experiment);
  const asOf = parseUtc(o.asOf, '--as-of');
  await requireLake(o.lake);
  const started = performance.now();
  const engine = await openLakeEngine(o.lake, config.sources);
  let readout: Awaited<ReturnType<typeof analyzeExperiment>>;
  try {
    readout = await analyzeExperiment({ engine, config, experiment: o.experiment, asOf });
  } finally {
    await engine.close();
  }
  await writeFileAtomic(o.out, `${JSON.stringify(readout, null, 2)}\n`);
  const seconds = (performance.now() - started) / 1000;
  const primary = readout.metrics.filter((m) => m.role === 'primary');
  const fmt = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(2)}%`);
  printSummary(
    o.json,
    // The headline fields and the primary rows exactly as written to the file.
    {
      out: o.out,
      experiment: readout.experiment,
      decision: readout.decision,
      decision_variant: readout.decision_variant,
      summary: readout.summary,
      srm_p_value: readout.srm.p_value,
      units: readout.units,
      primary,
      seconds,
    },
    [
      `Experiment ${readout.experiment} as of ${readout.as_of}: ${readout.summary} [decision ${readout.decision}${readout.decision_variant ? `, variant ${readout.decision_variant}` : ''}] (SRM p = ${readout.srm.p_value.toPrecision(3)})`,
      ...primary.map((m) =>
        m.status === 'ok' && m.rel_lift !== null
          ? `  ${m.metric} [${m.variant}]: ${fmt(m.rel_lift)} (CI ${fmt(m.rel_ci_low)} .. ${fmt(m.rel_ci_high)}), adjusted p = ${m.p_value_adjusted!.toPrecision(3)} (${readout.rule.correction.primary})`
          : `  ${m.metric} [${m.variant}]: ${m.status}${m.reason ? ` (${m.reason})` : ''}`,
      ),
      ...readout.decisions.flatMap((d) => d.reasons.map((r) => `  ${d.variant}: ${d.decision}: ${r}`)),
      `Wrote ${o.out} in ${seconds.toFixed(2)}s`,
    ],
  );
}
