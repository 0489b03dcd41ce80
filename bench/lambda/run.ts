/**
 * Lambda bundle size and cold-start init time, per function.
 *   npx tsx bench/lambda/run.ts [--runs N] [--compare DIR] [--sdk-external]
 * Bundles each handler as the stack does (infra/bundling.ts: esbuild, ESM, minified, keepNames, the
 * AWS SDK bundled, the aliases), plus a baseline handler with none of Vigil's code
 * (bench/lambda/baseline.ts: the SDK clients, middy, Powertools, zod). Each run starts a fresh `node`
 * per bundle, interleaved so that every bundle sees the same machine load, and times (1) the import —
 * Lambda's Init phase — and (2) the first call of the handler up to the rejection of an invalid event
 * (the container of adapters, middleware, event validation: everything before the first request).
 * Init = (1) + (2), printed with its ratio to the baseline's. `--compare DIR` measures the
 * `hourly|daily|rerun.mjs` bundles in DIR (e.g. built from an earlier commit) in the same loop;
 * `--sdk-external` also the variant that leaves the SDK to node_modules. Exits non-zero when a bundle
 * is over MAX_BUNDLE_BYTES, an init over 300 ms, or DuckDB is in a bundle. The init target is judged
 * on CPU time (user + system): on a busy machine the wall time mostly measures waiting for a core,
 * while the CPU time is what the same init costs on an idle one (both are printed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { FUNCTION_ENTRIES, LAMBDA_NODE_OPTIONS, MAX_BUNDLE_BYTES } from '../../infra/bundling.js';
import { type Bundle, bundleEntry, bundleFunctions, inputsMatching } from './bundle.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 7);
const COMPARE = arg('--compare');
const SDK_EXTERNAL = process.argv.includes('--sdk-external');
const MAX_INIT_MS = 300;

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
  // As deployed: source maps are loaded with each bundle.
  NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
};

interface Sample {
  importWall: number;
  importCpu: number;
  callWall: number;
  callCpu: number;
  error: string;
}

/** One cold start in a fresh process: import, then the first call with an event every handler rejects. */
function coldStart(file: string): Sample {
  const script = `
const ctx = { awsRequestId: 'bench', functionName: 'bench', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench', memoryLimitInMB: '1024', getRemainingTimeInMillis: () => 900000 };
const c0 = process.cpuUsage(); const t0 = performance.now();
const m = await import(${JSON.stringify(pathToFileURL(file).href)});
const t1 = performance.now(); const c1 = process.cpuUsage(c0);
let error = 'none';
try { await m.handler({ bench: 'not an event' }, ctx); } catch (e) { error = e?.name ?? String(e); }
const t2 = performance.now(); const c2 = process.cpuUsage(c0);
const ms = (c) => (c.user + c.system) / 1000;
process.stdout.write('\\n@@bench ' + JSON.stringify({ importWall: t1 - t0, importCpu: ms(c1), callWall: t2 - t1, callCpu: ms(c2) - ms(c1), error }) + '\\n');`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: ENV,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const line = out.split('\n').find((l) => l.startsWith('@@bench '));
  if (!line) throw new Error(`${file}: no measurement in the child's output`);
  return JSON.parse(line.slice('@@bench '.length)) as Sample;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

interface Variant {
  readonly label: string;
  readonly file: string;
  readonly bytes: number;
  readonly duckdb: number;
  /** Checked against the targets (the deployed bundles). */
  readonly judged: boolean;
  readonly samples: Sample[];
}

const variant = (label: string, b: Bundle<string>, judged: boolean): Variant => ({
  label,
  file: b.file,
  bytes: b.bytes,
  duckdb: inputsMatching(b, /duckdb/i).length,
  judged,
  samples: [],
});

async function main() {
  // Bundles live under the repo so an external SDK resolves from node_modules, as on Lambda.
  const outDir = path.join(ROOT, 'bench/out/lambda');
  const deployed = await bundleFunctions(ROOT, path.join(outDir, 'deployed'));
  const baseline = await bundleEntry(
    ROOT,
    'baseline',
    'bench/lambda/baseline.ts',
    path.join(outDir, 'deployed'),
  );
  const variants: Variant[] = [
    variant('baseline', baseline, false),
    ...deployed.map((b) => variant(b.name, b, true)),
  ];
  if (COMPARE)
    for (const name of Object.keys(FUNCTION_ENTRIES)) {
      const file = path.resolve(COMPARE, `${name}.mjs`);
      if (!existsSync(file)) throw new Error(`--compare: ${file} does not exist`);
      variants.push({
        label: `${name} (compare)`,
        file,
        bytes: statSync(file).size,
        duckdb: 0,
        judged: false,
        samples: [],
      });
    }
  if (SDK_EXTERNAL)
    for (const b of await bundleFunctions(ROOT, path.join(outDir, 'sdk-external'), ['@aws-sdk/*']))
      variants.push(variant(`${b.name} (SDK external)`, b, false));

  const load = loadavg()[0]!;
  for (let run = 0; run < RUNS; run++)
    // Rotating the order spreads any drift of the machine's load evenly over the bundles.
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + run) % variants.length]!;
      v.samples.push(coldStart(v.file));
    }

  const stat = (v: Variant) => {
    const m = (f: (s: Sample) => number) => median(v.samples.map(f));
    return {
      importWall: m((s) => s.importWall),
      importCpu: m((s) => s.importCpu),
      callWall: m((s) => s.callWall),
      callCpu: m((s) => s.callCpu),
      initWall: m((s) => s.importWall + s.callWall),
      initCpu: m((s) => s.importCpu + s.callCpu),
      errors: [...new Set(v.samples.map((s) => s.error))].join(','),
    };
  };
  const base = stat(variants[0]!);
  const f0 = (n: number) => n.toFixed(0);
  const rows = [
    `| bundle | minified | gzip | import ms wall / CPU | first call ms wall / CPU | init ms wall / CPU | init ÷ baseline wall / CPU | first call ended with | DuckDB inputs |`,
    '|---|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  let ok = true;
  for (const v of variants) {
    const s = stat(v);
    const miss = v.judged && (v.bytes > MAX_BUNDLE_BYTES || s.initCpu > MAX_INIT_MS || v.duckdb > 0);
    if (miss) ok = false;
    rows.push(
      `| ${v.label}${miss ? ' **(missed)**' : ''} | ${kb(v.bytes)} | ${kb(gzipSync(readFileSync(v.file)).length)} | ${f0(s.importWall)} / ${f0(s.importCpu)} | ${f0(s.callWall)} / ${f0(s.callCpu)} | ${f0(s.initWall)} / ${f0(s.initCpu)} | ${(s.initWall / base.initWall).toFixed(2)} / ${(s.initCpu / base.initCpu).toFixed(2)} | ${s.errors} | ${v.duckdb} |`,
    );
  }
  console.log(
    `Node ${process.version}, ${process.arch}, ${cpus().length} cores, load average ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}; median of ${RUNS} cold starts each, interleaved; targets: ≤ ${kb(MAX_BUNDLE_BYTES)} minified, init < ${MAX_INIT_MS} ms CPU (the wall time equals it only on an idle core), no DuckDB\n`,
  );
  console.log(rows.join('\n'));
  console.log(`\n${ok ? 'all targets met' : 'TARGET MISSED'}`);
  if (!ok) process.exitCode = 1;
}

await main();
