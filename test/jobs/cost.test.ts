import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { coreCatalog } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import {
  ATHENA_MIN_BILLED_BYTES,
  BudgetExceededError,
  bytesScannedCutoffPerQuery,
  runBudgetBytes,
  scanCost,
} from '../../shared/jobs/cost.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { windowsInRange } from '../../shared/time/window.js';
import { tinyLake } from '../helpers/lake.js';
import { FaultyEngine, MemoryObjectStore } from '../reliability/faults.js';

let engine: DuckDbQueryEngine;
let lake: string;
beforeAll(async () => {
  lake = (await tinyLake('reliability')).dir;
  engine = await DuckDbQueryEngine.open({ lake });
});
afterAll(() => engine?.close());

describe('scan cost', () => {
  it('bills each query rounded up to the MB with a 10 MB minimum, at the price per TB', () => {
    const c = scanCost([1, 2 ** 40], 5);
    expect(c.billedBytes).toBe(ATHENA_MIN_BILLED_BYTES + 2 ** 40);
    expect(c.dollars).toBeCloseTo(5 + (5 * ATHENA_MIN_BILLED_BYTES) / 2 ** 40, 12);
    expect(scanCost([], 5).dollars).toBe(0);
    expect(scanCost([3 * 2 ** 40], 6.25).dollars).toBeCloseTo(18.75, 12);
  });

  it('the per-query cutoff and the run budget follow from the lake size per day', () => {
    expect(bytesScannedCutoffPerQuery({ lakeBytesPerDay: 10 * 2 ** 30 })).toBe(140 * 2 ** 30);
    expect(bytesScannedCutoffPerQuery({ lakeBytesPerDay: 1 })).toBe(ATHENA_MIN_BILLED_BYTES);
    const hours = windowsInRange('hour', new Date('2026-01-05T00:00:00Z'), new Date('2026-01-05T03:00:00Z'));
    expect(runBudgetBytes({ lakeBytesPerDay: 24_000 }, hours)).toBe(6_000);
  });

  it('a run over its budget stops before scanning, with one clear error; within it, scans and reports bytes', async () => {
    const windows = windowsInRange(
      'hour',
      new Date('2026-01-04T00:00:00Z'),
      new Date('2026-01-04T06:00:00Z'),
    );
    const counted = new FaultyEngine(engine);
    const mem = new MemoryObjectStore();
    const run = (lakeBytesPerDay: number) =>
      runBackfill({
        engine: counted,
        store: new MetricStore(mem),
        config: coreCatalog(),
        grain: 'hour',
        windows,
        clock: fixedClock(new Date('2026-02-01T00:00:00Z')),
        inventory: new FsLakeInventory(lake),
        budget: { lakeBytesPerDay },
      });
    await expect(run(1_000)).rejects.toThrow(BudgetExceededError);
    await expect(run(1_000)).rejects.toThrow(
      /hour run of 6 windows from 2026-01-04T00:00:00Z would scan .* over its budget/,
    );
    expect(counted.calls).toBe(0);
    expect(await mem.list('metrics/')).toEqual([]);
    const ok = await run(10 * 2 ** 30);
    expect(ok.written).toBe(6);
    expect(ok.bytesScanned).toBeGreaterThan(0);
    expect(ok.queryBytes).toHaveLength(5);
  });
});
