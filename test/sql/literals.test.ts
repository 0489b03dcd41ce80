import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { InputError } from '../../shared/errors.js';
import { literal, quoteIdent, quoteString } from '../../shared/sql/literals.js';

let engine: DuckDbQueryEngine;
beforeAll(async () => {
  engine = await DuckDbQueryEngine.open();
});
afterAll(() => engine.close());

describe('SQL literal escaping', () => {
  it('round-trips any string through DuckDB unchanged (quotes, comments, semicolons, unicode)', async () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.constantFrom("'; DROP TABLE x; --", "a'b", "''", '/* c */', 'SELECT', '\\', '"', 'é😀', "'||'"),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (s) => {
        fc.pre(!s.includes('\u0000'));
        const r = await engine.query(
          `SELECT ${quoteString(s)} AS v, ${quoteIdent(s || 'x')} AS y FROM (SELECT 1 AS ${quoteIdent(s || 'x')})`,
        );
        expect(r.rowCount).toBe(1);
        expect(r.data.v![0]).toBe(s);
      }),
      { numRuns: 200 },
    );
  });

  it('renders numbers and booleans as literals and refuses non-finite numbers and NUL', () => {
    expect(literal(3)).toBe('3');
    expect(literal(0.8)).toBe('CAST(0.8 AS DOUBLE)');
    expect(literal(true)).toBe('TRUE');
    expect(literal(null)).toBe('NULL');
    expect(() => literal(Number.NaN)).toThrow(InputError);
    expect(() => quoteString('a\u0000b')).toThrow(/NUL/);
  });
});
