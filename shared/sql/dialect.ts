import type { Grain } from '../time/window.js';
import { quoteIdent } from './literals.js';

/**
 * The SQL differences between the local engine (DuckDB) and Athena (Trino). Everything else in
 * generated SQL is the common subset (FILTER clauses, GROUPING SETS, GROUPING(), date_trunc).
 */
export interface Dialect {
  readonly name: 'duckdb' | 'athena';
  /**
   * A relation reference for a physical table name. `range` is the event-time range the query
   * reads: an engine without partition projection may use it to list only those partitions.
   */
  table(name: string, range?: { readonly from: Date; readonly to: Date }): string;
  countDistinct(expr: string): string;
  /** Continuous-interpolation percentile on DuckDB; Athena only has an approximate one. */
  quantile(expr: string, p: number): string;
  /** Seconds since the epoch as DOUBLE. */
  epochSeconds(expr: string): string;
  /**
   * The sum of a numeric expression as DOUBLE, the same whatever order the engine's threads or
   * workers add the rows in (see exactSum). `filter` is a FILTER clause's condition.
   */
  sum(expr: string, filter?: string): string;
  truncate(grain: Grain, expr: string): string;
}

/**
 * Scale of the exact sums: each term is rounded to 1e-12 (half a unit of the 12th decimal, far
 * below what any metric reports), leaving 26 integer digits for the total (±1e26).
 */
export const EXACT_SUM_SCALE = 12;

/**
 * A floating-point SUM depends on the order rows are added in, which a parallel engine does not
 * fix: two runs over the same lake could differ in the last bits. Adding the terms as
 * DECIMAL(38, 12) is integer arithmetic — associative, so every order gives the same total —
 * on DuckDB and on Trino alike (Trino has no compensated sum; DuckDB's fsum is compensated, not
 * exact). A total past ±1e26 fails the query loudly (decimal overflow) instead of rounding.
 */
export function exactSum(expr: string, filter?: string): string {
  const f = filter ? ` FILTER (WHERE ${filter})` : '';
  return `CAST(sum(CAST(${expr} AS DECIMAL(38, ${EXACT_SUM_SCALE})))${f} AS DOUBLE)`;
}

export const duckdbDialect: Dialect = {
  name: 'duckdb',
  table: (name) => quoteIdent(name),
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
  quantile: (expr, p) => `quantile_cont(${expr}, ${p})`,
  epochSeconds: (expr) => `epoch(${expr})`,
  sum: exactSum,
  truncate: (grain, expr) => `date_trunc('${grain}', ${expr})`,
};

export function athenaDialect(database: string): Dialect {
  return {
    name: 'athena',
    table: (name) => `${quoteIdent(database)}.${quoteIdent(name)}`,
    // The design allows approx_distinct with 1% standard error on Athena.
    countDistinct: (expr) => `approx_distinct(${expr}, 0.01)`,
    quantile: (expr, p) => `approx_percentile(${expr}, ${p})`,
    epochSeconds: (expr) => `to_unixtime(${expr})`,
    sum: exactSum,
    truncate: (grain, expr) => `date_trunc('${grain}', ${expr})`,
  };
}
