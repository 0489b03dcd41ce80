/**
 * The public NAB split as the NAB runners see it: where it is, its files in one order, Vigil's
 * scores written beside them, and NAB's scorer over a results folder. The split is external data:
 * `$VIGIL_SHARED_DIR/bench/nab`, VIGIL_SHARED_DIR defaulting to `../shared` beside the repo
 * (e.g. a worktree sets it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scoreSeriesCsv } from '../../shared/anomaly/score-csv.js';

export const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type Profile = (typeof PROFILES)[number];

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const nab = resolve(process.env.VIGIL_SHARED_DIR ?? resolve(repo, '../shared'), 'bench/nab');
export const dataDir = join(nab, 'data');
export const labelsPath = join(nab, 'labels/combined_windows.json');

export interface NabCsv {
  category: string;
  name: string;
  /** `category/name`, as NAB's labels name the file. */
  rel: string;
  path: string;
}

/**
 * Every CSV of the split (or of a copy laid out like it under `root`), categories and names
 * sorted (the order the halves are cut from).
 */
export function nabCsvFiles(root = dataDir): NabCsv[] {
  const files: NabCsv[] = [];
  for (const category of readdirSync(root).sort()) {
    for (const name of readdirSync(join(root, category)).sort()) {
      if (!name.endsWith('.csv')) continue;
      files.push({ category, name, rel: `${category}/${name}`, path: join(root, category, name) });
    }
  }
  return files;
}

/** Scores every file (of the split, or of a copy under `root`) with the code behind `vigil detect` into `outDir/category/name`. */
export function writeVigilScores(
  outDir: string,
  root = dataDir,
): { files: number; rows: number; seconds: number } {
  const started = performance.now();
  let rows = 0;
  const files = nabCsvFiles(root);
  for (const f of files) {
    const result = scoreSeriesCsv(readFileSync(f.path, 'utf8'), f.rel);
    mkdirSync(join(outDir, f.category), { recursive: true });
    writeFileSync(join(outDir, f.category, f.name), result.csv);
    rows += result.rows;
  }
  return { files: files.length, rows, seconds: (performance.now() - started) / 1000 };
}

export interface ScorerProfile {
  normalized: number;
  threshold: number;
  windowsDetected: number;
  windows: number;
  fp: number;
}

/** NAB's scorer (`score.mjs --json`) over a results folder: one result per profile. */
export function scoreResults(outDir: string): (p: Profile) => ScorerProfile {
  const json = execFileSync(
    process.execPath,
    [join(nab, 'score.mjs'), '--data', dataDir, '--labels', labelsPath, '--results', outDir, '--json'],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const scored = JSON.parse(json) as Record<string, ScorerProfile>;
  return (p) => {
    const r = scored[p] ?? (scored as unknown as { profiles?: Record<string, ScorerProfile> }).profiles?.[p];
    if (!r) throw new Error(`scorer output has no profile ${p}`);
    return r;
  };
}
