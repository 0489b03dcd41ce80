import type { MetricConfig } from '../config/schema.js';
import { partitionPredicate, SourceResolver } from '../metrics/sql-render.js';
import { numberColumn, type QueryEngine, stringColumn } from '../ports/query-engine.js';
import { timestampLiteral } from '../sql/literals.js';
import { formatIso } from '../time/window.js';

/**
 * Row-level data-quality checks of one range of hours, run next to the metrics (opt-in, two
 * aggregate queries per source). They never change a metric: they say when a number may mislead.
 *
 * - `out_of_partition`: rows whose event_time is null or outside the hour of the partition they sit
 *   in. Metrics select rows by event_time and read only the window's partitions, so such a row is
 *   counted in no window (or, within the read range, in another hour): the count is the size of
 *   that blind spot, reported against the partition hour.
 * - `duplicate_ids`: rows of a window (by event_time) whose event id repeats (count − distinct).
 *   Metrics count rows as they are (dedupe is a metric definition choice: a `distinct_count` of the
 *   id column is the deduplicated count); the warning says by how much a count is inflated.
 */
export type RowIssueKind = 'out_of_partition' | 'duplicate_ids';

export interface RowQualityWarning {
  readonly source: string;
  /** The hour (ISO): the partition for out_of_partition, the event_time hour for duplicate_ids. */
  readonly window: string;
  readonly kind: RowIssueKind;
  readonly rows: number;
  /** Rows of the source in that hour, for scale. */
  readonly of: number;
}

/** The event id of each source of the fixed schema; sources without a single-column id are not checked for duplicates. */
export const EVENT_ID_COLUMNS: Readonly<Record<string, string>> = {
  impressions: 'impression_id',
  moderation_decisions: 'decision_id',
  user_reports: 'report_id',
  prevalence_labels: 'impression_id',
};

export async function checkRows(
  engine: QueryEngine,
  cfg: MetricConfig,
  sources: readonly string[],
  from: Date,
  to: Date,
): Promise<RowQualityWarning[]> {
  const r = new SourceResolver(cfg.sources);
  const d = engine.dialect;
  const out: RowQualityWarning[] = [];
  for (const source of sources) {
    const table = d.table(r.table(source), { from, to });
    const time = r.timeColumn(source);
    const bucket = d.epochSeconds(d.truncate('hour', time));
    const where = partitionPredicate(from, to);
    const parts = await engine.query(
      `SELECT "dt" AS dt, "hour" AS hour, ${bucket} AS b, CAST(count(*) AS DOUBLE) AS n FROM ${table} WHERE ${where} GROUP BY "dt", "hour", ${bucket}`,
      { label: `row checks (partitions) of ${source}` },
    );
    const dts = stringColumn(parts, 'dt');
    const hours = stringColumn(parts, 'hour');
    const b = numberColumn(parts, 'b');
    const n = numberColumn(parts, 'n');
    const byPartition = new Map<number, { rows: number; outside: number }>();
    for (let i = 0; i < parts.rowCount; i++) {
      const t = Date.parse(`${dts[i]}T${String(hours[i]).padStart(2, '0')}:00:00Z`);
      if (Number.isNaN(t)) continue;
      const p = byPartition.get(t) ?? { rows: 0, outside: 0 };
      p.rows += n[i] ?? 0;
      if (b[i] === null || Math.round(b[i]! * 1000) !== t) p.outside += n[i] ?? 0;
      byPartition.set(t, p);
    }
    for (const [t, p] of [...byPartition].sort((x, y) => x[0] - y[0]))
      if (p.outside > 0)
        out.push({
          source,
          window: formatIso(new Date(t)),
          kind: 'out_of_partition',
          rows: p.outside,
          of: p.rows,
        });

    const idColumn = EVENT_ID_COLUMNS[source];
    if (!idColumn) continue;
    const id = r.column(source, idColumn);
    const dups = await engine.query(
      `SELECT ${bucket} AS b, CAST(count(*) AS DOUBLE) AS n, CAST(count(${id}) - count(DISTINCT ${id}) AS DOUBLE) AS dup FROM ${table} WHERE ${where} AND ${time} >= ${timestampLiteral(from)} AND ${time} < ${timestampLiteral(to)} GROUP BY ${bucket}`,
      { label: `row checks (duplicates) of ${source}` },
    );
    const db = numberColumn(dups, 'b');
    const dn = numberColumn(dups, 'n');
    const dd = numberColumn(dups, 'dup');
    const rows: RowQualityWarning[] = [];
    for (let i = 0; i < dups.rowCount; i++)
      if ((dd[i] ?? 0) > 0)
        rows.push({
          source,
          window: formatIso(new Date(Math.round(db[i]! * 1000))),
          kind: 'duplicate_ids',
          rows: dd[i]!,
          of: dn[i] ?? 0,
        });
    out.push(...rows.sort((x, y) => x.window.localeCompare(y.window)));
  }
  return out;
}
