import { metricSources } from '../config/load.js';
import type { MetricConfig } from '../config/schema.js';
import { DataError } from '../errors.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { countPartitions, type PartitionCounts } from '../quality/partition-counts.js';
import { floorToGrain, formatIso, type Grain, type Window } from '../time/window.js';

/** The lake has no partition at all for a range: computing it would write zeros that mean "no data". */
export class NoLakeDataError extends DataError {}

/** Every source the config's metrics read. */
export function sourcesOf(config: MetricConfig): string[] {
  return [...new Set(config.metrics.flatMap(metricSources))].sort();
}

/**
 * The windows that have at least one partition of any source the config reads. A window without any
 * is not "zero events": the lake does not cover it (before its first hour, or a total outage that
 * the data-quality guard reports), so it is never computed as zeros.
 */
export async function coveredWindows(
  engine: QueryEngine,
  config: MetricConfig,
  grain: Grain,
  windows: readonly Window[],
): Promise<Window[]> {
  if (windows.length === 0) return [];
  const counts = await countPartitions(
    engine,
    config,
    sourcesOf(config),
    windows[0]!.start,
    windows[windows.length - 1]!.end,
  );
  return coveredBy(counts, grain, windows);
}

/** The windows with at least one partition in `counts` (any source). */
export function coveredBy(counts: PartitionCounts, grain: Grain, windows: readonly Window[]): Window[] {
  const present = new Set<number>();
  for (const bySource of counts.values())
    for (const t of bySource.keys()) present.add(floorToGrain(new Date(t), grain).getTime());
  return windows.filter((w) => present.has(w.start.getTime()));
}

/** Throws NoLakeDataError (one line naming the lake range) when no window of `windows` is covered. */
export async function requireCoveredWindows(
  engine: QueryEngine,
  config: MetricConfig,
  grain: Grain,
  windows: readonly Window[],
  lake: string,
): Promise<Window[]> {
  const covered = await coveredWindows(engine, config, grain, windows);
  if (windows.length > 0 && covered.length === 0)
    throw new NoLakeDataError(
      `lake ${lake} has no partitions of ${sourcesOf(config).join(', ')} in [${formatIso(windows[0]!.start)}, ${formatIso(windows[windows.length - 1]!.end)})`,
    );
  return covered;
}
