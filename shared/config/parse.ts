import { validateMetricConfig } from './load.js';
import type { MetricConfig } from './schema.js';
import { parseYamlText } from './yaml.js';

export { parseYamlText };

/**
 * Parses and validates a bare metric list (version, sources, metrics; no core catalog merged) from
 * YAML or JSON text; `what` names the file in errors. A vigil.yaml goes through `parseConfig`
 * (read.ts). Kept apart from load.ts so that code which never reads YAML carries no parser.
 */
export function parseMetricConfig(text: string, what = 'config'): MetricConfig {
  return validateMetricConfig(parseYamlText(text, what), what);
}
