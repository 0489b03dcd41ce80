import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { AlertOutbox } from '../../shared/alerting/outbox.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { MetricStore, ORPHAN_GRACE_MS } from '../../shared/metrics/metric-store.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { uniformStream } from '../../shared/stats/random.js';
import { formatIso, windowsInRange } from '../../shared/time/window.js';
import { makeAlert } from '../alerting/fixtures.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';
import { FaultyEngine, FaultyObjectStore, FlakySink, MemoryObjectStore } from './faults.js';

/**
 * Fault injection through the ports: engine failures at each query of a job, object-store write
 * failures at each write, a process killed between any two writes, and a failing alert sink.
 */
let engine: DuckDbQueryEngine;
const clock = fixedClock(new Date('2026-02-01T00:00:00Z'));
const later = fixedClock(new Date('2026-02-02T00:00:00Z'));
const windows = windowsInRange('hour', new Date('2026-01-04T00:00:00Z'), new Date('2026-01-04T12:00:00Z'));
const config = coreCatalog();
const oldConfig = selectMetrics(config, ['impressions']);
const tallies: Record<string, { cases: number; lost: number; duplicated: number; partial: number }> = {};
let reference: Map<string, string>;

beforeAll(async () => {
  const lake = await tinyLake('reliability');
  engine = await DuckDbQueryEngine.open({ lake: lake.dir });
  reference = await snapshot(await backfilled(new MemoryObjectStore(), config));
});
afterAll(async () => {
  await engine?.close();
  mkdirSync(path.join(TMP_ROOT, 'reliability'), { recursive: true });
  writeFileSync(path.join(TMP_ROOT, 'reliability', 'fault-tallies.json'), JSON.stringify(tallies, null, 1));
});

function tally(name: string, lost: number, duplicated: number, partial = 0) {
  const t = tallies[name] ?? { cases: 0, lost: 0, duplicated: 0, partial: 0 };
  tallies[name] = t;
  t.cases++;
  t.lost += lost;
  t.duplicated += duplicated;
  t.partial += partial;
}

async function backfilled(objects: MemoryObjectStore, cfg = config): Promise<MetricStore> {
  const store = new MetricStore(objects);
  const r = await runBackfill({ engine, store, config: cfg, grain: 'hour', windows, clock, batchSize: 4 });
  expect(r.failed).toEqual([]);
  return store;
}

const rowsKey = (rows: readonly MetricRow[]) =>
  JSON.stringify([...rows].map((r) => JSON.stringify(r)).sort());

/** window → its visible rows (serialised), as a reader sees them. */
async function snapshot(store: MetricStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const w of windows) {
    const rows = await store.readWindow('hour', w.start);
    if (rows) out.set(formatIso(w.start), rowsKey(rows));
  }
  return out;
}

describe('query engine failures', () => {
  const labels = [
    'impressions',
    'moderation_decisions',
    'user_reports',
    'account_events',
    'prevalence_labels',
  ];
  it('a failed scan fails exactly its batch, reported per window; a retry of those completes', async () => {
    for (const source of labels)
      for (const batch of [0, 2]) {
        const objects = new MemoryObjectStore();
        const store = new MetricStore(objects);
        let scans = 0;
        const faulty = new FaultyEngine(engine, {
          fail: (label) => label === `metrics scan of ${source}` && scans++ === batch,
        });
        const r = await runBackfill({
          engine: faulty,
          store,
          config,
          grain: 'hour',
          windows,
          clock,
          batchSize: 4,
          concurrency: 1,
        });
        const failedWindows = windows.slice(batch * 4, batch * 4 + 4).map((w) => formatIso(w.start));
        expect(r.failed.map((f) => f.window)).toEqual(failedWindows);
        expect(r.failed.every((f) => f.error.includes(source))).toBe(true);
        expect(r.written).toBe(windows.length - 4);
        // No partial window: the failed ones are absent, the others complete.
        const snap = await snapshot(store);
        for (const w of failedWindows) expect(snap.has(w)).toBe(false);
        // Retry exactly the failed windows.
        const retry = await runBackfill({
          engine,
          store,
          config,
          grain: 'hour',
          clock,
          windows: windows.filter((w) => failedWindows.includes(formatIso(w.start))),
        });
        expect(retry.written).toBe(4);
        const after = await snapshot(store);
        expect(after).toEqual(reference);
        tally(
          'engine failure at a source scan (5 sources × 2 batches)',
          windows.length - after.size,
          [...objects.puts].filter(([k, n]) => k.endsWith('_manifest.json') && n > 1).length,
        );
      }
  });
});

describe('object store failures', () => {
  it('a failed write at any point leaves each window old-complete or new-complete, and is reported', async () => {
    // Old state: windows computed with another config, so old and new rows differ.
    const oldRef = await snapshot(await backfilled(new MemoryObjectStore(), oldConfig));
    const puts = windows.length * 2; // data file + manifest per window
    for (let k = 0; k < puts; k++) {
      const mem = new MemoryObjectStore();
      await backfilled(mem, oldConfig);
      const faulty = new FaultyObjectStore(mem, {
        // Any write of the store's own areas: rows, aggregates, intermediates or manifest.
        failPut: (key, n) => n === k && (key.startsWith('metrics/') || key.startsWith('intermediates/')),
      });
      const r = await runBackfill({
        engine,
        store: new MetricStore(faulty),
        config,
        grain: 'hour',
        windows,
        clock: later,
        batchSize: 4,
      });
      expect(r.failed).toHaveLength(1);
      const snap = await snapshot(new MetricStore(mem));
      let partial = 0;
      for (const [w, rows] of snap) if (rows !== reference.get(w) && rows !== oldRef.get(w)) partial++;
      expect(partial).toBe(0);
      expect(snap.get(r.failed[0]!.window)).toBe(oldRef.get(r.failed[0]!.window));
      const retry = await runBackfill({
        engine,
        store: new MetricStore(mem),
        config,
        grain: 'hour',
        clock: later,
        windows: windows.filter((w) => formatIso(w.start) === r.failed[0]!.window),
      });
      expect(retry.written).toBe(1);
      expect(await snapshot(new MetricStore(mem))).toEqual(reference);
      tally('object-store write failure at each write of a 12-window run', 0, 0, partial);
    }
  });

  it('a process killed between any two writes never exposes a partial window; a rerun converges', async () => {
    const oldRef = await snapshot(await backfilled(new MemoryObjectStore(), oldConfig));
    for (let k = 0; k <= windows.length * 2; k++) {
      const mem = new MemoryObjectStore();
      await backfilled(mem, oldConfig);
      const killed = new FaultyObjectStore(mem, { crashAfterPuts: k });
      await runBackfill({
        engine,
        store: new MetricStore(killed),
        config,
        grain: 'hour',
        windows,
        clock: later,
        batchSize: 4,
        concurrency: 1,
      });
      const snap = await snapshot(new MetricStore(mem));
      let partial = 0;
      for (const w of windows) {
        const rows = snap.get(formatIso(w.start));
        if (rows !== reference.get(formatIso(w.start)) && rows !== oldRef.get(formatIso(w.start))) partial++;
      }
      expect(partial).toBe(0);
      // The restarted job (no memory of the killed one) reruns the range: idempotent.
      await runBackfill({
        engine,
        store: new MetricStore(mem),
        config,
        grain: 'hour',
        windows,
        clock: later,
        batchSize: 4,
      });
      const after = await snapshot(new MetricStore(mem));
      expect(after).toEqual(reference);
      // The killed run's leftover file (named by no manifest) is removed by the first write after the
      // grace period, when no live writer can still be about to name it.
      await runBackfill({
        engine,
        store: new MetricStore(mem),
        config,
        grain: 'hour',
        windows,
        clock: fixedClock(new Date(Date.parse('2026-02-02T00:00:00Z') + ORPHAN_GRACE_MS)),
        batchSize: 4,
      });
      expect(await snapshot(new MetricStore(mem))).toEqual(reference);
      // No stale data files left beside the manifests.
      const csv = (await mem.list('metrics/')).filter((x) => x.endsWith('.csv'));
      expect(csv).toHaveLength(windows.length);
      tally('process killed after write k (k = 0..24)', windows.length - after.size, 0, partial);
    }
    // 25 kills × three runs each (kill, restart, sweep after the grace period).
  }, 240_000);
});

describe('alert delivery', () => {
  const alerts = Array.from({ length: 20 }, (_, i) =>
    makeAlert({
      dedupeKey: `metric_incident:removals::2026-01-14T${String(i).padStart(2, '0')}:00:00Z`,
      windowStart: `2026-01-14T${String(i).padStart(2, '0')}:00:00Z`,
    }),
  );

  it('a failing sink and failing store writes: nothing lost, nothing sent twice (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.double({ min: 0, max: 0.8, noNaN: true }),
        async (seed, p) => {
          const rnd = uniformStream(seed);
          const mem = new MemoryObjectStore();
          const sink = new FlakySink(() => rnd() < p);
          const now = new Date('2026-01-15T00:00:00Z');
          // Each run records the same alerts again (a rerun recomputes them) and delivers.
          for (let run = 0; run < 2000; run++) {
            const store = new FaultyObjectStore(mem, {
              failPut: (key) => key.includes('/pending/') && rnd() < p / 4,
            });
            const outbox = new AlertOutbox(store);
            try {
              await outbox.record(alerts, now);
              await outbox.deliver(sink, now);
            } catch {
              // a failed run; the next one retries
            }
            if (
              (await mem.list('alerts/outbox/pending/')).length === 0 &&
              (await mem.list('alerts/outbox/sent/')).length === alerts.length
            )
              break;
          }
          const ids = sink.delivered.map((a) => AlertOutbox.idOf(a));
          const lost = alerts.filter((a) => !ids.includes(AlertOutbox.idOf(a))).length;
          const duplicated = ids.length - new Set(ids).size;
          tally('sink failures + pending-write failures (random, p ≤ 0.8)', lost, duplicated);
          expect(lost).toBe(0);
          expect(duplicated).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a crash between a send and its sent mark repeats that one message, with the same id', async () => {
    const mem = new MemoryObjectStore();
    const sink = new FlakySink(() => false);
    const now = new Date('2026-01-15T00:00:00Z');
    await new AlertOutbox(mem).record(alerts, now);
    let marks = 0;
    const crashing = new FaultyObjectStore(mem, {
      failPut: (key) => key.includes('/sent/') && marks++ === 5,
    });
    await expect(new AlertOutbox(crashing).deliver(sink, now)).rejects.toThrow();
    await new AlertOutbox(mem).deliver(sink, now);
    const ids = sink.delivered.map((a) => AlertOutbox.idOf(a));
    expect(new Set(ids).size).toBe(alerts.length); // nothing lost
    expect(ids.length).toBe(alerts.length + 1); // one repeat: at-least-once
    // Receivers dedupe by the message id (the SNS MessageDeduplicationId / the alert's dedupe key + status + window).
    tally(
      'crash between send and sent-mark (raw sends, before receiver dedupe)',
      0,
      ids.length - new Set(ids).size,
    );
  });
});
