import type { MetricConfig } from '../config/schema.js';
import { numberColumn, type QueryEngine, stringColumn } from '../ports/query-engine.js';
import { literal, quoteIdent } from '../sql/literals.js';
import { addGrain, formatDt } from '../time/window.js';

/** source → hour start (epoch ms) → rows in that (dt, hour) partition; absent partitions are absent. */
export type PartitionCounts = Map<string, Map<number, number>>;

/**
 * Counts rows per source per (dt, hour) partition over [from, to), in one engine-agnostic query
 * (plain SQL over the partition columns, so Athena answers it from partition metadata and footers).
 */
export async function countPartitions(
  engine: QueryEngine,
  cfg: MetricConfig,
  sources: readonly string[],
  from: Date,
  to: Date,
): Promise<PartitionCounts> {
  const out: PartitionCounts = new Map(sources.map((s) => [s, new Map()]));
  if (sources.length === 0) return out;
  const dt = quoteIdent('dt');
  const hour = quoteIdent('hour');
  const lastDay = formatDt(addGrain(to, 'hour', -1));
  const parts = sources.map((source) => {
    // The range lets a local engine read only these partitions' folders instead of globbing the lake.
    const table = engine.dialect.table(cfg.sources[source]?.table ?? source, { from, to });
    return `SELECT ${literal(source)} AS source, ${dt} AS dt, ${hour} AS hour, CAST(count(*) AS DOUBLE) AS n FROM ${table} WHERE ${dt} >= ${literal(formatDt(from))} AND ${dt} <= ${literal(lastDay)} GROUP BY ${dt}, ${hour}`;
  });
  const result = await engine.query(parts.join('\nUNION ALL\n'), { label: 'partition row counts' });
  const src = stringColumn(result, 'source');
  const dts = stringColumn(result, 'dt');
  const hours = stringColumn(result, 'hour');
  const n = numberColumn(result, 'n');
  for (let i = 0; i < result.rowCount; i++) {
    const t = Date.parse(`${dts[i]}T${String(hours[i]).padStart(2, '0')}:00:00Z`);
    if (Number.isNaN(t) || t < from.getTime() || t >= to.getTime()) continue;
    out.get(src[i]!)?.set(t, n[i] ?? 0);
  }
  return out;
}
