import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { parseConfig } from '../../shared/config/read.js';
import { quoteString } from '../../shared/sql/literals.js';
import { vigil } from '../helpers/cli.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

/**
 * `vigil init` on a lake whose folders and columns are named differently from the design: the
 * config it writes maps them back, so `vigil run metrics` gives the same CSV as the original lake
 * with the default config.
 */
const DIR = path.join(TMP_ROOT, 'cli-init');
const RENAMED = path.join(DIR, 'renamed');
const CONFIG = path.join(DIR, 'vigil.yaml');
let original: string;

/** Rewrites one source into `folder` with a SELECT over its rows (hive layout kept, dt/hour as strings). */
async function rewrite(
  engine: DuckDbQueryEngine,
  source: string,
  folder: string,
  select: string,
): Promise<void> {
  const from = `read_parquet(${quoteString(path.join(original, source, '*', '*', '*.parquet'))}, hive_partitioning = true, hive_types_autocast = false)`;
  await engine.query(
    `COPY (SELECT ${select}, dt, hour FROM ${from}) TO ${quoteString(path.join(RENAMED, folder))} (FORMAT parquet, PARTITION_BY (dt, hour))`,
  );
}

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(RENAMED, { recursive: true });
  ({ dir: original } = await tinyLake('init'));
  for (const s of ['moderation_decisions', 'account_events', 'prevalence_labels', 'experiment_assignments'])
    cpSync(path.join(original, s), path.join(RENAMED, s), { recursive: true });
  const engine = await DuckDbQueryEngine.open();
  try {
    // user_reports lives in reports_v2, with `ts` for event_time, `country` for region, and a
    // column whose name is hostile SQL (it must never reach a query or the config).
    await rewrite(
      engine,
      'user_reports',
      'reports_v2',
      `* EXCLUDE (dt, hour) RENAME (event_time AS ts, region AS country), 'x' AS "x"") FROM t; --"`,
    );
    // impressions keeps its folder, but calls platform `os` and region `country_code`.
    await rewrite(
      engine,
      'impressions',
      'impressions',
      '* EXCLUDE (dt, hour) RENAME (platform AS os, region AS country_code)',
    );
    // An unrelated table and a stray file at the root.
    const notes = path.join(RENAMED, 'notes', 'dt=2026-01-01', 'hour=00');
    mkdirSync(notes, { recursive: true });
    await engine.query(
      `COPY (SELECT range AS id, 'a' AS label FROM range(10)) TO ${quoteString(path.join(notes, 'n.parquet'))} (FORMAT parquet)`,
    );
  } finally {
    await engine.close();
  }
  writeFileSync(path.join(RENAMED, 'README.txt'), 'not a source\n');
}, 240_000);

afterAll(() => {
  rmSync(RENAMED, { recursive: true, force: true });
});

describe('vigil init', () => {
  it('writes a config that maps renamed folders and columns, with its guesses commented', () => {
    const r = vigil(['init', '--lake', RENAMED, '--out', CONFIG, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.sources.user_reports).toEqual({
      folder: 'reports_v2',
      columns: { event_time: 'ts', region: 'country' },
      missing: [],
    });
    expect(summary.sources.impressions.columns).toEqual({ platform: 'os', region: 'country_code' });
    expect(summary.unused_folders).toEqual(['notes']);
    const text = readFileSync(CONFIG, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# vigil\.yaml — written by `vigil init`/);
    expect(text).toMatch(/# guess: folder reports_v2 holds the user_reports columns/);
    expect(text).toMatch(/# guess: country is region: .*region codes/);
    expect(text).toMatch(/# guess: os is platform: .*platform values \(android, ios, web\)/);
    // The hostile column name is named only in a comment, never as a mapping.
    const cfg = parseConfig(text, CONFIG);
    expect(JSON.stringify(cfg.sources)).not.toContain('DROP');
    expect(cfg.sources.user_reports).toMatchObject({ table: 'reports_v2', time_column: 'ts' });
    expect(vigil(['config', 'validate', CONFIG]).status).toBe(0);
  });

  it('with that config, run metrics on the renamed lake gives the CSV of the original lake', () => {
    const args = ['--grain', 'day', '--from', '2026-01-03', '--to', '2026-01-06', '--quiet'];
    const a = path.join(DIR, 'original.csv');
    const b = path.join(DIR, 'renamed.csv');
    const ra = vigil(['run', 'metrics', '--lake', original, '--out', a, ...args]);
    const rb = vigil(['run', 'metrics', '--lake', RENAMED, '--config', CONFIG, '--out', b, ...args]);
    expect([ra.status, ra.stderr]).toEqual([0, '']);
    expect([rb.status, rb.stderr]).toEqual([0, '']);
    const csv = readFileSync(a, 'utf8');
    expect(csv.split('\n').length).toBeGreaterThan(100);
    expect(readFileSync(b, 'utf8')).toBe(csv);
    // Hourly too (partition pruning goes through the mapped time column).
    const hours = [
      '--grain',
      'hour',
      '--from',
      '2026-01-04T10:00:00Z',
      '--to',
      '2026-01-04T14:00:00Z',
      '--quiet',
    ];
    vigil(['run', 'metrics', '--lake', original, '--out', a, ...hours]);
    vigil(['run', 'metrics', '--lake', RENAMED, '--config', CONFIG, '--out', b, ...hours]);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  });

  it('never overwrites a file Vigil did not write, and replaces its own only with --force', () => {
    const theirs = path.join(DIR, 'theirs.yaml');
    writeFileSync(theirs, 'version: 1\n# hand-written\n');
    const r = vigil(['init', '--lake', RENAMED, '--out', theirs]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/theirs\.yaml: exists and was not written by vigil init; refusing/);
    expect(readFileSync(theirs, 'utf8')).toBe('version: 1\n# hand-written\n');

    const again = vigil(['init', '--lake', RENAMED, '--out', CONFIG]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/pass --force/);
    expect(vigil(['init', '--lake', RENAMED, '--out', CONFIG, '--force']).status).toBe(0);
  });

  it('refuses a lake with no sources in one line, writing nothing', () => {
    const empty = path.join(DIR, 'empty-lake');
    mkdirSync(path.join(empty, 'misc'), { recursive: true });
    const out = path.join(DIR, 'none.yaml');
    const r = vigil(['init', '--lake', empty, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});
