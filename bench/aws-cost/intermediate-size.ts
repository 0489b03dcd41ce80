/**
 * bench/aws-cost/intermediate-size: how large the hourly intermediates of the distinct counts and
 * percentiles are (shared/metrics/intermediates.ts, stored gzipped per hourly window) against the
 * raw events they stand for, per source with a non-additive metric, over 7 days of a generated lake.
 *
 *   lake files:        the partitions' Parquet files as generated (small files: overhead-dominated)
 *   one file:          the same rows as one Parquet file (per-row cost at scale, all columns)
 *   scanned columns:   one Parquet file of the columns a raw day scan for them reads (what Athena
 *                      bills when a day rescans events instead of merging intermediates)
 *   intermediates:     the gzipped JSON the hourly runs store, this source's part, per hour
 *
 * Run: npx tsx bench/aws-cost/intermediate-size.ts [--scale tiny|small]
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { coreCatalog } from '../../shared/config/load.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { computeMetrics } from '../../shared/jobs/compute-metrics.js';
import { formatBytes } from '../../shared/jobs/cost.js';
import { nonAdditivePlan } from '../../shared/jobs/rollup.js';
import { intermediateSets, windowIntermediates } from '../../shared/metrics/intermediates.js';
import { planMetrics } from '../../shared/metrics/plan.js';
import { quoteIdent, quoteString } from '../../shared/sql/literals.js';
import { addGrain, windowsInRange } from '../../shared/time/window.js';

const args = process.argv.slice(2);
const scale = (args.includes('--scale') ? args[args.indexOf('--scale') + 1] : 'small') as 'tiny' | 'small';
const out = path.resolve('bench/out/aws-cost');
const lake = path.join(out, `lake-${scale}`);
const cfg = coreCatalog();
if (!existsSync(path.join(lake, '_manifest.json')))
  await generateLake(
    buildScenario({ seed: 42, start: new Date('2026-01-01T00:00:00Z'), ...SCALES[scale] }),
    lake,
  );

const first = new Date('2026-01-02T00:00:00Z');
const last = addGrain(first, 'day', 7);
const engine = await DuckDbQueryEngine.open({ lake });
const tmp = path.join(out, 'size-tmp');
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

const dayPlan = nonAdditivePlan(planMetrics(cfg, 'day', first, last));
const perSource = new Map<string, { gz: number; keys: number }>();
for (const day of windowsInRange('day', first, last)) {
  const hours = windowsInRange('hour', day.start, day.end);
  const c = await computeMetrics(engine, cfg, 'hour', hours, { intermediates: true });
  for (const scan of c.plan.scans) {
    if (intermediateSets(scan).length === 0) continue;
    const x = perSource.get(scan.source) ?? { gz: 0, keys: 0 };
    for (const h of hours) {
      const w = windowIntermediates(scan, c.keys.get(scan.source)!, h.start.getTime());
      x.gz += gzipSync(JSON.stringify(w)).byteLength;
      x.keys += Object.values(w).reduce((n, a) => n + a.keys.length, 0);
    }
    perSource.set(scan.source, x);
  }
}

function lakeBytes(source: string): number {
  let n = 0;
  for (const day of windowsInRange('day', first, last)) {
    const dir = path.join(lake, source, `dt=${day.start.toISOString().slice(0, 10)}`);
    for (const h of existsSync(dir) ? readdirSync(dir) : [])
      for (const f of readdirSync(path.join(dir, h))) n += statSync(path.join(dir, h, f)).size;
  }
  return n;
}

const range = `event_time >= TIMESTAMP '${first.toISOString().slice(0, 19).replace('T', ' ')}' AND event_time < TIMESTAMP '${last.toISOString().slice(0, 19).replace('T', ' ')}'`;
async function parquetBytes(source: string, columns: readonly string[] | '*', name: string): Promise<number> {
  const file = path.join(tmp, `${name}.parquet`);
  const cols = columns === '*' ? '* EXCLUDE (dt, hour)' : columns.map(quoteIdent).join(', ');
  await engine.query(
    `COPY (SELECT ${cols} FROM ${quoteIdent(source)} WHERE ${range} ORDER BY event_time) TO ${quoteString(file)} (FORMAT parquet)`,
  );
  return statSync(file).size;
}

console.log(`\n7 days of the ${scale} lake: intermediates against the raw events of each source\n`);
console.log(
  '| source | rows | keys | lake files | one file, all columns | scanned columns | intermediates (gzip) | intermediates / scanned columns |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [source, x] of perSource) {
  const scan = dayPlan.scans.find((s) => s.source === source)!;
  const columns = [
    'event_time',
    ...scan.dimensions,
    ...new Set(
      scan.aggregates.flatMap((a) => [...(a.column ? [a.column] : []), ...a.filter.map((f) => f.column)]),
    ),
  ];
  const rows = Number(
    (await engine.query(`SELECT CAST(count(*) AS DOUBLE) AS n FROM ${quoteIdent(source)} WHERE ${range}`))
      .data.n![0],
  );
  const all = await parquetBytes(source, '*', `${source}-all`);
  const scanned = await parquetBytes(source, columns, `${source}-scanned`);
  const per = (b: number) => `${formatBytes(b)} (${(b / rows).toFixed(1)} B/row)`;
  console.log(
    `| ${source} | ${rows} | ${x.keys} | ${per(lakeBytes(source))} | ${per(all)} | ${per(scanned)} [${columns.join(', ')}] | ${per(x.gz)} | ${(x.gz / scanned).toFixed(2)} |`,
  );
}
await engine.close();
rmSync(tmp, { recursive: true, force: true });
