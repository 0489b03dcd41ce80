import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { runMetricsArgs, vigil } from '../helpers/cli.js';
import { FLOAT_LAKE_CONFIG, floatLake } from '../helpers/float-lake.js';
import { TMP_ROOT } from '../helpers/lake.js';

/** More threads than the files of one window are split into: the order rows meet in varies run to run. */
const THREADS = { VIGIL_THREADS: '8' };
const RERUNS = 20;
/** Readouts cost more per run; 10 each in the suite (bench/RESULTS.md has a 20-run check of each). */
const READOUT_RERUNS = Number(process.env.VIGIL_READOUT_RERUNS ?? 10);
const out = path.join(TMP_ROOT, 'determinism');
let lake: string;
let config: string;

const md5 = (file: string) => createHash('md5').update(readFileSync(file)).digest('hex');

function reruns(args: (i: number) => string[], file: (i: number) => string, times = RERUNS): Set<string> {
  const digests = new Set<string>();
  for (let i = 0; i < times; i++) {
    const r = vigil(args(i), undefined, THREADS);
    expect(r.stderr, `run ${i}`).toBe('');
    expect(r.status, `run ${i}`).toBe(0);
    digests.add(md5(file(i)));
  }
  return digests;
}

beforeAll(async () => {
  lake = await floatLake();
  mkdirSync(out, { recursive: true });
  config = path.join(out, 'vigil.yaml');
  writeFileSync(config, FLOAT_LAKE_CONFIG);
}, 300_000);

describe(`reruns over the same lake are byte-identical (DuckDB with ${THREADS.VIGIL_THREADS} threads)`, () => {
  it('the lake really exercises summation order: a plain DOUBLE sum of its weights changes with the order', async () => {
    // One thread and an explicit row order per seed, so the orders differ on purpose, not by luck.
    const engine = await DuckDbQueryEngine.open({ lake, threads: 1 });
    try {
      const plain = new Set<number>();
      const exact = new Set<number>();
      for (let seed = 0; seed < 5; seed++) {
        const r = await engine.query(
          `SELECT sum(w) AS s, ${engine.dialect.sum('w')} AS e
           FROM (SELECT CAST(sample_weight AS DOUBLE) AS w FROM prevalence_labels ORDER BY hash(impression_id, ${seed}))`,
        );
        plain.add(Number(r.data.s![0]));
        exact.add(Number(r.data.e![0]));
      }
      expect(plain.size, 'plain sums should differ in the last bits between orders').toBeGreaterThan(1);
      expect(exact.size).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it(`vigil run metrics, ${RERUNS} times (day windows, weighted prevalence, latency p90)`, {
    timeout: 600_000,
  }, () => {
    const file = (i: number) => path.join(out, `metrics-${i}.csv`);
    const digests = reruns(
      (i) => runMetricsArgs(lake, 'day', '2026-03-01T00:00:00Z', '2026-03-07T00:00:00Z', file(i)),
      file,
    );
    expect(digests.size).toBe(1);
    const csv = readFileSync(file(0), 'utf8');
    expect(csv).toMatch(/^violation_prevalence,day,2026-03-01T00:00:00Z,,0\.\d+,\d+\.\d+,\d+\.\d+,/m);
  });

  it(`vigil experiment analyze, ${READOUT_RERUNS} times (per-unit sums of doubles, CUPED)`, {
    timeout: 600_000,
  }, () => {
    const file = (i: number) => path.join(out, `readout-${i}.json`);
    const args = (i: number) => [
      'experiment',
      'analyze',
      '--lake',
      lake,
      '--config',
      config,
      '--experiment',
      'ab_float',
      '--as-of',
      '2026-03-07T00:00:00Z',
      '--out',
      file(i),
      '--quiet',
    ];
    expect(reruns(args, file, READOUT_RERUNS).size).toBe(1);
    expect(readFileSync(file(0), 'utf8')).toContain('latency_per_creator');
  });

  it(`vigil policy evaluate, ${READOUT_RERUNS} times (weighted prevalence panel)`, {
    timeout: 600_000,
  }, () => {
    const file = (i: number) => path.join(out, `policy-${i}.json`);
    const args = (i: number) => [
      'policy',
      'evaluate',
      '--lake',
      lake,
      '--config',
      config,
      '--policy',
      'br_latency',
      '--out',
      file(i),
      '--quiet',
    ];
    expect(reruns(args, file, READOUT_RERUNS).size).toBe(1);
    expect(JSON.parse(readFileSync(file(0), 'utf8'))).toHaveProperty('effect');
  });
});
