import type { AggregateKind } from './kind.js';

/**
 * DuckDB's ordering of DOUBLE: NaN after every other value (the lake's doubles may hold one; a
 * stored key keeps it as NaN, see shared/metrics/intermediates.ts).
 */
function compareDoubles(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The continuous-interpolation percentile of a multiset given as (value, multiplicity) pairs,
 * with DuckDB's quantile_cont arithmetic (quantile_helpers, Interpolator): RN = (n − 1)·p, lo and
 * hi the values at ⌊RN⌋ and ⌈RN⌉, d = RN − ⌊RN⌋, result lo·(1 − d) + hi·d — the same double
 * operations in the same order, so the same bits as the engine over the raw rows (DuckDB 1.5;
 * `lo + (hi − lo)·d`, the older form, differs in the last bit for about 1 in 6 multisets —
 * test/metrics/aggregates.test.ts checks it against the engine).
 */
export function quantileCont(keys: ReadonlyMap<string | number, number>, p: number): number | null {
  const values = [...keys.entries()].map(([v, n]) => [Number(v), n] as const);
  const n = values.reduce((t, [, c]) => t + c, 0);
  if (n === 0) return null;
  values.sort((a, b) => compareDoubles(a[0], b[0]));
  const rn = (n - 1) * p;
  const frn = Math.floor(rn);
  const crn = Math.ceil(rn);
  const at = (rank: number): number => {
    let seen = 0;
    for (const [v, c] of values) {
      seen += c;
      if (rank < seen) return v;
    }
    return values[values.length - 1]![0];
  };
  const lo = at(frn);
  if (crn === frn) return lo;
  const hi = at(crn);
  const d = rn - frn;
  return lo * (1 - d) + hi * d;
}

/**
 * Continuous percentile of a column (DuckDB quantile_cont; Athena approx_percentile). Not additive:
 * each window keeps its multiset of values per slice as (value, count) pairs — as large as the
 * column's distinct values, which for a continuous measure is about its rows — and a coarser
 * window's percentile is computed from the merged multiset: exact, on both engines.
 */
export const quantileKind: AggregateKind = {
  kind: 'quantile',
  sql: (a, s) => `CAST(${s.dialect.quantile(`CAST(${s.column} AS DOUBLE)`, a.p!)}${s.filter} AS DOUBLE)`,
  additive: false,
  intermediate: {
    key: (s) => `CAST(${s.column} AS DOUBLE)`,
    keyType: 'double',
    value: (keys, a) => quantileCont(keys, a.p!),
  },
};
