/**
 * Error hierarchy shared by the core, adapters and entry points.
 * Entry points map `exitCode` to the process exit status (0 ok, 1 failure, 2 bad input).
 */
export class VigilError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from a user: flags, config, payloads, CSV files. Exit code 2. */
export class InputError extends VigilError {
  override readonly exitCode = 2;
}

/** Source data that cannot be read or is unusable (corrupt Parquet, missing column). */
export class DataError extends VigilError {}

/** A query engine failure (DuckDB or Athena), carrying the underlying cause. */
export class QueryError extends VigilError {}
