/**
 * Experiment-engine benchmark: N assigned units (1M and 10M), one experiment with 6 metrics
 * (incl. a CUPED metric and a delta-method ratio). Measures the full analysis (plan → one engine
 * statement → statistics → readout) against one hand-written DuckDB query computing the same
 * per-variant sums, each in its own child process (wall time, peak RSS of the process).
 *
 * Each size runs twice: with DuckDB's default memory limit (80% of RAM) and capped (the CLI's
 * VIGIL_MEMORY_LIMIT), where the per-unit aggregate spills to disk instead of growing with units.
 *
 *   npx tsx bench/experiments/run.ts [--units 1000000,10000000] [--cap 256MB] [--dir bench/out/experiments]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { analyzeExperiment } from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';

const START = '2026-01-08T00:00:00Z';
const END = '2026-01-15T00:00:00Z';
const CONFIG = `
version: 1
experiments:
  - id: bench
    variants: [{ name: control, weight: 0.5 }, { name: treatment, weight: 0.5 }]
    start: "${START}"
    end: "${END}"
    metrics:
      - { name: reports, role: primary, kind: count, source: user_reports, unit_column: reporter_id, cuped: { pre_days: 7 } }
      - { name: actioned, role: guardrail, kind: count, source: user_reports, unit_column: reporter_id, filter: [{ column: status, value: actioned }] }
      - name: action_rate
        role: guardrail
        kind: ratio
        numerator: { source: user_reports, unit_column: reporter_id, filter: [{ column: status, value: actioned }] }
        denominator: { source: user_reports, unit_column: reporter_id, filter: [{ column: status, op: in, value: [actioned, dismissed] }] }
      - { name: live, role: secondary, kind: count, source: user_reports, unit_column: reporter_id, filter: [{ column: surface, value: live }] }
      - { name: spam, role: secondary, kind: count, source: user_reports, unit_column: reporter_id, filter: [{ column: reason, value: spam }] }
      - { name: dismissed, role: secondary, kind: count, source: user_reports, unit_column: reporter_id, filter: [{ column: status, value: dismissed }] }
`;

/** The same sums, written by hand (what an analyst would write). */
const HAND = `
WITH a AS (
  SELECT unit_id, min(variant) AS v, min(event_time) AS t FROM experiment_assignments
  WHERE experiment_id = 'bench' AND event_time >= TIMESTAMP '2026-01-08' AND event_time < TIMESTAMP '2026-01-15'
  GROUP BY unit_id),
u AS (
  SELECT a.v,
    count(r.event_time) FILTER (WHERE r.event_time >= a.t) AS y,
    count(r.event_time) FILTER (WHERE r.event_time < TIMESTAMP '2026-01-08') AS x,
    count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.status = 'actioned') AS act,
    count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.status IN ('actioned', 'dismissed')) AS res,
    count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.surface = 'live') AS live,
    count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.reason = 'spam') AS spam,
    count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.status = 'dismissed') AS dis
  FROM a LEFT JOIN (SELECT * FROM user_reports WHERE event_time >= TIMESTAMP '2026-01-01' AND event_time < TIMESTAMP '2026-01-15') r
    ON r.reporter_id = a.unit_id
  GROUP BY a.unit_id, a.v)
SELECT v, count(*), sum(y), sum(y*y), sum(x), sum(x*x), sum(x*y), sum(act), sum(act*act), sum(res), sum(res*res), sum(act*res),
  sum(live), sum(live*live), sum(spam), sum(spam*spam), sum(dis), sum(dis*dis)
FROM u GROUP BY v`;

async function generate(lake: string, units: number): Promise<void> {
  if (existsSync(path.join(lake, '.done'))) return;
  rmSync(lake, { recursive: true, force: true });
  mkdirSync(lake, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run("SET TimeZone = 'UTC'");
  const copy = (table: string, select: string) =>
    c.run(`COPY (SELECT *, strftime(event_time, '%Y-%m-%d') AS dt, strftime(event_time, '%H') AS hour FROM (${select}))
           TO '${path.join(lake, table)}' (FORMAT parquet, PARTITION_BY (dt, hour), OVERWRITE_OR_IGNORE)`);
  await copy(
    'experiment_assignments',
    `SELECT TIMESTAMP '2026-01-08' + to_microseconds(CAST(floor(random() * 3 * 86400e6) AS BIGINT)) AS event_time,
       'bench' AS experiment_id, CASE WHEN random() < 0.5 THEN 'control' ELSE 'treatment' END AS variant,
       'u' || i AS unit_id, 'US' AS region, 'ios' AS platform FROM range(${units}) t(i)`,
  );
  // ~1.5 reports per unit over 14 days (7 pre, 7 during), skewed towards low ids.
  await copy(
    'user_reports',
    `SELECT TIMESTAMP '2026-01-01' + to_microseconds(CAST(floor(random() * 14 * 86400e6) AS BIGINT)) AS event_time,
       'r' || i AS report_id, 'u' || CAST(floor(${units} * pow(random(), 1.5)) AS BIGINT) AS reporter_id,
       'content' AS target_type, 'c1' AS target_id,
       CASE WHEN random() < 0.2 THEN 'live' ELSE 'video' END AS surface, 'US' AS region,
       CASE WHEN random() < 0.3 THEN 'spam' ELSE 'harassment' END AS reason,
       CASE WHEN random() < 0.4 THEN 'actioned' WHEN random() < 0.9 THEN 'dismissed' ELSE 'pending' END AS status,
       CAST(NULL AS TIMESTAMP) AS resolved_time
     FROM range(${Math.round(units * 1.5)}) t(i)`,
  );
  c.closeSync();
  db.closeSync();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(lake, '.done'), '');
}

async function child(mode: string, lake: string, cap: string): Promise<void> {
  const engine = await DuckDbQueryEngine.open({ lake, ...(cap === '-' ? {} : { memoryLimit: cap }) });
  const started = performance.now();
  if (mode === 'analyze') {
    const config = parseExperimentConfig(CONFIG, 'bench');
    const r = await analyzeExperiment({ engine, config, experiment: 'bench', asOf: new Date(END) });
    if (r.metrics.length !== 6) throw new Error('expected 6 metrics');
  } else {
    await engine.query(HAND);
  }
  const ms = performance.now() - started;
  await engine.close();
  process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

function measure(mode: string, lake: string, cap: string): { ms: number; maxRssMb: number } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--child', mode, lake, cap],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(args[1]!, args[2]!, args[3] ?? '-');
} else {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizes = (flag('--units') ?? '1000000,10000000').split(',').map(Number);
  const dir = path.resolve(flag('--dir') ?? 'bench/out/experiments');
  const cap = flag('--cap') ?? '256MB';
  const rows: string[] = [];
  for (const units of sizes) {
    const lake = path.join(dir, `lake-${units}`);
    const g = performance.now();
    await generate(lake, units);
    process.stderr.write(`lake ${units} units ready in ${((performance.now() - g) / 1000).toFixed(1)}s\n`);
    if (args.includes('--generate-only')) continue;
    // Warm the OS file cache once, then best of 3 for each side.
    measure('hand', lake, '-');
    for (const limit of ['-', cap]) {
      const best = (mode: string) => {
        const runs = [measure(mode, lake, limit), measure(mode, lake, limit), measure(mode, lake, limit)];
        return { ms: Math.min(...runs.map((x) => x.ms)), maxRssMb: Math.max(...runs.map((x) => x.maxRssMb)) };
      };
      const hand = best('hand');
      const ours = best('analyze');
      rows.push(
        `| ${units.toLocaleString('en-US')} | ${(units * 1.5).toLocaleString('en-US')} | ${limit === '-' ? 'default' : limit} | ${(ours.ms / 1000).toFixed(2)} | ${(hand.ms / 1000).toFixed(2)} | ${(ours.ms / hand.ms).toFixed(2)}× | ${ours.maxRssMb.toFixed(0)} | ${hand.maxRssMb.toFixed(0)} |`,
      );
    }
  }
  process.stdout.write(
    [
      '| units | reports | DuckDB memory limit | analyze (s) | hand-written query (s) | ratio | analyze peak RSS (MB) | hand peak RSS (MB) |',
      '|---:|---:|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n'),
  );
}
