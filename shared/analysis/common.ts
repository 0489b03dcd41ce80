import type { MetricConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import { partitionPredicate, SourceResolver } from '../metrics/sql-render.js';
import type { QueryEngine } from '../ports/query-engine.js';
import type { Dialect } from '../sql/dialect.js';
import { timestampLiteral } from '../sql/literals.js';
import { formatIso, isAligned } from '../time/window.js';

/** What every analysis gets: an engine, a half-open UTC range and the config's source mappings. */
export interface AnalysisContext {
  readonly engine: QueryEngine;
  readonly from: Date;
  readonly to: Date;
  readonly sources?: MetricConfig['sources'];
}

export const DAY_SECONDS = 86_400;

export function resolver(ctx: { sources?: MetricConfig['sources'] }): SourceResolver {
  return new SourceResolver(ctx.sources ?? {});
}

/**
 * `FROM <table> WHERE <partitions> AND <time in range>` for one source. The range goes to
 * `dialect.table` (DuckDB then lists only that range's partition folders) and to the partition
 * predicate (Athena prunes by it); rows are selected by event_time.
 */
export function scanSql(d: Dialect, r: SourceResolver, source: string, from: Date, to: Date): string {
  const time = r.timeColumn(source);
  return [
    `FROM ${d.table(r.table(source), { from, to })}`,
    `WHERE ${partitionPredicate(from, to)}`,
    `  AND ${time} >= ${timestampLiteral(from)} AND ${time} < ${timestampLiteral(to)}`,
  ].join('\n');
}

/** Validates an analysis range: day-aligned, from < to, at most `maxDays`. */
export function checkDayRange(from: Date, to: Date, maxDays = 400): void {
  if (!isAligned(from, 'day')) throw new InputError(`--from ${formatIso(from)} is not aligned to the day`);
  if (!isAligned(to, 'day')) throw new InputError(`--to ${formatIso(to)} is not aligned to the day`);
  if (from.getTime() >= to.getTime())
    throw new InputError(`--from ${formatIso(from)} must be before --to ${formatIso(to)}`);
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  if (days > maxDays)
    throw new InputError(`--from/--to span ${days} days, more than the limit of ${maxDays}`);
}

/** The analyses' short names for the port's column readers. */
export { numberColumn as col, stringColumn as strCol } from '../ports/query-engine.js';

/** A slice key in the CSV convention: `dim=value` pairs sorted by dim, joined by `;`; '' = total. */
export function sliceKey(dims: Readonly<Record<string, string | null>>): string {
  return Object.keys(dims)
    .sort()
    .map((k) => `${k}=${dims[k] ?? '(null)'}`)
    .join(';');
}

/** Rounds for JSON output: keeps files readable without losing meaningful digits. */
export function round(x: number | null | undefined, digits = 6): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  return Number(x.toPrecision(digits));
}

export function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

/** A query engine wrapper that counts statements and times them (for benches and summaries). */
export function countingEngine(engine: QueryEngine): QueryEngine & { readonly stats: { queries: number } } {
  const stats = { queries: 0 };
  return {
    dialect: engine.dialect,
    stats,
    query: (sql, options) => {
      stats.queries++;
      return engine.query(sql, options);
    },
    close: () => engine.close(),
  };
}
