import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InputError } from '../errors.js';
import { validateMetricConfig } from './load.js';
import type { MetricConfig } from './schema.js';

/**
 * Parses and validates a config from YAML (or JSON) text; `what` names the file in errors.
 * Kept apart from load.ts so that code which never reads YAML (Lambda bundles) does not carry a parser.
 */
export function parseMetricConfig(text: string, what = 'config'): MetricConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new InputError(`${what}: not valid YAML: ${msg}`, { cause: err });
  }
  return validateMetricConfig(raw, what);
}
