import type { Finding } from '../alerting/findings.js';
import { OTHER, type SliceShare } from '../alerting/root-cause.js';
import type { Condition, Metric, MetricConfig } from '../config/schema.js';
import { filterSql, partitionPredicate, SourceResolver } from '../metrics/sql-render.js';
import { numberColumn, type QueryEngine } from '../ports/query-engine.js';
import { isTotal, type Slice } from '../slices/slice.js';
import { literal, quoteIdent, timestampLiteral } from '../sql/literals.js';
import { addGrain, type Grain } from '../time/window.js';

/**
 * Small-slice suppression (k-anonymity of slices) for everything Vigil shows people: a slice whose
 * rows come from fewer than k distinct users is never named in an alert or a report. It is merged
 * into one `other` entry (alerts' top slices) or left out (report rows); the total always stays.
 * Alerts and reports carry aggregates and slice names only, never ids, by construction; this also
 * stops a slice like `region=XX;surface=live` from pointing at one person.
 */
export const DEFAULT_MIN_SLICE_USERS = 5;
export const OTHER_SLICE = OTHER;

/**
 * The column that identifies the person behind a row, per source of the fixed schema. Decisions are
 * about a creator's content; prevalence labels carry no person, so distinct content stands in.
 */
export const USER_COLUMNS: Readonly<Record<string, string>> = {
  impressions: 'viewer_id',
  moderation_decisions: 'creator_id',
  user_reports: 'reporter_id',
  account_events: 'account_id',
  prevalence_labels: 'content_id',
  experiment_assignments: 'unit_id',
};

export interface PrivacyOptions {
  /** k: slices with fewer distinct users are suppressed (default 5; 0 or 1 turns it off). */
  readonly minSliceUsers?: number;
  /** Extra or overriding person columns per source (for sources declared in config). */
  readonly userColumns?: Readonly<Record<string, string>>;
}

/**
 * The populations whose distinct users define a metric's slice: every source the metric reads, all
 * its rows in the slice and window (the people the slice is about, whatever the metric filters);
 * the minimum over sources counts.
 */
export function populationsOf(metric: Metric): { source: string; filter: readonly Condition[] }[] {
  const sources =
    metric.kind === 'ratio' ? [metric.numerator.source, metric.denominator.source] : [metric.source];
  return [...new Set(sources)].map((source) => ({ source, filter: [] }));
}

export interface SliceUserRequest {
  readonly metric: string;
  /** Window start (epoch ms). */
  readonly t: number;
  /** End of the span counted (epoch ms, exclusive); one window of the grain when absent. */
  readonly end?: number;
  readonly slices: readonly Slice[];
}

/**
 * Distinct users of each requested (metric, window, slice), the minimum over the metric's
 * populations: one query per source and window, every slice as a FILTERed count(DISTINCT).
 * Returns `${metric}@${t}@${slice}` → users; a slice of a source without a known person column is
 * absent (unknown), and callers treat unknown as small.
 */
export async function countSliceUsers(
  engine: QueryEngine,
  cfg: MetricConfig,
  grain: Grain,
  requests: readonly SliceUserRequest[],
  userColumns: Readonly<Record<string, string>> = {},
): Promise<Map<string, number>> {
  const r = new SourceResolver(cfg.sources);
  const metrics = new Map(cfg.metrics.map((m) => [m.name, m]));
  const users = { ...USER_COLUMNS, ...userColumns };
  // (t, source) → aggregates
  const queries = new Map<
    string,
    { t: number; end: number | undefined; source: string; aggs: { key: string; sql: string }[] }
  >();
  for (const req of requests) {
    const metric = metrics.get(req.metric);
    if (!metric) continue;
    for (const pop of populationsOf(metric)) {
      const userCol = users[pop.source];
      if (!userCol) continue;
      const qk = `${req.t}@${req.end}@${pop.source}`;
      const q = queries.get(qk) ?? { t: req.t, end: req.end, source: pop.source, aggs: [] };
      queries.set(qk, q);
      for (const slice of req.slices) {
        // A value SQL text cannot carry (NUL) is left uncounted, hence treated as small.
        if (isTotal(slice) || slice.pairs.some(([, v]) => v?.includes('\u0000'))) continue;
        // Dimensions are config names (identifiers); data values only ever become literals.
        const conds = slice.pairs.map(([dim, value]) => {
          const col = r.column(pop.source, dim);
          return value === null ? `${col} IS NULL` : `CAST(${col} AS VARCHAR) = ${literal(value)}`;
        });
        const f = filterSql(pop.filter, pop.source, r);
        const where = [...(f ? [f] : []), ...conds].join(' AND ');
        q.aggs.push({
          key: userKey(req.metric, req.t, slice),
          sql: `CAST(count(DISTINCT ${r.column(pop.source, userCol)}) FILTER (WHERE ${where}) AS DOUBLE)`,
        });
      }
    }
  }
  const out = new Map<string, number>();
  for (const q of queries.values()) {
    if (q.aggs.length === 0) continue;
    const from = new Date(q.t);
    const to = q.end !== undefined ? new Date(q.end) : addGrain(from, grain);
    const time = r.timeColumn(q.source);
    const sql = [
      `SELECT ${q.aggs.map((a, i) => `${a.sql} AS ${quoteIdent(`k${i}`)}`).join(', ')}`,
      `FROM ${engine.dialect.table(r.table(q.source), { from, to })}`,
      `WHERE ${partitionPredicate(from, to)} AND ${time} >= ${timestampLiteral(from)} AND ${time} < ${timestampLiteral(to)}`,
    ].join('\n');
    const result = await engine.query(sql, { label: `slice user counts of ${q.source}` });
    q.aggs.forEach((a, i) => {
      const n = result.rowCount > 0 ? (numberColumn(result, `k${i}`)[0] ?? 0) : 0;
      out.set(a.key, Math.min(out.get(a.key) ?? Number.POSITIVE_INFINITY, n));
    });
  }
  return out;
}

function userKey(metric: string, t: number, slice: Slice): string {
  return JSON.stringify([metric, t, slice.key]);
}

/** Whether a slice of a metric in a window has at least k people. */
export interface SliceGuard {
  readonly k: number;
  isLarge(metric: string, t: number, slice: Slice): boolean;
}

export const NO_GUARD: SliceGuard = { k: 1, isLarge: () => true };

/** What counting a slice's people needs: the lake, the metrics' sources, the grain, the k. */
export interface SliceGuardDeps {
  readonly engine: QueryEngine;
  readonly config: MetricConfig;
  readonly grain: Grain;
  readonly privacy?: PrivacyOptions;
}

/**
 * Counts the people of every requested slice once (one query per source and window) and answers
 * from that: a slice not counted, or of a source without a person column, is small.
 */
export async function buildSliceGuard(
  requests: readonly SliceUserRequest[],
  deps: SliceGuardDeps,
): Promise<SliceGuard> {
  const k = deps.privacy?.minSliceUsers ?? DEFAULT_MIN_SLICE_USERS;
  if (k <= 1) return NO_GUARD;
  const wanted = requests.filter((r) => r.slices.some((s) => !isTotal(s)));
  const users =
    wanted.length > 0
      ? await countSliceUsers(deps.engine, deps.config, deps.grain, wanted, deps.privacy?.userColumns)
      : new Map<string, number>();
  return {
    k,
    isLarge: (metric, t, slice) => isTotal(slice) || (users.get(userKey(metric, t, slice)) ?? 0) >= k,
  };
}

/**
 * Top slices with every slice below k merged into one `other` entry (its share is the sum; its
 * observed/expected are not shown, as they do not add up across ratio slices).
 */
export function mergeSmallSlices(
  slices: readonly SliceShare[],
  isLarge: (slice: Slice) => boolean,
): SliceShare[] {
  const large = (s: SliceShare) => s.slice !== OTHER && isLarge(s.slice);
  const kept = slices.filter(large);
  const small = slices.filter((s) => !large(s));
  if (small.length === 0) return kept;
  const contribution = Math.min(
    1,
    Math.round(small.reduce((a, s) => a + s.contribution, 0) * 10_000) / 10_000,
  );
  return [...kept, { slice: OTHER, observed: null, expected: null, contribution }];
}

/** Items (report rows, table lines) of slices below k left out; totals always stay. */
export function suppressSmallSlices<T extends { readonly slice: Slice }>(
  items: readonly T[],
  isLarge: (slice: Slice) => boolean,
): T[] {
  return items.filter((x) => isTotal(x.slice) || isLarge(x.slice));
}

/** The slices a finding names: its own, its candidate slices and its top slices. */
export function slicesNamedBy(f: Finding): Slice[] {
  const out = new Map<string, Slice>();
  for (const s of [f.slice, ...f.slices, ...f.topSlices.flatMap((x) => (x.slice === OTHER ? [] : [x.slice]))])
    if (!isTotal(s)) out.set(s.key, s);
  return [...out.values()];
}

/**
 * Applies k to a finding before it becomes an incident and alerts: a small head slice is marked
 * suppressed (messages name it `other`), small candidate slices are left out (and counted), small
 * top slices merge into `other`.
 */
export function protectFinding(f: Finding, guard: SliceGuard): Finding {
  if (guard.k <= 1) return f;
  const isLarge = (s: Slice) => guard.isLarge(f.metric, f.t, s);
  const slices = f.slices.filter(isLarge);
  const hidden = f.slices.length - slices.length + (f.hiddenSlices ?? 0);
  return {
    ...f,
    ...(isLarge(f.slice) ? {} : { suppressed: true }),
    slices,
    ...(hidden > 0 ? { hiddenSlices: hidden } : {}),
    topSlices: mergeSmallSlices(f.topSlices, isLarge),
  };
}

/** protectFinding for a batch, counting people once. */
export async function protectFindings(
  findings: readonly Finding[],
  deps: SliceGuardDeps,
): Promise<Finding[]> {
  const guard = await buildSliceGuard(
    findings.map((f) => ({ metric: f.metric, t: f.t, slices: slicesNamedBy(f) })),
    deps,
  );
  return findings.map((f) => protectFinding(f, guard));
}
