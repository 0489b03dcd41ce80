import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { coreCatalog } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { METRIC_CSV_HEADER } from '../../shared/metrics/csv.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { fixedClock } from '../../shared/ports/clock.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

let engine: DuckDbQueryEngine;
let manifest: Awaited<ReturnType<typeof tinyLake>>['manifest'];
const root = path.join(TMP_ROOT, 'metric-store');
beforeAll(async () => {
  const lake = await tinyLake('metric-store');
  manifest = lake.manifest;
  engine = await DuckDbQueryEngine.open({ lake: lake.dir });
  await rm(root, { recursive: true, force: true });
});
afterAll(() => engine.close());

const windows = windowsInRange('hour', new Date('2026-01-04T00:00:00Z'), new Date('2026-01-04T06:00:00Z'));

/** The six windows' backfill into `store`, with the core catalog. */
const backfillOf = (store: MetricStore) => ({
  engine,
  store,
  config: coreCatalog(),
  grain: 'hour' as const,
  windows,
  clock: fixedClock(new Date()),
});

describe('metric store', () => {
  it('a rerun replaces each window exactly: same rows, no duplicates, no stale files', async () => {
    const objects = new FsObjectStore(path.join(root, 'rerun'));
    const store = new MetricStore(objects);
    const opts = backfillOf(store);
    const first = await runBackfill(opts);
    const before = await store.readRange('hour', windows[0]!.start, windows.at(-1)!.end);
    const second = await runBackfill({ ...opts, concurrency: 3, batchSize: 2 });
    const after = await store.readRange('hour', windows[0]!.start, windows.at(-1)!.end);
    expect(first.failed).toEqual([]);
    expect(second.written).toBe(6);
    expect(after).toEqual(before);
    const keys = new Set(after.map((r) => `${r.metric}|${r.windowStart.toISOString()}|${r.slice.key}`));
    expect(keys.size).toBe(after.length);
    expect((await objects.list('metrics/')).filter((k) => k.endsWith('.csv'))).toHaveLength(6);
  });

  it("keeps a percentile's samples (what its detector reads back), and reads files written before it did", async () => {
    const objects = new FsObjectStore(path.join(root, 'samples'));
    const store = new MetricStore(objects);
    const opts = backfillOf(store);
    expect((await runBackfill(opts)).failed).toEqual([]);
    const read = await store.readRange('hour', windows[0]!.start, windows.at(-1)!.end);
    const p90 = read.filter((r) => r.metric === 'decision_latency_p90_seconds');
    expect(p90.length).toBeGreaterThan(0);
    expect(p90.every((r) => Number.isInteger(r.samples) && r.samples! >= 1)).toBe(true);
    // An older store file: the output CSV's nine columns, no samples.
    const file = (await objects.list('metrics/')).find((k) => k.endsWith('.csv'))!;
    const body = new TextDecoder().decode((await objects.get(file))!.body);
    const old = body
      .split('\n')
      .map((l) => l.replace(/,[^,]*$/, ''))
      .join('\n');
    expect(old.split('\n')[0]).toBe(METRIC_CSV_HEADER);
    await objects.put(file, new TextEncoder().encode(old));
    const again = await new MetricStore(objects).readRange('hour', windows[0]!.start, windows.at(-1)!.end);
    expect(again.length).toBe(read.length);
    // That window's percentile rows read without samples, the others' with theirs.
    const p90Again = again.filter((r) => r.metric === 'decision_latency_p90_seconds');
    const without = new Set(
      p90Again.filter((r) => r.samples === undefined).map((r) => r.windowStart.getTime()),
    );
    expect(without.size).toBe(1);
    expect(p90Again.filter((r) => r.samples !== undefined).length).toBeGreaterThan(0);
  });

  it('a failed write leaves the previous window visible and the failure reported', async () => {
    const objects = new FsObjectStore(path.join(root, 'failing'));
    const store = new MetricStore(objects);
    const opts = {
      engine,
      config: coreCatalog(),
      grain: 'hour' as const,
      windows,
      clock: fixedClock(new Date()),
    };
    await runBackfill({ ...opts, store });
    const before = await store.readWindow('hour', windows[2]!.start);
    // Fail the manifest write of one window: its new data file exists but is not visible.
    const failing: ObjectStore = Object.create(objects);
    failing.put = async (key, body, o) => {
      if (key.includes('window=2026-01-04T020000Z') && key.endsWith('_manifest.json'))
        throw new Error('disk full');
      return objects.put(key, body, o);
    };
    const summary = await runBackfill({ ...opts, store: new MetricStore(failing) });
    expect(summary.failed).toEqual([{ window: '2026-01-04T02:00:00Z', error: 'disk full' }]);
    expect(summary.written).toBe(5);
    expect(await store.readWindow('hour', windows[2]!.start)).toEqual(before);
  });

  it('the missing partition of the manifest gives a zero total, not an error', async () => {
    const miss = manifest.missing_partitions[0]!;
    const start = new Date(`${miss.dt}T${miss.hour}:00:00Z`);
    const store = new MetricStore(new FsObjectStore(path.join(root, 'missing')));
    const summary = await runBackfill({
      engine,
      store,
      config: coreCatalog(),
      grain: 'hour',
      windows: windowsInRange('hour', start, new Date(start.getTime() + 3_600_000)),
      clock: fixedClock(new Date()),
    });
    expect(summary.failed).toEqual([]);
    const rows = (await store.readWindow('hour', start))!;
    expect(rows.find((r) => r.metric === 'impressions' && r.slice.key === '')!.value).toBe(0);
    const per10k = rows.find((r) => r.metric === 'reports_per_10k_impressions' && r.slice.key === '')!;
    expect(per10k.value).toBeNull();
    expect(per10k.denominator).toBe(0);
    expect(per10k.numerator).toBeGreaterThan(0);
  });
});
