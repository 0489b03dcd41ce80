import { parseYamlText } from '../config/parse.js';
import { type ExperimentConfig, validateExperimentConfig } from './config.js';

/**
 * Parses and validates experiment/policy YAML; `what` names the file in errors. Apart from
 * config.ts so that the Lambda bundles, which read JSON, carry no YAML parser.
 */
export function parseExperimentConfig(text: string, what = 'experiment config'): ExperimentConfig {
  return validateExperimentConfig(parseYamlText(text, what), what);
}
