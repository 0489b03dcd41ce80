import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { coreCatalog } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { Deadline, DeadlineExceededError } from '../../shared/ports/deadline.js';
import { withDeadline } from '../../shared/ports/query-engine.js';
import { windowsInRange } from '../../shared/time/window.js';
import { tinyLake } from '../helpers/lake.js';
import { FaultyEngine, MemoryObjectStore } from './faults.js';

let engine: DuckDbQueryEngine;
beforeAll(async () => {
  engine = await DuckDbQueryEngine.open({ lake: (await tinyLake('reliability')).dir, threads: 1 });
});
afterAll(() => engine?.close());

const SLOW = 'SELECT sum(hash(a.range + b.range)) AS s FROM range(200000000) a, range(1000) b';

describe('one deadline per invocation', () => {
  it('interrupts a running DuckDB query when the deadline fires', async () => {
    const started = Date.now();
    await expect(engine.query(SLOW, { label: 'slow', deadline: Deadline.after(300) })).rejects.toThrow(
      DeadlineExceededError,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    // The engine stays usable.
    expect((await engine.query('SELECT 1 AS x')).rowCount).toBe(1);
  });

  it('bounds every query of an engine wrapped with the deadline', async () => {
    const bounded = withDeadline(engine, Deadline.after(200));
    await expect(bounded.query(SLOW)).rejects.toThrow(/stopped on DuckDB at the invocation's deadline/);
  });

  it('a backfill past its deadline stops, fails the windows it did not compute and releases every lease', async () => {
    const mem = new MemoryObjectStore();
    const windows = windowsInRange(
      'hour',
      new Date('2026-01-04T00:00:00Z'),
      new Date('2026-01-06T00:00:00Z'),
    );
    const slow = new FaultyEngine(engine, { delayMs: 400 });
    const r = await runBackfill({
      engine: slow,
      store: new MetricStore(mem),
      config: coreCatalog(),
      grain: 'hour',
      windows,
      clock: systemClock,
      batchSize: 6,
      concurrency: 1,
      lease: { store: mem, owner: 'lambda' },
      deadline: Deadline.after(1_000),
    });
    expect(r.written).toBeGreaterThan(0);
    expect(r.written).toBeLessThan(windows.length);
    expect(r.written + r.failed.length).toBe(windows.length);
    expect(r.failed.every((f) => /deadline/.test(f.error))).toBe(true);
    expect(await mem.list('leases/')).toEqual([]);
  });
});
