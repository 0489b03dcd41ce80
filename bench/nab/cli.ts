/**
 * `vigil detect` — the built CLI itself, one process per file, no options — over every file of
 * the public NAB split, then NAB's scorer over what it wrote. Prints per-file rows, repeated and
 * late timestamps, exit status and time, and the three normalised scores. The NAB split is
 * external data: `$VIGIL_SHARED_DIR/bench/nab`, VIGIL_SHARED_DIR defaulting to `../shared` beside
 * the repo (as for the other NAB runners).
 *
 *   npm run build && npx tsx bench/nab/cli.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nabCsvFiles, PROFILES, repo, scoreResults } from './split.js';

const outDir = join(repo, 'bench/out/nab-cli');
const bin = join(repo, 'bin/vigil.mjs');

interface Summary {
  rows: number;
  anomalies: number;
  gaps: number;
  duplicateTimestamps: number;
  outOfOrder: number;
}

function main(): void {
  rmSync(outDir, { recursive: true, force: true });
  const started = performance.now();
  const perFile: { file: string; status: number; seconds: number; summary?: Summary; stderr: string }[] = [];
  for (const f of nabCsvFiles()) {
    mkdirSync(join(outDir, f.category), { recursive: true });
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [bin, 'detect', '--input', f.path, '--output', join(outDir, f.category, f.name), '--json'],
      { encoding: 'utf8' },
    );
    perFile.push({
      file: f.rel,
      status: r.status ?? -1,
      seconds: (performance.now() - t0) / 1000,
      summary: r.status === 0 ? (JSON.parse(r.stdout) as Summary) : undefined,
      stderr: r.stderr.trim(),
    });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log('| file | exit | rows | anomalies | gaps | duplicate ts | out of order | seconds |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const f of perFile) {
    const s = f.summary;
    console.log(
      `| ${f.file} | ${f.status} | ${s?.rows ?? '-'} | ${s?.anomalies ?? '-'} | ${s?.gaps ?? '-'} | ${s?.duplicateTimestamps ?? '-'} | ${s?.outOfOrder ?? '-'} | ${f.seconds.toFixed(2)} |${f.stderr ? ` ${f.stderr}` : ''}`,
    );
  }
  const ok = perFile.filter((f) => f.status === 0);
  const sum = (k: keyof Summary) => ok.reduce((a, f) => a + f.summary![k], 0);
  console.log(
    `\n${ok.length}/${perFile.length} files exit 0; ${sum('rows')} rows, ${sum('duplicateTimestamps')} duplicate and ${sum('outOfOrder')} out-of-order timestamps, ${sum('gaps')} gaps; ${seconds.toFixed(1)} s in all`,
  );
  const profile = scoreResults(outDir);
  for (const p of PROFILES) {
    const r = profile(p);
    console.log(`${p.padEnd(20)} ${r.normalized.toFixed(2)}  windows ${r.windowsDetected}/${r.windows}`);
  }
  if (ok.length !== perFile.length) process.exitCode = 1;
}

main();
