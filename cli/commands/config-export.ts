import { exportConfig } from '../../shared/config/file.js';
import { loadConfig } from '../options.js';

/**
 * Prints a validated config as JSON, every metric in effect spelled out and every default filled in:
 * the form the AWS jobs read from S3 (it resolves to the same config).
 */
export async function run(file: string): Promise<void> {
  process.stdout.write(`${JSON.stringify(exportConfig(await loadConfig(file)), null, 2)}\n`);
}
