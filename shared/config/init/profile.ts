import type { ColumnType } from '../../lake/sources.js';

/** What `vigil init` learned about one column of a lake folder. */
export interface ColumnProfile {
  readonly name: string;
  /** The engine's type name, as read from the Parquet schema. */
  readonly rawType: string;
  readonly type: ColumnType | 'OTHER';
  /** The name passes the identifier pattern (only such names are ever put in SQL or the config). */
  readonly usable: boolean;
  /** Distinct non-null values seen in the sample, when few (a string column). */
  readonly values?: readonly string[];
  /** A string column with more distinct values than a value set lists. */
  readonly manyValues?: boolean;
}

/** One folder at the lake root holding Parquet files in the hive layout. */
export interface FolderProfile {
  readonly folder: string;
  readonly files: number;
  readonly partitions: number;
  readonly firstDay?: string;
  readonly lastDay?: string;
  readonly columns: readonly ColumnProfile[];
}
