import { loadConfig } from '../options.js';

/** Prints a validated config as JSON (with defaults filled in): the form Lambda reads from S3. */
export async function run(file: string): Promise<void> {
  process.stdout.write(`${JSON.stringify(await loadConfig(file), null, 2)}\n`);
}
