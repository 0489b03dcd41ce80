/**
 * `vigil detect` on big files: peak memory (max RSS) and time of the built CLI on 1M and 10M
 * rows, one long series and 100 interleaved series (`--series-column`), next to the RSS of a
 * bare `vigil --help` in the same run (the Node + CLI floor). Inputs are generated into
 * bench/out/detect-stream (and deleted after each run).
 *
 *   npm run build && npx tsx bench/detect/stream.ts [rows ...]     (default: 1000000 10000000)
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniformStream } from '../../shared/stats/random.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = join(repo, 'bench/out/detect-stream');
const bin = join(repo, 'bin/vigil.mjs');

/** Minute rows with a daily cycle, noise, rare incidents, and ~0.1% gaps, repeats and late rows. */
async function writeInput(file: string, rows: number, series: number): Promise<void> {
  const out = createWriteStream(file);
  const r = uniformStream(7);
  const t0 = Date.UTC(2020, 0, 1);
  out.write(series > 1 ? 'timestamp,value,series\n' : 'timestamp,value\n');
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const s = i % series;
    const k = Math.floor(i / series);
    const late = r() < 0.001 ? 3 : 0;
    const t = new Date(t0 + (k - late) * 60_000).toISOString();
    const level = 100 + 10 * s;
    const v =
      r() < 0.001
        ? ''
        : (
            level * (1 + 0.2 * Math.sin((2 * Math.PI * k) / 1440)) +
            3 * (r() - 0.5) +
            (r() < 0.0005 ? level : 0)
          ).toFixed(3);
    batch.push(series > 1 ? `${t},${v},s${s}` : `${t},${v}`);
    if (batch.length === 10_000) {
      if (!out.write(`${batch.join('\n')}\n`)) await new Promise<void>((ok) => out.once('drain', () => ok()));
      batch = [];
    }
  }
  out.write(batch.length > 0 ? `${batch.join('\n')}\n` : '');
  await new Promise<void>((ok) => out.end(() => ok()));
}

/** Max RSS (MiB) and wall seconds of one command, from GNU time. */
function measure(args: string[]): { rssMiB: number; seconds: number; stdout: string } {
  const marker = join(outDir, 'time.txt');
  const stdout = execFileSync(
    '/usr/bin/time',
    ['-f', '%M %e', '-o', marker, process.execPath, bin, ...args],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  const [kb, s] = execFileSync('cat', [marker], { encoding: 'utf8' }).trim().split(/\s+/);
  return { rssMiB: Number(kb) / 1024, seconds: Number(s), stdout };
}

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number);
  mkdirSync(outDir, { recursive: true });
  const floor = measure(['--help']);
  console.log(`baseline: \`vigil --help\` max RSS ${floor.rssMiB.toFixed(0)} MiB\n`);
  console.log(
    '| rows | series | input | seconds | rows/s | peak RSS | RSS − baseline | gaps | duplicates | out of order |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const rows of sizes.length > 0 ? sizes : [1_000_000, 10_000_000]) {
    for (const series of [1, 100]) {
      const input = join(outDir, `in-${rows}-${series}.csv`);
      const output = join(outDir, `out-${rows}-${series}.csv`);
      await writeInput(input, rows, series);
      const mb = statSync(input).size / (1 << 20);
      const args = ['detect', '--input', input, '--output', output, '--json'];
      if (series > 1) args.push('--series-column', 'series');
      const m = measure(args);
      const summary = JSON.parse(m.stdout) as Record<string, number>;
      if (summary.rows !== rows) throw new Error(`expected ${rows} rows, got ${summary.rows}`);
      console.log(
        `| ${rows.toLocaleString('en-US')} | ${summary.series} | ${mb.toFixed(0)} MiB | ${m.seconds.toFixed(1)} | ${Math.round(rows / m.seconds).toLocaleString('en-US')} | ${m.rssMiB.toFixed(0)} MiB | ${(m.rssMiB - floor.rssMiB).toFixed(0)} MiB | ${summary.gaps} | ${summary.duplicateTimestamps} | ${summary.outOfOrder} |`,
      );
      rmSync(input);
      rmSync(output);
    }
  }
}

await main();
