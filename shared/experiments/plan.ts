import { getOrInsert } from '../collections.js';
import type { Condition } from '../config/schema.js';
import { filterSql, partitionPredicate, SourceResolver } from '../metrics/sql-render.js';
import type { Dialect } from '../sql/dialect.js';
import { quoteIdent, quoteString, timestampLiteral } from '../sql/literals.js';
import { addGrain } from '../time/window.js';
import type { Experiment, ExperimentConfig, ExperimentMetric, UnitMeasure } from './config.js';

/**
 * The experiment query plan: per-variant sufficient statistics of every metric of one experiment,
 * in one statement that scans each (source, unit column) once. Plans are dialect-free data;
 * `renderExperimentPlan` turns one into DuckDB or Athena SQL.
 *
 * Shape of the SQL:
 *   vg_a  — one row per assigned unit: variant (NULL when a unit saw several), first exposure
 *   vg_sN — one per (source, unit column): per-unit conditional aggregates of the source rows
 *           joined to vg_a, post-exposure (event_time ≥ exposure, < analysis end) and, for CUPED
 *           covariates, pre-period ([start − pre_days, start)) — inner join, so only units with rows
 *   vg_u  — vg_a LEFT JOIN every vg_sN: one row per unit, missing aggregates are 0
 *   final — GROUP BY variant: n, Σy, Σy², Σx, Σx², Σxy per metric
 * The engine holds per-unit rows; the result has one row per variant.
 */

export interface UnitAggregate {
  readonly alias: string;
  readonly agg: 'count' | 'sum';
  readonly column?: string;
  readonly filter: readonly Condition[];
  /** post: events after the unit's first exposure; pre: [preFrom, start) for CUPED. */
  readonly period: 'post' | 'pre';
  readonly preFrom?: Date;
}

export interface UnitScan {
  readonly name: string;
  readonly source: string;
  readonly unitColumn: string;
  readonly from: Date;
  readonly aggregates: readonly UnitAggregate[];
}

export interface AggRef {
  readonly scan: string;
  readonly agg: string;
}

export interface PlannedExperimentMetric {
  readonly index: number;
  readonly metric: ExperimentMetric;
  /** y: the outcome (or ratio numerator); x: the CUPED covariate (or ratio denominator). */
  readonly y: AggRef;
  readonly x?: AggRef;
  /** ratio_cuped: the pre-period numerator (u) and denominator (v). */
  readonly u?: AggRef;
  readonly v?: AggRef;
  readonly kind: 'mean' | 'cuped' | 'ratio' | 'ratio_cuped';
}

export interface ExperimentPlan {
  readonly experimentId: string;
  readonly assignmentSource: string;
  readonly start: Date;
  /** Analysis end: min(as-of, experiment end). */
  readonly to: Date;
  readonly scans: readonly UnitScan[];
  readonly metrics: readonly PlannedExperimentMetric[];
}

class ScanBuilder {
  private readonly aggs = new Map<string, UnitAggregate>();
  from: Date;
  constructor(
    readonly name: string,
    readonly source: string,
    readonly unitColumn: string,
    start: Date,
  ) {
    this.from = start;
  }
  add(def: Omit<UnitAggregate, 'alias'>): AggRef {
    const key = JSON.stringify([def.agg, def.column, def.filter, def.period, def.preFrom?.getTime()]);
    let found = this.aggs.get(key);
    if (!found) {
      found = { ...def, alias: `a${this.aggs.size}` };
      this.aggs.set(key, found);
      if (def.preFrom && def.preFrom < this.from) this.from = def.preFrom;
    }
    return { scan: this.name, agg: found.alias };
  }
  build(): UnitScan {
    return {
      name: this.name,
      source: this.source,
      unitColumn: this.unitColumn,
      from: this.from,
      aggregates: [...this.aggs.values()],
    };
  }
}

/** Plans one experiment's readout as of `to` (already clamped to the experiment end). */
export function planExperiment(
  e: Experiment,
  to: Date,
  keep: (m: ExperimentMetric) => boolean = () => true,
): ExperimentPlan {
  const scans = new Map<string, ScanBuilder>();
  const scan = (source: string, unitColumn: string) =>
    getOrInsert(
      scans,
      `${source}\u0000${unitColumn}`,
      () => new ScanBuilder(`vg_s${scans.size}`, source, unitColumn, e.start),
    );
  const measure = (
    m: Pick<UnitMeasure, 'agg' | 'source' | 'unit_column' | 'column' | 'filter'>,
    pre?: Date,
  ) =>
    scan(m.source, m.unit_column).add({
      agg: m.agg,
      ...(m.column ? { column: m.column } : {}),
      filter: m.filter,
      period: pre ? 'pre' : 'post',
      ...(pre ? { preFrom: pre } : {}),
    });
  const planned = e.metrics.map((metric, index): PlannedExperimentMetric | undefined => {
    if (!keep(metric)) return undefined;
    if (metric.kind === 'ratio') {
      const y = measure(metric.numerator);
      const x = measure(metric.denominator);
      if (!metric.cuped) return { index, metric, kind: 'ratio', y, x };
      const pre = addGrain(e.start, 'day', -metric.cuped.pre_days);
      return {
        index,
        metric,
        kind: 'ratio_cuped',
        y,
        x,
        u: measure(metric.numerator, pre),
        v: measure(metric.denominator, pre),
      };
    }
    const m = {
      agg: metric.kind,
      source: metric.source,
      unit_column: metric.unit_column,
      column: metric.column,
      filter: metric.filter,
    };
    const y = measure(m);
    if (!metric.cuped) return { index, metric, kind: 'mean', y };
    const x = measure(m, addGrain(e.start, 'day', -metric.cuped.pre_days));
    return { index, metric, kind: 'cuped', y, x };
  });
  // Skipped metrics leave no scan behind; the kept ones keep their index in e.metrics.
  const metrics = planned.filter((m) => m !== undefined);
  return {
    experimentId: e.id,
    assignmentSource: e.assignment_source,
    start: e.start,
    to,
    scans: [...scans.values()].map((s) => s.build()),
    metrics,
  };
}

/** Output column names of metric i's sums. */
export function sumColumns(i: number) {
  return { y: `m${i}_y`, y2: `m${i}_y2`, x: `m${i}_x`, x2: `m${i}_x2`, xy: `m${i}_xy` };
}

/** The per-unit series of a planned metric, in order: y, then x, u, v when present. */
export function metricSeries(m: PlannedExperimentMetric): ('y' | 'x' | 'u' | 'v')[] {
  return (['y', 'x', 'u', 'v'] as const).filter((k) => m[k] !== undefined);
}

/** Column names of the sums beyond sumColumns: Σ of each series and of every pairwise product. */
export function crossColumn(i: number, a: string, b?: string): string {
  return b === undefined ? `m${i}_${a}` : `m${i}_${a}${b}`;
}

function aggregateSql(a: UnitAggregate, scan: UnitScan, start: Date, r: SourceResolver, d: Dialect): string {
  const time = `e.${r.timeColumn(scan.source)}`;
  const when =
    a.period === 'post'
      ? [`${time} >= vg_a.vg_exposed`]
      : [`${time} >= ${timestampLiteral(a.preFrom!)}`, `${time} < ${timestampLiteral(start)}`];
  const f = filterSql(a.filter, scan.source, r);
  if (f) when.push(f);
  const filter = `FILTER (WHERE ${when.join(' AND ')})`;
  // e is NULL-extended for units without events: every condition above is then NULL, not true.
  if (a.agg === 'count') return `CAST(count(*) ${filter} AS DOUBLE)`;
  return `coalesce(${d.sum(`CAST(e.${r.column(scan.source, a.column!)} AS DOUBLE)`, when.join(' AND '))}, 0)`;
}

/**
 * vg_a: one row per unit assigned in the experiment's window — its variant (NULL when seen in
 * several), its first exposure and, with `seg` (a SQL expression over the assignment source), its
 * unit attribute (NULL when its rows disagree).
 */
function assignmentCte(plan: ExperimentPlan, r: SourceResolver, d: Dialect, seg?: string): string {
  const src = plan.assignmentSource;
  const at = r.timeColumn(src);
  const variant = r.column(src, 'variant');
  return [
    'vg_a AS (',
    `  SELECT ${r.column(src, 'unit_id')} AS vg_unit,`,
    `    CASE WHEN min(${variant}) = max(${variant}) THEN min(${variant}) END AS vg_variant,`,
    ...(seg ? [`    CASE WHEN min(${seg}) = max(${seg}) THEN min(${seg}) END AS vg_seg,`] : []),
    `    min(${at}) AS vg_exposed`,
    `  FROM ${d.table(r.table(src))}`,
    `  WHERE ${partitionPredicate(plan.start, plan.to)}`,
    `    AND ${r.column(src, 'experiment_id')} = ${quoteString(plan.experimentId)}`,
    `    AND ${at} >= ${timestampLiteral(plan.start)} AND ${at} < ${timestampLiteral(plan.to)}`,
    '  GROUP BY 1',
    ')',
  ].join('\n');
}

/**
 * Renders the plan as one statement: one row per variant (NULL = units seen in several variants),
 * or per variant and value of `segment` (a unit attribute of the assignment source; a unit whose
 * rows disagree, or have none, is in the NULL segment).
 */
export function renderExperimentPlan(
  plan: ExperimentPlan,
  cfg: Pick<ExperimentConfig, 'sources'>,
  d: Dialect,
  segment?: string,
): string {
  const r = new SourceResolver(cfg.sources);
  const seg =
    segment === undefined ? undefined : `CAST(${r.column(plan.assignmentSource, segment)} AS VARCHAR)`;
  const ctes: string[] = [assignmentCte(plan, r, d, seg)];
  for (const s of plan.scans) {
    const time = r.timeColumn(s.source);
    // LEFT JOIN from the units: every assigned unit gets a row, units without events get 0.
    ctes.push(
      [
        `${s.name} AS (`,
        `  SELECT vg_a.vg_unit, vg_a.vg_variant,${seg ? ' vg_a.vg_seg,' : ''}`,
        `    ${s.aggregates.map((a) => `${aggregateSql(a, s, plan.start, r, d)} AS ${a.alias}`).join(',\n    ')}`,
        '  FROM vg_a LEFT JOIN (',
        `    SELECT * FROM ${d.table(r.table(s.source))}`,
        `    WHERE ${partitionPredicate(s.from, plan.to)}`,
        `      AND ${time} >= ${timestampLiteral(s.from)} AND ${time} < ${timestampLiteral(plan.to)}`,
        `  ) e ON e.${r.column(s.source, s.unitColumn)} = vg_a.vg_unit`,
        `  GROUP BY vg_a.vg_unit, vg_a.vg_variant${seg ? ', vg_a.vg_seg' : ''}`,
        ')',
      ].join('\n'),
    );
  }
  const first = plan.scans[0]!.name;
  const ref = (a: AggRef) => `${a.scan}.${a.agg}`;
  const unitCols: string[] = [`${first}.vg_variant`, ...(seg ? [`${first}.vg_seg`] : [])];
  for (const m of plan.metrics)
    for (const k of metricSeries(m)) unitCols.push(`${ref(m[k]!)} AS m${m.index}_u${k}`);
  ctes.push(
    [
      'vg_u AS (',
      `  SELECT ${unitCols.join(',\n    ')}`,
      `  FROM ${first}`,
      ...plan.scans.slice(1).map((s) => `  JOIN ${s.name} ON ${s.name}.vg_unit = ${first}.vg_unit`),
      ')',
    ].join('\n'),
  );
  const sums: string[] = [
    'vg_variant AS variant',
    ...(seg ? ['vg_seg AS segment'] : []),
    'CAST(count(*) AS DOUBLE) AS n',
    ...sumExpressions(plan, d).map(([expr, name]) => `${expr} AS ${quoteIdent(name)}`),
  ];
  return [
    `WITH ${ctes.join(',\n')}`,
    `SELECT ${sums.join(',\n  ')}`,
    'FROM vg_u',
    `GROUP BY vg_variant${seg ? ', vg_seg' : ''}`,
    `ORDER BY vg_variant${seg ? ', vg_seg' : ''}`,
  ].join('\n');
}

/** The sufficient statistics of every planned metric over the per-unit columns m{i}_u{k} of vg_u. */
function sumExpressions(plan: ExperimentPlan, d: Dialect): [expr: string, name: string][] {
  const sums: [string, string][] = [];
  for (const m of plan.metrics) {
    const c = sumColumns(m.index);
    const u = (k: string) => `m${m.index}_u${k}`;
    const series = metricSeries(m);
    sums.push([d.sum(u('y')), c.y], [d.sum(`${u('y')} * ${u('y')}`), c.y2]);
    if (m.x)
      sums.push(
        [d.sum(u('x')), c.x],
        [d.sum(`${u('x')} * ${u('x')}`), c.x2],
        [d.sum(`${u('x')} * ${u('y')}`), c.xy],
      );
    // Ratio CUPED: the pre-period series and every cross product with the others.
    for (const k of series.filter((x) => x === 'u' || x === 'v')) {
      sums.push([d.sum(u(k)), crossColumn(m.index, k)]);
      for (const j of series) {
        const pair = series.indexOf(j) <= series.indexOf(k) ? [j, k] : [k, j];
        if (j === 'u' && k === 'v') continue;
        sums.push([d.sum(`${u(j)} * ${u(k)}`), crossColumn(m.index, pair[0]!, pair[1]!)]);
      }
    }
  }
  return sums;
}

/** Counts the assignment rows of one experiment id over the whole source (no time bounds). */
export function renderAssignmentCount(
  e: Pick<Experiment, 'id' | 'assignment_source'>,
  cfg: Pick<ExperimentConfig, 'sources'>,
  d: Dialect,
): string {
  const r = new SourceResolver(cfg.sources);
  const src = e.assignment_source;
  return [
    'SELECT CAST(count(*) AS DOUBLE) AS n',
    `FROM ${d.table(r.table(src))}`,
    `WHERE ${r.column(src, 'experiment_id')} = ${quoteString(e.id)}`,
  ].join('\n');
}

/**
 * Renders the plan segmented by an event attribute `column` of the metrics' sources (surface, …), in
 * one statement. The effect for value s is each metric computed on the unit's events with column = s:
 * per (unit, s) aggregates over the events only (inner join), summed per (variant, s); every assigned
 * unit counts in n, so a unit without events in s contributes zeros (count and sum metrics: 0; ratio
 * metrics: numerator and denominator are both restricted to s). Every (variant, s) pair gets a row.
 * Events whose column is NULL form the NULL segment.
 */
export function renderEventSegmentPlan(
  plan: ExperimentPlan,
  cfg: Pick<ExperimentConfig, 'sources'>,
  d: Dialect,
  column: string,
): string {
  const r = new SourceResolver(cfg.sources);
  const ctes: string[] = [assignmentCte(plan, r, d)];
  const aliases = plan.scans.flatMap((s) => s.aggregates.map((a) => `${s.name}_${a.alias}`));
  for (const s of plan.scans) {
    const time = r.timeColumn(s.source);
    const own = new Set(s.aggregates.map((a) => `${s.name}_${a.alias}`));
    ctes.push(
      [
        `${s.name} AS (`,
        `  SELECT vg_a.vg_unit, vg_a.vg_variant, CAST(e.${r.column(s.source, column)} AS VARCHAR) AS vg_seg,`,
        `    ${s.aggregates.map((a) => `${aggregateSql(a, s, plan.start, r, d)} AS ${s.name}_${a.alias}`).join(',\n    ')}`,
        '  FROM vg_a JOIN (',
        `    SELECT * FROM ${d.table(r.table(s.source))}`,
        `    WHERE ${partitionPredicate(s.from, plan.to)}`,
        `      AND ${time} >= ${timestampLiteral(s.from)} AND ${time} < ${timestampLiteral(plan.to)}`,
        `  ) e ON e.${r.column(s.source, s.unitColumn)} = vg_a.vg_unit`,
        '  GROUP BY 1, 2, 3',
        ')',
      ].join('\n'),
      // Each scan's rows padded with zeros for the other scans' aggregates, stacked below.
      `${s.name}_p AS (SELECT vg_unit, vg_variant, vg_seg, ${aliases
        .map((a) => (own.has(a) ? a : `CAST(0 AS DOUBLE) AS ${a}`))
        .join(', ')} FROM ${s.name})`,
    );
  }
  const ref = (a: AggRef) => d.sum(`${a.scan}_${a.agg}`);
  const unitCols = ['vg_variant', 'vg_seg'];
  for (const m of plan.metrics)
    for (const k of metricSeries(m)) unitCols.push(`${ref(m[k]!)} AS m${m.index}_u${k}`);
  const sums = sumExpressions(plan, d);
  ctes.push(
    [
      'vg_u AS (',
      `  SELECT ${unitCols.join(',\n    ')}`,
      `  FROM (${plan.scans.map((s) => `SELECT * FROM ${s.name}_p`).join(' UNION ALL ')}) vg_all`,
      '  GROUP BY vg_unit, vg_variant, vg_seg',
      ')',
    ].join('\n'),
    [
      'vg_g AS (',
      `  SELECT vg_variant, vg_seg, ${sums.map(([expr, name]) => `${expr} AS ${quoteIdent(name)}`).join(',\n    ')}`,
      '  FROM vg_u GROUP BY vg_variant, vg_seg',
      ')',
    ].join('\n'),
    // n: every assigned unit of the variant, whether or not it has events in the segment.
    'vg_n AS (SELECT vg_variant, CAST(count(*) AS DOUBLE) AS n FROM vg_a GROUP BY vg_variant)',
    'vg_v AS (SELECT DISTINCT vg_seg FROM vg_u)',
  );
  return [
    `WITH ${ctes.join(',\n')}`,
    `SELECT vg_n.vg_variant AS variant, vg_v.vg_seg AS segment, vg_n.n,`,
    `  ${sums.map(([, name]) => `coalesce(vg_g.${quoteIdent(name)}, 0) AS ${quoteIdent(name)}`).join(',\n  ')}`,
    'FROM vg_n CROSS JOIN vg_v LEFT JOIN vg_g',
    '  ON vg_g.vg_variant IS NOT DISTINCT FROM vg_n.vg_variant AND vg_g.vg_seg IS NOT DISTINCT FROM vg_v.vg_seg',
    'ORDER BY 1, 2',
  ].join('\n');
}
