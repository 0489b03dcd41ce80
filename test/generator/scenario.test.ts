import { describe, expect, it } from 'vitest';
import { generatorSql } from '../../shared/generator/generator-sql.js';
import { buildScenario, RATES } from '../../shared/generator/scenario.js';

const start = new Date('2026-01-05T00:00:00Z');
const base = { seed: 1, start, days: 35, impressions: 1_000_000 };

describe("buildScenario planted: 'none'", () => {
  it('plants nothing: no incident, no missing partition, no effects', () => {
    const s = buildScenario({ ...base, planted: 'none' });
    expect(s.incidents).toEqual([]);
    expect(s.missingPartitions).toEqual([]);
    expect([
      s.policy.trueRelativeEffect,
      s.experiment.trueRelativeLift,
      s.modelDrift.scoreMultiplier,
    ]).toEqual([0, 0, 1]);
    // The default keeps its built-in truth.
    const builtin = buildScenario(base);
    expect(builtin.incidents).toHaveLength(4);
    expect(builtin.missingPartitions).toHaveLength(1);
    expect(builtin.policy.trueRelativeEffect).toBe(0.3);
  });
});

describe('buildScenario labelRate', () => {
  it('sizes the prevalence labels, the default unchanged', () => {
    expect(buildScenario(base).labelRate).toBe(RATES.prevalence_labels);
    const sql = (labelRate?: number) =>
      generatorSql(buildScenario({ ...base, ...(labelRate ? { labelRate } : {}) })).find((q) =>
        q.includes('TABLE rows_prevalence_labels'),
      )!;
    expect(sql()).toContain(`floor(${1_000_000 * RATES.prevalence_labels} * w`);
    expect(sql(0.05)).toContain('floor(50000 * w');
    expect(() => buildScenario({ ...base, labelRate: 0 })).toThrow(/labelRate/);
    expect(() => buildScenario({ ...base, labelRate: 2 })).toThrow(/labelRate/);
  });
});
