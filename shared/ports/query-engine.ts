import type { Dialect } from '../sql/dialect.js';
import type { Deadline } from './deadline.js';

export type Cell = string | number | boolean | null;

/** A query result as column vectors: small, typed, read without per-row objects. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly data: Readonly<Record<string, readonly Cell[]>>;
  readonly rowCount: number;
  /**
   * Bytes the query scanned: Athena's Statistics.DataScannedInBytes (what it bills); on DuckDB an
   * estimate, the size of the Parquet files of the partitions the query read.
   */
  readonly bytesScanned?: number;
}

export interface QueryOptions {
  /** Names the statement in logs and errors. */
  readonly label?: string;
  /** Bounds the query: past it the engine stops it (Athena StopQueryExecution, DuckDB interrupt). */
  readonly deadline?: Deadline;
}

export interface QueryEngine {
  readonly dialect: Dialect;
  /** Runs one statement. */
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  close(): Promise<void>;
}

/**
 * The engine with every query bounded by `deadline` (the earlier one wins when a caller passes its
 * own): one invocation's deadline reaches every use case without threading it through each.
 */
export function withDeadline(engine: QueryEngine, deadline: Deadline): QueryEngine {
  return {
    dialect: engine.dialect,
    query: (sql, options = {}) => {
      const own = options.deadline;
      const bound =
        own?.at !== undefined && (deadline.at === undefined || own.at < deadline.at) ? own : deadline;
      return engine.query(sql, { ...options, deadline: bound });
    },
    close: () => engine.close(),
  };
}

/** Reads a numeric column; engines return DOUBLE for every aggregate Vigil plans. */
export function numberColumn(result: QueryResult, name: string): (number | null)[] {
  const col = result.data[name];
  if (!col) throw new Error(`query result has no column ${name}`);
  return col.map((v) => (v === null ? null : Number(v)));
}

export function stringColumn(result: QueryResult, name: string): (string | null)[] {
  const col = result.data[name];
  if (!col) throw new Error(`query result has no column ${name}`);
  return col.map((v) => (v === null ? null : String(v)));
}
