import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const TMP_ROOT = path.join(REPO_ROOT, 'test', '.tmp');

/** A tiny generated lake, one per test file (and per process), reused when already there. */
export async function tinyLake(name: string, seed = 7): Promise<{ dir: string; manifest: LakeManifest }> {
  const dir = path.join(TMP_ROOT, `lake-${name}-${seed}`);
  const manifestFile = path.join(dir, '_manifest.json');
  if (existsSync(manifestFile)) return { dir, manifest: JSON.parse(readFileSync(manifestFile, 'utf8')) };
  const scenario = buildScenario({ seed, start: new Date('2026-01-01T00:00:00Z'), ...SCALES.tiny });
  return { dir, manifest: await generateLake(scenario, dir) };
}
