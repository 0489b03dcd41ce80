/**
 * Cost of the exact sums (Dialect.sum: DECIMAL(38, 12)) against plain DOUBLE sums, side by side in
 * one DuckDB: a grouped sum and sum of squares over 20M random weights, best of 5 each, and how
 * many distinct totals 5 runs of each give with 4 threads.
 *
 *   npx tsx bench/metrics/exact-sum.ts
 */
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { duckdbDialect } from '../../shared/sql/dialect.js';

const ROWS = 20_000_000;
const engine = await DuckDbQueryEngine.open({ threads: 4 });
await engine.query(
  `CREATE TABLE t AS SELECT (hash(i) % 1000003) / 997.0 + 1 / (1 + i % 7) AS w, i % 50 AS g FROM range(${ROWS}) r(i)`,
);
const variants = {
  'plain sum': (x: string) => `sum(${x})`,
  'exact sum': (x: string) => duckdbDialect.sum(x),
};
console.log('| sum | best of 5 (ms) | distinct totals in 5 runs | ratio |');
console.log('| --- | ---: | ---: | ---: |');
let base = 0;
for (const [name, sum] of Object.entries(variants)) {
  let best = Number.POSITIVE_INFINITY;
  const totals = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await engine.query(
      `SELECT g, ${sum('w')} AS s, ${sum('w * w')} AS s2 FROM t GROUP BY g ORDER BY g`,
    );
    best = Math.min(best, performance.now() - t0);
    totals.add(JSON.stringify([r.data.s, r.data.s2]));
  }
  base ||= best;
  console.log(`| ${name} | ${best.toFixed(0)} | ${totals.size} | ${(best / base).toFixed(2)} |`);
}
await engine.close();
