import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { VigilError } from '../../shared/errors.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { formatBytes, scanCost } from '../../shared/jobs/cost.js';
import { requireCoveredWindows } from '../../shared/jobs/lake-coverage.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { openLakeEngine } from '../engine.js';
import { LEASE_OWNER, openStore, releaseLeasesOnSignal, takeOverRule } from '../job-context.js';
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
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** `vigil backfill` and `vigil rerun`: both replace every window in range, so both are idempotent. */
export async function run(o: Opts): Promise<void> {
  const config = await loadConfig(o.config);
  const { grain, windows } = parseRange(o);
  const concurrency = parsePositiveInt(o.concurrency, '--concurrency', 16);
  await requireLake(o.lake);
  const objects = await openStore(o.store, 'backfill');
  const engine = await openLakeEngine(o.lake, config.sources);
  const bar = progressBar(o);
  const stop = releaseLeasesOnSignal(objects, () => bar.done());
  const started = performance.now();
  try {
    // Windows the lake has no partition for are not zeros: they are left out (none at all: an error).
    const covered = await requireCoveredWindows(engine, config, grain, windows, o.lake);
    const summary = await runBackfill({
      engine,
      store: new MetricStore(objects),
      // A concurrent run of the same window (e.g. a rerun during a backfill) skips it cleanly;
      // a killed local run's lease is taken over, and with --force any holder that is not alive here.
      lease: { store: objects, owner: LEASE_OWNER, takeOver: takeOverRule(o.force === true) },
      rowChecks: o.rowChecks === true,
      // Fingerprints of the partitions each window is computed from: the schedules then rescan only changes.
      inventory: new FsLakeInventory(o.lake),
      config,
      grain,
      windows: covered,
      clock: systemClock,
      concurrency,
      onProgress: (done, total) => bar.update(done, total, `${grain} windows`),
    });
    bar.done();
    const seconds = (performance.now() - started) / 1000;
    // DuckDB's bytes are an estimate (the Parquet files of the partitions read), priced as Athena would bill them.
    const cost = scanCost(summary.queryBytes ?? []);
    const { queryBytes: _perQuery, ...totals } = summary;
    const uncovered = windows.length - covered.length;
    printSummary(
      o.json,
      {
        store: o.store,
        grain,
        seconds,
        ...totals,
        windows: windows.length,
        uncovered,
        dollars: cost.dollars,
      },
      [
        `Stored ${summary.written}/${windows.length} ${grain} windows (${summary.rows} metric rows, ${summary.scans} source scans, ${formatBytes(summary.bytesScanned)} scanned ≈ $${cost.dollars.toFixed(4)} on Athena) in ${o.store} in ${seconds.toFixed(1)}s`,
        ...summary.failed.slice(0, 10).map((f) => `  FAILED ${f.window}: ${f.error}`),
        ...(uncovered > 0 ? [`  ${uncovered} window(s) without any partition in the lake: not written`] : []),
        ...summary.skipped
          .slice(0, 10)
          .map((f) => `  skipped ${f.window}: being computed by ${f.heldBy} until ${f.expiresAt}`),
        ...summary.warnings
          .slice(0, 10)
          .map((w) => `  warning ${w.kind} in ${w.source} ${w.window}: ${w.rows} of ${w.of} rows`),
      ],
    );
    if (summary.failed.length > 0)
      throw new VigilError(`${summary.failed.length} of ${summary.windows} windows failed`);
    const held = summary.skipped[0];
    if (held && summary.written === 0)
      throw new VigilError(
        `nothing written: ${summary.skipped.length} window(s) held by another run (${held.heldBy} until ${held.expiresAt}); rerun after that, or with --force if that run is dead`,
      );
  } finally {
    stop();
    await objects.releaseAll();
    bar.done();
    await engine.close();
  }
}
