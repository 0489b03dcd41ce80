import type { Dialect } from '../sql/dialect.js';

export type Cell = string | number | boolean | null;

/** A query result as column vectors: small, typed, read without per-row objects. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly data: Readonly<Record<string, readonly Cell[]>>;
  readonly rowCount: number;
  /** Bytes the engine scanned, where it reports them (Athena). */
  readonly bytesScanned?: number;
}

export interface QueryEngine {
  readonly dialect: Dialect;
  /** Runs one statement; `label` names it in logs and errors. */
  query(sql: string, options?: { readonly label?: string }): Promise<QueryResult>;
  close(): Promise<void>;
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
