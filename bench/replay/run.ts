/**
 * Replay bench: `vigil replay`'s use case (shared/jobs/replay.ts) over N days of hourly ticks on a
 * generated lake: wall time, peak RSS, engine queries and source scans per tick, store operations,
 * and the alerts' precision and recall against the planted truth.
 *   npx tsx bench/replay/run.ts [--days 35] [--impressions 8500000] [--ticks-days 35]
 * The full run (35 days, ~10M events) is what bench/RESULTS.md reports; smaller flags for a quick look.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { AlertOutbox } from '../../shared/alerting/outbox.js';
import { defaultConfig } from '../../shared/config/file.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { scoreAgainstManifest } from '../../shared/jobs/planted-score.js';
import { runReplay } from '../../shared/jobs/replay.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { addGrain } from '../../shared/time/window.js';
import { CountingEngine, CountingStore } from './instrument.js';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '35' },
    impressions: { type: 'string', default: '8500000' },
    'ticks-days': { type: 'string' },
  },
});
const days = Number(values.days);
const impressions = Number(values.impressions);
const tickDays = Number(values['ticks-days'] ?? days);
const OUT = path.resolve(import.meta.dirname, '..', 'out');
const lake = path.join(OUT, `lake-replay-${days}d-${impressions}`);
const storeDir = path.join(OUT, 'replay-store');

let manifest: LakeManifest;
let generateSeconds = 0;
if (existsSync(path.join(lake, '_manifest.json'))) {
  manifest = JSON.parse(readFileSync(path.join(lake, '_manifest.json'), 'utf8'));
} else {
  const t = performance.now();
  manifest = await generateLake(
    buildScenario({ seed: 35, start: new Date('2026-01-01T00:00:00Z'), days, impressions }),
    lake,
  );
  generateSeconds = (performance.now() - t) / 1000;
}
const events = Object.values(manifest.rows).reduce((a, b) => a + b, 0);
await rm(storeDir, { recursive: true, force: true });
const engine = new CountingEngine(await DuckDbQueryEngine.open({ lake }));
const objects = new CountingStore(new FsObjectStore(storeDir));
const from = new Date(manifest.start);
const to = addGrain(addGrain(from, 'day', tickDays), 'hour');
const config = defaultConfig();
const perTick: number[] = [];
let last = performance.now();
const started = performance.now();
const summary = await runReplay({
  engine,
  objectStore: objects,
  store: new MetricStore(objects),
  sink: { send: async () => {} },
  config,
  experiments: config,
  clock: systemClock,
  inventory: new FsLakeInventory(lake),
  grain: 'hour',
  from,
  to,
  onTick: () => {
    const now = performance.now();
    perTick.push(now - last);
    last = now;
  },
});
const seconds = (performance.now() - started) / 1000;
await engine.close();
const alerts = (await new AlertOutbox(new FsObjectStore(storeDir)).all()).filter((a) => a.grain === 'hour');
const score = scoreAgainstManifest(alerts, manifest);
const sorted = [...perTick].sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const byLabel = Object.fromEntries(
  [...engine.byLabel].map(([k, v]) => [k, { n: v.n, ms: Math.round(v.ms) }]),
);
const scans = [...engine.byLabel]
  .filter(([k]) => k.startsWith('metrics scan'))
  .reduce((n, [, v]) => n + v.n, 0);
const result = {
  lake,
  days,
  events,
  generate_seconds: Number(generateSeconds.toFixed(1)),
  ticks: summary.ticks,
  ran: summary.ran,
  wall_seconds: Number(seconds.toFixed(1)),
  ms_per_tick: { median: Math.round(q(0.5)), p90: Math.round(q(0.9)), max: Math.round(q(1)) },
  peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
  queries: engine.queries,
  queries_per_tick: Number((engine.queries / summary.ticks).toFixed(2)),
  source_scans: scans,
  source_scans_per_tick: Number((scans / summary.ticks).toFixed(2)),
  store: { gets: objects.gets, puts: objects.puts, lists: objects.lists, deletes: objects.deletes },
  store_gets_per_tick: Math.round(objects.gets / summary.ticks),
  by_label: byLabel,
  alerts: alerts.length,
  precision: Number(score.precision.toFixed(3)),
  recall: Number(score.recall.toFixed(3)),
  incident_recall: Number(score.incidentRecall.toFixed(3)),
  metric_incidents: score.metricIncidents,
};
console.log(JSON.stringify(result, null, 2));
