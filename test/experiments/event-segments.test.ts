import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import {
  analyzeExperiment,
  computeExperimentSums,
  demoConfigYaml,
  findExperiment,
  planExperiment,
  renderEventSegmentPlan,
} from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { numberColumn, stringColumn } from '../../shared/ports/query-engine.js';
import { athenaDialect } from '../../shared/sql/dialect.js';
import { timestampLiteral } from '../../shared/sql/literals.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

let dir: string;
let manifest: LakeManifest;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  ({ dir, manifest } = await tinyLake('experiments'));
  engine = await DuckDbQueryEngine.open({ lake: dir });
}, 60_000);
afterAll(async () => {
  await engine?.close();
});

/** The demo experiment segmented by surface (an event attribute), with the ratio metric made primary. */
const yaml = () =>
  demoConfigYaml(manifest)
    .replace('    unit: user\n', '    unit: user\n    segments: [surface]\n')
    .replace(
      '        role: guardrail\n        direction: increase\n        kind: ratio\n',
      '        role: primary\n        direction: increase\n        kind: ratio\n',
    );

describe('segments by an event attribute (surface)', () => {
  it('per-(variant, surface) sums match a hand-written DuckDB query; units without events count as 0', async () => {
    const config = parseExperimentConfig(yaml(), 'c');
    const e = findExperiment(config, 'report_flow_v2');
    expect(e.metrics.filter((m) => m.role === 'primary').map((m) => m.name)).toEqual([
      'reports_per_unit',
      'report_action_rate',
    ]);
    const end = new Date(manifest.end);
    const pre = new Date(e.start.getTime() - 7 * 86_400_000);
    const post = `r.event_time >= a.t AND r.event_time < ${timestampLiteral(end)}`;
    // Per unit and surface, only where the unit has reports (inner join); n from the assignments.
    const hand = await engine.query(`
      WITH a AS (
        SELECT unit_id, CASE WHEN min(variant) = max(variant) THEN min(variant) END AS v, min(event_time) AS t
        FROM experiment_assignments
        WHERE experiment_id = 'report_flow_v2' AND event_time >= ${timestampLiteral(e.start)}
          AND event_time < ${timestampLiteral(end)}
        GROUP BY unit_id),
      u AS (
        SELECT a.v, r.surface,
          count(*) FILTER (WHERE ${post}) AS y,
          count(*) FILTER (WHERE r.event_time >= ${timestampLiteral(pre)} AND r.event_time < ${timestampLiteral(e.start)}) AS x,
          count(*) FILTER (WHERE ${post} AND r.status = 'actioned') AS num,
          count(*) FILTER (WHERE ${post} AND r.status IN ('actioned', 'dismissed')) AS den
        FROM a JOIN user_reports r ON r.reporter_id = a.unit_id
        GROUP BY a.unit_id, a.v, r.surface)
      SELECT v AS variant, surface,
        CAST(sum(y) AS DOUBLE) AS y, CAST(sum(y * y) AS DOUBLE) AS y2, CAST(sum(x) AS DOUBLE) AS x,
        CAST(sum(x * x) AS DOUBLE) AS x2, CAST(sum(x * y) AS DOUBLE) AS xy,
        CAST(sum(num) AS DOUBLE) AS num, CAST(sum(num * num) AS DOUBLE) AS num2, CAST(sum(den) AS DOUBLE) AS den,
        CAST(sum(den * den) AS DOUBLE) AS den2, CAST(sum(num * den) AS DOUBLE) AS numden,
        (SELECT CAST(count(*) AS DOUBLE) FROM a WHERE a.v IS NOT DISTINCT FROM u.v) AS n
      FROM u WHERE v IS NOT NULL GROUP BY v, surface ORDER BY v, surface`);
    const col = (c: string) => numberColumn(hand, c);
    const variants = stringColumn(hand, 'variant');
    const surfaces = stringColumn(hand, 'surface');
    const sums = await computeExperimentSums(engine, config, e, end, { column: 'surface', level: 'event' });
    expect(sums.sql).toMatch(/CAST\(e\."surface" AS VARCHAR\) AS vg_seg/);
    expect(new Set(surfaces).size).toBeGreaterThan(2);
    const byKey = new Map(sums.variants.map((v) => [`${v.variant}|${v.segment}`, v]));
    for (let i = 0; i < hand.rowCount; i++) {
      const got = byKey.get(`${variants[i]}|${surfaces[i]}`)!;
      expect(got, `${variants[i]} ${surfaces[i]}`).toBeDefined();
      expect(got.n).toBe(col('n')[i]);
      expect(got.metrics[0]).toEqual({
        y: col('y')[i],
        y2: col('y2')[i],
        x: col('x')[i],
        x2: col('x2')[i],
        xy: col('xy')[i],
      });
      expect(got.metrics[2]).toEqual({
        y: col('num')[i],
        y2: col('num2')[i],
        x: col('den')[i],
        x2: col('den2')[i],
        xy: col('numden')[i],
      });
    }
    // Every (variant, surface) pair has a row, also where an arm has no events (then all zeros).
    expect(sums.variants.length).toBe(2 * new Set(sums.variants.map((v) => v.segment)).size);
    const overall = await computeExperimentSums(engine, config, e, end);
    expect(sums.conflicting).toBe(overall.conflicting);
    // Non-primary metrics are not computed per surface.
    expect(sums.variants[0]!.metrics[1]).toBeUndefined();

    const r = await analyzeExperiment({ engine, config, experiment: 'report_flow_v2', asOf: end });
    const cells = r.segments.filter((s) => s.dimension === 'surface');
    expect(new Set(cells.map((s) => s.metric))).toEqual(new Set(['reports_per_unit', 'report_action_rate']));
    for (const s of cells) {
      expect(s.n_control).toBe(r.units.control);
      expect(s.n_treatment).toBe(r.units.treatment);
      if (s.q_value !== null) expect(s.q_value).toBeGreaterThanOrEqual(s.p_value! - 1e-15);
    }
  }, 60_000);

  it('renders for Athena with values only as literals (snapshot)', () => {
    const e = findExperiment(parseExperimentConfig(yaml(), 'c'), 'report_flow_v2');
    const plan = planExperiment(e, e.end, (m) => m.role === 'primary');
    expect(plan.metrics.map((m) => m.index)).toEqual([0, 2]);
    expect(
      renderEventSegmentPlan(plan, { sources: {} }, athenaDialect('vigil'), 'surface'),
    ).toMatchSnapshot();
  });

  it('refuses a segment column that is neither a unit nor an event attribute, naming the field', () => {
    expect(() =>
      parseExperimentConfig(yaml().replace('segments: [surface]', 'segments: [colour]'), 'c'),
    ).toThrow(
      /experiments\[0\]\.segments\[0\]: unknown column 'colour': neither a unit attribute of experiment_assignments nor an event attribute of every primary metric's source \(missing in user_reports\)/,
    );
  });
});

const SURFACE_LAKE_UNITS = 4000;

/**
 * A lake where the treatment raises reports on `live` only (+40%), not on video or comment:
 * 4000 users assigned on 2026-02-01, 30 report slots per user over 14 days, one surface per slot.
 */
async function surfaceLake(): Promise<string> {
  const lake = path.join(TMP_ROOT, 'lake-surface-effect');
  if (existsSync(path.join(lake, '_done'))) return lake;
  mkdirSync(lake, { recursive: true });
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  const parts = (t: string) => `strftime(${t}, '%Y-%m-%d') AS dt, strftime(${t}, '%H') AS hour`;
  const at = `(TIMESTAMP '2026-02-01 00:00:00' + to_microseconds(CAST(u AS BIGINT) * 1000000))`;
  const variant = `CASE WHEN hash('u' || u) % 2 = 0 THEN 'control' ELSE 'treatment' END`;
  await c.run(`COPY (
      SELECT ${at} AS event_time, 'surface_ab' AS experiment_id, ${variant} AS variant, 'u' || u AS unit_id,
        'US' AS region, 'ios' AS platform, ${parts(at)}
      FROM range(${SURFACE_LAKE_UNITS}) r(u)
    ) TO '${path.join(lake, 'experiment_assignments')}' (FORMAT parquet, PARTITION_BY (dt, hour), OVERWRITE_OR_IGNORE)`);
  const t = `(TIMESTAMP '2026-02-02 00:00:00' + to_microseconds(CAST(k AS BIGINT) * 10 * 3600 * 1000000 + CAST(u AS BIGINT) * 1000))`;
  const surface = `['video', 'live', 'comment'][1 + k % 3]`;
  const p = `CASE WHEN ${surface} = 'live' AND ${variant} = 'treatment' THEN 280 ELSE 200 END`;
  await c.run(`COPY (
      SELECT ${t} AS event_time, 'r' || u || '_' || k AS report_id, 'u' || u AS reporter_id, 'video' AS target_type,
        'v' || k AS target_id, ${surface} AS surface, 'US' AS region, 'spam' AS reason,
        CASE WHEN hash(u, k, 's') % 2 = 0 THEN 'actioned' ELSE 'dismissed' END AS status,
        ${t} AS resolved_time, ${parts(t)}
      FROM range(${SURFACE_LAKE_UNITS}) a(u), range(30) b(k)
      WHERE hash(u, k) % 1000 < ${p}
    ) TO '${path.join(lake, 'user_reports')}' (FORMAT parquet, PARTITION_BY (dt, hour), OVERWRITE_OR_IGNORE)`);
  c.closeSync();
  db.closeSync();
  writeFileSync(path.join(lake, '_done'), '');
  return lake;
}

describe('a planted surface-only effect', () => {
  it('is found on live with q < 0.05, and not on the other surfaces', async () => {
    const lake = await surfaceLake();
    const e2 = await DuckDbQueryEngine.open({ lake });
    try {
      const config = parseExperimentConfig(
        `version: 1
experiments:
  - id: surface_ab
    variants:
      - { name: control, weight: 0.5 }
      - { name: treatment, weight: 0.5 }
    control: control
    start: "2026-02-01T00:00:00Z"
    end: "2026-02-15T00:00:00Z"
    unit: user
    segments: [surface, platform]
    metrics:
      - name: reports_per_unit
        role: primary
        direction: increase
        kind: count
        source: user_reports
        unit_column: reporter_id
`,
        'surface-lake',
      );
      const r = await analyzeExperiment({
        engine: e2,
        config,
        experiment: 'surface_ab',
        asOf: new Date('2026-02-15T00:00:00Z'),
      });
      const cell = (v: string) => r.segments.find((s) => s.dimension === 'surface' && s.value === v)!;
      const fmt = (v: string) =>
        `${v}: lift ${cell(v).rel_lift?.toFixed(3)} p ${cell(v).p_value} q ${cell(v).q_value}`;
      console.log(['live', 'video', 'comment'].map(fmt).join('; '));
      expect(r.segments.filter((s) => s.dimension === 'surface').map((s) => s.value)).toEqual([
        'comment',
        'live',
        'video',
      ]);
      expect(cell('live').q_value!).toBeLessThan(0.05);
      expect(cell('live').significant).toBe(true);
      expect(cell('live').rel_lift!).toBeGreaterThan(0.3);
      expect(cell('live').rel_lift!).toBeLessThan(0.5);
      for (const v of ['video', 'comment']) {
        expect(cell(v).significant, fmt(v)).toBe(false);
        expect(cell(v).q_value!, fmt(v)).toBeGreaterThan(0.05);
      }
      // The unit-level dimension sits beside it in the same BH family.
      expect(r.segments.filter((s) => s.dimension === 'platform').map((s) => s.value)).toEqual(['ios']);
    } finally {
      await e2.close();
    }
  }, 120_000);
});
