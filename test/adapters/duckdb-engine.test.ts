import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { QueryError } from '../../shared/errors.js';

const spillDirs = () => new Set(readdirSync(os.tmpdir()).filter((f) => f.startsWith('vigil-duckdb-')));

describe('DuckDbQueryEngine memory limit', () => {
  it('spills an aggregate larger than the limit to its own folder, same result, folder removed on close', async () => {
    const before = spillDirs();
    const engine = await DuckDbQueryEngine.open({ memoryLimit: '64MB', threads: 1 });
    const mine = [...spillDirs()].filter((d) => !before.has(d));
    expect(mine).toHaveLength(1);
    const setting = await engine.query("SELECT current_setting('memory_limit') AS m");
    expect(setting.data.m![0]).toBe('61.0 MiB');
    // 3M groups of a hash aggregate do not fit in 64 MB: DuckDB must spill to finish.
    const r = await engine.query(
      'SELECT CAST(count(*) AS DOUBLE) AS groups, CAST(sum(s) AS DOUBLE) AS total FROM (SELECT i % 3000000 AS k, sum(i) AS s FROM range(6000000) t(i) GROUP BY 1)',
    );
    expect(r.data.groups![0]).toBe(3_000_000);
    expect(r.data.total![0]).toBe((6_000_000 * 5_999_999) / 2);
    expect(existsSync(`${os.tmpdir()}/${mine[0]}`)).toBe(true);
    await engine.close();
    expect(existsSync(`${os.tmpdir()}/${mine[0]}`)).toBe(false);
    expect(existsSync('.tmp')).toBe(false);
  });

  it('names the fix when a query needs more memory than the limit', async () => {
    const engine = await DuckDbQueryEngine.open({ memoryLimit: '16MB', threads: 1 });
    try {
      // A sort of 4M distinct strings cannot finish in 16 MB, spilled or not.
      await expect(
        engine.query("SELECT list(s ORDER BY s) AS l FROM (SELECT 'x' || i AS s FROM range(4000000) t(i))"),
      ).rejects.toThrow(/Out of Memory Error.*raise the memory limit \(VIGIL_MEMORY_LIMIT for the CLI\)/);
    } finally {
      await engine.close();
    }
  });

  it('refuses a memory limit DuckDB cannot parse with a QueryError, leaving no folder behind', async () => {
    const before = spillDirs();
    await expect(DuckDbQueryEngine.open({ memoryLimit: 'plenty' })).rejects.toThrow(QueryError);
    expect([...spillDirs()].filter((d) => !before.has(d))).toEqual([]);
  });
});
