import * as z from 'zod';
import { MetricConfig } from '../../shared/config/schema.js';

export async function run(): Promise<void> {
  const schema = z.toJSONSchema(MetricConfig, { io: 'input', unrepresentable: 'any' });
  process.stdout.write(`${JSON.stringify({ title: 'Vigil metric config', ...schema }, null, 2)}\n`);
}
