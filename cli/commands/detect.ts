import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { scoreSeriesCsv } from '../../shared/anomaly/score-csv.js';
import { InputError } from '../../shared/errors.js';

export interface DetectOptions {
  input: string;
  output: string;
  json?: boolean;
}

/**
 * `vigil detect --input FILE --output FILE [--json]`: scores a `timestamp,value` CSV. The
 * input is fully parsed and scored before anything is written, and the output appears
 * atomically (temp file in the same directory, then rename), so a failure leaves no half file.
 */
export async function run(opts: DetectOptions): Promise<void> {
  let text: string;
  try {
    text = await readFile(opts.input, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `cannot read --input ${opts.input}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`,
    );
  }
  const result = scoreSeriesCsv(text, opts.input);
  const tmp = join(dirname(opts.output), `.${basename(opts.output)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, result.csv);
    await rename(tmp, opts.output);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write --output ${opts.output}: ${code ?? String(err)}`);
  }
  if (opts.json) {
    const summary = {
      input: opts.input,
      output: opts.output,
      rows: result.rows,
      anomalies: result.anomalies,
      seasonality: result.seasonality,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    process.stdout.write(`scored ${result.rows} rows, ${result.anomalies} anomalies -> ${opts.output}\n`);
  }
}
