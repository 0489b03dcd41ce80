import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import { computeMetrics } from '../../shared/jobs/compute-metrics.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { checkRows } from '../../shared/quality/row-checks.js';
import { windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT } from '../helpers/lake.js';

/**
 * Bad and drifting data, each case a hand-made lake written with DuckDB COPY. Each has a defined
 * outcome: a correct number (with a data-quality warning where rows are odd), or a clear error
 * naming the source, never a silent wrong number.
 */
const ROOT = path.join(TMP_ROOT, 'reliability', 'bad-data');
const cfg = selectMetrics(coreCatalog(), [
  'impressions',
  'removals',
  'decision_latency_p90_seconds',
  'removals_per_10k_impressions',
]);
const HOUR = windowsInRange('hour', new Date('2026-01-05T10:00:00Z'), new Date('2026-01-05T11:00:00Z'));
let writer: DuckDbQueryEngine;
const outcomes: { case: string; outcome: string }[] = [];

const IMP = (n: number, extra = '') =>
  `SELECT TIMESTAMP '2026-01-05 10:00:00' + INTERVAL (i) SECOND AS event_time, 'imp_' || i AS impression_id, 'v' || (i % 50) AS viewer_id, 'c' || i AS content_id, 'cr' || i AS creator_id, CASE WHEN i % 2 = 0 THEN 'video' ELSE 'live' END AS surface, CASE WHEN i % 3 = 0 THEN 'BR' ELSE 'US' END AS region, 'ios' AS platform${extra} FROM range(${n}) t(i)`;
const DEC = (n: number, latency = 'CAST(i AS DOUBLE)') =>
  `SELECT TIMESTAMP '2026-01-05 10:00:00' + INTERVAL (i) SECOND AS event_time, 'dec_' || i AS decision_id, 'c' || i AS content_id, 'cr' || i AS creator_id, 'video' AS surface, 'US' AS region, 'spam' AS policy, CASE WHEN i % 2 = 0 THEN 'remove' ELSE 'warn' END AS action, 'automated' AS decision_source, 0.9 AS model_score, ${latency} AS latency_seconds, CAST(NULL AS BOOLEAN) AS appeal_overturned FROM range(${n}) t(i)`;

async function lake(
  name: string,
  parts: { source: string; hour?: string; sql?: string; raw?: Buffer | string }[],
) {
  const dir = path.join(ROOT, name);
  await rm(dir, { recursive: true, force: true });
  for (const [i, p] of parts.entries()) {
    const folder = path.join(dir, p.source, 'dt=2026-01-05', `hour=${p.hour ?? '10'}`);
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `part-${i}.parquet`);
    if (p.raw !== undefined) writeFileSync(file, p.raw);
    else await writer.exec(`COPY (${p.sql}) TO '${file}' (FORMAT parquet)`);
  }
  return dir;
}

async function metrics(dir: string, windows = HOUR): Promise<MetricRow[]> {
  const engine = await DuckDbQueryEngine.open({ lake: dir });
  try {
    return (await computeMetrics(engine, cfg, 'hour', windows)).rows;
  } finally {
    await engine.close();
  }
}

async function warnings(dir: string) {
  const engine = await DuckDbQueryEngine.open({ lake: dir });
  try {
    return await checkRows(
      engine,
      cfg,
      ['impressions', 'moderation_decisions'],
      HOUR[0]!.start,
      HOUR[0]!.end,
    );
  } finally {
    await engine.close();
  }
}

const value = (rows: MetricRow[], metric: string, slice = '') =>
  rows.find((r) => r.metric === metric && r.slice.key === slice)?.value;

beforeAll(async () => {
  writer = await DuckDbQueryEngine.open();
});
afterAll(async () => {
  await writer?.close();
  mkdirSync(path.join(TMP_ROOT, 'reliability'), { recursive: true });
  writeFileSync(
    path.join(TMP_ROOT, 'reliability', 'bad-data-outcomes.json'),
    JSON.stringify(outcomes, null, 1),
  );
});

describe('bad and drifting data', () => {
  it('extra columns are ignored: same numbers', async () => {
    const base = await metrics(
      await lake('base', [
        { source: 'impressions', sql: IMP(100) },
        { source: 'moderation_decisions', sql: DEC(40) },
      ]),
    );
    const extra = await metrics(
      await lake('extra', [
        { source: 'impressions', sql: IMP(100, `, 'x' AS surprise, i AS n2`) },
        { source: 'moderation_decisions', sql: DEC(40) },
      ]),
    );
    expect(extra).toEqual(base);
    expect(value(base, 'impressions')).toBe(100);
    outcomes.push({ case: 'extra columns', outcome: 'computed, identical to the clean lake' });
  });

  it('a column missing from every file is a clear per-source error; from one partition, a (null) slice', async () => {
    const none = await lake('missing-all', [
      { source: 'impressions', sql: `SELECT * EXCLUDE (region) FROM (${IMP(50)})` },
    ]);
    await expect(metrics(none)).rejects.toThrow(/metrics scan of impressions failed.*region/i);
    const some = await lake('missing-one', [
      { source: 'impressions', sql: IMP(60) },
      { source: 'impressions', sql: `SELECT * EXCLUDE (region) FROM (${IMP(30)})` },
    ]);
    const rows = await metrics(some);
    expect(value(rows, 'impressions')).toBe(90);
    expect(value(rows, 'impressions', 'region=(null)')).toBe(30);
    outcomes.push({
      case: 'missing column (all files)',
      outcome: 'error naming the source and column; window failed, exit 1',
    });
    outcomes.push({
      case: 'missing column (one file)',
      outcome: 'computed; its rows form the visible slice region=(null)',
    });
  });

  it('nulls everywhere: null dimensions are their own slice; null event_time rows are flagged, not counted', async () => {
    const dir = await lake('nulls', [
      { source: 'impressions', sql: IMP(20) },
      {
        source: 'impressions',
        sql: `SELECT CASE WHEN i < 5 THEN NULL ELSE TIMESTAMP '2026-01-05 10:30:00' END AS event_time, NULL::VARCHAR AS impression_id, NULL::VARCHAR AS viewer_id, NULL::VARCHAR AS content_id, NULL::VARCHAR AS creator_id, NULL::VARCHAR AS surface, NULL::VARCHAR AS region, NULL::VARCHAR AS platform FROM range(10) t(i)`,
      },
      {
        source: 'moderation_decisions',
        sql: `SELECT * REPLACE (NULL::DOUBLE AS latency_seconds, NULL::VARCHAR AS action) FROM (${DEC(10)})`,
      },
    ]);
    const rows = await metrics(dir);
    expect(value(rows, 'impressions')).toBe(25);
    expect(value(rows, 'impressions', 'region=(null)')).toBe(5);
    expect(value(rows, 'removals')).toBe(0);
    expect(value(rows, 'decision_latency_p90_seconds')).toBeNull();
    const w = await warnings(dir);
    expect(w).toContainEqual(
      expect.objectContaining({ source: 'impressions', kind: 'out_of_partition', rows: 5 }),
    );
    outcomes.push({
      case: 'nulls everywhere',
      outcome:
        'computed; dim=(null) slices, p90 of no values is empty; null event_time: out_of_partition warning (5 rows)',
    });
  });

  it('unknown enum values flow through as their own slices', async () => {
    const dir = await lake('enums', [
      { source: 'impressions', sql: `SELECT * REPLACE ('hologram' AS surface) FROM (${IMP(12)})` },
      { source: 'moderation_decisions', sql: `SELECT * REPLACE ('shadow_ban' AS action) FROM (${DEC(8)})` },
    ]);
    const rows = await metrics(dir);
    expect(value(rows, 'impressions', 'surface=hologram')).toBe(12);
    expect(value(rows, 'removals')).toBe(0);
    outcomes.push({
      case: 'unknown enum values',
      outcome: "computed; surface=hologram is a slice; action 'shadow_ban' is not a removal",
    });
  });

  it('timestamps far in the future/past or outside their partition: not counted in the hour, flagged', async () => {
    const dir = await lake('out-of-partition', [
      { source: 'impressions', sql: IMP(40) },
      {
        source: 'impressions',
        sql: `SELECT * REPLACE (CASE WHEN k = 0 THEN TIMESTAMP '2099-01-01 00:00:00' WHEN k = 1 THEN TIMESTAMP '1970-01-01 00:00:00' ELSE TIMESTAMP '2026-01-05 11:15:00' END AS event_time) FROM (${IMP(6, ', i AS k')})`,
      },
    ]);
    const rows = await metrics(dir);
    expect(value(rows, 'impressions')).toBe(40);
    expect(await warnings(dir)).toContainEqual(
      expect.objectContaining({ source: 'impressions', kind: 'out_of_partition', rows: 6, of: 46 }),
    );
    outcomes.push({
      case: 'timestamps far future/past, or in the wrong partition',
      outcome: 'rows selected by event_time only (40 of 46 counted); out_of_partition warning: 6 rows',
    });
  });

  it('duplicate events are counted as rows and flagged', async () => {
    const dir = await lake('dups', [
      { source: 'impressions', sql: IMP(30) },
      {
        source: 'impressions',
        sql: `SELECT * FROM (${IMP(30)}) WHERE impression_id IN ('imp_1', 'imp_2', 'imp_3')`,
      },
    ]);
    const rows = await metrics(dir);
    expect(value(rows, 'impressions')).toBe(33);
    expect(await warnings(dir)).toContainEqual(
      expect.objectContaining({ source: 'impressions', kind: 'duplicate_ids', rows: 3, of: 33 }),
    );
    outcomes.push({
      case: 'duplicate events',
      outcome: 'counted as rows (33); duplicate_ids warning: 3 (dedupe = distinct_count of the id)',
    });
  });

  it('a zero-row day: count totals are 0, ratios empty, never NaN', async () => {
    const dir = await lake('zero-day', [{ source: 'impressions', hour: '10', sql: IMP(5) }]);
    const day = windowsInRange('hour', new Date('2026-01-06T00:00:00Z'), new Date('2026-01-07T00:00:00Z'));
    const rows = await metrics(dir, day);
    const totals = rows.filter((r) => r.slice.key === '');
    expect(totals.filter((r) => r.metric === 'impressions').every((r) => r.value === 0)).toBe(true);
    expect(
      totals
        .filter((r) => r.metric === 'removals_per_10k_impressions')
        .every((r) => r.value === null && r.denominator === 0),
    ).toBe(true);
    expect(rows.every((r) => r.value === null || Number.isFinite(r.value))).toBe(true);
    outcomes.push({
      case: 'zero-row day',
      outcome: 'computed: counts 0, ratios empty (denominator 0); the guard raises data_quality missing',
    });
  });

  it('a corrupt or truncated Parquet file is a clear error naming the source and the file; nothing is written', async () => {
    const good = path.join(ROOT, 'base', 'impressions', 'dt=2026-01-05', 'hour=10', 'part-0.parquet');
    const bytes = readFileSync(good);
    for (const [name, raw] of [
      ['corrupt', Buffer.from('this is not parquet at all')],
      ['truncated', bytes.subarray(0, bytes.length >> 1)],
    ] as const) {
      const dir = await lake(name, [
        { source: 'impressions', hour: '09', sql: IMP(10).replace("10:00:00'", "09:00:00'") },
        { source: 'impressions', hour: '10', raw },
      ]);
      // Locally the lake's views read every file's schema when the engine opens, so the run stops
      // before computing anything (on Athena only the queries touching the file fail).
      await expect(DuckDbQueryEngine.open({ lake: dir })).rejects.toThrow(
        /view impressions failed on DuckDB: .*hour=10\/part-1\.parquet/,
      );
      outcomes.push({
        case: `${name} Parquet file`,
        outcome: 'run refused: one-line error naming the source and the file; nothing written; exit 1',
      });
    }
  });

  it('a partition with a different schema: promoted when it converts, a clear error when it cannot', async () => {
    const ok = await lake('schema-drift', [
      { source: 'moderation_decisions', sql: DEC(10) },
      {
        source: 'moderation_decisions',
        sql: `SELECT * REPLACE (CAST(latency_seconds AS VARCHAR) AS latency_seconds, 7 AS region) FROM (${DEC(10)})`,
      },
    ]);
    const rows = await metrics(ok);
    expect(value(rows, 'removals')).toBe(10);
    expect(value(rows, 'removals', 'region=7')).toBe(5);
    expect(value(rows, 'decision_latency_p90_seconds')).toBeCloseTo(8.1, 5);
    const bad = await lake('schema-drift-bad', [
      { source: 'moderation_decisions', sql: DEC(10) },
      { source: 'moderation_decisions', sql: DEC(10, "'n/a'") },
    ]);
    await expect(metrics(bad)).rejects.toThrow(/metrics scan of moderation_decisions failed/);
    outcomes.push({
      case: 'partition with a different schema (types convert)',
      outcome: 'computed: columns unified by name, VARCHAR numbers cast, region 7 → slice region=7',
    });
    outcomes.push({
      case: 'partition with a different schema (types do not convert)',
      outcome: 'error naming the source (conversion error); window failed, exit 1',
    });
  });
});
