import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as analyzeCommand } from '../../cli/commands/experiment-analyze.js';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { analyzeExperiment, demoConfigYaml } from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

let dir: string;
let manifest: LakeManifest;
let engine: DuckDbQueryEngine;
const out = path.join(TMP_ROOT, 'experiments-segments-out');

beforeAll(async () => {
  ({ dir, manifest } = await tinyLake('experiments'));
  engine = await DuckDbQueryEngine.open({ lake: dir });
  mkdirSync(out, { recursive: true });
}, 60_000);
afterAll(async () => {
  await engine?.close();
});

/** The demo experiment with segments and a CUPED ratio metric added. */
const yaml = () =>
  demoConfigYaml(manifest)
    .replace('    unit: user\n', '    unit: user\n    segments: [region, platform]\n')
    .replace(
      '          filter: [{ column: status, op: in, value: [actioned, dismissed] }]\n',
      '          filter: [{ column: status, op: in, value: [actioned, dismissed] }]\n        cuped: { pre_days: 7 }\n',
    );

describe('experiment readout against the lake', () => {
  it('segments by region and platform partition the units; CUPED on a ratio metric runs in SQL', async () => {
    const config = parseExperimentConfig(yaml(), 'c');
    const r = await analyzeExperiment({
      engine,
      config,
      experiment: 'report_flow_v2',
      asOf: new Date(manifest.end),
    });
    for (const dim of ['region', 'platform']) {
      const cells = r.segments.filter((s) => s.dimension === dim && s.metric === 'reports_per_unit');
      expect(cells.length).toBeGreaterThan(1);
      expect(cells.reduce((a, s) => a + s.n_control, 0)).toBe(r.units.control);
      expect(cells.reduce((a, s) => a + s.n_treatment, 0)).toBe(r.units.treatment);
    }
    for (const s of r.segments)
      if (s.q_value !== null) expect(s.q_value, JSON.stringify(s)).toBeGreaterThanOrEqual(s.p_value! - 1e-15);
    const ratio = r.metrics.find((m) => m.metric === 'report_action_rate')!;
    expect(ratio.method).toBe('ratio_cuped');
    expect(ratio.cuped).not.toBeNull();
    if (ratio.cuped!.applied) expect(ratio.cuped!.theta).not.toBeNull();
    else expect(ratio.cuped!.reason).toMatch(/theta is undefined/);
  }, 60_000);

  it('an experiment id absent from the data says so', async () => {
    const config = parseExperimentConfig(yaml().replace(/id: report_flow_v2/, 'id: ghost_experiment'), 'c');
    await expect(
      analyzeExperiment({ engine, config, experiment: 'ghost_experiment', asOf: new Date(manifest.end) }),
    ).rejects.toThrow(/no assignments with experiment_id = 'ghost_experiment' in experiment_assignments/);
  }, 60_000);

  it('the CLI summary is the headline of the JSON it wrote', async () => {
    const config = path.join(out, 'c.yaml');
    const file = path.join(out, 'r.json');
    writeFileSync(config, yaml());
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await analyzeCommand({
        lake: dir,
        config,
        experiment: 'report_flow_v2',
        asOf: manifest.end,
        out: file,
        json: true,
      });
    } finally {
      spy.mockRestore();
    }
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const s = JSON.parse(written.join(''));
    expect(s.decision).toBe(r.decision);
    expect(s.decision_variant).toBe(r.decision_variant);
    expect(s.summary).toBe(r.summary);
    expect(s.primary).toEqual(r.metrics.filter((m: { role: string }) => m.role === 'primary'));
  }, 60_000);
});
