import { InputError } from '../../shared/errors.js';
import { runMethod } from '../../shared/stats/index.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** `vigil stats <method>`: a vector's `input` object on stdin, the `expected`-shaped result on stdout. */
export async function run(method: string): Promise<void> {
  const text = await readStdin();
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    throw new InputError(`stdin is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const result = runMethod(method, input);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
