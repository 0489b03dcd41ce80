import type { Measure, Metric } from '../config/schema.js';

/**
 * A count, its exposure and the rate of the two: `removals`, `impressions` and
 * `removals_per_10k_impressions`. A move of the count in a slice whose exposure is flat is the same
 * move as its rate's, so the judge keys both metrics' incidents by the family (one incident, naming
 * both). The relation is read from the definitions: a ratio metric whose numerator is the count
 * metric's own measure and whose denominator is the measure of the exposure the count declares
 * (`detection.exposure`) — never from names.
 */
export interface MoveFamily {
  /** The family's identity in incident keys: the rate metric's name. */
  readonly id: string;
  readonly rate: string;
  readonly count: string;
  readonly exposure: string;
}

/** The measure a count-like metric aggregates (a count, sum or distinct count of one source). */
function measureOf(m: Metric): Measure | undefined {
  if (m.kind === 'count') return { source: m.source, agg: 'count', filter: m.filter };
  if (m.kind === 'sum' && m.column)
    return { source: m.source, agg: 'sum', column: m.column, filter: m.filter };
  if (m.kind === 'distinct_count' && m.column)
    return { source: m.source, agg: 'count_distinct', column: m.column, filter: m.filter };
  return undefined;
}

/** Identity of a measure: the conditions of a filter are AND-ed, so their order does not matter. */
function measureKey(m: Measure): string {
  const filter = m.filter.map((c) => JSON.stringify([c.column, c.op, c.value ?? null])).sort();
  return JSON.stringify([m.source, m.agg, m.column ?? null, filter]);
}

/**
 * Every metric of a family → its family. A count has at most one rate (the first declared); a
 * count without such a rate, or a rate of other measures, is in no family.
 */
export function moveFamilies(metrics: readonly Metric[]): Map<string, MoveFamily> {
  const byName = new Map(metrics.map((m) => [m.name, m]));
  const rates = new Map<string, Metric>();
  for (const m of metrics) {
    if (m.kind !== 'ratio') continue;
    const key = JSON.stringify([measureKey(m.numerator), measureKey(m.denominator)]);
    if (!rates.has(key)) rates.set(key, m);
  }
  const out = new Map<string, MoveFamily>();
  for (const count of metrics) {
    const exposureName = count.detection?.exposure;
    const exposure = exposureName === undefined ? undefined : byName.get(exposureName);
    const n = measureOf(count);
    const d = exposure && measureOf(exposure);
    if (!n || !d) continue;
    const rate = rates.get(JSON.stringify([measureKey(n), measureKey(d)]));
    if (!rate || out.has(rate.name)) continue;
    const family = { id: rate.name, rate: rate.name, count: count.name, exposure: exposure!.name };
    out.set(rate.name, family);
    out.set(count.name, family);
  }
  return out;
}
