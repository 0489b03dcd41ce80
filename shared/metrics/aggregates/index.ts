import type { AggKind, PlannedAggregate } from '../plan.js';
import { countKind } from './count.js';
import { countDistinctKind } from './count-distinct.js';
import type { AggregateKind } from './kind.js';
import { quantileKind } from './quantile.js';
import { sumKind } from './sum.js';

const KINDS: Record<AggKind, AggregateKind> = {
  count: countKind,
  sum: sumKind,
  count_distinct: countDistinctKind,
  quantile: quantileKind,
};

/** The module of an aggregate's kind. */
export function kindOf(a: PlannedAggregate): AggregateKind {
  return KINDS[a.kind];
}

export type { AggregateKind, AggregateSql, Intermediate } from './kind.js';
