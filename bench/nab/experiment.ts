/**
 * NAB stability harness (development aid, not part of `vigil detect`): scores the public split
 * with the default configuration, optionally with TUNING overrides (a JSON object merged into
 * `TUNING`, for sweeps), and prints the three normalised scores on the whole split, on each
 * category alone and on the odd / even halves of the sorted file list. A change that helps one
 * half only is suspect (it fits those files).
 *
 *   npx tsx bench/nab/experiment.ts ['{"halfEvidence":3}'] [--per-file]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TUNING } from '../../shared/anomaly/detector.js';
import { scoreSeriesCsv } from '../../shared/anomaly/score-csv.js';

const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nab = resolve(repo, '../shared/bench/nab');
const dataDir = join(nab, 'data');
const outDir = join(repo, 'bench/out/nab-exp');

interface NabFile {
  rel: string;
  windows: unknown[];
}
interface Scorer {
  loadRun(o: { dataDir: string; labelsPath: string; resultsDir: string }): NabFile[];
  scoreRun(
    files: NabFile[],
    profiles?: readonly string[],
    opts?: { perFile?: boolean },
  ): Record<
    string,
    {
      normalized: number;
      windowsDetected: number;
      windows: number;
      fp: number;
      threshold: number;
      perFile?: { file: string; score: number; fp: number; windows: number; windowsDetected: number }[];
    }
  >;
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === 'object' && !Array.isArray(v))
      merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const perFile = args.includes('--per-file');
  const patch = args.find((a) => a.startsWith('{'));
  if (patch) merge(TUNING as unknown as Record<string, unknown>, JSON.parse(patch));
  const started = performance.now();
  for (const category of readdirSync(dataDir).sort()) {
    for (const name of readdirSync(join(dataDir, category)).sort()) {
      if (!name.endsWith('.csv')) continue;
      const text = readFileSync(join(dataDir, category, name), 'utf8');
      const result = scoreSeriesCsv(text, `${category}/${name}`);
      mkdirSync(join(outDir, category), { recursive: true });
      writeFileSync(join(outDir, category, name), result.csv);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const scorer = (await import(pathToFileURL(join(nab, 'score.mjs')).href)) as Scorer;
  const files = scorer.loadRun({
    dataDir,
    labelsPath: join(nab, 'labels/combined_windows.json'),
    resultsDir: outDir,
  });
  const subsets: [string, NabFile[]][] = [['all', files]];
  for (const c of [...new Set(files.map((f) => f.rel.split('/')[0]!))]) {
    const fs = files.filter((f) => f.rel.startsWith(`${c}/`));
    if (fs.some((f) => f.windows.length > 0)) subsets.push([c, fs]);
  }
  subsets.push(['odd', files.filter((_, i) => i % 2 === 1)]);
  subsets.push(['even', files.filter((_, i) => i % 2 === 0)]);
  console.log(`scored in ${seconds.toFixed(2)} s`);
  for (const [name, fs] of subsets) {
    const r = scorer.scoreRun(fs, PROFILES);
    const s = r.standard!;
    console.log(
      `${name.padEnd(22)} ${PROFILES.map((p) => r[p]!.normalized.toFixed(2).padStart(6)).join(' ')}  ` +
        `win ${s.windowsDetected}/${s.windows} fp ${s.fp} thr ${s.threshold.toFixed(3)}`,
    );
  }
  if (perFile) {
    const r = scorer.scoreRun(files, ['standard'], { perFile: true }).standard!;
    for (const f of r.perFile ?? [])
      console.log(
        `${f.file.padEnd(60)} ${f.score.toFixed(3).padStart(7)} win ${f.windowsDetected}/${f.windows} fp ${f.fp}`,
      );
  }
}

await main();
