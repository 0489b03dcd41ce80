/**
 * Lambda bundle size and cold module-init time, per function.
 *   npx tsx bench/lambda/run.ts [--runs N]
 * Bundles each handler as the stack does (esbuild, ESM, minified, AWS SDK bundled) and also with the
 * SDK external (as the Lambda runtime would provide it); then imports each bundle in a fresh `node` process and
 * times the import (module init: Powertools, zod schemas, the core catalog; no invocation).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Bundle, bundleFunctions, inputsMatching } from './bundle.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

const ENV = {
  ...process.env,
  AWS_REGION: 'eu-west-1',
  VIGIL_WORKGROUP: 'vigil',
  VIGIL_DATABASE: 'vigil',
  VIGIL_RESULTS_BUCKET: 'results',
  VIGIL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
  POWERTOOLS_SERVICE_NAME: 'vigil',
  POWERTOOLS_METRICS_NAMESPACE: 'Vigil',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median import time of a bundle in fresh processes (ms): wall clock, and the CPU time (user + system)
 * the import used — the figure that stays meaningful when the machine is busy with other work.
 */
function initMs(file: string): { wall: number; cpu: number } {
  const script = `const c=process.cpuUsage();const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});const u=process.cpuUsage(c);process.stdout.write(JSON.stringify([performance.now()-t,(u.user+u.system)/1000]));`;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [w, c] = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: ENV,
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString(),
    ) as [number, number];
    wall.push(w);
    cpu.push(c);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

async function main() {
  // Bundles live under the repo so the external AWS SDK resolves from node_modules, as on Lambda.
  const deployed = await bundleFunctions(ROOT, path.join(ROOT, 'bench/out/lambda/deployed'));
  const inlined = await bundleFunctions(ROOT, path.join(ROOT, 'bench/out/lambda/sdk-external'), [
    '@aws-sdk/*',
  ]);
  const rows: string[] = [
    '| function | bundle (min) | gzip | init ms wall / CPU (median of ' +
      RUNS +
      ') | with SDK external | gzip | init ms wall / CPU | DuckDB inputs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let ok = true;
  for (let i = 0; i < deployed.length; i++) {
    const d = deployed[i]! as Bundle;
    const s = inlined[i]! as Bundle;
    const dInit = initMs(d.file);
    const sInit = initMs(s.file);
    const duck = inputsMatching(d, /duckdb/i).length + inputsMatching(s, /duckdb/i).length;
    if (d.bytes >= 1024 * 1024 || dInit.wall >= 300 || duck > 0) ok = false;
    const ms = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(0)} / ${t.cpu.toFixed(0)}`;
    rows.push(
      `| ${d.name} | ${kb(d.bytes)} | ${kb(gzipSync(readFileSync(d.file)).length)} | ${ms(dInit)} | ${kb(s.bytes)} | ${kb(gzipSync(readFileSync(s.file)).length)} | ${ms(sInit)} | ${duck} |`,
    );
  }
  console.log(
    `Node ${process.version}, ${process.arch}, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}; targets: < 1 MB minified, < 300 ms init (wall), no DuckDB\n`,
  );
  console.log(rows.join('\n'));
  console.log(`\n${ok ? 'all targets met' : 'TARGET MISSED'}`);
  if (!ok) process.exitCode = 1;
}

await main();
