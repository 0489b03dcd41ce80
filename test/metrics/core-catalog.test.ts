import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { coreCatalog } from '../../shared/config/load.js';
import { computeMetrics } from '../../shared/jobs/compute-metrics.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { sliceOf } from '../../shared/slices/slice.js';
import { windowsInRange } from '../../shared/time/window.js';
import { tinyLake } from '../helpers/lake.js';

/**
 * Every core metric against an independent, hand-written DuckDB computation of the design's
 * definition, read straight from the Parquet files (not through Vigil's views or planner).
 */
let engine: DuckDbQueryEngine;
let raw: DuckDbQueryEngine;
let lake: string;
let rows: MetricRow[];
const DAY = new Date('2026-01-09T00:00:00Z');
const NEXT = new Date('2026-01-10T00:00:00Z');

beforeAll(async () => {
  ({ dir: lake } = await tinyLake('core-catalog'));
  engine = await DuckDbQueryEngine.open({ lake });
  raw = await DuckDbQueryEngine.open();
  rows = (await computeMetrics(engine, coreCatalog(), 'day', windowsInRange('day', DAY, NEXT))).rows;
});
afterAll(async () => {
  await engine.close();
  await raw.close();
});

const src = (s: string) => `read_parquet('${path.join(lake, s)}/*/*/*.parquet', hive_partitioning = false)`;
const inWindow = `event_time >= TIMESTAMP '2026-01-09' AND event_time < TIMESTAMP '2026-01-10'`;

interface Expected {
  slice: string;
  value: number | null;
  numerator?: number | null;
  denominator?: number | null;
}

/** Runs a reference query returning columns k (slice value or NULL for the total), v, n, d. */
async function reference(sql: string, dim: string | undefined): Promise<Expected[]> {
  const r = await raw.query(sql);
  const k = r.data.k ?? [];
  return k.map((key, i) => ({
    slice: dim === undefined ? '' : sliceOf([[dim, key === null ? null : String(key)]]).key,
    value: r.data.v?.[i] === null ? null : Number(r.data.v?.[i]),
    ...(r.columns.includes('n')
      ? { numerator: Number(r.data.n?.[i]), denominator: Number(r.data.d?.[i]) }
      : {}),
  }));
}

function actual(metric: string, dim: string | undefined): Expected[] {
  return rows
    .filter(
      (r) =>
        r.metric === metric &&
        (dim === undefined ? r.slice.key === '' : r.slice.pairs.length === 1 && r.slice.pairs[0]![0] === dim),
    )
    .map((r) => ({
      slice: r.slice.key,
      value: r.value,
      ...(r.numerator !== null || r.denominator !== null
        ? { numerator: r.numerator, denominator: r.denominator }
        : {}),
    }));
}

function sortBySlice(xs: Expected[]): Expected[] {
  return [...xs].sort((a, b) => a.slice.localeCompare(b.slice));
}

function expectSame(got: Expected[], want: Expected[]) {
  expect(got.map((g) => g.slice)).toEqual(sortBySlice(want).map((w) => w.slice));
  const w = sortBySlice(want);
  got.forEach((g, i) => {
    const e = w[i]!;
    if (e.value === null) expect(g.value, g.slice).toBeNull();
    else expect(g.value, g.slice).toBeCloseTo(e.value, 9);
    if (e.numerator !== undefined) {
      expect(g.numerator, g.slice).toBe(e.numerator);
      expect(g.denominator, g.slice).toBe(e.denominator);
    }
  });
}

type Def = (dim: string) => string;
const group = (dim: string | undefined) => (dim ? `${dim} AS k` : 'NULL AS k');
const by = (dim: string | undefined) => (dim ? 'GROUP BY 1' : '');

const count =
  (source: string, where = 'true'): Def =>
  (dim) =>
    `SELECT ${group(dim)}, count(*) AS v FROM ${src(source)} WHERE ${inWindow} AND ${where} ${by(dim)}`;
const ratio =
  (source: string, num: string, den: string, scale = 1): Def =>
  (dim) =>
    `SELECT ${group(dim)}, CASE WHEN count(*) FILTER (WHERE ${den}) = 0 THEN NULL ELSE ${scale} * count(*) FILTER (WHERE ${num}) / count(*) FILTER (WHERE ${den}) END AS v,
          count(*) FILTER (WHERE ${num}) AS n, count(*) FILTER (WHERE ${den}) AS d
   FROM ${src(source)} WHERE ${inWindow} ${by(dim)}`;
/** Two-source ratio joined per slice, a missing side counting as zero. */
const perImpressions =
  (source: string, where = 'true'): Def =>
  (dim) =>
    `
  WITH a AS (SELECT ${group(dim)}, count(*) AS c FROM ${src(source)} WHERE ${inWindow} AND ${where} ${by(dim)}),
       b AS (SELECT ${group(dim)}, count(*) AS c FROM ${src('impressions')} WHERE ${inWindow} ${by(dim)})
  SELECT coalesce(a.k, b.k) AS k, coalesce(a.c, 0) AS n, coalesce(b.c, 0) AS d,
         CASE WHEN coalesce(b.c, 0) = 0 THEN NULL ELSE 10000.0 * coalesce(a.c, 0) / b.c END AS v
  FROM a FULL JOIN b ON a.k IS NOT DISTINCT FROM b.k`;

const DEFINITIONS: Record<string, { def: Def; dims: string[] }> = {
  impressions: { def: count('impressions'), dims: ['region', 'surface', 'platform'] },
  removals: {
    def: count('moderation_decisions', `action = 'remove'`),
    dims: ['region', 'surface', 'policy'],
  },
  removals_per_10k_impressions: {
    def: perImpressions('moderation_decisions', `action = 'remove'`),
    dims: ['region', 'surface'],
  },
  automated_action_share: {
    def: ratio(
      'moderation_decisions',
      `decision_source = 'automated' AND action <> 'no_violation'`,
      `action <> 'no_violation'`,
    ),
    dims: ['region', 'surface', 'policy'],
  },
  appeal_overturn_rate: {
    def: ratio(
      'moderation_decisions',
      `decision_source = 'appeal' AND appeal_overturned`,
      `decision_source = 'appeal'`,
    ),
    dims: ['region', 'surface', 'policy'],
  },
  decision_latency_p90_seconds: {
    def: (dim) =>
      `SELECT ${group(dim)}, quantile_cont(latency_seconds, 0.9) AS v FROM ${src('moderation_decisions')} WHERE ${inWindow} ${by(dim)}`,
    dims: ['region', 'surface', 'policy'],
  },
  user_reports: { def: count('user_reports'), dims: ['region', 'surface', 'reason'] },
  reports_per_10k_impressions: { def: perImpressions('user_reports'), dims: ['region', 'surface'] },
  report_action_rate: {
    def: ratio('user_reports', `status = 'actioned'`, `status IN ('actioned', 'dismissed')`),
    dims: ['region', 'surface', 'reason'],
  },
  unique_reporters: {
    def: (dim) =>
      `SELECT ${group(dim)}, count(DISTINCT reporter_id) AS v FROM ${src('user_reports')} WHERE ${inWindow} ${by(dim)}`,
    dims: ['region', 'surface'],
  },
  login_failure_rate: {
    def: ratio(
      'account_events',
      `event_type = 'login_failure'`,
      `event_type IN ('login_success', 'login_failure')`,
    ),
    dims: ['region', 'platform'],
  },
  account_takeover_flags: {
    def: count('account_events', `event_type = 'account_takeover_flag'`),
    dims: ['region', 'platform'],
  },
  high_risk_signup_share: {
    def: ratio(
      'account_events',
      `event_type = 'signup' AND risk_score >= 0.8`,
      `event_type = 'signup' AND risk_score IS NOT NULL`,
    ),
    dims: ['region', 'platform'],
  },
};

describe('core catalog on a generated lake, against hand-written SQL', () => {
  it('covers every metric of the catalog', () => {
    expect(Object.keys(DEFINITIONS).length + 1).toBe(coreCatalog().metrics.length);
  });

  for (const [metric, { def, dims }] of Object.entries(DEFINITIONS)) {
    it(`${metric}: total and each slice dimension`, async () => {
      expectSame(actual(metric, undefined), await reference(def(''), undefined));
      for (const dim of dims) {
        const got = actual(metric, dim);
        expect(got.length, `${metric} ${dim} has slices`).toBeGreaterThan(0);
        expectSame(got, await reference(def(dim), dim));
      }
    });
  }

  it('violation_prevalence: weighted sums and a Wilson interval on the Kish effective n', async () => {
    const r = await raw.query(`
      SELECT region AS k, sum(sample_weight) FILTER (WHERE is_violating) AS n, sum(sample_weight) AS d,
             sum(sample_weight * sample_weight) AS sq
      FROM ${src('prevalence_labels')} WHERE ${inWindow} GROUP BY 1`);
    const got = actual('violation_prevalence', 'region');
    expect(got.length).toBe(r.rowCount);
    for (let i = 0; i < r.rowCount; i++) {
      const slice = sliceOf([['region', (r.data.k![i] as string | null) ?? null]]).key;
      const n = Number(r.data.n![i] ?? 0);
      const d = Number(r.data.d![i]);
      const g = rows.find((x) => x.metric === 'violation_prevalence' && x.slice.key === slice)!;
      expect(g.numerator).toBeCloseTo(n, 9);
      expect(g.denominator).toBeCloseTo(d, 9);
      expect(g.value).toBeCloseTo(n / d, 12);
      // Wilson at z = 1.96 on n_eff = d²/Σw²
      const neff = (d * d) / Number(r.data.sq![i]);
      const p = n / d;
      const z = 1.959963984540054;
      const center = (p + (z * z) / (2 * neff)) / (1 + (z * z) / neff);
      const half = (z / (1 + (z * z) / neff)) * Math.sqrt((p * (1 - p)) / neff + (z * z) / (4 * neff * neff));
      expect(g.ciLow).toBeCloseTo(p === 0 ? 0 : center - half, 12);
      expect(g.ciHigh).toBeCloseTo(center + half, 12);
      expect(g.ciLow!).toBeLessThanOrEqual(g.value!);
      expect(g.ciHigh!).toBeGreaterThanOrEqual(g.value!);
    }
  });

  it('decision_latency_p90_seconds: each row carries how many decisions it is over (samples); other kinds none', async () => {
    const r = await raw.query(
      `SELECT policy AS k, count(*) AS n FROM ${src('moderation_decisions')} WHERE ${inWindow} GROUP BY 1`,
    );
    const got = rows.filter(
      (x) => x.metric === 'decision_latency_p90_seconds' && x.slice.pairs[0]?.[0] === 'policy',
    );
    expect(got.length).toBe(r.rowCount);
    for (let i = 0; i < r.rowCount; i++) {
      const slice = sliceOf([['policy', (r.data.k![i] as string | null) ?? null]]).key;
      expect(got.find((x) => x.slice.key === slice)!.samples, slice).toBe(Number(r.data.n![i]));
    }
    expect(
      rows.filter((x) => x.samples !== undefined).every((x) => x.metric === 'decision_latency_p90_seconds'),
    ).toBe(true);
  });

  it('scans each source once for the whole catalog', async () => {
    const computed = await computeMetrics(engine, coreCatalog(), 'day', windowsInRange('day', DAY, NEXT));
    const sources = computed.scans.map((s) => s.source).sort();
    expect(sources).toEqual([
      'account_events',
      'impressions',
      'moderation_decisions',
      'prevalence_labels',
      'user_reports',
    ]);
  });
});
