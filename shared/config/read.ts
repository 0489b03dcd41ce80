import { type VigilConfig, validateConfig } from './file.js';
import { parseYamlText } from './yaml.js';

/** Parses and validates a vigil.yaml (or its JSON export); `what` names the file in errors. */
export function parseConfig(text: string, what = 'config'): VigilConfig {
  return validateConfig(parseYamlText(text, what), what);
}
