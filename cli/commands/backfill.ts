import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { VigilError } from '../../shared/errors.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { formatBytes, scanCost } from '../../shared/jobs/cost.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { openLakeEngine } from '../engine.js';
import { loadConfig, parsePositiveInt, parseRange, printSummary, requireLake } from '../options.js';
import { progressBar } from '../progress.js';

interface Opts {
  lake: string;
  config?: string;
  grain: string;
  from: string;
  to: string;
  store: string;
  concurrency: string;
  rowChecks?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** `vigil backfill` and `vigil rerun`: both replace every window in range, so both are idempotent. */
export async function run(o: Opts): Promise<void> {
  const config = await loadConfig(o.config);
  const { grain, windows } = parseRange(o);
  const concurrency = parsePositiveInt(o.concurrency, '--concurrency', 16);
  await requireLake(o.lake);
  const engine = await openLakeEngine(o.lake, config.sources);
  const bar = progressBar(o);
  const started = performance.now();
  try {
    const objects = new FsObjectStore(o.store);
    const summary = await runBackfill({
      engine,
      store: new MetricStore(objects),
      // A concurrent run of the same window (e.g. a rerun during a backfill) skips it cleanly.
      lease: { store: objects },
      rowChecks: o.rowChecks === true,
      // Fingerprints of the partitions each window is computed from: the schedules then rescan only changes.
      inventory: new FsLakeInventory(o.lake),
      config,
      grain,
      windows,
      clock: systemClock,
      concurrency,
      onProgress: (done, total) => bar.update(done, total, `${grain} windows`),
    });
    bar.done();
    const seconds = (performance.now() - started) / 1000;
    // DuckDB's bytes are an estimate (the Parquet files of the partitions read), priced as Athena would bill them.
    const cost = scanCost(summary.queryBytes ?? []);
    const { queryBytes: _perQuery, ...totals } = summary;
    printSummary(o.json, { store: o.store, grain, seconds, ...totals, dollars: cost.dollars }, [
      `Stored ${summary.written}/${summary.windows} ${grain} windows (${summary.rows} metric rows, ${summary.scans} source scans, ${formatBytes(summary.bytesScanned)} scanned ≈ $${cost.dollars.toFixed(4)} on Athena) in ${o.store} in ${seconds.toFixed(1)}s`,
      ...summary.failed.slice(0, 10).map((f) => `  FAILED ${f.window}: ${f.error}`),
      ...summary.skipped.slice(0, 10).map((f) => `  skipped ${f.window}: being computed by ${f.heldBy}`),
      ...summary.warnings
        .slice(0, 10)
        .map((w) => `  warning ${w.kind} in ${w.source} ${w.window}: ${w.rows} of ${w.of} rows`),
    ]);
    if (summary.failed.length > 0)
      throw new VigilError(`${summary.failed.length} of ${summary.windows} windows failed`);
  } finally {
    bar.done();
    await engine.close();
  }
}
