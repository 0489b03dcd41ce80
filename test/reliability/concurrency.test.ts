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
import { TOTAL } from '../../shared/slices/slice.js';
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

/**
 * An ObjectStore whose every operation waits a seeded random while (so two writers interleave at
 * every step), and which checks after each write or delete that every manifest's files exist.
 */
function jittery(inner: MemoryObjectStore, seed: number) {
  let state = seed;
  const rand = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const wait = () => new Promise((r) => setTimeout(r, Math.floor(rand() * 4)));
  const dangling: string[] = [];
  const check = async (after: string) => {
    for (const [key, obj] of inner.objects) {
      if (!key.endsWith('/_manifest.json')) continue;
      const m = JSON.parse(new TextDecoder().decode(obj.body)) as { data: string };
      if (!inner.objects.has(m.data)) dangling.push(`${key} → ${m.data} (after ${after})`);
    }
  };
  const store: ObjectStore = {
    get: async (k) => {
      await wait();
      return inner.get(k);
    },
    list: async (p) => {
      await wait();
      return inner.list(p);
    },
    put: async (k, b, o) => {
      await wait();
      const r = await inner.put(k, b, o);
      await check(`put ${k}`);
      return r;
    },
    delete: async (k) => {
      await wait();
      await inner.delete(k);
      await check(`delete ${k}`);
    },
    urlOf: (k) => inner.urlOf(k),
  };
  return { store, dangling };
}

describe('manifests under racing writers', () => {
  it('a rerun racing a scheduled run (no lease between them): no manifest ever names a deleted file', async () => {
    const windows = windowsInRange(
      'hour',
      new Date('2026-01-04T00:00:00Z'),
      new Date('2026-01-04T04:00:00Z'),
    );
    let now = new Date('2026-02-01T00:00:00Z').getTime();
    const clk: Clock = {
      now: () => {
        now += 1000;
        return new Date(now);
      },
    };
    for (let seed = 1; seed <= 6; seed++) {
      const mem = new MemoryObjectStore();
      const { store, dangling } = jittery(mem, seed);
      // Lease-less writers stand for the worst case: a lease that expired under a slow run.
      const run = () =>
        runBackfill({
          engine,
          store: new MetricStore(store),
          config: coreCatalog(),
          grain: 'hour',
          windows,
          clock: clk,
          batchSize: 1,
        });
      const results = await Promise.all([run(), run(), run()]);
      expect(dangling).toEqual([]);
      for (const r of results) expect(r.failed).toEqual([]);
      const ms = new MetricStore(mem);
      for (const w of windows) {
        const m = await ms.readManifest('hour', w.start);
        expect(m).toBeDefined();
        expect(await ms.readWindow('hour', w.start)).toBeDefined();
      }
      // Losers dropped their own files and winners deleted only what they replaced: one file a window.
      expect((await mem.list('metrics/')).filter((k) => k.endsWith('.csv'))).toHaveLength(windows.length);
    }
  });

  it('of two writers the later scan wins, whichever finishes first', async () => {
    const mem = new MemoryObjectStore();
    const ms = new MetricStore(mem);
    const start = new Date('2026-01-04T00:00:00Z');
    const row = (value: number) => ({
      metric: 'impressions',
      grain: 'hour' as const,
      windowStart: start,
      slice: TOTAL,
      value,
      numerator: null,
      denominator: null,
      ciLow: null,
      ciHigh: null,
    });
    const t = (m: number) => new Date(Date.UTC(2026, 1, 1, 0, m));
    const late = await ms.writeWindow('hour', start, [row(2)], t(10), { computedAt: t(9) });
    const early = await ms.writeWindow('hour', start, [row(1)], t(11), { computedAt: t(1) });
    expect(late.written).toBe(true);
    expect(early.written).toBe(false);
    expect((await ms.readWindow('hour', start))?.[0]?.value).toBe(2);
    expect((await mem.list('metrics/')).filter((k) => k.endsWith('.csv'))).toHaveLength(1);
  });

  it('the manifest is written with If-None-Match first and If-Match on the version read after', async () => {
    const mem = new MemoryObjectStore();
    const seen: (string | undefined)[] = [];
    const store: ObjectStore = Object.create(mem);
    store.put = (k, b, o) => {
      if (k.endsWith('_manifest.json'))
        seen.push(o?.ifNoneMatch ? 'if-none-match' : o?.ifMatch ? 'if-match' : undefined);
      return mem.put(k, b, o);
    };
    const ms = new MetricStore(store);
    const start = new Date('2026-01-04T00:00:00Z');
    await ms.writeWindow('hour', start, [], new Date('2026-02-01T00:00:00Z'));
    await ms.writeWindow('hour', start, [], new Date('2026-02-01T00:01:00Z'));
    expect(seen).toEqual(['if-none-match', 'if-match']);
  });
});
