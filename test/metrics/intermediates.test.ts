import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { validateMetricConfig } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { computeMetrics, type ScanStat } from '../../shared/jobs/compute-metrics.js';
import { quantileCont } from '../../shared/metrics/aggregates/quantile.js';
import { decodeIntermediates } from '../../shared/metrics/intermediates.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { windowsInRange } from '../../shared/time/window.js';
import { tinyLake } from '../helpers/lake.js';
import { MemoryObjectStore } from '../reliability/faults.js';

let lake: string;
let engine: DuckDbQueryEngine;
beforeAll(async () => {
  lake = (await tinyLake('intermediates')).dir;
  engine = await DuckDbQueryEngine.open({ lake });
});
afterAll(() => engine?.close());

/** A seeded generator (mulberry32): the multisets are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('quantileCont from (value, count) pairs', () => {
  it('gives the bits of DuckDB quantile_cont over the expanded rows (ties, negatives, infinities, NaN)', async () => {
    const rnd = random(13);
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0];
    const cases: { values: number[]; p: number }[] = [];
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(rnd() * 120);
      // Few distinct values (ties) in half the cases, continuous ones in the rest.
      const pool = t % 2 === 0 ? 1 + Math.floor(rnd() * 6) : 0;
      const values = Array.from({ length: n }, () =>
        pool > 0 ? Math.floor(rnd() * pool) * 1.7 - 3 : (rnd() - 0.2) * 10 ** (1 + Math.floor(rnd() * 6)),
      );
      if (t % 25 === 0) values.push(specials[(t / 25) % 4]!);
      cases.push({ values, p: [0.9, 0.5, 0.99, 0.25, 0.01, 0.75][t % 6]! });
    }
    // One query: each case's values and p as a row of lists (literals of numbers only).
    // Text literals: DuckDB reads a bare 17-digit literal as a DECIMAL, whose cast to DOUBLE can be off by an ulp.
    const lit = (v: number) => `'${v}'::DOUBLE`;
    const sql = cases
      .map(
        (c, i) =>
          `SELECT ${i} AS i, (SELECT quantile_cont(x, ${c.p}) FROM unnest([${c.values.map(lit).join(', ')}]) u(x)) AS q`,
      )
      .join(' UNION ALL ');
    const r = await engine.query(`SELECT i, q FROM (${sql}) ORDER BY i`);
    const want = r.data.q!;
    let interpolated = 0;
    cases.forEach((c, i) => {
      const counts = new Map<number, number>();
      for (const v of c.values) counts.set(v, (counts.get(v) ?? 0) + 1);
      const got = quantileCont(counts, c.p);
      expect(Object.is(got, want[i]), `case ${i}: ${got} vs ${want[i]}`).toBe(true);
      if (!Number.isInteger((c.values.length - 1) * c.p)) interpolated++;
    });
    expect(interpolated).toBeGreaterThan(200);
  });

  it('is null for an empty multiset, the value itself for one row', () => {
    expect(quantileCont(new Map(), 0.9)).toBeNull();
    expect(quantileCont(new Map([[4.25, 3]]), 0.9)).toBe(4.25);
  });
});

/**
 * Metrics beyond the core catalog: filtered distinct counts with slice combinations, a percentile
 * over a column with nulls (model_score is null for human decisions) and a ratio of a distinct
 * count, so merging is checked for filters, null keys, multi-dimension slices and shared keys.
 */
const config = validateMetricConfig({
  version: 1,
  metrics: [
    {
      name: 'removed_content',
      kind: 'distinct_count',
      source: 'moderation_decisions',
      column: 'content_id',
      filter: [{ column: 'action', op: 'eq', value: 'remove' }],
      slices: ['region', 'policy'],
      slice_combinations: [['region', 'surface']],
    },
    {
      name: 'median_model_score',
      kind: 'percentile',
      source: 'moderation_decisions',
      column: 'model_score',
      percentile: 0.5,
      slices: ['decision_source', 'region'],
    },
    {
      name: 'p99_latency_removals',
      kind: 'percentile',
      source: 'moderation_decisions',
      column: 'latency_seconds',
      percentile: 0.99,
      filter: [{ column: 'action', op: 'eq', value: 'remove' }],
      slices: ['surface'],
    },
    {
      name: 'reports_per_actioned_reporter',
      kind: 'ratio',
      numerator: { source: 'user_reports', agg: 'count' },
      denominator: {
        source: 'user_reports',
        agg: 'count_distinct',
        column: 'reporter_id',
        filter: [{ column: 'status', op: 'eq', value: 'actioned' }],
      },
      slices: ['reason'],
      slice_combinations: [['region', 'target_type']],
    },
  ],
});

const key = (r: MetricRow) => `${r.metric}|${r.windowStart.toISOString()}|${r.slice.key}`;

describe('day windows merged from hourly intermediates', () => {
  const from = new Date('2026-01-02T00:00:00Z');
  const to = new Date('2026-01-04T00:00:00Z');
  const mem = new MemoryObjectStore();
  const store = new MetricStore(mem);
  const scans: ScanStat[] = [];
  const clock = fixedClock(new Date('2026-02-01T00:00:00Z'));

  it('equal the raw day scan exactly (filters, null keys, slice combinations, ratios), scanning nothing', async () => {
    const o = {
      engine,
      store,
      config,
      clock,
      incremental: true,
      inventory: new FsLakeInventory(lake),
      onScan: (s: ScanStat) => scans.push(s),
    };
    const h = await runBackfill({ ...o, grain: 'hour', windows: windowsInRange('hour', from, to) });
    expect(h.failed).toEqual([]);
    scans.length = 0;
    const d = await runBackfill({
      ...o,
      grain: 'day',
      windows: windowsInRange('day', from, to),
      rollup: true,
    });
    expect(d.failed).toEqual([]);
    expect(d.rolledUp).toBe(2);
    expect(scans).toEqual([]);
    const raw = (await computeMetrics(engine, config, 'day', windowsInRange('day', from, to))).rows;
    const rolled = new Map((await store.readRange('day', from, to)).map((r) => [key(r), r]));
    expect([...rolled.keys()].sort()).toEqual(raw.map(key).sort());
    const metrics = new Set<string>();
    for (const r of raw) {
      const x = rolled.get(key(r))!;
      expect([x.value, x.numerator, x.denominator], key(r)).toEqual([r.value, r.numerator, r.denominator]);
      if (r.slice.pairs.length === 2) metrics.add(r.metric);
    }
    // The slice combinations were there to compare, and the null-score (human) slice too.
    expect([...metrics].sort()).toEqual(['removed_content', 'reports_per_actioned_reporter']);
    expect(
      raw.some((r) => r.metric === 'median_model_score' && r.slice.key === 'decision_source=human'),
    ).toBe(true);
    expect(
      raw.find((r) => r.metric === 'median_model_score' && r.slice.key === 'decision_source=human')?.value,
    ).toBeNull();
  });

  it('keep each aggregate at its own slices: keys per finest slice, only rows matching the filter', async () => {
    const manifest = await store.readManifest('hour', new Date('2026-01-02T12:00:00Z'));
    const stored = decodeIntermediates((await store.readIntermediates(manifest!))!, manifest!.plan!)!;
    const decisions = Object.values(stored.moderation_decisions!);
    expect(decisions.map((x) => x.dims).sort()).toEqual([
      ['decision_source', 'region'],
      ['policy', 'region', 'surface'],
      ['surface'],
    ]);
    const hour = await engine.query(
      `SELECT count(DISTINCT (region, policy, surface, content_id)) AS n FROM moderation_decisions
       WHERE dt = '2026-01-02' AND hour = '12' AND action = 'remove'`,
    );
    const removed = decisions.find((x) => x.dims.length === 3)!;
    expect(removed.keys.length).toBe(hour.data.n![0]);
    // Keys are distinct per slice and every count is positive.
    expect(new Set(removed.keys.map((k) => JSON.stringify(k.slice(0, 4)))).size).toBe(removed.keys.length);
    expect(removed.keys.every((k) => (k[4] as number) > 0)).toBe(true);
  });
});
