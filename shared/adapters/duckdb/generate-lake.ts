import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { copySql, generatorSql } from '../../generator/generator-sql.js';
import { buildManifest, type LakeManifest, MANIFEST_FILE } from '../../generator/manifest.js';
import type { Scenario } from '../../generator/scenario.js';
import { COMPLETE_MARKER } from '../../jobs/schedule.js';
import { SOURCE_NAMES } from '../../lake/sources.js';
import { DuckDbQueryEngine } from './duckdb-engine.js';

export type GenerateProgress = (step: string, done: number, total: number) => void;

/**
 * Writes a scenario's lake with DuckDB. Each source is written to a temporary folder and renamed
 * into place, and the manifest goes last, so an interrupted run never leaves a lake that looks whole.
 */
export async function generateLake(
  scenario: Scenario,
  out: string,
  progress: GenerateProgress = () => {},
): Promise<LakeManifest> {
  if (existsSync(out)) {
    const entries = await readdir(out);
    const foreign = entries.filter(
      // `.vigil-owned`: the ownership marker the CLI writes into folders it created (cli/ownership.ts).
      (e) =>
        !SOURCE_NAMES.includes(e as never) &&
        e !== MANIFEST_FILE &&
        e !== '.vigil-owned' &&
        !e.startsWith('.tmp-'),
    );
    if (foreign.length > 0)
      throw new InputError(
        `--out ${out} is not empty and not a Vigil lake (found ${foreign.slice(0, 3).join(', ')})`,
      );
  }
  await mkdir(out, { recursive: true });
  await rm(path.join(out, MANIFEST_FILE), { force: true });
  const engine = await DuckDbQueryEngine.open();
  const statements = generatorSql(scenario);
  const total = statements.length + SOURCE_NAMES.length;
  let done = 0;
  try {
    for (const sql of statements) {
      await engine.exec(sql, 'generate');
      progress('synthesising events', ++done, total);
    }
    const rows: Record<string, number> = {};
    for (const source of SOURCE_NAMES) {
      const tmp = path.join(out, `.tmp-${source}`);
      await rm(tmp, { recursive: true, force: true });
      await engine.exec(copySql(scenario, source, tmp), `write ${source}`);
      await markComplete(tmp);
      const count = await engine.query(`SELECT CAST(count(*) AS DOUBLE) AS n FROM gen_${source}`);
      rows[source] = Number(count.data.n?.[0] ?? 0);
      await rm(path.join(out, source), { recursive: true, force: true });
      await rename(tmp, path.join(out, source));
      progress(`writing ${source}`, ++done, total);
    }
    const manifest = buildManifest(scenario, rows);
    await writeFile(path.join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    await engine.close();
  }
}

/**
 * Writes the producer's completion marker into every partition written: the lake is whole, so the
 * scheduled jobs may judge its hours at once instead of waiting for its files to go quiet.
 */
async function markComplete(dir: string): Promise<void> {
  for (const dt of await readdir(dir, { withFileTypes: true })) {
    if (!dt.isDirectory()) continue;
    for (const hour of await readdir(path.join(dir, dt.name), { withFileTypes: true }))
      if (hour.isDirectory()) await writeFile(path.join(dir, dt.name, hour.name, COMPLETE_MARKER), '');
  }
}
