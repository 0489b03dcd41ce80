import { weightedWilson } from '../metrics/wilson.js';
import { quoteIdent } from '../sql/literals.js';
import { formatIso } from '../time/window.js';
import { type AnalysisContext, col, DAY_SECONDS, ratio, resolver, round, scanSql, strCol } from './common.js';

/**
 * The user-report funnel over reports filed in [from, to), as of `asOf` (default `to`):
 * reports → decided (actioned or dismissed, resolved before asOf) → actioned; time-to-resolution
 * percentiles; precision by reason (actioned / decided, Wilson CI); the pending backlog by age; and
 * where the bottleneck sits. A report resolved after asOf counts as pending at asOf, so an old range
 * reads the same as it did then. One engine pass over user_reports (GROUPING SETS).
 */

export interface ReportFunnelOptions extends AnalysisContext {
  readonly asOf?: Date;
  /** Decided reports a reason needs before its precision is judged. Default 100. */
  readonly minDecided?: number;
  readonly confidence?: number;
}

export const BACKLOG_BUCKETS = ['lt_1d', '1d_2d', '2d_7d', 'ge_7d'] as const;
export type BacklogBucket = (typeof BACKLOG_BUCKETS)[number];

export interface FunnelRow {
  readonly dimension: 'total' | 'reason' | 'region' | 'surface' | 'reason×region';
  readonly reason: string | null;
  readonly region: string | null;
  readonly surface: string | null;
  readonly reports: number;
  readonly decided: number;
  readonly actioned: number;
  readonly pending: number;
  readonly decided_share: number | null;
  /** actioned / decided: the precision of reports */
  readonly precision: number | null;
  readonly precision_ci_low: number | null;
  readonly precision_ci_high: number | null;
  readonly resolution_hours_p50: number | null;
  readonly resolution_hours_p90: number | null;
  readonly resolution_hours_p99: number | null;
  readonly backlog: Readonly<Record<BacklogBucket, number>>;
}

export interface Bottleneck {
  readonly dimension: 'reason' | 'region';
  readonly value: string | null;
  /** Pending reports older than 2 days. */
  readonly aged_backlog: number;
  /** aged_backlog − (its share of intake × all aged backlog): the backlog it holds beyond its size. */
  readonly excess_aged_backlog: number;
  readonly intake_share: number | null;
  readonly backlog_share: number | null;
  /** This group's p90 time to resolution / the overall p90. */
  readonly resolution_p90_ratio: number | null;
}

export interface ReportFunnelResult {
  readonly analysis: 'report_funnel';
  readonly from: string;
  readonly to: string;
  readonly as_of: string;
  readonly confidence: number;
  readonly total: FunnelRow;
  readonly by_reason: readonly FunnelRow[];
  readonly by_region: readonly FunnelRow[];
  readonly by_surface: readonly FunnelRow[];
  readonly by_reason_region: readonly FunnelRow[];
  /** Reasons whose precision CI lies wholly below half the overall precision (rarely actioned). */
  readonly low_precision_reasons: readonly {
    reason: string | null;
    precision: number | null;
    ci_high: number | null;
  }[];
  readonly weakest_reason: string | null;
  readonly bottlenecks: readonly Bottleneck[];
}

export async function analyzeReports(o: ReportFunnelOptions): Promise<ReportFunnelResult> {
  const asOf = o.asOf ?? o.to;
  const confidence = o.confidence ?? 0.95;
  const minDecided = o.minDecided ?? 100;
  const d = o.engine.dialect;
  const r = resolver(o);
  const R = 'user_reports';
  const c = (name: string) => r.column(R, name);
  const asOfEpoch = asOf.getTime() / 1000;
  const dims = ['reason', 'region', 'surface'];
  // decided at asOf: a final status and resolved before asOf
  const sql = `SELECT ${[
    ...dims.map((n) => `CAST(${quoteIdent(n)} AS VARCHAR) AS ${quoteIdent(`d_${n}`)}`),
    `GROUPING(${dims.map(quoteIdent).join(', ')}) AS g`,
    'CAST(count(*) AS DOUBLE) AS reports',
    'CAST(count(*) FILTER (WHERE decided) AS DOUBLE) AS decided',
    `CAST(count(*) FILTER (WHERE decided AND status = 'actioned') AS DOUBLE) AS actioned`,
    'CAST(count(*) FILTER (WHERE pending) AS DOUBLE) AS pending',
    'CAST(count(*) FILTER (WHERE pending AND age_days < 1) AS DOUBLE) AS b_lt_1d',
    'CAST(count(*) FILTER (WHERE pending AND age_days >= 1 AND age_days < 2) AS DOUBLE) AS b_1d_2d',
    'CAST(count(*) FILTER (WHERE pending AND age_days >= 2 AND age_days < 7) AS DOUBLE) AS b_2d_7d',
    'CAST(count(*) FILTER (WHERE pending AND age_days >= 7) AS DOUBLE) AS b_ge_7d',
    ...[0.5, 0.9, 0.99].map(
      (p) => `CAST(${d.quantile('res_hours', p)} AS DOUBLE) AS ${quoteIdent(`p${Math.round(p * 100)}`)}`,
    ),
  ].join(',\n  ')}
FROM (
  SELECT reason, region, surface, status, decided,
    status = 'pending' OR (status IN ('actioned', 'dismissed') AND NOT decided) AS pending,
    CASE WHEN decided THEN (rt - et) / 3600 END AS res_hours,
    (${asOfEpoch} - et) / ${DAY_SECONDS} AS age_days
  FROM (
    SELECT ${c('reason')} AS reason, ${c('region')} AS region, ${c('surface')} AS surface,
      coalesce(${c('status')}, '') AS status,
      ${d.epochSeconds(r.timeColumn(R))} AS et, ${d.epochSeconds(c('resolved_time'))} AS rt,
      coalesce(${c('status')} IN ('actioned', 'dismissed') AND ${d.epochSeconds(c('resolved_time'))} < ${asOfEpoch}, FALSE) AS decided
    ${scanSql(d, r, R, o.from, o.to)}
  ) s
) t
GROUP BY GROUPING SETS ((), (reason), (region), (surface), (reason, region))`;
  const res = await o.engine.query(sql, { label: 'reports: user_reports' });

  const g = col(res, 'g');
  const dv = dims.map((n) => strCol(res, `d_${n}`));
  const num = (name: string) => col(res, name);
  const cols = Object.fromEntries(
    [
      'reports',
      'decided',
      'actioned',
      'pending',
      'b_lt_1d',
      'b_1d_2d',
      'b_2d_7d',
      'b_ge_7d',
      'p50',
      'p90',
      'p99',
    ].map((n) => [n, num(n)]),
  );
  const rows: FunnelRow[] = [];
  for (let i = 0; i < res.rowCount; i++) {
    const bits = g[i] ?? 0;
    const has = dims.map((_, j) => ((bits >> (dims.length - 1 - j)) & 1) === 0);
    const dimension: FunnelRow['dimension'] =
      has[0] && has[1]
        ? 'reason×region'
        : has[0]
          ? 'reason'
          : has[1]
            ? 'region'
            : has[2]
              ? 'surface'
              : 'total';
    const v = (n: string) => cols[n]![i] ?? 0;
    const ci = weightedWilson(v('actioned'), v('decided'), v('decided'), confidence);
    rows.push({
      dimension,
      reason: has[0] ? (dv[0]![i] ?? null) : null,
      region: has[1] ? (dv[1]![i] ?? null) : null,
      surface: has[2] ? (dv[2]![i] ?? null) : null,
      reports: v('reports'),
      decided: v('decided'),
      actioned: v('actioned'),
      pending: v('pending'),
      decided_share: round(ratio(v('decided'), v('reports'))),
      precision: round(ci?.p ?? null),
      precision_ci_low: round(ci?.low ?? null),
      precision_ci_high: round(ci?.high ?? null),
      resolution_hours_p50: round(cols.p50![i]),
      resolution_hours_p90: round(cols.p90![i]),
      resolution_hours_p99: round(cols.p99![i]),
      backlog: {
        lt_1d: v('b_lt_1d'),
        '1d_2d': v('b_1d_2d'),
        '2d_7d': v('b_2d_7d'),
        ge_7d: v('b_ge_7d'),
      },
    });
  }
  const empty: FunnelRow = {
    dimension: 'total',
    reason: null,
    region: null,
    surface: null,
    reports: 0,
    decided: 0,
    actioned: 0,
    pending: 0,
    decided_share: null,
    precision: null,
    precision_ci_low: null,
    precision_ci_high: null,
    resolution_hours_p50: null,
    resolution_hours_p90: null,
    resolution_hours_p99: null,
    backlog: { lt_1d: 0, '1d_2d': 0, '2d_7d': 0, ge_7d: 0 },
  };
  const total = rows.find((x) => x.dimension === 'total') ?? empty;
  const byDim = (dim: FunnelRow['dimension']) =>
    rows.filter((x) => x.dimension === dim).sort((a, b) => b.reports - a.reports);
  const byReason = byDim('reason');
  const aged = (x: FunnelRow) => x.backlog['2d_7d'] + x.backlog.ge_7d;
  const totalAged = aged(total);

  const judged = byReason.filter((x) => x.decided >= minDecided && x.precision !== null);
  const lowPrecision =
    total.precision === null
      ? []
      : judged
          .filter((x) => x.precision_ci_high !== null && x.precision_ci_high < total.precision! / 2)
          .sort((a, b) => a.precision! - b.precision!)
          .map((x) => ({ reason: x.reason, precision: x.precision, ci_high: x.precision_ci_high }));
  const weakest = [...judged].sort((a, b) => a.precision! - b.precision!)[0]?.reason ?? null;

  const bottlenecks: Bottleneck[] = [];
  for (const dim of ['reason', 'region'] as const) {
    for (const x of byDim(dim)) {
      const intake = ratio(x.reports, total.reports);
      bottlenecks.push({
        dimension: dim,
        value: x[dim],
        aged_backlog: aged(x),
        excess_aged_backlog: round(aged(x) - (intake ?? 0) * totalAged) ?? 0,
        intake_share: round(intake),
        backlog_share: round(ratio(aged(x), totalAged)),
        resolution_p90_ratio: round(
          x.resolution_hours_p90 !== null && total.resolution_hours_p90
            ? x.resolution_hours_p90 / total.resolution_hours_p90
            : null,
        ),
      });
    }
  }
  bottlenecks.sort(
    (a, b) =>
      b.excess_aged_backlog - a.excess_aged_backlog ||
      (b.resolution_p90_ratio ?? 0) - (a.resolution_p90_ratio ?? 0),
  );

  return {
    analysis: 'report_funnel',
    from: formatIso(o.from),
    to: formatIso(o.to),
    as_of: formatIso(asOf),
    confidence,
    total,
    by_reason: byReason,
    by_region: byDim('region'),
    by_surface: byDim('surface'),
    by_reason_region: byDim('reason×region'),
    low_precision_reasons: lowPrecision,
    weakest_reason: weakest,
    bottlenecks,
  };
}
