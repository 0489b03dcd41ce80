import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { athenaDialect, duckdbDialect, exactSum } from '../../shared/sql/dialect.js';

let engine: DuckDbQueryEngine;
beforeAll(async () => {
  engine = await DuckDbQueryEngine.open({ threads: 1 });
});
afterAll(() => engine.close());

/** Sums the values in the given order (one thread, ordered input, so the order is the one written). */
async function sumInOrder(values: number[], sum: (x: string) => string): Promise<number> {
  const rows = values.map((v, i) => `(${i}, CAST(${v} AS DOUBLE))`).join(', ');
  const r = await engine.query(
    `SELECT ${sum('x')} AS s FROM (SELECT x FROM (VALUES ${rows}) t(i, x) ORDER BY i)`,
  );
  return Number(r.data.s![0]);
}

describe('exact sums (Dialect.sum)', () => {
  it('give the same DOUBLE for every order, where a plain SUM does not', async () => {
    const values = [0.1, 0.2, 0.3, 1e15, -1e15, 1 / 3, 2 / 3];
    const orders = [values, [...values].reverse(), [values[3]!, ...values.slice(0, 3), ...values.slice(4)]];
    const exact = new Set<number>();
    const plain = new Set<number>();
    for (const order of orders) {
      exact.add(await sumInOrder(order, (x) => duckdbDialect.sum(x)));
      plain.add(await sumInOrder(order, (x) => `sum(${x})`));
    }
    expect(exact.size).toBe(1);
    expect(plain.size).toBeGreaterThan(1);
    // Each term is rounded to 1e-12: the total is right to that scale.
    expect(Math.abs([...exact][0]! - 1.6)).toBeLessThan(1e-11);
  });

  it('takes a FILTER condition and renders the same SQL for DuckDB and Athena (Trino)', async () => {
    expect(duckdbDialect.sum('w', 'v')).toBe(
      'CAST(sum(CAST(w AS DECIMAL(38, 12))) FILTER (WHERE v) AS DOUBLE)',
    );
    expect(athenaDialect('db').sum('w', 'v')).toBe(exactSum('w', 'v'));
    const r = await engine.query(
      `SELECT ${duckdbDialect.sum('x', 'x > 1')} AS s FROM (VALUES (1.5), (0.5), (2.25)) t(x)`,
    );
    expect(r.data.s![0]).toBe(3.75);
  });

  it('fails loudly instead of rounding a total beyond ±1e26', async () => {
    await expect(
      engine.query(`SELECT ${duckdbDialect.sum('x')} AS s FROM (VALUES (1e30)) t(x)`),
    ).rejects.toThrow();
  });
});
