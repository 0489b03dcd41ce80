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
  truncate(grain: Grain, expr: string): string;
}

export const duckdbDialect: Dialect = {
  name: 'duckdb',
  table: (name) => quoteIdent(name),
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
  quantile: (expr, p) => `quantile_cont(${expr}, ${p})`,
  epochSeconds: (expr) => `epoch(${expr})`,
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
    truncate: (grain, expr) => `date_trunc('${grain}', ${expr})`,
  };
}
