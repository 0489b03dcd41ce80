import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as analyzeCommand } from '../../cli/commands/experiment-analyze.js';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { InputError } from '../../shared/errors.js';
import {
  analyzeExperiment,
  computeExperimentSums,
  DEMO_CONFIG_YAML,
  demoConfigYaml,
  type ExperimentConfig,
  findExperiment,
  planExperiment,
  renderExperimentPlan,
} from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { numberColumn, stringColumn } from '../../shared/ports/query-engine.js';
import { athenaDialect } from '../../shared/sql/dialect.js';
import { timestampLiteral } from '../../shared/sql/literals.js';
import { cuped, ratioDeltaMethod, welchTTest } from '../../shared/stats/index.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

let dir: string;
let manifest: LakeManifest;
let engine: DuckDbQueryEngine;
let config: ExperimentConfig;
const out = path.join(TMP_ROOT, 'experiments-out');

beforeAll(async () => {
  ({ dir, manifest } = await tinyLake('experiments'));
  engine = await DuckDbQueryEngine.open({ lake: dir });
  config = parseExperimentConfig(demoConfigYaml(manifest), 'demo');
  mkdirSync(out, { recursive: true });
}, 60_000);
afterAll(async () => {
  await engine?.close();
});

const close = (a: number, b: number, rel = 1e-9) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

describe('engine sufficient statistics', () => {
  it('match a hand-written DuckDB query and the array-based stats functions', async () => {
    const e = findExperiment(config, 'report_flow_v2');
    const end = new Date(manifest.end);
    const pre = new Date(e.start.getTime() - 7 * 86_400_000);
    const hand = await engine.query(`
      WITH a AS (
        SELECT unit_id, min(variant) AS v, min(event_time) AS t FROM experiment_assignments
        WHERE experiment_id = 'report_flow_v2' AND event_time < ${timestampLiteral(end)} GROUP BY unit_id)
      SELECT a.v AS variant,
        count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.event_time < ${timestampLiteral(end)}) AS y,
        count(r.event_time) FILTER (WHERE r.event_time >= ${timestampLiteral(pre)} AND r.event_time < ${timestampLiteral(e.start)}) AS x,
        count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.event_time < ${timestampLiteral(end)} AND r.status = 'actioned') AS num,
        count(r.event_time) FILTER (WHERE r.event_time >= a.t AND r.event_time < ${timestampLiteral(end)} AND r.status IN ('actioned', 'dismissed')) AS den
      FROM a LEFT JOIN user_reports r ON r.reporter_id = a.unit_id
      GROUP BY a.unit_id, a.v`);
    const v = stringColumn(hand, 'variant');
    const cols = {
      y: numberColumn(hand, 'y'),
      x: numberColumn(hand, 'x'),
      num: numberColumn(hand, 'num'),
      den: numberColumn(hand, 'den'),
    };
    const arm = (name: string) => {
      const idx = v.flatMap((x, i) => (x === name ? [i] : []));
      const pick = (c: (number | null)[]) => idx.map((i) => c[i] as number);
      return { y: pick(cols.y), x: pick(cols.x), num: pick(cols.num), den: pick(cols.den) };
    };
    const c = arm('control');
    const t = arm('treatment');
    const sum = (a: number[]) => a.reduce((s, z) => s + z, 0);
    const dot = (a: number[], b: number[]) => a.reduce((s, z, i) => s + z * b[i]!, 0);

    const sums = await computeExperimentSums(engine, config, e, end);
    expect(sums.conflicting).toBe(0);
    const sc = sums.variants.find((x) => x.variant === 'control')!;
    const st = sums.variants.find((x) => x.variant === 'treatment')!;
    expect(sc.n).toBe(c.y.length);
    expect(st.n).toBe(t.y.length);
    // Counts are integers: the sums are exact.
    for (const [s, a] of [
      [sc, c],
      [st, t],
    ] as const) {
      expect(s.metrics[0]).toEqual({
        y: sum(a.y),
        y2: dot(a.y, a.y),
        x: sum(a.x),
        x2: dot(a.x, a.x),
        xy: dot(a.x, a.y),
      });
      expect(s.metrics[2]).toEqual({
        y: sum(a.num),
        y2: dot(a.num, a.num),
        x: sum(a.den),
        x2: dot(a.den, a.den),
        xy: dot(a.num, a.den),
      });
    }

    const readout = await analyzeExperiment({ engine, config, experiment: 'report_flow_v2', asOf: end });
    const m = (name: string) => readout.metrics.find((x) => x.metric === name)!;
    const cu = cuped({ control: { y: c.y, x: c.x }, treatment: { y: t.y, x: t.x }, alpha: 0.05 });
    close(m('reports_per_unit').abs_diff!, cu.diffAdjusted);
    close(m('reports_per_unit').abs_ci_low!, cu.ciLow);
    close(m('reports_per_unit').p_value!, cu.pValue);
    close(m('reports_per_unit').cuped!.variance_reduction!, cu.varianceReduction);
    const rd = ratioDeltaMethod({
      control: { num: c.num, den: c.den },
      treatment: { num: t.num, den: t.den },
      alpha: 0.05,
    });
    close(m('report_action_rate').abs_diff!, rd.diff);
    close(m('report_action_rate').rel_ci_high!, rd.relativeLiftCiHigh!);
    close(m('report_action_rate').p_value!, rd.pValue);
    const w = welchTTest({ control: c.y, treatment: t.y, alpha: 0.05 });
    // The raw means behind the CUPED metric are the plain arm means.
    close(m('reports_per_unit').treatment_mean! - m('reports_per_unit').control_mean!, w.diff);
  }, 30_000);

  it('renders the same plan for Athena (snapshot)', () => {
    const e = findExperiment(parseExperimentConfig(DEMO_CONFIG_YAML, 'demo'), 'report_flow_v2');
    const plan = planExperiment(e, e.end);
    expect(plan.scans).toHaveLength(1);
    expect(renderExperimentPlan(plan, { sources: {} }, athenaDialect('vigil'))).toMatchSnapshot();
  });
});

describe('readout', () => {
  it('writes a complete readout JSON without NaN, with a decision', async () => {
    const file = path.join(out, 'readout.json');
    await analyzeCommand({
      lake: dir,
      config: writeConfig('ok', demoConfigYaml(manifest)),
      experiment: 'report_flow_v2',
      asOf: manifest.end,
      out: file,
      quiet: true,
      json: true,
    });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/NaN|Infinity/);
    const r = JSON.parse(text);
    expect(r.schema).toBe('vigil.experiment_readout/2');
    expect(['ship', 'dont_ship', 'keep_running', 'invalid_srm']).toContain(r.decision);
    expect(r.metrics).toHaveLength(4);
    expect(r.srm.passed).toBe(true);
    for (const m of r.metrics) expect(m.p_value_adjusted).toBeGreaterThanOrEqual(m.p_value);
  }, 30_000);

  it('sequential rule: always-valid CIs are wider than fixed-horizon ones', async () => {
    const seq = parseExperimentConfig(
      demoConfigYaml(manifest).replace('method: fixed_horizon', 'method: sequential'),
      'seq',
    );
    const asOf = new Date(manifest.end);
    const a = await analyzeExperiment({ engine, config, experiment: 'report_flow_v2', asOf });
    const b = await analyzeExperiment({ engine, config: seq, experiment: 'report_flow_v2', asOf });
    const width = (r: typeof a) => r.metrics[0]!.abs_ci_high! - r.metrics[0]!.abs_ci_low!;
    expect(width(b)).toBeGreaterThan(width(a));
    expect(b.rule.method).toBe('sequential');
  }, 30_000);
});

function writeConfig(name: string, yaml: string): string {
  const file = path.join(out, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

describe('bad input', () => {
  const analyze = (yaml: string, over: Partial<{ experiment: string; asOf: string; out: string }> = {}) =>
    analyzeCommand({
      lake: dir,
      config: writeConfig('bad', yaml),
      experiment: over.experiment ?? 'report_flow_v2',
      asOf: over.asOf ?? manifest.end,
      out: over.out ?? path.join(out, 'bad.json'),
      quiet: true,
    });

  it('unknown experiment → InputError naming it, nothing written', async () => {
    const file = path.join(out, 'never.json');
    await expect(analyze(demoConfigYaml(manifest), { experiment: 'nope', out: file })).rejects.toThrow(
      /unknown experiment 'nope'/,
    );
    expect(existsSync(file)).toBe(false);
  });

  it('as-of before the start, or bad as-of', async () => {
    await expect(analyze(demoConfigYaml(manifest), { asOf: manifest.start })).rejects.toThrow(
      /not after the start/,
    );
    await expect(analyze(demoConfigYaml(manifest), { asOf: 'yesterday' })).rejects.toThrow(/--as-of/);
  });

  it('no units assigned yet', async () => {
    const start = new Date(manifest.experiments[0]!.start);
    await expect(
      analyze(demoConfigYaml(manifest), { asOf: new Date(start.getTime() + 1000).toISOString() }),
    ).rejects.toThrow(/no units assigned/);
  });

  it('a variant in the data but not in the config', async () => {
    const yaml = demoConfigYaml(manifest).replace('name: treatment', 'name: variant_b');
    await expect(analyze(yaml)).rejects.toThrow(/variant 'treatment' that is not in the config/);
  });

  it('config errors name the path and the value', async () => {
    await expect(
      analyze(demoConfigYaml(manifest).replace('alpha: 0.05, method', 'alpha: 2, method')),
    ).rejects.toThrow(/experiments\[0\]\.rule\.alpha: .*\(got 2\)/);
    await expect(
      analyze(demoConfigYaml(manifest).replace('unit_column: reporter_id', 'unit_column: reporterid')),
    ).rejects.toThrow(/experiments\[0\]\.metrics\[0\]\.unit_column: unknown column 'reporterid'/);
    await expect(analyze('version: 1\nexperiments: [')).rejects.toThrow(/not valid YAML/);
    await expect(
      analyze(
        demoConfigYaml(manifest).replace(
          'kind: count\n        source: user_reports\n        unit_column: reporter_id\n        cuped',
          'kind: sum\n        source: user_reports\n        unit_column: reporter_id\n        cuped',
        ),
      ),
    ).rejects.toThrow(/metrics\[0\]\.column: kind sum needs a column/);
    await expect(
      analyzeCommand({
        lake: dir,
        config: path.join(out, 'missing.yaml'),
        experiment: 'x',
        asOf: manifest.end,
        out: path.join(out, 'x.json'),
      }),
    ).rejects.toBeInstanceOf(InputError);
  });

  it('an empty arm → invalid_srm and not_enough_data, never NaN', async () => {
    const yaml = demoConfigYaml(manifest).replace(
      '      - { name: treatment, weight: 0.5 }',
      '      - { name: treatment, weight: 0.5 }\n      - { name: ghost, weight: 0.5 }',
    );
    const file = path.join(out, 'ghost.json');
    await analyze(yaml, { out: file });
    const r = JSON.parse(readFileSync(file, 'utf8'));
    expect(r.units.ghost).toBe(0);
    expect(r.srm.passed).toBe(false);
    expect(r.decision).toBe('invalid_srm');
    const ghost = r.metrics.filter((m: { variant: string }) => m.variant === 'ghost');
    expect(
      ghost.every(
        (m: { status: string; abs_diff: unknown }) => m.status === 'not_enough_data' && m.abs_diff === null,
      ),
    ).toBe(true);
  }, 30_000);

  it('zero variance → not_enough_data for that metric', async () => {
    const yaml = demoConfigYaml(manifest).replace(
      'filter: [{ column: surface, op: eq, value: live }]',
      'filter: [{ column: surface, op: eq, value: no_such_surface }]',
    );
    const file = path.join(out, 'zero.json');
    await analyze(yaml, { out: file });
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const m = r.metrics.find((x: { metric: string }) => x.metric === 'live_reports_per_unit');
    expect(m.status).toBe('not_enough_data');
    expect(m.reason).toMatch(/zero variance/);
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  }, 30_000);
});
