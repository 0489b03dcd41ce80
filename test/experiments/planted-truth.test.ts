import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { analyzeAll, demoConfigYaml } from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { TMP_ROOT } from '../helpers/lake.js';

/** The 'small' lake (28 days, 2M impressions): the readouts must recover the planted truth. */
describe('planted truth on the small lake', () => {
  let dir: string;
  let manifest: LakeManifest;
  let engine: DuckDbQueryEngine;
  beforeAll(async () => {
    dir = path.join(TMP_ROOT, 'lake-experiments-small-11');
    const file = path.join(dir, '_manifest.json');
    manifest = existsSync(file)
      ? JSON.parse(readFileSync(file, 'utf8'))
      : await generateLake(
          buildScenario({ seed: 11, start: new Date('2026-01-01T00:00:00Z'), ...SCALES.small }),
          dir,
        );
    engine = await DuckDbQueryEngine.open({ lake: dir });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
  });

  it('recovers the A/B lift (CUPED CI covers 0.2) and the policy effect (CI covers 0.3)', async () => {
    const config = parseExperimentConfig(demoConfigYaml(manifest), 'demo');
    const all = await analyzeAll({ engine, config, asOf: new Date(manifest.end) });
    expect(all.skipped).toEqual([]);
    const readout = all.experiments[0]!;
    const primary = readout.metrics.find((m) => m.metric === 'reports_per_unit')!;
    const truth = manifest.experiments[0]!.trueRelativeLift;
    console.log(
      `A/B lift ${primary.rel_lift} CI [${primary.rel_ci_low}, ${primary.rel_ci_high}] truth ${truth}; CUPED variance reduction ${primary.cuped?.variance_reduction}; SRM p ${readout.srm.p_value}`,
    );
    expect(primary.status).toBe('ok');
    expect(primary.cuped?.applied).toBe(true);
    expect(primary.cuped!.variance_reduction!).toBeGreaterThan(0);
    expect(primary.rel_ci_low!).toBeLessThan(truth);
    expect(primary.rel_ci_high!).toBeGreaterThan(truth);
    expect(readout.srm.passed).toBe(true);
    expect(readout.decision).toBe('ship');

    const policy = all.policies[0]!;
    const effect = manifest.policies[0]!.trueRelativeEffect;
    console.log(
      `policy effect ${policy.effect.relative_effect} CI [${policy.effect.relative_ci_low}, ${policy.effect.relative_ci_high}] (${policy.effect.inference}); synthetic ${policy.synthetic_control?.relative_effect}; truth ${effect}`,
    );
    expect(policy.effect.status).toBe('ok');
    expect(policy.effect.relative_ci_low!).toBeLessThan(effect);
    expect(policy.effect.relative_ci_high!).toBeGreaterThan(effect);
    expect(policy.effect.relative_ci_low!).toBeGreaterThan(0);
  }, 60_000);
});
