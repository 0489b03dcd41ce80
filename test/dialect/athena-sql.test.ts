import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { coreCatalog } from '../../shared/config/load.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { computeMetrics } from '../../shared/jobs/compute-metrics.js';
import { intermediateSets, windowIntermediates } from '../../shared/metrics/intermediates.js';
import { planMetrics, withIntermediates } from '../../shared/metrics/plan.js';
import { renderPlan } from '../../shared/metrics/sql-render.js';
import type { QueryEngine, QueryResult } from '../../shared/ports/query-engine.js';
import { athenaDialect } from '../../shared/sql/dialect.js';
import { windowsInRange } from '../../shared/time/window.js';

const DB = 'vigil';
const cfg = coreCatalog();

/**
 * DuckDB macros cannot carry FILTER (…), which the planner puts on every aggregate; so the two
 * Trino aggregates used under FILTER are renamed to their exact DuckDB aggregates. Nothing else is
 * touched: GROUPING SETS, FILTER, casts, literals, "vigil"."table" names and to_unixtime (a macro)
 * run as Athena would receive them.
 */
function trinoAggregatesForDuckDb(sql: string): string {
  return sql
    .replace(/approx_distinct\(((?:[^()]|\([^()]*\))*), [0-9.]+\)/g, 'count(DISTINCT $1)')
    .replace(/approx_percentile\(/g, 'quantile_cont(');
}

class TrinoOnDuckDb implements QueryEngine {
  readonly dialect = athenaDialect(DB);
  readonly executed: string[] = [];
  constructor(private readonly duck: DuckDbQueryEngine) {}
  query(sql: string, options?: { label?: string }): Promise<QueryResult> {
    this.executed.push(sql);
    return this.duck.query(trinoAggregatesForDuckDb(sql), options);
  }
  async close() {}
}

describe('Athena SQL of every planned query', () => {
  it.each(['hour', 'day'] as const)('is stable (%s grain snapshot)', (grain) => {
    const from = new Date('2026-01-05T00:00:00Z');
    const to = new Date(grain === 'hour' ? '2026-01-05T03:00:00Z' : '2026-01-07T00:00:00Z');
    const queries = renderPlan(planMetrics(cfg, grain, from, to), cfg, athenaDialect(DB));
    expect(queries.map((q) => q.source).sort()).toEqual([
      'account_events',
      'impressions',
      'moderation_decisions',
      'prevalence_labels',
      'user_reports',
    ]);
    for (const q of queries) {
      expect(q.sql).toContain(`FROM "${DB}"."${q.table}"`);
      expect(q.sql).not.toMatch(/quantile_cont|epoch\(|count\(DISTINCT/);
    }
    expect(queries.map((q) => `-- ${q.source}\n${q.sql}`).join('\n\n')).toMatchSnapshot();
  });

  it('of an hourly scan with intermediates is stable, and keys are column expressions, never values', () => {
    const plan = withIntermediates(
      planMetrics(cfg, 'hour', new Date('2026-01-05T00:00:00Z'), new Date('2026-01-05T03:00:00Z')),
    );
    const queries = renderPlan(plan, cfg, athenaDialect(DB)).filter(
      (q) => intermediateSets(plan.scans.find((s) => s.source === q.source)!).length > 0,
    );
    expect(queries.map((q) => q.source).sort()).toEqual(['moderation_decisions', 'user_reports']);
    for (const q of queries) {
      // Trino's GROUPING() takes column references: the keys are columns of an inner query.
      expect(q.sql).toMatch(/GROUPING\("__vigil_k0"(, "__vigil_k\d")*\) AS gk/);
      expect(q.sql).toContain(`FROM "${DB}"."${q.table}"`);
    }
    expect(queries.map((q) => `-- ${q.source}\n${q.sql}`).join('\n\n')).toMatchSnapshot();
  });
});

describe('Athena SQL executed on DuckDB through the Trino compatibility layer', () => {
  let dir: string;
  let duck: DuckDbQueryEngine;
  let native: DuckDbQueryEngine;
  const start = new Date('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-dialect-'));
    await generateLake(buildScenario({ seed: 7, start, ...SCALES.tiny }), path.join(dir, 'lake'));
    duck = await DuckDbQueryEngine.open({
      lake: path.join(dir, 'lake'),
      threads: 2,
      trinoCompat: { schema: DB },
    });
    native = await DuckDbQueryEngine.open({ lake: path.join(dir, 'lake'), threads: 2 });
  });
  afterAll(async () => {
    await duck?.close();
    await native?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the macros stand in for the Trino functions', async () => {
    const r = await duck.query(
      `SELECT approx_distinct(x, 0.01) AS d, approx_percentile(CAST(x AS DOUBLE), 0.5) AS p, to_unixtime(TIMESTAMP '2026-01-01 00:00:00') AS t FROM range(10) r(x)`,
    );
    expect(r.data).toEqual({ d: [10], p: [4.5], t: [1767225600] });
  });

  it.each(['hour', 'day'] as const)('computes the same %s metrics as the DuckDB dialect', async (grain) => {
    const windows = windowsInRange(
      grain,
      new Date(start.getTime() + 3 * 86_400_000),
      new Date(start.getTime() + (grain === 'hour' ? 3 * 86_400_000 + 6 * 3_600_000 : 6 * 86_400_000)),
    );
    const trino = new TrinoOnDuckDb(duck);
    const athenaRows = (await computeMetrics(trino, cfg, grain, windows)).rows;
    const duckRows = (await computeMetrics(native, cfg, grain, windows)).rows;
    expect(trino.executed.length).toBe(5);
    for (const sql of trino.executed) expect(sql).toMatch(/FROM "vigil"\."\w+"\nWHERE \(?"dt"/);
    const key = (r: (typeof athenaRows)[number]) =>
      `${r.metric}|${r.windowStart.toISOString()}|${r.slice.key}`;
    expect(athenaRows.length).toBeGreaterThan(100);
    expect(athenaRows.map(key).sort()).toEqual(duckRows.map(key).sort());
    const byKey = new Map(duckRows.map((r) => [key(r), r]));
    for (const r of athenaRows) {
      const d = byKey.get(key(r))!;
      if (r.value === null) expect(d.value).toBeNull();
      else expect(r.value).toBeCloseTo(d.value!, 9);
      expect(r.numerator).toEqual(d.numerator);
      expect(r.denominator).toEqual(d.denominator);
    }
  });

  it('returns the same hourly intermediates and rows as the DuckDB dialect', async () => {
    const windows = windowsInRange(
      'hour',
      new Date(start.getTime() + 3 * 86_400_000),
      new Date(start.getTime() + 3 * 86_400_000 + 3 * 3_600_000),
    );
    const trino = new TrinoOnDuckDb(duck);
    const athena = await computeMetrics(trino, cfg, 'hour', windows, { intermediates: true });
    const local = await computeMetrics(native, cfg, 'hour', windows, { intermediates: true });
    const plain = await computeMetrics(native, cfg, 'hour', windows);
    // The ordinary rows are those of a scan without intermediates.
    expect(local.rows).toEqual(plain.rows);
    let keys = 0;
    for (const scan of athena.plan.scans) {
      if (intermediateSets(scan).length === 0) continue;
      for (const w of windows) {
        const ms = w.start.getTime();
        const a = windowIntermediates(scan, athena.keys.get(scan.source)!, ms);
        const b = windowIntermediates(scan, local.keys.get(scan.source)!, ms);
        const sorted = (x: typeof a) =>
          Object.fromEntries(
            Object.entries(x).map(([k, v]) => [
              k,
              { ...v, keys: v.keys.map((r) => JSON.stringify(r)).sort() },
            ]),
          );
        expect(sorted(a)).toEqual(sorted(b));
        keys += Object.values(a).reduce((n, v) => n + v.keys.length, 0);
      }
    }
    expect(keys).toBeGreaterThan(100);
  });
});
