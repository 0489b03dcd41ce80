import type { AggregateKind } from './kind.js';

/** Rows of a group (matching the filter): additive. */
export const countKind: AggregateKind = {
  kind: 'count',
  sql: (_a, s) => `CAST(count(*)${s.filter} AS DOUBLE)`,
  additive: true,
};
