/**
 * bench/analysis: each analysis of `vigil analyze …` / `vigil design …` over the whole 10M+
 * impression lake (28 days), timed end to end (engine + TypeScript), with the statements it ran.
 * Run: npx tsx bench/analysis/run.ts [--lake DIR] [--repeats N]   (generates bench/out/lake-large when absent)
 * Prints a Markdown table and writes it to bench/out/analysis.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import {
  analyzeGaps,
  analyzeModels,
  analyzeReports,
  countingEngine,
  designExperiment,
  designSampling,
  modelDriftByDay,
} from '../../shared/analysis/index.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import type { QueryEngine } from '../../shared/ports/query-engine.js';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const lake = path.resolve(flag('--lake') ?? 'bench/out/lake-large');
const repeats = Number(flag('--repeats') ?? 1);
if (!existsSync(path.join(lake, '_manifest.json'))) {
  const t = performance.now();
  await generateLake(
    buildScenario({ seed: 42, start: new Date('2026-01-01T00:00:00Z'), ...SCALES.large }),
    lake,
  );
  console.log(`generated ${lake} in ${((performance.now() - t) / 1000).toFixed(1)}s`);
}
const manifest = JSON.parse(readFileSync(path.join(lake, '_manifest.json'), 'utf8')) as LakeManifest;
const from = new Date(manifest.start);
const to = new Date(manifest.end);
const base = await DuckDbQueryEngine.open({ lake });

interface Case {
  name: string;
  sources: string;
  run: (engine: QueryEngine) => Promise<unknown>;
  check: (result: never) => string;
}
const cases: Case[] = [
  {
    name: 'analyze gaps',
    sources: 'labels, impressions, decisions, reports',
    run: (engine) => analyzeGaps({ engine, from, to }),
    check: (r: Awaited<ReturnType<typeof analyzeGaps>>) => `top: ${r.top['region×surface×policy']}`,
  },
  {
    name: 'analyze reports',
    sources: 'reports',
    run: (engine) => analyzeReports({ engine, from, to }),
    check: (r: Awaited<ReturnType<typeof analyzeReports>>) => `weakest reason: ${r.weakest_reason}`,
  },
  {
    name: 'analyze models',
    sources: 'decisions, account_events',
    run: (engine) => analyzeModels({ engine, from, to }),
    check: (r: Awaited<ReturnType<typeof analyzeModels>>) =>
      `model_score first drift: ${r.models[0]?.first_drift_day?.slice(0, 10)}`,
  },
  {
    name: 'drift, one day (alerting)',
    sources: 'decisions, account_events',
    run: (engine) =>
      modelDriftByDay({
        engine,
        from: new Date(to.getTime() - 86_400_000),
        to,
        reference: { from, to: new Date(from.getTime() + 7 * 86_400_000) },
      }),
    check: (r: Awaited<ReturnType<typeof modelDriftByDay>>) =>
      r.map((d) => `${d.model} ${d.status}`).join(', '),
  },
  {
    name: 'design experiment (reports_per_user)',
    sources: 'impressions, reports',
    run: (engine) => designExperiment({ engine, from, to, metric: 'reports_per_user' }),
    check: (r: Awaited<ReturnType<typeof designExperiment>>) =>
      `7d MDE ${(100 * (r.durations[0]?.mde ?? 0)).toFixed(1)}% → ${(100 * (r.durations[0]?.mde_cuped ?? 0)).toFixed(1)}% with CUPED`,
  },
  {
    name: 'design sampling',
    sources: 'labels, impressions',
    run: (engine) => designSampling({ engine, from, to }),
    check: (r: Awaited<ReturnType<typeof designSampling>>) =>
      `CI width uniform/Neyman ×${r.width_ratio_uniform_to_neyman.toFixed(2)}`,
  },
];

const rows: string[] = [];
for (const c of cases) {
  let best = Number.POSITIVE_INFINITY;
  let queries = 0;
  let note = '';
  for (let i = 0; i < repeats; i++) {
    const engine = countingEngine(base);
    const t = performance.now();
    const result = await c.run(engine);
    best = Math.min(best, performance.now() - t);
    queries = engine.stats.queries;
    note = c.check(result as never);
  }
  const row = `| ${c.name} | ${queries} | ${c.sources} | ${Math.round(best).toLocaleString('en-US')} | ${note} |`;
  console.log(row);
  rows.push(row);
}
await base.close();

const table = [
  `Lake: ${manifest.rows.impressions?.toLocaleString('en-US')} impressions, ${manifest.days} days from ${manifest.start.slice(0, 10)}; DuckDB, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end; best of ${repeats}.`,
  '',
  '| analysis | statements | sources read (one pass each) | ms | result |',
  '|---|---:|---|---:|---|',
  ...rows,
].join('\n');
console.log(`\n${table}`);
mkdirSync(path.resolve('bench/out'), { recursive: true });
writeFileSync(path.resolve('bench/out/analysis.md'), `${table}\n`);
