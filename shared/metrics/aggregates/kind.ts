import type { Dialect } from '../../sql/dialect.js';
import type { AggKind, PlannedAggregate } from '../plan.js';

/** What a kind's SQL is built from: already-rendered, trusted SQL fragments (never data values). */
export interface AggregateSql {
  /** The physical column, quoted (empty for `count`). */
  readonly column: string;
  /** The filter's condition, or undefined when the aggregate has none. */
  readonly where: string | undefined;
  /** ` FILTER (WHERE …)`, or empty. */
  readonly filter: string;
  readonly dialect: Dialect;
}

/**
 * The exact, mergeable form of a non-additive aggregate of one window: per slice of its finest
 * dimensions, the multiset of keys (a value and how many rows had it). The scan that computes the
 * aggregate also groups by the key (one extra grouping set), so storing it costs no extra read;
 * a coarser window merges its windows' multisets and computes the value from them.
 */
export interface Intermediate {
  /** The key's SQL: a typed expression of the column (distinct from any plain column reference). */
  key(s: AggregateSql): string;
  /** A key as stored (JSON) from the engine's cell. */
  readonly keyType: 'text' | 'double';
  /**
   * The aggregate of one slice from its merged keys (key → rows with it, > 0), exactly as the
   * engine computes it over the same rows; `keys` is empty when no row of the slice matched.
   */
  value(keys: ReadonlyMap<string | number, number>, a: PlannedAggregate): number | null;
}

/** One aggregate kind: its SQL, and how windows of it combine into coarser windows. */
export interface AggregateKind {
  readonly kind: AggKind;
  /** The aggregate over a group, as DOUBLE. */
  sql(a: PlannedAggregate, s: AggregateSql): string;
  /** The value of a coarser window is the sum of its windows' values. */
  readonly additive: boolean;
  /** For non-additive kinds: the intermediate that merges exactly. */
  readonly intermediate?: Intermediate;
}
