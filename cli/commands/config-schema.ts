import * as z from 'zod';
import { ConfigFile } from '../../shared/config/file.js';

/** `vigil config schema`: the JSON Schema of the whole vigil.yaml (for editors and CI checks). */
export async function run(): Promise<void> {
  const schema = z.toJSONSchema(ConfigFile, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(`${JSON.stringify({ title: 'Vigil config (vigil.yaml)', ...schema }, null, 2)}\n`);
}
