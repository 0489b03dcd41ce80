/**
 * bench/aws-cost: what the scheduled metric recomputes scan over a 7-day replay, before and after
 * incremental recomputation and day roll-ups, side by side in one process on the same lake.
 *
 *   before: every hourly run rescans its 3 hours, every daily run its 2 days (raw events).
 *   after:  a window is rescanned only when its partitions' fingerprints changed; a day rolls its
 *           additive metrics up from the stored hours and merges its distinct counts and
 *           percentiles from the hours' stored intermediates (shared/jobs/rollup.ts,
 *           shared/metrics/intermediates.ts), scanning no raw events.
 *
 * The lake arrives as it would on S3: each (source, hour) partition's file lands 4 minutes after
 * the hour ends; one partition in 8 gets a late file 2 hours later (inside the hourly recompute
 * range) and one in 24 a late file 6 hours later (only the daily run can see it). File mtimes are
 * set to those arrival times. Ticks follow shared/jobs/schedule.ts (hourly at :20, daily at 01:30).
 *
 * Partition scans per lake hour per day: how many times the jobs read each (source, dt, hour)
 * partition of the 7 replayed days, averaged over partitions (and weighted by partition bytes).
 * Bytes are DuckDB's estimate (whole Parquet files of the partitions read; Athena bills only the
 * columns read, so this is an upper bound); dollars apply Athena's billing ($5/TB, ≥ 10 MB a query).
 *
 * Also printed: the rows the scans return (what GetQueryResults pages through on Athena: the
 * intermediates ride on the hourly scan's result), and the bytes the store keeps for the replayed
 * hours — additive aggregates and intermediates — against the raw partitions they summarize.
 *
 * Run: npx tsx bench/aws-cost/run.ts [--scale tiny|small] [--days 7]
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { coreCatalog } from '../../shared/config/load.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { computeMetrics, type ScanStat } from '../../shared/jobs/compute-metrics.js';
import { formatBytes, scanCost } from '../../shared/jobs/cost.js';
import { recomputeRecent } from '../../shared/jobs/recompute.js';
import { newestJudgeable, SCHEDULE } from '../../shared/jobs/schedule.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { addGrain, formatDt, formatHour, type Grain, windowsInRange } from '../../shared/time/window.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : dflt);
const scale = arg('--scale', 'tiny') as 'tiny' | 'small';
const days = Number(arg('--days', '7'));
const out = path.resolve('bench/out/aws-cost');
const source = path.join(out, `lake-${scale}`);
const staged = path.join(out, 'staged');
const cfg = coreCatalog();
const SOURCES = [
  'impressions',
  'moderation_decisions',
  'user_reports',
  'account_events',
  'prevalence_labels',
];

if (!existsSync(path.join(source, '_manifest.json'))) {
  const t = performance.now();
  await generateLake(
    buildScenario({ seed: 42, start: new Date('2026-01-01T00:00:00Z'), ...SCALES[scale] }),
    source,
  );
  console.log(`generated ${source} in ${((performance.now() - t) / 1000).toFixed(1)}s`);
}

const first = new Date('2026-01-02T00:00:00Z');
const last = addGrain(first, 'day', days); // replayed days: [first, last)

/** Deterministic per-partition draw in [0, 1). */
function draw(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

interface Arrival {
  readonly at: number;
  readonly from: string;
  readonly to: string;
}

// Every partition file of the sources, with its arrival time (main file, and the late copies).
const arrivals: Arrival[] = [];
const partitionBytes = new Map<string, number>();
for (const s of SOURCES) {
  for (let h = addGrain(first, 'day', -2); h < addGrain(last, 'day', 2); h = addGrain(h, 'hour')) {
    const rel = path.join(s, `dt=${formatDt(h)}`, `hour=${formatHour(h)}`);
    const dir = path.join(source, rel);
    if (!existsSync(dir)) continue;
    const end = addGrain(h, 'hour').getTime();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.parquet'))) {
      const from = path.join(dir, f);
      arrivals.push({ at: end + 4 * 60_000, from, to: path.join(staged, rel, f) });
      const d = draw(rel);
      if (d < 1 / 8)
        arrivals.push({ at: end + 2 * 3_600_000, from, to: path.join(staged, rel, `late-${f}`) });
      else if (d < 1 / 8 + 1 / 24)
        arrivals.push({ at: end + 6 * 3_600_000, from, to: path.join(staged, rel, `late-${f}`) });
      partitionBytes.set(`${s}|${h.getTime()}`, statSync(from).size);
    }
  }
}
arrivals.sort((a, b) => a.at - b.at);

rmSync(staged, { recursive: true, force: true });
mkdirSync(staged, { recursive: true });
let landed = 0;
function land(until: number): void {
  for (; landed < arrivals.length && arrivals[landed]!.at <= until; landed++) {
    const a = arrivals[landed]!;
    mkdirSync(path.dirname(a.to), { recursive: true });
    cpSync(a.from, a.to);
    utimesSync(a.to, new Date(a.at), new Date(a.at));
  }
}

interface Variant {
  readonly name: string;
  readonly store: MetricStore;
  readonly objects: FsObjectStore;
  readonly incremental: boolean;
  readonly reads: Map<string, number>;
  readonly queryBytes: number[];
  bytes: number;
  ms: number;
  queries: { hour: number; day: number };
  resultRows: number;
}
const variant = (name: string, incremental: boolean): Variant => {
  const dir = path.join(out, `store-${incremental ? 'after' : 'before'}`);
  rmSync(dir, { recursive: true, force: true });
  const objects = new FsObjectStore(dir);
  return {
    name,
    objects,
    store: new MetricStore(objects),
    incremental,
    reads: new Map(),
    queryBytes: [],
    bytes: 0,
    ms: 0,
    queries: { hour: 0, day: 0 },
    resultRows: 0,
  };
};
const before = variant('before (recompute 3 h + 2 d raw)', false);
const after = variant('after (incremental + roll-up)', true);

// Ticks of the replay: hourly at :20, daily at 01:30, through the runs that still recompute the last day.
const ticks: { at: Date; grain: Grain }[] = [];
const cron = (g: Grain) =>
  Number(SCHEDULE[g].cron.minute) * 60_000 + Number(SCHEDULE[g].cron.hour ?? 0) * 3_600_000;
for (let t = addGrain(first, 'hour', 1); t < addGrain(last, 'day', 2); t = addGrain(t, 'hour'))
  ticks.push({ at: new Date(t.getTime() + cron('hour')), grain: 'hour' });
for (let d = addGrain(first, 'day', 1); d <= addGrain(last, 'day', 1); d = addGrain(d, 'day'))
  ticks.push({ at: new Date(d.getTime() + cron('day')), grain: 'day' });
ticks.sort((a, b) => a.at.getTime() - b.at.getTime());

const started = performance.now();
for (const tick of ticks) {
  land(tick.at.getTime());
  const engine = await DuckDbQueryEngine.open({ lake: staged });
  try {
    const target = newestJudgeable(tick.grain, tick.at);
    // Only the runs whose recompute range reaches into the replayed days.
    const end = addGrain(target, tick.grain);
    if (end <= first || addGrain(end, tick.grain, -SCHEDULE[tick.grain].recompute) >= last) continue;
    for (const v of [before, after]) {
      const onScan = (s: ScanStat) => {
        v.bytes += s.bytesScanned ?? 0;
        v.queryBytes.push(s.bytesScanned ?? 0);
        v.queries[tick.grain]++;
        v.resultRows += s.rows;
        for (let h = s.from; h < s.to; h = addGrain(h, 'hour')) {
          const key = `${s.source}|${h.getTime()}`;
          if (partitionBytes.has(key) && h >= first && h < last)
            v.reads.set(key, (v.reads.get(key) ?? 0) + 1);
        }
      };
      const t = performance.now();
      const r = await recomputeRecent(
        {
          engine,
          store: v.store,
          objectStore: v.objects,
          config: cfg,
          clock: fixedClock(tick.at),
          onScan,
          ...(v.incremental ? { inventory: new FsLakeInventory(staged) } : {}),
        },
        tick.grain,
        end,
        SCHEDULE[tick.grain].recompute,
      );
      v.ms += performance.now() - t;
      if (r.backfill.failed.length > 0)
        throw new Error(`${v.name} ${tick.at.toISOString()}: ${r.backfill.failed[0]!.error}`);
    }
  } finally {
    await engine.close();
  }
}

// Partitions of the replayed days that exist (in the lake) for the sources the catalog reads.
const partitions = [...partitionBytes.entries()].filter(([k]) => {
  const t = Number(k.split('|')[1]);
  return t >= first.getTime() && t < last.getTime();
});
const totalBytes = partitions.reduce((n, [, b]) => n + b, 0);
function perPartition(v: Variant) {
  let reads = 0;
  let weighted = 0;
  for (const [k, b] of partitions) {
    const n = v.reads.get(k) ?? 0;
    reads += n;
    weighted += n * b;
  }
  const bySource = Object.fromEntries(
    SOURCES.map((s) => {
      const ps = partitions.filter(([k]) => k.startsWith(`${s}|`));
      return [s, ps.reduce((n, [k]) => n + (v.reads.get(k) ?? 0), 0) / Math.max(1, ps.length)];
    }),
  );
  return { mean: reads / partitions.length, weighted: weighted / totalBytes, bySource };
}

const rows = [before, after].map((v) => {
  const p = perPartition(v);
  const cost = scanCost(v.queryBytes);
  return { v, p, cost };
});
console.log(
  `\n${days}-day replay, ${scale} lake (${partitions.length} source partitions, ${formatBytes(totalBytes)}), ${ticks.length} ticks, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
// The same queries on a lake of 1 TB/day (each query's bytes scaled by the size ratio): there the
// bytes decide the bill; on this small lake Athena's 10 MB minimum per query does.
const scale1Tb = 2 ** 40 / (totalBytes / days);
const at1Tb = (v: Variant) => scanCost(v.queryBytes.map((x) => x * scale1Tb)).dollars;
console.log(
  '| | queries (hourly + daily) | bytes scanned | Athena $ here (≥ 10 MB/query) | Athena $ at 1 TB/day | partition scans / lake hour / day (mean) | bytes-weighted | per source (imp, mod, rep, acct, prev) | result rows | job time |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const { v, p, cost } of rows)
  console.log(
    `| ${v.name} | ${v.queries.hour} + ${v.queries.day} | ${formatBytes(v.bytes)} | ${cost.dollars.toFixed(4)} | ${at1Tb(v).toFixed(2)} | ${p.mean.toFixed(2)} | ${p.weighted.toFixed(2)} | ${SOURCES.map((s) => p.bySource[s]!.toFixed(2)).join(', ')} | ${v.resultRows} | ${(v.ms / 1000).toFixed(1)} s |`,
  );
const [b, a] = rows;
console.log(
  `\nratio after/before: bytes ${(a!.v.bytes / b!.v.bytes).toFixed(3)}, dollars at 1 TB/day ${(at1Tb(a!.v) / at1Tb(b!.v)).toFixed(3)}, queries ${((a!.v.queries.hour + a!.v.queries.day) / (b!.v.queries.hour + b!.v.queries.day)).toFixed(3)}, dollars ${(a!.cost.dollars / b!.cost.dollars).toFixed(3)}, partition scans ${(a!.p.mean / b!.p.mean).toFixed(3)}`,
);

// What the store keeps for the replayed hours (the files their manifests name), against the raw
// partitions of the sources with intermediates.
{
  let agg = 0;
  let gz = 0;
  const perSource = new Map<string, { json: number; gz: number; keys: number }>();
  for (const h of windowsInRange('hour', first, last)) {
    const m = await after.store.readManifest('hour', h.start);
    if (!m) continue;
    if (m.aggregates) agg += (await after.objects.get(m.aggregates))?.body.byteLength ?? 0;
    const bytes = await after.store.readIntermediates(m);
    if (!bytes) continue;
    gz += bytes.byteLength;
    const body = JSON.parse(gunzipSync(bytes).toString('utf8')) as {
      sources: Record<string, Record<string, { keys: unknown[] }>>;
    };
    for (const [src, byAlias] of Object.entries(body.sources)) {
      const text = JSON.stringify(byAlias);
      const x = perSource.get(src) ?? { json: 0, gz: 0, keys: 0 };
      x.json += text.length;
      x.gz += gzipSync(text).byteLength;
      x.keys += Object.values(byAlias).reduce((n, a) => n + a.keys.length, 0);
      perSource.set(src, x);
    }
  }
  console.log(
    `\nstored for the ${days * 24} replayed hours: additive aggregates ${formatBytes(agg)}, intermediates ${formatBytes(gz)} (gzip JSON)`,
  );
  for (const [src, x] of [...perSource].filter(([, x]) => x.keys > 0)) {
    const raw = partitions.filter(([k]) => k.startsWith(`${src}|`)).reduce((n, [, b]) => n + b, 0);
    console.log(
      `  ${src}: ${x.keys} keys, ${formatBytes(x.json)} JSON, ${formatBytes(x.gz)} gzipped alone = ${(x.gz / raw).toFixed(2)}× its raw partitions (${formatBytes(raw)})`,
    );
  }
}

// Correctness: each store against a full raw computation over the final lake (every late file landed).
// `before` misses late files in hourly windows past its 3-hour recompute range; `after` must match.
const truthEngine = await DuckDbQueryEngine.open({ lake: staged });
for (const v of [before, after]) {
  const d = await againstTruth(v.store);
  console.log(
    `${v.name}: stored rows differing from a raw scan of the final lake (beyond 1e-12): hour ${d.hour} of ${d.hourRows}, day ${d.day} of ${d.dayRows}`,
  );
}
await truthEngine.close();

async function againstTruth(store: MetricStore) {
  const out = { hour: 0, hourRows: 0, day: 0, dayRows: 0 };
  for (const grain of ['hour', 'day'] as const) {
    const truth = (await computeMetrics(truthEngine, cfg, grain, windowsInRange(grain, first, last))).rows;
    const stored = new Map(
      (await store.readRange(grain, first, last)).map((r) => [
        `${r.metric}|${r.windowStart.getTime()}|${r.slice.key}`,
        r,
      ]),
    );
    const close = (p: number | null, q: number | null | undefined) =>
      p === q ||
      (p !== null && q !== null && q !== undefined && Math.abs(p - q) <= 1e-12 * Math.max(1, Math.abs(p)));
    for (const r of truth) {
      const o = stored.get(`${r.metric}|${r.windowStart.getTime()}|${r.slice.key}`);
      if (
        !o ||
        !close(r.value, o.value) ||
        !close(r.numerator, o.numerator) ||
        !close(r.denominator, o.denominator)
      )
        out[grain]++;
    }
    if (grain === 'hour') out.hourRows = truth.length;
    else out.dayRows = truth.length;
  }
  return out;
}
