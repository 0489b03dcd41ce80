import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { coreCatalog } from '../../shared/config/load.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import type { TickOptions } from '../../shared/jobs/tick.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import type { Clock } from '../../shared/ports/clock.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import type { Window } from '../../shared/time/window.js';

/** Start of the lake the scheduled-job tests tick over. */
export const TICK_LAKE_START = new Date('2026-01-05T00:00:00Z');

/**
 * The lake the scheduled-job tests tick over (seed 7, ten days, its planted classifier outage),
 * written fresh under `dir`, and an engine on it.
 */
export async function tickLake(dir: string): Promise<{ manifest: LakeManifest; engine: DuckDbQueryEngine }> {
  rmSync(dir, { recursive: true, force: true });
  const manifest = await generateLake(
    buildScenario({ seed: 7, start: TICK_LAKE_START, days: 10, impressions: 800_000 }),
    path.join(dir, 'lake'),
  );
  return { manifest, engine: await DuckDbQueryEngine.open({ lake: path.join(dir, 'lake') }) };
}

/** Stores the hourly metrics of `windows` once under `seed`, for tests to copy a store from. */
export async function seedStore(
  engine: DuckDbQueryEngine,
  seed: string,
  windows: readonly Window[],
  clock: Clock,
): Promise<void> {
  await runBackfill({
    engine,
    store: new MetricStore(new FsObjectStore(seed)),
    config: coreCatalog(),
    grain: 'hour',
    windows,
    clock,
  });
}

/** The core catalog's scheduled job on `store`, its alerts appended to the file `alerts`. */
export function tickOptions(
  engine: DuckDbQueryEngine,
  store: ObjectStore,
  alerts: string,
  clock: Clock,
): TickOptions {
  return {
    engine,
    objectStore: store,
    store: new MetricStore(store),
    sink: new FileAlertSink(alerts),
    config: coreCatalog(),
    clock,
    reportUrl: (key) => `report#${key}`,
  };
}

/** The lines of an alert log (none when it does not exist yet). */
export const alertLines = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
