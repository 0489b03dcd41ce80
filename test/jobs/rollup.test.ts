import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { coreCatalog } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { computeMetrics, type ScanStat } from '../../shared/jobs/compute-metrics.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';
import { MemoryObjectStore } from '../reliability/faults.js';

// A private copy of the generated lake: one test adds a late file to it.
const lake = path.join(TMP_ROOT, 'rollup', 'lake');
let engine: DuckDbQueryEngine;
const config = coreCatalog();
const from = new Date('2026-01-03T00:00:00Z');
const to = new Date('2026-01-06T00:00:00Z');
const days = windowsInRange('day', from, to);
const hours = windowsInRange('hour', from, to);
const clock = fixedClock(new Date('2026-02-01T00:00:00Z'));

beforeAll(async () => {
  rmSync(path.dirname(lake), { recursive: true, force: true });
  mkdirSync(path.dirname(lake), { recursive: true });
  cpSync((await tinyLake('rollup')).dir, lake, { recursive: true });
  engine = await DuckDbQueryEngine.open({ lake });
});
afterAll(() => engine?.close());

const ADDITIVE_KINDS = new Set(['count', 'sum', 'ratio', 'weighted_proportion']);
const kindOf = new Map(config.metrics.map((m) => [m.name, m.kind]));

function byKey(rows: readonly MetricRow[]): Map<string, MetricRow> {
  return new Map(rows.map((r) => [`${r.metric}|${r.windowStart.toISOString()}|${r.slice.key}`, r]));
}

/** Same rows; counts exact, sums within 1e-12 relative, the rest (distinct, percentile) exact. */
function expectSame(rolled: readonly MetricRow[], raw: readonly MetricRow[]): void {
  const a = byKey(rolled);
  const b = byKey(raw);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let compared = 0;
  for (const [key, r] of b) {
    const x = a.get(key)!;
    for (const field of ['value', 'numerator', 'denominator', 'ciLow', 'ciHigh'] as const) {
      const want = r[field];
      const got = x[field];
      if (want === null || got === null) {
        expect(got, `${key} ${field}`).toBe(want);
        continue;
      }
      const kind = kindOf.get(r.metric)!;
      if (kind === 'count' || field === 'numerator' || field === 'denominator') {
        if (Number.isInteger(want)) expect(got, `${key} ${field}`).toBe(want);
      }
      if (ADDITIVE_KINDS.has(kind))
        expect(Math.abs(got - want), `${key} ${field}`).toBeLessThanOrEqual(
          1e-12 * Math.max(1, Math.abs(want)),
        );
      else expect(got, `${key} ${field}`).toBe(want);
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(1000);
}

const rawDays = async () => (await computeMetrics(engine, config, 'day', days)).rows;

describe('day windows rolled up from stored hourly aggregates', () => {
  const mem = new MemoryObjectStore();
  const store = new MetricStore(mem);
  const inventory = new FsLakeInventory(lake);
  const scans: ScanStat[] = [];
  const base = () => ({ engine, store, config, clock, inventory, onScan: (s: ScanStat) => scans.push(s) });

  it('give the raw day scan values: counts exactly, sums within 1e-12, distinct counts and percentiles exactly', async () => {
    const h = await runBackfill({ ...base(), grain: 'hour', windows: hours, incremental: true });
    expect(h.failed).toEqual([]);
    scans.length = 0;
    const d = await runBackfill({ ...base(), grain: 'day', windows: days, incremental: true, rollup: true });
    expect(d.failed).toEqual([]);
    expect(d.rolledUp).toBe(days.length);
    // Nothing was scanned: distinct counts and percentiles came from the hours' intermediates.
    expect(scans).toEqual([]);
    expectSame(await store.readRange('day', from, to), await rawDays());
  });

  it('a rerun over unchanged partitions scans nothing; a late file rescans only its hour, and the day follows', async () => {
    scans.length = 0;
    const again = await runBackfill({ ...base(), grain: 'hour', windows: hours, incremental: true });
    expect(again.unchanged).toBe(hours.length);
    expect(scans).toEqual([]);
    const d = await runBackfill({ ...base(), grain: 'day', windows: days, incremental: true, rollup: true });
    expect(d.unchanged).toBe(days.length);
    expect(scans).toEqual([]);

    // Late data: a second file lands in one partition of impressions (a copy: every row twice).
    const folder = path.join(lake, 'impressions', 'dt=2026-01-04', 'hour=07');
    const file = readdirSync(folder).find((f) => f.endsWith('.parquet'))!;
    cpSync(path.join(folder, file), path.join(folder, `late-${file}`));
    const late = await runBackfill({
      ...base(),
      grain: 'day',
      windows: days,
      incremental: true,
      rollup: true,
    });
    expect(late.failed).toEqual([]);
    expect(late.unchanged).toBe(days.length - 1);
    // Only the changed partition is rescanned: impressions of that hour. The other sources' aggregates
    // of the hour, and the day's distinct counts and percentiles (their sources did not change), are reused.
    expect(
      scans.map(
        (s) => `${s.source}@${s.from.toISOString()}/${(s.to.getTime() - s.from.getTime()) / 3_600_000}h`,
      ),
    ).toEqual(['impressions@2026-01-04T07:00:00.000Z/1h']);
    expectSame(await store.readRange('day', from, to), await rawDays());
    // A late file of a source with a distinct count: only its hour is rescanned; the day's distinct
    // counts are merged again from the 24 hours' intermediates (the refreshed hour's included).
    scans.length = 0;
    const reports = path.join(lake, 'user_reports', 'dt=2026-01-05', 'hour=13');
    const rf = readdirSync(reports).find((f) => f.endsWith('.parquet'))!;
    cpSync(path.join(reports, rf), path.join(reports, `late-${rf}`));
    await runBackfill({ ...base(), grain: 'day', windows: days, incremental: true, rollup: true });
    expect(
      scans.map(
        (s) => `${s.source}@${s.from.toISOString()}/${(s.to.getTime() - s.from.getTime()) / 3_600_000}h`,
      ),
    ).toEqual(['user_reports@2026-01-05T13:00:00.000Z/1h']);
    expectSame(await store.readRange('day', from, to), await rawDays());
    const hourRows = byKey(
      await store.readRange('hour', new Date('2026-01-04T07:00:00Z'), new Date('2026-01-04T08:00:00Z')),
    );
    const rawHour = (
      await computeMetrics(
        engine,
        config,
        'hour',
        windowsInRange('hour', new Date('2026-01-04T07:00:00Z'), new Date('2026-01-04T08:00:00Z')),
      )
    ).rows;
    expect(hourRows.get('impressions|2026-01-04T07:00:00.000Z|')?.value).toBe(
      rawHour.find((r) => r.metric === 'impressions' && r.slice.key === '')?.value,
    );
  });

  it("without an hour's intermediates (expired, or stored by an older version) the day scans its raw events for them", async () => {
    // A late file in a source of each non-additive aggregate makes both days stale.
    for (const [source, dt] of [
      ['user_reports', '2026-01-04'],
      ['moderation_decisions', '2026-01-04'],
    ] as const) {
      const folder = path.join(lake, source, `dt=${dt}`, 'hour=20');
      const f = readdirSync(folder).find((x) => x.endsWith('.parquet') && !x.startsWith('late-'))!;
      cpSync(path.join(folder, f), path.join(folder, `late2-${f}`));
    }
    // First the hours take the late files; then one hour of the day loses its intermediates.
    await runBackfill({ ...base(), grain: 'hour', windows: hours, incremental: true });
    const gone = (await mem.list('intermediates/grain=hour/window=2026-01-04T03')).filter((k) =>
      k.endsWith('.json.gz'),
    );
    expect(gone.length).toBe(1);
    await mem.delete(gone[0]!);
    scans.length = 0;
    const d = await runBackfill({ ...base(), grain: 'day', windows: days, incremental: true, rollup: true });
    expect(d.failed).toEqual([]);
    expect(
      scans
        .map((s) => `${s.source}@${s.from.toISOString()}/${(s.to.getTime() - s.from.getTime()) / 3_600_000}h`)
        .sort(),
    ).toEqual([
      'moderation_decisions@2026-01-04T00:00:00.000Z/24h',
      'user_reports@2026-01-04T00:00:00.000Z/24h',
    ]);
    expectSame(await store.readRange('day', from, to), await rawDays());

    // Late data in that hour: the changed source and the sources whose intermediates are gone are
    // rescanned (the others' aggregates kept), and the day merges from its hours again.
    const folder = path.join(lake, 'impressions', 'dt=2026-01-04', 'hour=03');
    const f = readdirSync(folder).find((x) => x.endsWith('.parquet'))!;
    cpSync(path.join(folder, f), path.join(folder, `late3-${f}`));
    scans.length = 0;
    await runBackfill({ ...base(), grain: 'day', windows: days, incremental: true, rollup: true });
    expect(
      scans
        .map((s) => `${s.source}@${s.from.toISOString()}/${(s.to.getTime() - s.from.getTime()) / 3_600_000}h`)
        .sort(),
    ).toEqual([
      'impressions@2026-01-04T03:00:00.000Z/1h',
      'moderation_decisions@2026-01-04T03:00:00.000Z/1h',
      'user_reports@2026-01-04T03:00:00.000Z/1h',
    ]);
    expectSame(await store.readRange('day', from, to), await rawDays());
  });
});
