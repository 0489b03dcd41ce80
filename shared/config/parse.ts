import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InputError } from '../errors.js';
import { validateMetricConfig } from './load.js';
import type { MetricConfig } from './schema.js';

/**
 * Parses and validates a config from YAML (or JSON) text; `what` names the file in errors.
 * Kept apart from load.ts so that code which never reads YAML (Lambda bundles) does not carry a parser.
 */
export function parseMetricConfig(text: string, what = 'config'): MetricConfig {
  return validateMetricConfig(parseYamlText(text, what), what);
}

/** YAML (or JSON) text to a plain value; a syntax error is one InputError line naming the file. */
export function parseYamlText(text: string, what: string): unknown {
  try {
    // Bounded alias expansion: a "billion laughs" file is refused instead of exhausting memory.
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new InputError(`${what}: not valid YAML: ${msg}`, { cause: err });
  }
}
