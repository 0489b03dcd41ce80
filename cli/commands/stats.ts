import { MAX_JSON_INPUT_BYTES } from '../../shared/config/limits.js';
import { InputError } from '../../shared/errors.js';
import { runMethod } from '../../shared/stats/index.js';
import { escapeControl } from '../../shared/text/escape.js';
import { readBounded } from '../bounded-read.js';

/** `vigil stats <method>`: a vector's `input` object on stdin, the `expected`-shaped result on stdout. */
export async function run(method: string): Promise<void> {
  const text = await readBounded(process.stdin, MAX_JSON_INPUT_BYTES, 'stdin');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    throw new InputError(
      `stdin is not valid JSON: ${escapeControl(err instanceof Error ? err.message : String(err))}`,
    );
  }
  const result = runMethod(method, input);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
