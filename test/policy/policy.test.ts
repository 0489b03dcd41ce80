import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run as policyCommand } from '../../cli/commands/policy-evaluate.js';
import { demoConfigYaml, parseExperimentConfig } from '../../shared/experiments/index.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { type PolicyPanel, policyReadoutFromPanel } from '../../shared/policy/evaluate.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

let dir: string;
let manifest: LakeManifest;
const out = path.join(TMP_ROOT, 'policy-out');

beforeAll(async () => {
  ({ dir, manifest } = await tinyLake('experiments'));
  mkdirSync(out, { recursive: true });
}, 60_000);

const evaluate = (yaml: string, policy = 'de_hate_speech_enforcement', file = path.join(out, 'p.json')) => {
  const config = path.join(out, 'config.yaml');
  writeFileSync(config, yaml);
  return policyCommand({ lake: dir, config, policy, out: file, quiet: true });
};

describe('vigil policy evaluate', () => {
  it('writes DiD, event study and synthetic control on the region × day panel', async () => {
    const file = path.join(out, 'ok.json');
    await evaluate(demoConfigYaml(manifest), 'de_hate_speech_enforcement', file);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/NaN|Infinity/);
    const r = JSON.parse(text);
    expect(r.schema).toBe('vigil.policy_readout/1');
    expect(r.regions).toContain('DE');
    expect(r.did.n_clusters).toBe(r.regions.length);
    expect(r.effect.relative_effect).toBeCloseTo(r.did.att / r.treated_pre_mean, 12);
    expect(r.effect.se).toBeGreaterThanOrEqual(r.did.se_cluster);
    expect(r.event_study.effects.some((e: { event_time: number }) => e.event_time === 0)).toBe(true);
    expect(r.event_study.effects.some((e: { event_time: number }) => e.event_time === -1)).toBe(false);
    expect(r.synthetic_control.weights).not.toHaveProperty('DE');
    // The planted effect is positive; the tiny lake is noisy, so only the sign is checked here.
    expect(r.did.att).toBeGreaterThan(0);
  }, 30_000);

  it('bad input: unknown policy, metric without a region slice, launch not midnight', async () => {
    const file = path.join(out, 'never.json');
    await expect(evaluate(demoConfigYaml(manifest), 'nope', file)).rejects.toThrow(/unknown policy 'nope'/);
    expect(existsSync(file)).toBe(false);
    expect(() =>
      parseExperimentConfig(
        demoConfigYaml(manifest).replace('metric: removals_per_10k_impressions', 'metric: no_metric'),
        'c',
      ),
    ).toThrow(/policies\[0\]\.metric: unknown core catalog metric 'no_metric'/);
    expect(() =>
      parseExperimentConfig(
        demoConfigYaml(manifest).replace(/launch: "[^"]+"/, 'launch: "2026-01-08T05:00:00Z"'),
        'c',
      ),
    ).toThrow(/policies\[0\]\.launch: must be midnight UTC/);
    expect(() =>
      parseExperimentConfig(
        demoConfigYaml(manifest).replace(/ {4}pre_days: \d+\n/, '    pre_days: 0\n'),
        'c',
      ),
    ).toThrow(/policies\[0\]\.pre_days: .*\(got 0\)/);
  });

  it('too little data → InputError', async () => {
    const late = demoConfigYaml(manifest).replace(/launch: "[^"]+"/, `launch: "${manifest.end}"`);
    await expect(evaluate(late)).rejects.toThrow(/pre-launch|post-launch|no data/);
  }, 30_000);

  it('needs at least 2 control regions (pure)', () => {
    const p = parseExperimentConfig(demoConfigYaml(manifest), 'c').policies[0]!;
    const days = ['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09'];
    const panel: PolicyPanel = {
      regions: ['DE', 'US'],
      days,
      values: new Map([
        ['DE', new Map(days.map((d, i) => [d, 10 + i]))],
        ['US', new Map(days.map((d, i) => [d, 20 + i]))],
      ]),
    };
    expect(() => policyReadoutFromPanel(p, panel)).toThrow(/at least 2 control regions/);
  });
});
