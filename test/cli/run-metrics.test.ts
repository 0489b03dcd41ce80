import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { METRIC_CSV_HEADER } from '../../shared/metrics/csv.js';
import { runMetricsArgs, vigil } from '../helpers/cli.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

let lake: string;
let manifest: LakeManifest;
const out = path.join(TMP_ROOT, 'cli-run-metrics');
beforeAll(async () => {
  ({ dir: lake, manifest } = await tinyLake('cli'));
  mkdirSync(out, { recursive: true });
});

/** `vigil run metrics` over the tiny lake. */
const runArgs = (grain: string, from: string, to: string, file: string) =>
  runMetricsArgs(lake, grain, from, to, file);
const base = (file: string) => runArgs('day', '2026-01-03', '2026-01-05', file);

describe('vigil run metrics', () => {
  it('writes the design CSV for every window and metric', () => {
    const file = path.join(out, 'ok.csv');
    const r = vigil([...base(file), '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ windows: 2, metrics: 14, scans: 5 });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(METRIC_CSV_HEADER);
    expect(lines).toContain(
      'impressions,day,2026-01-03T00:00:00Z,,' +
        lines.find((l) => l.startsWith('impressions,day,2026-01-03T00:00:00Z,,'))!.split(',')[4] +
        ',,,,',
    );
    const totals = lines.filter((l) => l.split(',')[3] === '');
    expect(totals.length).toBe(14 * 2);
    expect(lines.some((l) => l.includes('region=BR'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/NaN|Infinity/);
  });

  it('caps DuckDB memory with VIGIL_MEMORY_LIMIT (same numbers) and refuses a bad size', () => {
    const capped = path.join(out, 'capped.csv');
    const plain = path.join(out, 'plain.csv');
    expect(vigil(base(plain)).status).toBe(0);
    const r = vigil(base(capped), undefined, { VIGIL_MEMORY_LIMIT: '256MB' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(capped, 'utf8')).toBe(readFileSync(plain, 'utf8'));

    const bad = path.join(out, 'bad-limit.csv');
    const b = vigil(base(bad), undefined, { VIGIL_MEMORY_LIMIT: 'lots; DROP' });
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("VIGIL_MEMORY_LIMIT must be a size such as 512MB or 2GB, got 'lots; DROP'");
    expect(existsSync(bad)).toBe(false);
  });

  it('selects metrics with --metrics and refuses an unknown one', () => {
    const file = path.join(out, 'subset.csv');
    expect(vigil([...base(file), '--metrics', 'removals,user_reports']).status).toBe(0);
    const metrics = new Set(
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    );
    expect([...metrics].sort()).toEqual(['removals', 'user_reports']);

    const bad = vigil([...base(path.join(out, 'unknown.csv')), '--metrics', 'removalz']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown metric 'removalz'/);
    expect(existsSync(path.join(out, 'unknown.csv'))).toBe(false);
  });

  it.each([
    [['--from', '2026-01-05', '--to', '2026-01-03'], /must be before --to/],
    [['--from', '2026-01-03T05:00:00Z'], /not aligned to the day/],
    [['--from', '2026-02-30'], /not a valid date/],
    [['--to', 'yesterday'], /--to is not an ISO-8601/],
    [['--grain', 'week'], /grain must be one of hour\|day, got 'week'/],
  ])('bad input %j → exit 2 with one line, no file', (flags, message) => {
    const file = path.join(out, `bad-${Math.random().toString(36).slice(2)}.csv`);
    const args = base(file);
    for (let i = 0; i < flags.length; i += 2) args[args.indexOf(flags[i]!) + 1] = flags[i + 1]!;
    const r = vigil(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(file)).toBe(false);
  });

  it('reports a bad config with the path and value', () => {
    const cfg = path.join(out, 'bad.yaml');
    writeFileSync(
      cfg,
      'version: 1\nmetrics:\n  - name: x\n    kind: count\n    source: impressions\n    slices: [regoin]\n',
    );
    const r = vigil([...base(path.join(out, 'bad-config.csv')), '--config', cfg]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/metrics\[0\]\.slices\[0\]: unknown dimension 'regoin'/);

    writeFileSync(
      cfg,
      'version: 1\nmetrics:\n  - name: x\n    kind: ratio\n    numerator: { source: impressions, agg: median }\n',
    );
    const r2 = vigil(['config', 'validate', cfg]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/metrics\[0\]\.numerator\.agg: .*\(got "median"\)/);
  });

  it('a corrupt Parquet file is one clear error and leaves no output', async () => {
    const broken = path.join(TMP_ROOT, 'lake-corrupt');
    await rm(broken, { recursive: true, force: true });
    await cp(lake, broken, { recursive: true });
    writeFileSync(
      path.join(broken, 'user_reports', 'dt=2026-01-03', 'hour=05', 'part_0.parquet'),
      'not parquet at all',
    );
    const file = path.join(out, 'corrupt.csv');
    const args = base(file);
    args[args.indexOf('--lake') + 1] = broken;
    const r = vigil(args);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/user_reports.*(parquet|magic)/i);
    expect(existsSync(file)).toBe(false);
  });

  it('a window whose impressions partition is missing gives zeros and empty values for it, not errors', () => {
    const gap = manifest.missing_partitions.find((m) => m.source === 'impressions')!;
    const hour = `${gap.dt}T${gap.hour}:00:00Z`;
    const next = new Date(Date.parse(hour) + 3_600_000).toISOString().replace('.000Z', 'Z');
    const file = path.join(out, 'gap.csv');
    const r = vigil(runArgs('hour', hour, next, file));
    expect(r.status).toBe(0);
    const rows = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const total = new Map(rows.filter((f) => f[3] === '').map((f) => [f[0], f]));
    expect(total.get('impressions')![4]).toBe('0');
    // A ratio over impressions has an empty value, never NaN or Infinity.
    expect(total.get('removals_per_10k_impressions')![4]).toBe('');
    expect(total.get('removals_per_10k_impressions')![6]).toBe('0');
  });

  it('a range the lake has no partition for at all is an error, not a file of zeros', () => {
    const file = path.join(out, 'empty.csv');
    const r = vigil(runArgs('hour', '2027-01-01T00:00:00Z', '2027-01-01T02:00:00Z', file));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^vigil: error: lake .* has no partitions of .* in \[2027-01-01T00:00:00Z, 2027-01-01T02:00:00Z\)\n$/,
    );
    expect(existsSync(file)).toBe(false);
  });
});

describe('vigil config', () => {
  it('prints a JSON Schema that names the metric kinds', () => {
    const r = vigil(['config', 'schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(JSON.stringify(schema)).toContain('weighted_proportion');
  });
  it('--help lists every command', () => {
    const r = vigil(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['generate', 'run', 'backfill', 'rerun', 'demo', 'detect', 'stats', 'config'])
      expect(r.stdout).toContain(c);
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 failure');
    expect(r.stdout).toContain('VIGIL_MEMORY_LIMIT');
  });
});
