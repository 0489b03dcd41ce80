import { InputError } from '../errors.js';
import { type ExperimentConfig, validateExperimentConfig } from '../experiments/config.js';
import { coreCatalog, validateMetricConfig } from './load.js';
import type { MetricConfig } from './schema.js';

/** What the scheduled jobs read from one config file: the metrics, and the experiments and policies. */
export interface JobConfig {
  readonly metrics: MetricConfig;
  /** Absent when the file declares no experiments or policies. */
  readonly experiments?: ExperimentConfig;
}

const EXPERIMENT_KEYS = ['experiments', 'policies'] as const;

/**
 * Splits one parsed config file into the metric config and the experiment config. A file without
 * `metrics` uses the built-in core catalog (with the file's source mappings).
 */
export function validateJobConfig(raw: unknown, what = 'config'): JobConfig {
  if (raw === null || raw === undefined) return { metrics: coreCatalog() };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${what}: must be a mapping`);
  const obj = raw as Record<string, unknown>;
  const pick = (keep: (k: string) => boolean) =>
    Object.fromEntries(Object.entries(obj).filter(([k]) => keep(k)));
  const metricPart = pick((k) => !(EXPERIMENT_KEYS as readonly string[]).includes(k));
  const metrics =
    'metrics' in obj
      ? validateMetricConfig(metricPart, what)
      : validateMetricConfig({ ...coreCatalog(), ...metricPart, metrics: coreCatalog().metrics }, what);
  if (!EXPERIMENT_KEYS.some((k) => k in obj)) return { metrics };
  return {
    metrics,
    experiments: validateExperimentConfig(
      pick((k) => k !== 'metrics'),
      what,
    ),
  };
}
