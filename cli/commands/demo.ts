import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { coreCatalog } from '../../shared/config/load.js';
import { InputError } from '../../shared/errors.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { parseUtc, windowsInRange } from '../../shared/time/window.js';
import { printSummary } from '../options.js';
import { progressBar } from '../progress.js';

interface Opts {
  dir: string;
  seed: string;
  json?: boolean;
  quiet?: boolean;
}

/** The end-to-end local run: generate a lake with planted truth, run the jobs, summarise. */
export async function run(o: Opts): Promise<void> {
  if (!/^\d+$/.test(o.seed)) throw new InputError(`--seed must be a non-negative integer, got '${o.seed}'`);
  const started = performance.now();
  const dir = path.resolve(o.dir);
  const lake = path.join(dir, 'lake');
  await mkdir(dir, { recursive: true });
  const bar = progressBar(o);
  const scenario = buildScenario({
    seed: Number(o.seed),
    start: parseUtc('2026-01-01', 'start'),
    ...SCALES.small,
  });
  const manifest = await generateLake(scenario, lake, (step, done, total) => bar.update(done, total, step));
  bar.done();
  const tGenerate = performance.now();

  const config = coreCatalog();
  const objectStore = new FsObjectStore(path.join(dir, 'store'));
  // A demo run starts from a clean store so its summary describes this lake only.
  await rm(objectStore.root, { recursive: true, force: true });
  const store = new MetricStore(objectStore);
  const engine = await DuckDbQueryEngine.open({ lake, sources: config.sources });
  const from = parseUtc(manifest.start, 'start');
  const to = parseUtc(manifest.end, 'end');
  const summaries = [];
  try {
    for (const grain of ['hour', 'day'] as const) {
      const windows = windowsInRange(grain, from, to);
      summaries.push({
        grain,
        ...(await runBackfill({
          engine,
          store,
          config,
          grain,
          windows,
          clock: systemClock,
          onProgress: (done, total) => bar.update(done, total, `${grain} windows`),
        })),
      });
      bar.done();
    }
  } finally {
    await engine.close();
  }
  const tMetrics = performance.now();
  const seconds = (tMetrics - started) / 1000;
  const summary = {
    dir,
    lake,
    seconds: Number(seconds.toFixed(2)),
    generate_seconds: Number(((tGenerate - started) / 1000).toFixed(2)),
    metrics_seconds: Number(((tMetrics - tGenerate) / 1000).toFixed(2)),
    rows: manifest.rows,
    metrics: config.metrics.length,
    backfills: summaries,
    planted: {
      incidents: manifest.incidents.length,
      experiments: manifest.experiments,
      policies: manifest.policies,
    },
  };
  printSummary(o.json, summary, [
    `Vigil demo — ${manifest.start} .. ${manifest.end}, seed ${manifest.seed}`,
    `  lake        ${lake} (${Object.values(manifest.rows)
      .reduce((a, b) => a + b, 0)
      .toLocaleString('en-US')} events, generated in ${summary.generate_seconds}s)`,
    ...summaries.map(
      (s) =>
        `  ${s.grain.padEnd(4)} jobs   ${s.written}/${s.windows} windows × ${config.metrics.length} metrics → ${s.rows.toLocaleString('en-US')} metric rows (${s.scans} source scans)`,
    ),
    `  store       ${objectStore.root}`,
    `  planted     ${manifest.incidents.map((i) => i.id).join(', ')}`,
    `  total       ${seconds.toFixed(1)}s`,
  ]);
}
