import type { Condition, MetricConfig, SourceMapping } from '../config/schema.js';
import type { Dialect } from '../sql/dialect.js';
import { literal, quoteIdent, quoteString, timestampLiteral } from '../sql/literals.js';
import { partitionsOf } from '../time/window.js';
import type { MetricPlan, PlannedAggregate, SourceScan } from './plan.js';

/** Resolves logical names to physical table and column names through the config's source mappings. */
export class SourceResolver {
  constructor(private readonly sources: MetricConfig['sources']) {}
  // Own keys only: names like `constructor` must not resolve to Object.prototype members.
  private mapping(source: string): SourceMapping | undefined {
    return Object.hasOwn(this.sources, source) ? this.sources[source] : undefined;
  }
  table(source: string): string {
    return this.mapping(source)?.table ?? source;
  }
  column(source: string, logical: string): string {
    const columns = this.mapping(source)?.columns;
    return quoteIdent(columns && Object.hasOwn(columns, logical) ? columns[logical]! : logical);
  }
  timeColumn(source: string): string {
    return quoteIdent(this.mapping(source)?.time_column ?? 'event_time');
  }
}

export function conditionSql(cond: Condition, col: string): string {
  const v = cond.value;
  const list = () => (v as (string | number | boolean)[]).map(literal).join(', ');
  switch (cond.op) {
    case 'eq':
      return `${col} = ${literal(v as string)}`;
    case 'ne':
      return `${col} <> ${literal(v as string)}`;
    case 'gt':
      return `${col} > ${literal(v as string)}`;
    case 'gte':
      return `${col} >= ${literal(v as string)}`;
    case 'lt':
      return `${col} < ${literal(v as string)}`;
    case 'lte':
      return `${col} <= ${literal(v as string)}`;
    case 'in':
      return `${col} IN (${list()})`;
    case 'not_in':
      return `${col} NOT IN (${list()})`;
    case 'is_null':
      return `${col} IS NULL`;
    case 'not_null':
      return `${col} IS NOT NULL`;
  }
}

export function filterSql(
  filter: readonly Condition[],
  source: string,
  r: SourceResolver,
): string | undefined {
  if (filter.length === 0) return undefined;
  return filter.map((c) => `(${conditionSql(c, r.column(source, c.column))})`).join(' AND ');
}

/** Partition-pruning predicate on the string partitions dt/hour for [from, to). */
export function partitionPredicate(from: Date, to: Date): string {
  const parts = partitionsOf(from, to);
  const terms: string[] = [];
  let runStart: string | undefined;
  let runEnd: string | undefined;
  const flush = () => {
    if (runStart === undefined) return;
    terms.push(
      runStart === runEnd
        ? `"dt" = ${quoteString(runStart)}`
        : `"dt" BETWEEN ${quoteString(runStart)} AND ${quoteString(runEnd!)}`,
    );
    runStart = runEnd = undefined;
  };
  for (const p of parts) {
    if (p.hours === 'all') {
      runStart ??= p.dt;
      runEnd = p.dt;
      continue;
    }
    flush();
    terms.push(`("dt" = ${quoteString(p.dt)} AND "hour" IN (${p.hours.map(quoteString).join(', ')}))`);
  }
  flush();
  return terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`;
}

function aggregateSql(a: PlannedAggregate, source: string, r: SourceResolver, d: Dialect): string {
  const where = filterSql(a.filter, source, r);
  const filter = where ? ` FILTER (WHERE ${where})` : '';
  const col = a.column ? r.column(source, a.column) : '';
  switch (a.kind) {
    case 'count':
      return `CAST(count(*)${filter} AS DOUBLE)`;
    case 'sum': {
      const expr = a.squared ? `CAST(${col} AS DOUBLE) * CAST(${col} AS DOUBLE)` : `CAST(${col} AS DOUBLE)`;
      return `coalesce(${d.sum(expr, where || undefined)}, 0)`;
    }
    case 'count_distinct':
      return `CAST(${d.countDistinct(col)}${filter} AS DOUBLE)`;
    case 'quantile':
      return `CAST(${d.quantile(`CAST(${col} AS DOUBLE)`, a.p!)}${filter} AS DOUBLE)`;
  }
}

/**
 * One scan of one source: conditional aggregates per window bucket over GROUPING SETS.
 * Output columns: w (window start, epoch seconds), each dimension as VARCHAR, g (GROUPING bitmask
 * over the dimensions, 1 = rolled up), then the aggregate aliases.
 */
export function renderScan(plan: MetricPlan, scan: SourceScan, r: SourceResolver, d: Dialect): string {
  const time = r.timeColumn(scan.source);
  const bucket = d.truncate(plan.grain, time);
  const dims = scan.dimensions.map((dim) => ({ name: dim, expr: r.column(scan.source, dim) }));
  const select = [
    `${d.epochSeconds(bucket)} AS w`,
    ...dims.map((x) => `CAST(${x.expr} AS VARCHAR) AS ${quoteIdent(`d_${x.name}`)}`),
    dims.length > 0 ? `GROUPING(${dims.map((x) => x.expr).join(', ')}) AS g` : '0 AS g',
    ...scan.aggregates.map((a) => `${aggregateSql(a, scan.source, r, d)} AS ${a.alias}`),
  ];
  const sets = scan.groupingSets.map(
    (set) => `(${[bucket, ...set.map((dim) => r.column(scan.source, dim))].join(', ')})`,
  );
  return [
    'SELECT',
    `  ${select.join(',\n  ')}`,
    `FROM ${d.table(r.table(scan.source), { from: plan.from, to: plan.to })}`,
    `WHERE ${partitionPredicate(plan.from, plan.to)}`,
    `  AND ${time} >= ${timestampLiteral(plan.from)} AND ${time} < ${timestampLiteral(plan.to)}`,
    `GROUP BY GROUPING SETS (${sets.join(', ')})`,
  ].join('\n');
}

export function renderPlan(
  plan: MetricPlan,
  cfg: MetricConfig,
  d: Dialect,
): { source: string; table: string; sql: string }[] {
  const r = new SourceResolver(cfg.sources);
  return plan.scans.map((scan) => ({
    source: scan.source,
    table: r.table(scan.source),
    sql: renderScan(plan, scan, r, d),
  }));
}
