/**
 * Plants a plan (bench/detect/lake/plan.ts) into a generated lake by rewriting the Parquet file of
 * each hour partition it touches with DuckDB: matching rows duplicated with fresh ids (spikes,
 * shifts, ramps), added from an independent twin generation of the same hours (traffic), deleted
 * (drops, the thinned partition) or their labels flipped (prevalence). Randomness is a hash of
 * (row id, salt, seed), so a seed always plants the same rows.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../../shared/adapters/duckdb/generate-lake.js';
import type { Scenario } from '../../../shared/generator/scenario.js';
import { quoteIdent, quoteString } from '../../../shared/sql/literals.js';
import { formatDt } from '../../../shared/time/window.js';
import type { LakePlant, RowEdit } from './plan.js';

const HOUR = 3_600_000;

/** Row id column of each source an edit may touch, and the people column that traffic refreshes. */
const IDS: Record<string, { id: string; people?: string }> = {
  impressions: { id: 'impression_id', people: 'viewer_id' },
  moderation_decisions: { id: 'decision_id' },
  user_reports: { id: 'report_id', people: 'reporter_id' },
  prevalence_labels: { id: 'impression_id' },
};

export interface PlantedRows {
  readonly id: string;
  /** Rows matching the edits in the plant's partitions, before and after (labels: violating ones). */
  readonly before: number;
  readonly after: number;
  /** Label flips: the labels in the plant's partitions that could flip, and the rate they were drawn at. */
  readonly sample?: { readonly labelled: number; readonly rate: number };
}

function matchSql(where: RowEdit['where']): string {
  const conds = Object.entries(where).map(([c, v]) => `${quoteIdent(c)} = ${quoteString(v)}`);
  return conds.length ? conds.join(' AND ') : 'TRUE';
}

/**
 * SELECT of one partition's rows (table `p`) after an edit with factor f at that hour; an
 * independent edit draws its extra rows from the twin's partition (table `q`).
 */
export function editSql(edit: RowEdit, f: number, flipShare: number): string {
  const ids = IDS[edit.source];
  if (!ids) throw new Error(`no row id known for source ${edit.source}`);
  const id = quoteIdent(ids.id);
  const m = matchSql(edit.where);
  const people = edit.freshPeople && ids.people ? quoteIdent(ids.people) : undefined;
  if (edit.independent) {
    if (!(f >= 1 && f <= 2)) throw new Error(`an independent edit adds up to one twin: factor ${f}`);
    // Labels are drawn by their impression's id, so a twin label comes with its impression.
    const fresh = [`${id} || '_t' AS ${id}`, ...(people ? [`${people} || '_t' AS ${people}`] : [])];
    return `SELECT * FROM p UNION ALL
      SELECT * REPLACE (${fresh.join(', ')}) FROM q WHERE (${m}) AND u(${id}, 'twin') < ${f - 1}`;
  }
  if (edit.flip) {
    const flip = `(${m}) AND NOT is_violating AND u(${id}, 'flip') < ${flipShare}`;
    return `SELECT * REPLACE (CASE WHEN ${flip} THEN TRUE ELSE is_violating END AS is_violating,
      CASE WHEN ${flip} THEN 'spam' ELSE policy END AS policy) FROM p`;
  }
  if (f < 1) return `SELECT * FROM p WHERE NOT (${m}) OR u(${id}, 'keep') < ${f}`;
  const copies = Math.ceil(f - 1 - 1e-9);
  const fresh = [`${id} || '_p' || j AS ${id}`];
  if (people) fresh.push(`${people} || '_p' || j AS ${people}`);
  return `SELECT * FROM p UNION ALL
    SELECT * EXCLUDE (j) REPLACE (${fresh.join(', ')})
    FROM p, range(${copies}) r(j)
    WHERE (${m}) AND u(${id}, 'dup' || j) < least(1.0, ${f} - 1 - j)`;
}

function partitionDir(lake: string, source: string, t: number): string {
  return path.join(
    lake,
    source,
    `dt=${formatDt(new Date(t))}`,
    `hour=${new Date(t).toISOString().slice(11, 13)}`,
  );
}

/**
 * Plants every plan into `lake` in place; returns the rows each one touched. `scenario` (the lake's
 * own) is needed when an edit is independent: its twin is generated with another seed, aside.
 */
export async function plantLake(
  lake: string,
  plants: readonly LakePlant[],
  seed: number,
  scenario?: Scenario,
): Promise<PlantedRows[]> {
  const engine = await DuckDbQueryEngine.open();
  const num = async (sql: string) => Number((await engine.query(sql)).data.n?.[0] ?? 0);
  let twin: string | undefined;
  try {
    if (plants.some((p) => p.edits.some((e) => e.independent))) {
      if (!scenario) throw new Error('an independent edit needs the lake scenario, to generate its twin');
      twin = await mkdtemp(path.join(tmpdir(), 'vigil-lake-twin-'));
      await generateLake({ ...scenario, seed: scenario.seed + 2 ** 30 }, twin);
    }
    await engine.exec(`CREATE OR REPLACE MACRO u(a, b) AS (hash(a, b, ${seed}) % 4294967296) / 4294967296.0`);
    const out: PlantedRows[] = [];
    for (const plant of plants) {
      let before = 0;
      let after = 0;
      let sample: PlantedRows['sample'];
      for (const edit of plant.edits) {
        const countSql = (from: string) =>
          `SELECT CAST(count(*) AS DOUBLE) AS n FROM ${from} WHERE ${matchSql(edit.where)}${edit.flip ? ' AND is_violating' : ''}`;
        let flipShare = 0;
        if (edit.flip) {
          // The surface's own violating rate over the lake, so that f × the rate is what it becomes.
          const all = quoteString(path.join(lake, edit.source, '*', '*', '*.parquet'));
          const p = await num(
            `SELECT avg(CAST(is_violating AS DOUBLE)) AS n FROM read_parquet(${all}, hive_partitioning = false) WHERE ${matchSql(edit.where)}`,
          );
          flipShare = ((edit.factor(plant.start) - 1) * p) / (1 - p);
          sample = { labelled: 0, rate: p };
        }
        for (let t = plant.start; t < plant.end; t += HOUR) {
          const dir = partitionDir(lake, edit.source, t);
          if (!existsSync(dir)) continue;
          const files = (await readdir(dir)).filter((f) => f.endsWith('.parquet'));
          if (files.length === 0) continue;
          const list = files.map((f) => quoteString(path.join(dir, f))).join(', ');
          await engine.exec(
            `CREATE OR REPLACE TABLE p AS SELECT * FROM read_parquet([${list}], hive_partitioning = false)`,
          );
          if (edit.independent) {
            const twinFiles = path.join(partitionDir(twin!, edit.source, t), '*.parquet');
            await engine.exec(
              `CREATE OR REPLACE TABLE q AS SELECT * FROM read_parquet(${quoteString(twinFiles)}, hive_partitioning = false)`,
            );
          }
          before += await num(countSql('p'));
          if (sample)
            sample = {
              ...sample,
              labelled:
                sample.labelled +
                (await num(`SELECT CAST(count(*) AS DOUBLE) AS n FROM p WHERE ${matchSql(edit.where)}`)),
            };
          const tmp = path.join(dir, '.plant.parquet');
          await engine.exec(
            `COPY (SELECT * FROM (${editSql(edit, edit.factor(t), flipShare)}) ORDER BY event_time) TO ${quoteString(tmp)} (FORMAT parquet, COMPRESSION snappy)`,
          );
          after += await num(countSql(`read_parquet(${quoteString(tmp)})`));
          for (const f of files) await rm(path.join(dir, f));
          await rename(tmp, path.join(dir, 'part_0.parquet'));
        }
      }
      out.push({ id: plant.id, before, after, ...(sample ? { sample } : {}) });
    }
    return out;
  } finally {
    await engine.close();
    if (twin) await rm(twin, { recursive: true, force: true });
  }
}
