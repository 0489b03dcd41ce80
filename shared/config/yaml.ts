import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InputError } from '../errors.js';
import { assertTextSize } from './limits.js';

/**
 * YAML (or JSON) text to a plain value; a syntax error is one InputError line naming the file.
 * Text over MAX_CONFIG_BYTES is refused before the parser sees it.
 */
export function parseYamlText(text: string, what: string): unknown {
  assertTextSize(text, what);
  try {
    // Bounded alias expansion: a "billion laughs" file is refused instead of exhausting memory.
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new InputError(`${what}: not valid YAML: ${msg}`, { cause: err });
  }
}
