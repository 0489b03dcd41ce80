import { InputError } from '../errors.js';
import type { Window } from '../time/window.js';

/**
 * What scanning costs. Athena bills bytes scanned per query, rounded up to the megabyte with a
 * 10 MB minimum, at a price per TB (default $5; 1 TB = 2⁴⁰ bytes here). A job summary carries the
 * bytes and the dollars; the per-query cutoff and the per-run budget follow from the declared size
 * of the lake, so a runaway scan stops before it is paid for.
 */
export const DEFAULT_PRICE_PER_TB = 5;
const TB = 2 ** 40;
const MB = 2 ** 20;
export const ATHENA_MIN_BILLED_BYTES = 10 * MB;

export interface ScanCost {
  readonly queries: number;
  readonly bytesScanned: number;
  /** Bytes billed: each query rounded up to the MB, at least 10 MB. */
  readonly billedBytes: number;
  readonly dollars: number;
  readonly pricePerTb: number;
}

/** The cost of a run's queries from each one's bytes scanned. */
export function scanCost(bytesPerQuery: readonly number[], pricePerTb = DEFAULT_PRICE_PER_TB): ScanCost {
  let bytes = 0;
  let billed = 0;
  for (const b of bytesPerQuery) {
    bytes += b;
    billed += Math.max(ATHENA_MIN_BILLED_BYTES, Math.ceil(b / MB) * MB);
  }
  return {
    queries: bytesPerQuery.length,
    bytesScanned: bytes,
    billedBytes: billed,
    dollars: (billed / TB) * pricePerTb,
    pricePerTb,
  };
}

/** The lake's declared size, from which scan limits follow. */
export interface ScanBudget {
  /** Bytes the lake gains per day (all sources), as deployed (CDK context `vigil:lakeBytesPerDay`). */
  readonly lakeBytesPerDay: number;
  /** How far over the declared size a run may read before it is refused (default 2×). */
  readonly headroom?: number;
}

/** Days of events one Athena query reads at most: a day-grain batch of a backfill (7 days). */
export const MAX_QUERY_DAYS = 7;

/**
 * Athena workgroup BytesScannedCutoffPerQuery: the largest query the jobs run (MAX_QUERY_DAYS of
 * the whole lake) with headroom, never under Athena's 10 MB floor.
 */
export function bytesScannedCutoffPerQuery(b: ScanBudget): number {
  return Math.max(ATHENA_MIN_BILLED_BYTES, Math.ceil(b.lakeBytesPerDay * MAX_QUERY_DAYS * (b.headroom ?? 2)));
}

/** A run's budget: the declared lake size over the span of windows it scans, with headroom. */
export function runBudgetBytes(b: ScanBudget, windows: readonly Window[]): number {
  const ms = windows.reduce((n, w) => n + (w.end.getTime() - w.start.getTime()), 0);
  return Math.ceil((b.lakeBytesPerDay * ms * (b.headroom ?? 2)) / 86_400_000);
}

/** A run would read more than its budget: refused before any scan. */
export class BudgetExceededError extends InputError {}

export function checkBudget(what: string, estimatedBytes: number, budgetBytes: number): void {
  if (estimatedBytes > budgetBytes)
    throw new BudgetExceededError(
      `${what} would scan ${formatBytes(estimatedBytes)}, over its budget of ${formatBytes(budgetBytes)} (the lake's declared size lakeBytesPerDay × headroom); nothing was scanned — check the lake for runaway partitions, or raise lakeBytesPerDay`,
    );
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}
