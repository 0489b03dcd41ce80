/**
 * `vigil detect` — the built CLI itself, one process per file, no options — over every file of
 * the public NAB split, then NAB's scorer over what it wrote. Prints per-file rows, repeated and
 * late timestamps, exit status and time, and the three normalised scores. The NAB split is
 * external data: `VIGIL_NAB_DIR`, default `../shared/bench/nab` beside the repo.
 *
 *   npm run build && npx tsx bench/nab/cli.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nab = resolve(process.env.VIGIL_NAB_DIR ?? join(repo, '../shared/bench/nab'));
const dataDir = join(nab, 'data');
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
  for (const category of readdirSync(dataDir).sort()) {
    for (const name of readdirSync(join(dataDir, category)).sort()) {
      if (!name.endsWith('.csv')) continue;
      mkdirSync(join(outDir, category), { recursive: true });
      const t0 = performance.now();
      const r = spawnSync(
        process.execPath,
        [
          bin,
          'detect',
          '--input',
          join(dataDir, category, name),
          '--output',
          join(outDir, category, name),
          '--json',
        ],
        { encoding: 'utf8' },
      );
      perFile.push({
        file: `${category}/${name}`,
        status: r.status ?? -1,
        seconds: (performance.now() - t0) / 1000,
        summary: r.status === 0 ? (JSON.parse(r.stdout) as Summary) : undefined,
        stderr: r.stderr.trim(),
      });
    }
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
  const json = execFileSync(
    process.execPath,
    [
      join(nab, 'score.mjs'),
      '--data',
      dataDir,
      '--labels',
      join(nab, 'labels/combined_windows.json'),
      '--results',
      outDir,
      '--json',
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const scored = JSON.parse(json) as Record<
    string,
    { normalized: number; windowsDetected: number; windows: number }
  >;
  for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']) {
    const r = scored[p] ?? (scored as unknown as { profiles: typeof scored }).profiles[p]!;
    console.log(`${p.padEnd(20)} ${r.normalized.toFixed(2)}  windows ${r.windowsDetected}/${r.windows}`);
  }
  if (ok.length !== perFile.length) process.exitCode = 1;
}

main();
