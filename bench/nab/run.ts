/**
 * NAB benchmark: scores every series of the public split with exactly the code behind
 * `vigil detect` (one default configuration for all files), runs NAB's scorer, and prints
 * Vigil's normalised scores next to the published detectors.
 *
 *   npx tsx bench/nab/run.ts            (from the repo root)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nab, PROFILES, type Profile, repo, scoreResults, writeVigilScores } from './split.js';

const outDir = join(repo, 'bench/out/nab');

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
  const { files, rows, seconds } = writeVigilScores(outDir);
  const profile = scoreResults(outDir);
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
