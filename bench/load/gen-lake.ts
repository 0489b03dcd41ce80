/** Generates the 90-day, 10M-impression lake of the load bench (bench/out/lake-90d) if missing. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { buildScenario } from '../../shared/generator/scenario.js';

export const LAKE_90D = path.resolve(import.meta.dirname, '..', 'out', 'lake-90d');
export const LAKE_START = new Date('2026-01-01T00:00:00Z');

export async function ensureLake90d(): Promise<{
  dir: string;
  seconds: number;
  rows: Record<string, number>;
}> {
  const manifestFile = path.join(LAKE_90D, '_manifest.json');
  if (existsSync(manifestFile)) {
    const { readFileSync } = await import('node:fs');
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as { rows: Record<string, number> };
    return { dir: LAKE_90D, seconds: 0, rows: m.rows };
  }
  const started = performance.now();
  const scenario = buildScenario({ seed: 90, start: LAKE_START, days: 90, impressions: 10_000_000 });
  const manifest = await generateLake(scenario, LAKE_90D);
  return { dir: LAKE_90D, seconds: (performance.now() - started) / 1000, rows: manifest.rows };
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  const r = await ensureLake90d();
  console.log(JSON.stringify(r));
}
