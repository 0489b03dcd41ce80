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

describe('buildScenario noise', () => {
  const rows = (noise?: number) =>
    generatorSql(buildScenario({ ...base, ...(noise === undefined ? {} : { noise }) })).filter((q) =>
      q.includes('CREATE OR REPLACE TABLE rows_'),
    );
  it('adds no factor at 0, so a noise-free lake is the same SQL as without the option', () => {
    expect(rows(0)).toEqual(rows());
    expect(rows().join('')).not.toContain('traffic_day');
  });
  it('shares one traffic factor across sources and gives every other source its own rate factor', () => {
    const [impressions, ...others] = rows(0.1);
    expect(impressions).toContain("'traffic_day1'");
    expect(impressions).not.toContain('_rate1');
    for (const q of others) {
      expect(q).toContain("'traffic_day1'");
      expect(q).toMatch(/'(moderation_decisions|user_reports|account_events|prevalence_labels)_rate1'/);
    }
    expect(() => buildScenario({ ...base, noise: 1.5 })).toThrow(/noise must be in \[0, 1\], got 1.5/);
  });
});
