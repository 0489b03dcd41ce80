import type { AggregateKind } from './kind.js';

/** Sum of a column (or of its square, for weighted CIs), order-independent (Dialect.sum): additive. */
export const sumKind: AggregateKind = {
  kind: 'sum',
  sql: (a, s) => {
    const expr = a.squared
      ? `CAST(${s.column} AS DOUBLE) * CAST(${s.column} AS DOUBLE)`
      : `CAST(${s.column} AS DOUBLE)`;
    return `coalesce(${s.dialect.sum(expr, s.where)}, 0)`;
  },
  additive: true,
};
