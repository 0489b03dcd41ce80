/**
 * NAB benchmark: scores every series of the public split with exactly the code behind
 * `vigil detect` (one default configuration for all files), runs NAB's scorer, and prints
 * Vigil's normalised scores next to the published detectors.
 *
 *   npx tsx bench/nab/run.ts            (from the repo root)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scoreSeriesCsv } from '../../shared/anomaly/score-csv.js';

const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
type Profile = (typeof PROFILES)[number];

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The shared folder sits next to the repo unless VIGIL_SHARED_DIR says otherwise (e.g. a worktree).
const nab = resolve(process.env.VIGIL_SHARED_DIR ?? resolve(repo, '../shared'), 'bench/nab');
const dataDir = join(nab, 'data');
const labels = join(nab, 'labels/combined_windows.json');
const outDir = join(repo, 'bench/out/nab');

interface ScorerProfile {
  normalized: number;
  threshold: number;
  windowsDetected: number;
  windows: number;
  fp: number;
}

function scoreAll(): { files: number; rows: number; seconds: number } {
  const started = performance.now();
  let files = 0;
  let rows = 0;
  for (const category of readdirSync(dataDir).sort()) {
    for (const name of readdirSync(join(dataDir, category)).sort()) {
      if (!name.endsWith('.csv')) continue;
      const text = readFileSync(join(dataDir, category, name), 'utf8');
      const result = scoreSeriesCsv(text, `${category}/${name}`);
      mkdirSync(join(outDir, category), { recursive: true });
      writeFileSync(join(outDir, category, name), result.csv);
      files++;
      rows += result.rows;
    }
  }
  return { files, rows, seconds: (performance.now() - started) / 1000 };
}

/** Rows of REFERENCE.md's table: detector -> normalised score per profile. */
function readReference(): Map<string, Record<Profile, number>> {
  const ref = new Map<string, Record<Profile, number>>();
  for (const line of readFileSync(join(nab, 'REFERENCE.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | name | standard | lowFP | lowFN | ... |
    const [, name, std, lowFp, lowFn] = cells;
    if (!name || name === 'detector' || !std || Number.isNaN(Number(std))) continue;
    ref.set(name, {
      standard: Number(std),
      reward_low_FP_rate: Number(lowFp),
      reward_low_FN_rate: Number(lowFn),
    });
  }
  return ref;
}

function main(): void {
  const { files, rows, seconds } = scoreAll();
  const json = execFileSync(
    process.execPath,
    [join(nab, 'score.mjs'), '--data', dataDir, '--labels', labels, '--results', outDir, '--json'],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const scored = JSON.parse(json) as Record<string, ScorerProfile>;
  const profile = (p: Profile): ScorerProfile => {
    const r = scored[p] ?? (scored as unknown as { profiles?: Record<string, ScorerProfile> }).profiles?.[p];
    if (!r) throw new Error(`scorer output has no profile ${p}`);
    return r;
  };
  const reference = readReference();
  const table = [...reference.entries()].map(([name, s]) => ({ name, ...s }));
  const vigil = {
    name: '**vigil**',
    ...Object.fromEntries(PROFILES.map((p) => [p, profile(p).normalized])),
  } as {
    name: string;
  } & Record<Profile, number>;
  table.push(vigil);
  const rank = (p: Profile) => 1 + table.filter((r) => r.name !== vigil.name && r[p] > vigil[p]).length;

  console.log(`Scored ${files} files (${rows} rows) in ${seconds.toFixed(2)} s -> ${outDir}\n`);
  console.log('| detector | standard | reward_low_FP_rate | reward_low_FN_rate |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of table.sort((a, b) => b.standard - a.standard)) {
    console.log(`| ${r.name} | ${PROFILES.map((p) => r[p].toFixed(2)).join(' | ')} |`);
  }
  console.log('');
  for (const p of PROFILES) {
    const r = profile(p);
    console.log(
      `${p.padEnd(20)} vigil ${r.normalized.toFixed(2).padStart(6)}  rank ${rank(p)}/${table.length}  ` +
        `windows ${r.windowsDetected}/${r.windows}  FP rows ${r.fp}  threshold ${r.threshold}`,
    );
  }
}

main();
