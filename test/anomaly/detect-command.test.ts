import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../cli/commands/detect.js';
import { InputError } from '../../shared/errors.js';

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
