/**
 * Load bench: backfill 90 days × 24 hourly windows of the core catalog on a generated 10M-impression
 * lake, with bounded concurrency and leases on. Reports windows/min, peak RSS, and checks every
 * window was written exactly once (one manifest per window, one manifest write per window).
 *   npx tsx bench/load/run.ts [--concurrency 2]
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { coreCatalog } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { addGrain, windowsInRange } from '../../shared/time/window.js';
import { ensureLake90d, LAKE_START } from './gen-lake.js';

const arg = process.argv.indexOf('--concurrency');
const concurrency = arg > 0 ? Number(process.argv[arg + 1]) : 2;
const lake = await ensureLake90d();
const storeDir = path.resolve(import.meta.dirname, '..', 'out', 'load-store');
await rm(storeDir, { recursive: true, force: true });
const fs = new FsObjectStore(storeDir);
const manifestPuts = new Map<string, number>();
const counting: ObjectStore = Object.create(fs);
counting.put = async (key, body, o) => {
  if (key.endsWith('/_manifest.json')) manifestPuts.set(key, (manifestPuts.get(key) ?? 0) + 1);
  return fs.put(key, body, o);
};
const windows = windowsInRange('hour', LAKE_START, addGrain(LAKE_START, 'day', 90));
const engine = await DuckDbQueryEngine.open({ lake: lake.dir, threads: 2, memoryLimit: '2GB' });
let rssSamples = 0;
let rssMax = 0;
const timer = setInterval(() => {
  rssSamples++;
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
}, 250);
const started = performance.now();
const summary = await runBackfill({
  engine,
  store: new MetricStore(counting),
  config: coreCatalog(),
  grain: 'hour',
  windows,
  clock: systemClock,
  concurrency,
  lease: { store: fs, owner: 'load-bench' },
  onProgress: (done, total) => {
    if (done % 240 === 0) process.stderr.write(`  ${done}/${total} windows\n`);
  },
});
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
await engine.close();
const manifests = (await fs.list('metrics/grain=hour/')).filter((k) => k.endsWith('/_manifest.json'));
const writesPerWindow = [...manifestPuts.values()];
const result = {
  lakeRows: lake.rows,
  lakeEvents: Object.values(lake.rows).reduce((a, b) => a + b, 0),
  lakeGenerationSeconds: Math.round(lake.seconds),
  windows: windows.length,
  concurrency,
  written: summary.written,
  failed: summary.failed.length,
  skipped: summary.skipped.length,
  metricRows: summary.rows,
  scans: summary.scans,
  seconds: Math.round(seconds * 10) / 10,
  windowsPerMinute: Math.round((summary.written / seconds) * 60),
  eventsPerSecond: Math.round(Object.values(lake.rows).reduce((a, b) => a + b, 0) / seconds),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  sampledRssMaxMiB: Math.round(rssMax / 2 ** 20),
  rssSamples,
  manifests: manifests.length,
  windowsWrittenOnce: writesPerWindow.filter((n) => n === 1).length,
  windowsWrittenTwiceOrMore: writesPerWindow.filter((n) => n > 1).length,
  lost: windows.length - manifests.length,
  leasesLeft: (await fs.list('leases/')).length,
};
console.log(JSON.stringify(result, null, 2));
