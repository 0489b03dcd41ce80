import type { Condition, MetricConfig, SourceMapping } from '../config/schema.js';
import type { Dialect } from '../sql/dialect.js';
import { literal, quoteIdent, quoteString, timestampLiteral } from '../sql/literals.js';
import { partitionsOf } from '../time/window.js';
import { type AggregateSql, kindOf } from './aggregates/index.js';
import { countColumn, intermediateSets } from './intermediates.js';
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

function aggregateContext(a: PlannedAggregate, source: string, r: SourceResolver, d: Dialect): AggregateSql {
  const where = filterSql(a.filter, source, r);
  return {
    column: a.column ? r.column(source, a.column) : '',
    where,
    filter: where ? ` FILTER (WHERE ${where})` : '',
    dialect: d,
  };
}

function aggregateSql(a: PlannedAggregate, source: string, r: SourceResolver, d: Dialect): string {
  return kindOf(a).sql(a, aggregateContext(a, source, r, d));
}

/**
 * One scan of one source: conditional aggregates per window bucket over GROUPING SETS.
 * Output columns: w (window start, epoch seconds), each dimension as VARCHAR, g (GROUPING bitmask
 * over the dimensions, 1 = rolled up), then the aggregate aliases. A plan with `intermediates`
 * adds a grouping set per intermediate (shared/metrics/intermediates.ts) over a key computed in an
 * inner query (Trino's GROUPING takes column references only), and the columns k<i>, gk, n_<alias>.
 */
export function renderScan(plan: MetricPlan, scan: SourceScan, r: SourceResolver, d: Dialect): string {
  const time = r.timeColumn(scan.source);
  const bucket = d.truncate(plan.grain, time);
  const dims = scan.dimensions.map((dim) => ({ name: dim, expr: r.column(scan.source, dim) }));
  const keys = plan.intermediates ? intermediateSets(scan) : [];
  const select = [
    `${d.epochSeconds(bucket)} AS w`,
    ...dims.map((x) => `CAST(${x.expr} AS VARCHAR) AS ${quoteIdent(`d_${x.name}`)}`),
    dims.length > 0 ? `GROUPING(${dims.map((x) => x.expr).join(', ')}) AS g` : '0 AS g',
    ...scan.aggregates.map((a) => `${aggregateSql(a, scan.source, r, d)} AS ${a.alias}`),
    ...keys.map((k) => `${quoteIdent(k.inner)} AS ${quoteIdent(k.column)}`),
    ...(keys.length > 0 ? [`GROUPING(${keys.map((k) => quoteIdent(k.inner)).join(', ')}) AS gk`] : []),
    ...keys.flatMap((k) =>
      k.aggregates.map(
        (a) =>
          `CAST(count(*)${aggregateContext(a, scan.source, r, d).filter} AS DOUBLE) AS ${quoteIdent(countColumn(a))}`,
      ),
    ),
  ];
  const sets = [
    ...scan.groupingSets.map((set) => [bucket, ...set.map((dim) => r.column(scan.source, dim))]),
    ...keys.map((k) => [bucket, ...k.dims.map((dim) => r.column(scan.source, dim)), quoteIdent(k.inner)]),
  ].map((set) => `(${set.join(', ')})`);
  const table = d.table(r.table(scan.source), { from: plan.from, to: plan.to });
  const where = [
    `WHERE ${partitionPredicate(plan.from, plan.to)}`,
    `  AND ${time} >= ${timestampLiteral(plan.from)} AND ${time} < ${timestampLiteral(plan.to)}`,
  ];
  const from =
    keys.length === 0
      ? [`FROM ${table}`, ...where]
      : [
          'FROM (',
          `  SELECT *, ${keys
            .map((k) => {
              const a = k.aggregates[0]!;
              return `${k.intermediate.key(aggregateContext(a, scan.source, r, d))} AS ${quoteIdent(k.inner)}`;
            })
            .join(', ')}`,
          `  FROM ${table}`,
          ...where.map((w) => `  ${w}`),
          ') AS "t"',
        ];
  return ['SELECT', `  ${select.join(',\n  ')}`, ...from, `GROUP BY GROUPING SETS (${sets.join(', ')})`].join(
    '\n',
  );
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
