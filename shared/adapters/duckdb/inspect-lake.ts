import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ColumnProfile, FolderProfile } from '../../config/init/profile.js';
import { IDENTIFIER } from '../../config/schema.js';
import { stringColumn } from '../../ports/query-engine.js';
import { quoteIdent, quoteString } from '../../sql/literals.js';
import { DuckDbQueryEngine } from './duckdb-engine.js';

/** Files read per folder: enough for types and value sets, bounded for a lake of any size. */
const SAMPLE_FILES = 24;
/** String columns with at most this many distinct values (in the sample) get their value set listed. */
export const MAX_VALUE_SET = 40;

const HIVE_DT = /^dt=\d{4}-\d{2}-\d{2}$/;
const HIVE_HOUR = /^hour=\d{2}$/;

async function dirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The Parquet files of a folder in the hive layout `dt=YYYY-MM-DD/hour=HH/*.parquet`, in time order. */
async function parquetFiles(
  folder: string,
): Promise<{ files: string[]; partitions: number; days: string[] }> {
  const files: string[] = [];
  const days: string[] = [];
  let partitions = 0;
  for (const dt of (await dirs(folder)).filter((d) => HIVE_DT.test(d))) {
    days.push(dt.slice(3));
    for (const hour of (await dirs(path.join(folder, dt))).filter((h) => HIVE_HOUR.test(h))) {
      const dir = path.join(folder, dt, hour);
      const here = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
        .map((e) => path.join(dir, e.name))
        .sort();
      if (here.length) partitions++;
      files.push(...here);
    }
  }
  return { files, partitions, days };
}

function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]!);
}

function typeOf(raw: string): ColumnProfile['type'] {
  const t = raw.toUpperCase();
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(')) return 'VARCHAR';
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL.*|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER)$/.test(t))
    return 'DOUBLE';
  return 'OTHER';
}

/**
 * Profiles every folder at the lake root that holds Parquet files in the hive layout: columns,
 * types, and the value sets of low-cardinality string columns, from a sample of its files (DuckDB
 * reads the Parquet schema and a few columns). Column names come from the data: only those that
 * pass the identifier pattern are ever named in SQL, and then quoted.
 */
export async function inspectLake(lake: string): Promise<FolderProfile[]> {
  const engine = await DuckDbQueryEngine.open({ threads: 2 });
  try {
    const out: FolderProfile[] = [];
    for (const name of await dirs(lake)) {
      if (name.startsWith('.') || name.startsWith('_')) continue;
      const { files, partitions, days } = await parquetFiles(path.join(lake, name));
      if (files.length === 0) continue;
      const sample = spread(files, SAMPLE_FILES);
      const from = `read_parquet([${sample.map(quoteString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
      const described = await engine.query(`DESCRIBE SELECT * FROM ${from}`, { label: `describe ${name}` });
      const names = stringColumn(described, 'column_name');
      const types = stringColumn(described, 'column_type');
      const profiles: ColumnProfile[] = names.map((column, i) => {
        const rawType = types[i] ?? '';
        return { name: column!, rawType, type: typeOf(rawType), usable: IDENTIFIER.test(column!) };
      });
      // Value sets of every usable string column in one pass; JSON keeps any value intact.
      const strings = profiles.filter((p) => p.usable && p.type === 'VARCHAR');
      const sets = new Map<string, string[] | null>();
      if (strings.length) {
        const select = strings.map((p, i) => {
          const c = quoteIdent(p.name);
          return `CASE WHEN count(DISTINCT ${c}) <= ${MAX_VALUE_SET} THEN CAST(to_json(list(DISTINCT ${c} ORDER BY ${c}) FILTER (WHERE ${c} IS NOT NULL)) AS VARCHAR) END AS v${i}`;
        });
        const r = await engine.query(`SELECT ${select.join(', ')} FROM ${from}`, {
          label: `values of ${name}`,
        });
        strings.forEach((p, i) => {
          const json = stringColumn(r, `v${i}`)[0];
          sets.set(
            p.name,
            json === null || json === undefined ? null : ((JSON.parse(json) as string[] | null) ?? []),
          );
        });
      }
      const columns = profiles.map((p): ColumnProfile => {
        if (!sets.has(p.name)) return p;
        const values = sets.get(p.name);
        return values ? { ...p, values } : { ...p, manyValues: true };
      });
      out.push({
        folder: name,
        files: files.length,
        partitions,
        ...(days.length ? { firstDay: days[0]!, lastDay: days.at(-1)! } : {}),
        columns,
      });
    }
    return out;
  } finally {
    await engine.close();
  }
}
