import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/detect.js';
import { scoreSeriesCsv } from '../../shared/anomaly/score-csv.js';
import { InputError } from '../../shared/errors.js';
import { MAX_LINE_CHARS } from '../../shared/text/lines.js';
import { vigil } from '../helpers/cli.js';

describe('vigil detect (in process)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes the scored CSV and prints a JSON summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    const rows = ['timestamp,value'];
    for (let i = 0; i < 100; i++)
      rows.push(
        `${new Date(Date.UTC(2026, 0, 5) + i * 3_600_000).toISOString()},${i === 80 ? 50 : 10 + (i % 2)}`,
      );
    writeFileSync(join(dir, 'in.csv'), rows.join('\n'));
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await run({ input: join(dir, 'in.csv'), output: join(dir, 'out.csv'), json: true });
    const summary = JSON.parse(String(out.mock.calls[0]?.[0]));
    expect(summary).toMatchObject({ rows: 100, anomalies: 1 });
    const lines = readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(101);
    expect(readdirSync(dir).sort()).toEqual(['in.csv', 'out.csv']);
  });

  it('fails with an InputError and writes nothing on a bad CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    writeFileSync(join(dir, 'in.csv'), 'timestamp,value\n2026-01-05,1\n2026-01-06,x\n');
    await expect(run({ input: join(dir, 'in.csv'), output: join(dir, 'out.csv') })).rejects.toBeInstanceOf(
      InputError,
    );
    expect(readdirSync(dir)).toEqual(['in.csv']);
  });

  it('names a missing input file', async () => {
    await expect(run({ input: '/nonexistent/in.csv', output: '/tmp/x.csv' })).rejects.toThrow(/no such file/);
  });
});

describe('vigil detect streams', () => {
  afterEach(() => vi.restoreAllMocks());
  const quiet = () => vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

  /** ~2 MB of input: two read chunks and many output batches. */
  function bigCsv(rows: number, bad?: number): string {
    const out = ['timestamp,value,metric'];
    for (let i = 0; i < rows; i++) {
      const t = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 2) * 300_000).toISOString();
      out.push(`${t},${i === bad ? 'oops' : (10 + (i % 7) + (i % 2) * 50).toFixed(2)},${i % 2 ? 'b' : 'a'}`);
    }
    return `${out.join('\n')}\n`;
  }

  it('writes exactly what the in-memory scorer gives, across chunk and batch boundaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    const text = bigCsv(60_000);
    expect(text.length).toBeGreaterThan(1.5 * (1 << 20));
    writeFileSync(join(dir, 'in.csv'), text);
    const out = quiet();
    await run({
      input: join(dir, 'in.csv'),
      output: join(dir, 'out.csv'),
      json: true,
      seriesColumn: ['metric'],
    });
    const expected = scoreSeriesCsv(text, 'x', { seriesColumns: ['metric'] });
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe(expected.csv);
    expect(JSON.parse(String(out.mock.calls[0]?.[0]))).toMatchObject({
      rows: 60_000,
      series: 2,
      seriesColumns: ['metric'],
      duplicateTimestamps: 0,
      outOfOrder: 0,
    });
  });

  it('a bad row near the end leaves neither output nor temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    writeFileSync(join(dir, 'in.csv'), bigCsv(60_000, 59_990));
    await expect(run({ input: join(dir, 'in.csv'), output: join(dir, 'out.csv') })).rejects.toThrow(
      /line 59992: non-numeric value 'oops'/,
    );
    expect(readdirSync(dir)).toEqual(['in.csv']);
  });

  it('a line longer than the cap is refused without reading the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    writeFileSync(join(dir, 'in.csv'), `timestamp,value\n2026-01-05,${'1'.repeat(MAX_LINE_CHARS + 5)}\n`);
    await expect(run({ input: join(dir, 'in.csv'), output: join(dir, 'out.csv') })).rejects.toThrow(
      /line 2: longer than 1048576 characters/,
    );
    expect(readdirSync(dir)).toEqual(['in.csv']);
  });

  it('--series-column takes repeats and comma lists alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    writeFileSync(
      join(dir, 'in.csv'),
      'timestamp,value,metric,slice\n2026-01-05,1,m,a\n2026-01-05,2,m,b\n2026-01-06,3,m,a\n',
    );
    quiet();
    for (const seriesColumn of [['metric,slice'], ['metric', 'slice'], ['metric', ' slice,metric']]) {
      await run({ input: join(dir, 'in.csv'), output: join(dir, 'out.csv'), seriesColumn });
      expect(readFileSync(join(dir, 'out.csv'), 'utf8').split('\n')[0]).toBe(
        'timestamp,value,anomaly_score,is_anomaly,metric,slice',
      );
    }
  });
});

describe('vigil detect, the built CLI', () => {
  it('scores repeated and late timestamps (exit 0) and says how many', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    writeFileSync(
      join(dir, 'in.csv'),
      'timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T01:00:00Z,2\n2026-01-05T01:00:00Z,2\n2026-01-05T00:30:00Z,\n',
    );
    const r = vigil(['detect', '--input', join(dir, 'in.csv'), '--output', join(dir, 'out.csv')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/scored 4 rows, 0 anomalies \(1 gaps, 1 duplicate timestamps, 1 out of order\)/);
    expect(readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(5);
  });

  it('bad input: exit 2, one line, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    writeFileSync(join(dir, 'in.csv'), 'timestamp,value\n2026-01-05,1\n');
    const r = vigil([
      'detect',
      '--input',
      join(dir, 'in.csv'),
      '--output',
      join(dir, 'out.csv'),
      '--series-column',
      'metric',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--series-column 'metric' is not a column/);
    expect(readdirSync(dir)).toEqual(['in.csv']);
  });
});
