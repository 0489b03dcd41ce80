/**
 * bench/metrics: the whole core catalog for one day and one hour window on a 10M+ impression lake.
 *   (a) Vigil's planned run: one scan per source, GROUPING SETS, conditional aggregates
 *   (b) the same catalog one query per metric (what a naive metric layer does)
 *   (c) one hand-written DuckDB query per source with the same aggregates
 * Run: npx tsx bench/metrics/run.ts [--lake DIR]   (generates bench/out/lake-large when absent)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { coreCatalog } from '../../shared/config/load.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { computeMetrics } from '../../shared/jobs/compute-metrics.js';
import { formatDt, formatHour, type Window, windowsInRange } from '../../shared/time/window.js';

const args = process.argv.slice(2);
const lake = args.includes('--lake')
  ? args[args.indexOf('--lake') + 1]!
  : path.resolve('bench/out/lake-large');
if (!existsSync(path.join(lake, '_manifest.json'))) {
  const t = performance.now();
  const m = await generateLake(
    buildScenario({ seed: 42, start: new Date('2026-01-01T00:00:00Z'), ...SCALES.large }),
    lake,
  );
  console.log(
    `generated ${lake}: ${m.rows.impressions} impressions in ${((performance.now() - t) / 1000).toFixed(1)}s`,
  );
}

const cfg = coreCatalog();
const engine = await DuckDbQueryEngine.open({ lake });

/** Hand-written per-source aggregates, equivalent to the catalog (c). */
function handWritten(w: Window): string[] {
  const parts =
    w.grain === 'day'
      ? `dt = '${formatDt(w.start)}'`
      : `dt = '${formatDt(w.start)}' AND hour = '${formatHour(w.start)}'`;
  const time = `event_time >= TIMESTAMP '${w.start.toISOString().slice(0, 19).replace('T', ' ')}' AND event_time < TIMESTAMP '${w.end.toISOString().slice(0, 19).replace('T', ' ')}'`;
  const where = `WHERE ${parts} AND ${time}`;
  // An expert reads the window's partition folders directly.
  const hours = w.grain === 'day' ? '*' : formatHour(w.start);
  const from = (source: string) =>
    `read_parquet('${path.join(lake, source)}/dt=${formatDt(w.start)}/hour=${hours}/*.parquet', hive_partitioning = true)`;
  return [
    `SELECT region, surface, platform, count(*) FROM ${from('impressions')} ${where} GROUP BY GROUPING SETS ((), (region), (surface), (platform))`,
    `SELECT region, surface, policy,
       count(*) FILTER (WHERE action = 'remove'),
       count(*) FILTER (WHERE decision_source = 'automated' AND action <> 'no_violation'),
       count(*) FILTER (WHERE action <> 'no_violation'),
       count(*) FILTER (WHERE decision_source = 'appeal' AND appeal_overturned),
       count(*) FILTER (WHERE decision_source = 'appeal'),
       quantile_cont(latency_seconds, 0.9), count(*)
     FROM ${from('moderation_decisions')} ${where} GROUP BY GROUPING SETS ((), (region), (surface), (policy))`,
    `SELECT region, surface, reason, count(*),
       count(*) FILTER (WHERE status = 'actioned'), count(*) FILTER (WHERE status IN ('actioned', 'dismissed')),
       count(DISTINCT reporter_id)
     FROM ${from('user_reports')} ${where} GROUP BY GROUPING SETS ((), (region), (surface), (reason))`,
    `SELECT region, platform,
       count(*) FILTER (WHERE event_type = 'login_failure'),
       count(*) FILTER (WHERE event_type IN ('login_success', 'login_failure')),
       count(*) FILTER (WHERE event_type = 'account_takeover_flag'),
       count(*) FILTER (WHERE event_type = 'signup' AND risk_score >= 0.8),
       count(*) FILTER (WHERE event_type = 'signup' AND risk_score IS NOT NULL)
     FROM ${from('account_events')} ${where} GROUP BY GROUPING SETS ((), (region), (platform))`,
    `SELECT region, surface, sum(sample_weight) FILTER (WHERE is_violating), sum(sample_weight), sum(sample_weight * sample_weight)
     FROM ${from('prevalence_labels')} ${where} GROUP BY GROUPING SETS ((), (region), (surface))`,
  ];
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

const REPEATS = 3;
async function best<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let out: { ms: number; value: T } | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const r = await timed(fn);
    if (!out || r.ms < out.ms) out = r;
  }
  return out!;
}

const cases: [string, Window][] = [
  [
    'day 2026-01-20',
    windowsInRange('day', new Date('2026-01-20T00:00:00Z'), new Date('2026-01-21T00:00:00Z'))[0]!,
  ],
  [
    'hour 2026-01-20T20',
    windowsInRange('hour', new Date('2026-01-20T20:00:00Z'), new Date('2026-01-20T21:00:00Z'))[0]!,
  ],
];
const lines = [
  '| window | (a) planned ms | scans | rows | (b) per-metric ms | scans | rows | (c) hand-written ms | scans | rows | a/b | a/c |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const [name, w] of cases) {
  await computeMetrics(engine, cfg, w.grain, [w]); // warm file metadata caches for all three
  const a = await best(() => computeMetrics(engine, cfg, w.grain, [w]));
  const b = await best(async () => {
    let rows = 0;
    let scans = 0;
    for (const m of cfg.metrics) {
      const r = await computeMetrics(engine, { ...cfg, metrics: [m] }, w.grain, [w]);
      rows += r.rows.length;
      scans += r.scans.length;
    }
    return { rows, scans };
  });
  const c = await best(async () => {
    let rows = 0;
    for (const sql of handWritten(w)) rows += (await engine.query(sql)).rowCount;
    return { rows, scans: handWritten(w).length };
  });
  lines.push(
    `| ${name} | ${a.ms.toFixed(0)} | ${a.value.scans.length} | ${a.value.rows.length} | ${b.ms.toFixed(0)} | ${b.value.scans} | ${b.value.rows} | ${c.ms.toFixed(0)} | ${c.value.scans} | ${c.value.rows} | ${(a.ms / b.ms).toFixed(2)} (b is ${(b.ms / a.ms).toFixed(1)}× slower) | ${(a.ms / c.ms).toFixed(2)} |`,
  );
}
await engine.close();
console.log(`lake ${lake}; best of ${REPEATS} runs each; rows = metric rows (a, b) or result rows (c)\n`);
console.log(lines.join('\n'));
