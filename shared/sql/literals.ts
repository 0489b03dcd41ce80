import { InputError } from '../errors.js';

/**
 * The only path from values to SQL text. Both DuckDB and Trino use standard SQL quoting:
 * strings in single quotes with '' for a quote, identifiers in double quotes with "" for a quote.
 */
export type SqlScalar = string | number | boolean | null;

export function quoteString(value: string): string {
  if (value.includes('\u0000')) throw new InputError('a string value contains a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 255)
    throw new InputError(`identifier length must be 1..255, got ${name.length}`);
  if (name.includes('\u0000')) throw new InputError('an identifier contains a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

export function literal(value: SqlScalar): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InputError(`a numeric value must be finite, got ${value}`);
    // Plain decimal notation keeps the literal a DOUBLE in both engines.
    return Number.isInteger(value) ? `${value}` : `CAST(${value} AS DOUBLE)`;
  }
  return quoteString(value);
}

/** A TIMESTAMP literal for a UTC instant (microsecond-free, windows are whole seconds). */
export function timestampLiteral(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new InputError('invalid timestamp');
  return `TIMESTAMP '${date.toISOString().replace('T', ' ').slice(0, 23)}'`;
}
