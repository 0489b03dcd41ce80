import { loadConfig, printSummary } from '../options.js';

export async function run(file: string, o: { json?: boolean }): Promise<void> {
  const config = await loadConfig(file);
  printSummary(o.json, { file, valid: true, metrics: config.metrics.map((m) => m.name) }, [
    `${file}: valid (${config.metrics.length} metrics)`,
  ]);
}
