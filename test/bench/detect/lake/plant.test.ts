import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE_KINDS, planLake, plantOf } from '../../../../bench/detect/lake/plan.js';
import { type PlantedRows, plantLake } from '../../../../bench/detect/lake/plant.js';
import { DuckDbQueryEngine } from '../../../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../../../shared/adapters/duckdb/generate-lake.js';
import { buildScenario } from '../../../../shared/generator/scenario.js';
import { quoteString } from '../../../../shared/sql/literals.js';
import { createRng } from '../../../../shared/stats/random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 5);

describe('planLake', () => {
  it('plants the twelve kinds once each in a seeded order, apart and after the warm-up', () => {
    for (const seed of [1, 2, 3, 4]) {
      const plan = planLake(seed, START, 35);
      expect(plan.map((p) => p.kind).sort()).toEqual([...LAKE_KINDS].sort());
      expect(plan[0]!.start).toBeGreaterThanOrEqual(START + 7 * DAY);
      expect(plan.at(-1)!.end).toBeLessThanOrEqual(START + 35 * DAY);
      for (let i = 1; i < plan.length; i++)
        expect(plan[i]!.start - plan[i - 1]!.end).toBeGreaterThanOrEqual(18 * HOUR);
      const traffic = plan.find((p) => p.kind === 'traffic')!;
      expect(traffic.start % DAY).toBe(0);
      expect(new Set(plan.map((p) => p.id)).size).toBe(12);
    }
    expect(planLake(1, START, 35).map((p) => p.start)).toEqual(planLake(1, START, 35).map((p) => p.start));
    expect(planLake(1, START, 35).map((p) => p.kind)).not.toEqual(planLake(2, START, 35).map((p) => p.kind));
  });
});

describe('plantLake', () => {
  let dir: string;
  let rows: Map<string, PlantedRows>;
  // One plant of each kind that edits rows, on an 8-day lake (a whole plan needs 35 days).
  const rng = createRng(5);
  const kinds = [
    'spike',
    'small_slice_spike',
    'drop',
    'partial_partition',
    'traffic',
    'prevalence_jump',
  ] as const;
  const plan = kinds.map((kind, i) => plantOf(rng, kind, kind, START + (i + 1) * DAY + 14 * HOUR));
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vigil-lake-plant-'));
    const scenario = buildScenario({
      seed: 5,
      start: new Date(START),
      days: 8,
      impressions: 300_000,
      planted: 'none',
    });
    await generateLake(scenario, dir);
    rows = new Map((await plantLake(dir, plan, 5, scenario)).map((r) => [r.id, r]));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('multiplies, thins and flips exactly the rows the plan names', () => {
    const of = (kind: string) => plan.filter((p) => p.kind === kind).map((p) => rows.get(p.id)!);
    // Integer factors duplicate every matching row: exact.
    for (const r of of('spike')) expect(r.after).toBe(4 * r.before);
    for (const r of of('small_slice_spike')) expect(r.after).toBe(6 * r.before);
    const [drop] = of('drop');
    expect(drop!.before).toBeGreaterThan(0);
    expect(drop!.after).toBeLessThan(0.4 * drop!.before);
    const [partial] = of('partial_partition');
    expect(partial!.after).toBeGreaterThan(0.1 * partial!.before);
    expect(partial!.after).toBeLessThan(0.45 * partial!.before);
    const [traffic] = of('traffic');
    expect(traffic!.after / traffic!.before).toBeGreaterThan(1.3);
    expect(traffic!.after / traffic!.before).toBeLessThan(1.4);
    const [prevalence] = of('prevalence_jump');
    expect(prevalence!.after).toBeGreaterThan(prevalence!.before);
    // A flip plant says what its labels could show: all of them in its partitions, drawn at the
    // surface's rate, so that before is about labelled x rate (only flips add violating ones).
    const { labelled, rate } = prevalence!.sample!;
    expect(labelled).toBeGreaterThan(prevalence!.after);
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(0.5);
    expect(prevalence!.before).toBeLessThan(labelled * rate + 4 * Math.sqrt(labelled * rate) + 1);
    for (const r of of('spike')) expect(r.sample).toBeUndefined();
  });

  it("adds a traffic day's rows as independent events, not copies of the day's own", async () => {
    const traffic = plan.find((p) => p.kind === 'traffic')!;
    const engine = await DuckDbQueryEngine.open({ lake: dir });
    try {
      for (const [source, id, people] of [
        ['impressions', 'impression_id', 'viewer_id'],
        ['user_reports', 'report_id', 'reporter_id'],
      ] as const) {
        const all = `read_parquet(${quoteString(path.join(dir, source, '*', '*', '*.parquet'))}, hive_partitioning = false)`;
        const [from, to] = [traffic.start, traffic.end].map((t) => quoteString(new Date(t).toISOString()));
        const r = await engine.query(
          `WITH d AS (SELECT * FROM ${all} WHERE event_time >= CAST(${from} AS TIMESTAMP) AND event_time < CAST(${to} AS TIMESTAMP)), added AS (SELECT * FROM d WHERE ends_with(${id}, '_t')),
                own AS (SELECT * FROM d WHERE NOT ends_with(${id}, '_t'))
           SELECT CAST((SELECT count(*) FROM added) AS DOUBLE) AS added,
                  CAST((SELECT count(*) FROM own) AS DOUBLE) AS own,
                  CAST((SELECT count(*) FROM added a JOIN own o ON a.event_time = o.event_time) AS DOUBLE) AS copies,
                  CAST((SELECT count(*) FROM added WHERE NOT ends_with(${people}, '_t')) AS DOUBLE) AS known`,
        );
        const added = r.data.added?.[0] as number;
        expect(added / (r.data.own?.[0] as number)).toBeGreaterThan(0.3);
        expect(added / (r.data.own?.[0] as number)).toBeLessThan(0.4);
        // Microsecond event times: a copy shares its row's, an independent event does not.
        expect(r.data.copies?.[0]).toBe(0);
        expect(r.data.known?.[0]).toBe(0);
      }
    } finally {
      await engine.close();
    }
  });

  it('keeps row ids unique (duplicates get fresh ids) and every partition readable', async () => {
    const engine = await DuckDbQueryEngine.open({ lake: dir });
    try {
      for (const [source, id] of [
        ['impressions', 'impression_id'],
        ['moderation_decisions', 'decision_id'],
        ['user_reports', 'report_id'],
      ] as const) {
        const r = await engine.query(
          `SELECT CAST(count(*) AS DOUBLE) AS n, CAST(count(DISTINCT ${id}) AS DOUBLE) AS d
           FROM read_parquet(${quoteString(path.join(dir, source, '*', '*', '*.parquet'))}, hive_partitioning = true)`,
        );
        expect(r.data.n?.[0]).toBe(r.data.d?.[0]);
      }
    } finally {
      await engine.close();
    }
  });
});
