import type { AggregateKind } from './kind.js';

/**
 * Distinct non-null values of a column. Not additive (a reporter in two hours counts once a day),
 * so each window keeps its set of distinct keys per slice — exact sets, not a sketch: the count of
 * a day is then the size of the union of its hours' sets, exactly what a raw day scan counts
 * (Athena's own scan may use approx_distinct, which the catalog allows; the merge is exact there too).
 * Keys are compared as their VARCHAR text, as the ids of the lake are.
 */
export const countDistinctKind: AggregateKind = {
  kind: 'count_distinct',
  sql: (_a, s) => `CAST(${s.dialect.countDistinct(s.column)}${s.filter} AS DOUBLE)`,
  additive: false,
  intermediate: {
    key: (s) => `CAST(${s.column} AS VARCHAR)`,
    keyType: 'text',
    value: (keys) => keys.size,
  },
};
