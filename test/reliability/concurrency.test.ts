import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { coreCatalog } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { LeaseManager } from '../../shared/jobs/lease.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { type Clock, fixedClock } from '../../shared/ports/clock.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';
import { FaultyEngine, MemoryObjectStore } from './faults.js';

let engine: DuckDbQueryEngine;
let empty: DuckDbQueryEngine;
const clock = fixedClock(new Date('2026-02-01T00:00:00Z'));
const root = path.join(TMP_ROOT, 'reliability', 'concurrency');

beforeAll(async () => {
  engine = await DuckDbQueryEngine.open({ lake: (await tinyLake('reliability')).dir });
  mkdirSync(path.join(root, 'empty-lake'), { recursive: true });
  empty = await DuckDbQueryEngine.open({ lake: path.join(root, 'empty-lake') });
});
afterAll(async () => {
  await engine?.close();
  await empty?.close();
});

/** Counts manifest writes per key, and flags two writers of one window at once. */
function watched(inner: ObjectStore) {
  const writes = new Map<string, number>();
  const store: ObjectStore = Object.create(inner);
  store.put = async (key, body, o) => {
    if (key.endsWith('/_manifest.json')) writes.set(key, (writes.get(key) ?? 0) + 1);
    return inner.put(key, body, o);
  };
  return { store, writes };
}

describe('leases', () => {
  it('two runs of the same windows at once (schedule + manual rerun): each window is written once', async () => {
    await rm(root, { recursive: true, force: true });
    const fs = new FsObjectStore(path.join(root, 'two-runs'));
    const { store, writes } = watched(fs);
    const windows = windowsInRange(
      'hour',
      new Date('2026-01-04T00:00:00Z'),
      new Date('2026-01-06T00:00:00Z'),
    );
    const slow = new FaultyEngine(engine, { delayMs: 150 });
    const run = (owner: string) =>
      runBackfill({
        engine: slow,
        store: new MetricStore(store),
        config: coreCatalog(),
        grain: 'hour',
        windows,
        clock,
        lease: { store: fs, owner },
      });
    const [a, b] = await Promise.all([run('schedule'), run('manual-rerun')]);
    expect(a.failed).toEqual([]);
    expect(b.failed).toEqual([]);
    expect(a.written + b.written).toBe(windows.length);
    expect(a.skipped.length + b.skipped.length).toBe(windows.length);
    expect(a.skipped.every((s) => s.heldBy === 'manual-rerun')).toBe(true);
    expect(b.skipped.every((s) => s.heldBy === 'schedule')).toBe(true);
    expect([...writes.values()].every((n) => n === 1)).toBe(true);
    expect(writes.size).toBe(windows.length);
    expect(await fs.list('leases/')).toEqual([]);
  });

  it('an expired lease (killed holder) is taken over by exactly one of several takers', async () => {
    let now = new Date('2026-02-01T00:00:00Z').getTime();
    const clk: Clock = { now: () => new Date(now) };
    for (let trial = 0; trial < 20; trial++) {
      const mem = new MemoryObjectStore();
      const dead = new LeaseManager(mem, clk, { owner: 'killed', ttlMs: 60_000 });
      const held = await dead.acquire('w');
      expect(held.acquired).toBe(true);
      const blocked = await new LeaseManager(mem, clk, { owner: 'early' }).acquire('w');
      expect(blocked).toMatchObject({ acquired: false, heldBy: 'killed' });
      now += 120_000;
      const takers = Array.from({ length: 5 }, (_, i) => new LeaseManager(mem, clk, { owner: `t${i}` }));
      const got = await Promise.all(takers.map((t) => t.acquire('w')));
      expect(got.filter((g) => g.acquired)).toHaveLength(1);
      expect(got.find((g) => g.acquired)).toMatchObject({ tookOver: 'killed' });
      // The killed holder coming back must not delete its successor's lease.
      if (held.acquired) expect(await dead.release(held.lease)).toBe(false);
      expect(await mem.get('leases/w.json')).toBeDefined();
    }
  });

  it('backfill of 90 days × 24 hours with bounded concurrency: every window exactly once', async () => {
    const mem = new MemoryObjectStore();
    const { store, writes } = watched(mem);
    const windows = windowsInRange(
      'hour',
      new Date('2026-01-01T00:00:00Z'),
      new Date('2026-04-01T00:00:00Z'),
    );
    const tracked = new FaultyEngine(empty);
    const r = await runBackfill({
      engine: tracked,
      store: new MetricStore(store),
      config: coreCatalog(),
      grain: 'hour',
      windows,
      clock,
      concurrency: 4,
      lease: { store: mem, owner: 'backfill' },
    });
    expect(windows).toHaveLength(2160);
    expect(r.written).toBe(2160);
    expect(r.failed).toEqual([]);
    expect(writes.size).toBe(2160);
    expect([...writes.values()].every((n) => n === 1)).toBe(true);
    // 4 batches in flight, each running its 5 source scans concurrently.
    expect(tracked.maxInFlight).toBeLessThanOrEqual(4 * 5);
    expect(await mem.list('leases/')).toEqual([]);
  });
});
