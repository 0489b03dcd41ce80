import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TMP_ROOT } from './lake.js';

export const FLOAT_LAKE_START = '2026-03-01T00:00:00Z';
export const FLOAT_LAKE_DAYS = 6;

const ROWS_PER_SOURCE = 240_000;
const REGIONS = "['US', 'BR', 'DE', 'IN', 'ID']";
const SURFACES = "['video', 'live', 'comment', 'message']";

/**
 * A lake whose doubles have no short binary form (sample weights 1/u, latencies with many
 * digits) spread over one Parquet file per hour: a floating-point SUM over it changes in the last
 * bits with the order DuckDB's threads add the files in. 6 days, 240k rows per source; units
 * `cr0..cr199` are creators assigned to an A/B test, and region BR gets a policy launch.
 */
export async function floatLake(): Promise<string> {
  const dir = path.join(TMP_ROOT, `lake-float-sums-${FLOAT_LAKE_DAYS}d`);
  if (existsSync(path.join(dir, '_done'))) return dir;
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  const stepUs = Math.floor((FLOAT_LAKE_DAYS * 86_400 * 1e6) / ROWS_PER_SOURCE);
  const t = `(TIMESTAMP '2026-03-01 00:00:00' + to_microseconds(CAST(i AS BIGINT) * ${stepUs}))`;
  const common = `${t} AS event_time, ${SURFACES}[1 + i % 4] AS surface, ${REGIONS}[1 + (i // 7) % 5] AS region`;
  const parts = `strftime(${t}, '%Y-%m-%d') AS dt, strftime(${t}, '%H') AS hour`;
  const sources: Record<string, string> = {
    prevalence_labels: `'imp' || i AS impression_id, 'c' || (i % 997) AS content_id,
      CASE WHEN hash(i, 'v') % 20 = 0 THEN 'spam' END AS policy, hash(i, 'v') % 20 = 0 AS is_violating,
      1.0 / (0.001 + (hash(i, 'w') % 1000003) / 1000003.0) AS sample_weight`,
    moderation_decisions: `'d' || i AS decision_id, 'c' || (i % 997) AS content_id, 'cr' || (i % 200) AS creator_id,
      'spam' AS policy, ['remove', 'warn', 'no_violation'][1 + i % 3] AS action,
      ['automated', 'human', 'appeal'][1 + (i // 3) % 3] AS decision_source,
      (hash(i, 's') % 1000) / 999.0 AS model_score,
      pi() * ((hash(i, 'l') % 100003) / 7.0 + CASE WHEN region = 'BR' AND ${t} >= TIMESTAMP '2026-03-04' THEN 300 ELSE 0 END) AS latency_seconds,
      CASE WHEN (i // 3) % 3 = 2 THEN hash(i, 'o') % 3 = 0 END AS appeal_overturned`,
    impressions: `'imp' || i AS impression_id, 'v' || (i % 5000) AS viewer_id, 'c' || (i % 997) AS content_id,
      'cr' || (i % 200) AS creator_id, ['ios', 'android', 'web'][1 + i % 3] AS platform`,
    experiment_assignments: `'ab_float' AS experiment_id, CASE WHEN hash('cr' || (i % 200)) % 2 = 0 THEN 'control' ELSE 'treatment' END AS variant,
      'cr' || (i % 200) AS unit_id, 'ios' AS platform`,
  };
  for (const [source, cols] of Object.entries(sources)) {
    const rows = source === 'experiment_assignments' ? 200 : ROWS_PER_SOURCE;
    const time =
      source === 'experiment_assignments'
        ? `(TIMESTAMP '2026-03-02 00:00:00' + to_microseconds(CAST(i AS BIGINT) * 60000000))`
        : t;
    const select =
      source === 'experiment_assignments'
        ? `SELECT ${time} AS event_time, ${cols}, 'US' AS region, strftime(${time}, '%Y-%m-%d') AS dt, strftime(${time}, '%H') AS hour`
        : `SELECT ${common}, ${cols}, ${parts}`;
    await c.run(
      `COPY (${select} FROM range(${rows}) r(i)) TO '${path.join(dir, source)}' (FORMAT parquet, PARTITION_BY (dt, hour), OVERWRITE_OR_IGNORE)`,
    );
  }
  c.closeSync();
  db.closeSync();
  writeFileSync(path.join(dir, '_done'), '');
  return dir;
}

/** Experiment and policy config over the float lake (a sum metric of doubles, a weighted ratio). */
export const FLOAT_LAKE_CONFIG = `version: 1
experiments:
  - id: ab_float
    variants:
      - { name: control, weight: 0.5 }
      - { name: treatment, weight: 0.5 }
    control: control
    start: "2026-03-02T00:00:00Z"
    end: "2026-03-07T00:00:00Z"
    unit: creator
    metrics:
      - name: latency_per_creator
        role: primary
        direction: decrease
        kind: sum
        source: moderation_decisions
        unit_column: creator_id
        column: latency_seconds
        cuped: { pre_days: 1 }
policies:
  - id: br_latency
    region: BR
    launch: "2026-03-04T00:00:00Z"
    metric: violation_prevalence
    pre_days: 3
    post_days: 3
`;
