import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runGaps } from '../../cli/commands/analyze-gaps.js';
import { run as runModels } from '../../cli/commands/analyze-models.js';
import { run as runReports } from '../../cli/commands/analyze-reports.js';
import { run as runExperiment } from '../../cli/commands/design-experiment.js';
import { run as runSampling } from '../../cli/commands/design-sampling.js';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import {
  analyzeGaps,
  analyzeModels,
  analyzeReports,
  designExperiment,
  designSampling,
  type GapResult,
  type ModelHealthResult,
  modelDriftByDay,
  type ReportFunnelResult,
} from '../../shared/analysis/index.js';
import { InputError } from '../../shared/errors.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { TMP_ROOT } from '../helpers/lake.js';

/**
 * The planted truths of a SCALES.small lake (28 days, 2M impressions), generated once for this file.
 * All lake-backed analysis tests live here so the lake is built by one process.
 */
const SEED = 5;
let lake: string;
let manifest: LakeManifest;
let engine: DuckDbQueryEngine;
let from: Date;
let to: Date;
let gaps: GapResult;
let reports: ReportFunnelResult;
let models: ModelHealthResult;
const out = path.join(TMP_ROOT, 'analysis-out');

beforeAll(async () => {
  lake = path.join(TMP_ROOT, `lake-analysis-small-${SEED}`);
  const file = path.join(lake, '_manifest.json');
  manifest = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf8'))
    : await generateLake(
        buildScenario({ seed: SEED, start: new Date('2026-01-01T00:00:00Z'), ...SCALES.small }),
        lake,
      );
  mkdirSync(out, { recursive: true });
  from = new Date(manifest.start);
  to = new Date(manifest.end);
  engine = await DuckDbQueryEngine.open({ lake });
  [gaps, reports, models] = await Promise.all([
    analyzeGaps({ engine, from, to }),
    analyzeReports({ engine, from, to }),
    analyzeModels({ engine, from, to }),
  ]);
});
afterAll(async () => {
  await engine?.close();
});

describe('enforcement gaps', () => {
  it('ranks the planted gap first among region × surface × policy slices, with its CI clear of zero', () => {
    const g = manifest.enforcement_gap;
    const planted = `policy=${g.policy};region=${g.region};surface=${g.surface}`;
    expect(gaps.top['region×surface×policy']).toBe(planted);
    const s = gaps.slices.find((x) => x.slice === planted)!;
    expect(s.rank).toBe(1);
    expect(s.shortfall_ci_low!).toBeGreaterThan(0);
    expect(s.exposure_ci_low!).toBeLessThan(s.violating_exposure!);
    expect(s.exposure_ci_high!).toBeGreaterThan(s.violating_exposure!);
    // far below the norm: few removals for a lot of violating exposure
    expect(s.removals_per_violating_impression!).toBeLessThan(
      gaps.norm_removals_per_violating_impression! / 3,
    );
    // The single dimensions point at the same place.
    expect(gaps.top.region).toBe(`region=${g.region}`);
    expect(gaps.top.policy).toBe(`policy=${g.policy}`);
  });

  it('marks slices with too few labels instead of ranking them', () => {
    const thin = gaps.slices.filter((x) => x.status === 'insufficient_labels');
    expect(thin.length).toBeGreaterThan(0);
    for (const x of thin) {
      expect(x.rank).toBeNull();
      expect(x.labels).toBeLessThan(gaps.min_labels);
    }
    // every ranked slice has enough labels
    for (const x of gaps.slices.filter((s) => s.rank !== null)) expect(x.labels).toBeGreaterThanOrEqual(200);
  });
});

describe('report funnel', () => {
  it('finds the reason whose reports are rarely actioned', () => {
    const w = manifest.weak_reason;
    expect(reports.weakest_reason).toBe(w.reason);
    expect(reports.low_precision_reasons.map((x) => x.reason)).toEqual([w.reason]);
    const row = reports.by_reason.find((x) => x.reason === w.reason)!;
    expect(Math.abs(row.precision! - w.actionRate)).toBeLessThan(0.01);
    for (const other of reports.by_reason.filter((x) => x.reason !== w.reason))
      expect(other.precision!).toBeGreaterThan(5 * row.precision!);
  });

  it('funnel counts add up and the backlog is aged as of the range end', () => {
    const t = reports.total;
    expect(t.decided + t.pending).toBeLessThanOrEqual(t.reports);
    expect(t.actioned).toBeLessThanOrEqual(t.decided);
    expect(Object.values(t.backlog).reduce((a, b) => a + b, 0)).toBe(t.pending);
    // the generator leaves half of the last two days pending
    expect(t.backlog.lt_1d + t.backlog['1d_2d']).toBeGreaterThan(t.backlog['2d_7d']);
    expect(t.resolution_hours_p50!).toBeLessThan(t.resolution_hours_p90!);
    expect(reports.by_reason.reduce((s, x) => s + x.reports, 0)).toBe(t.reports);
  });
});

describe('model health', () => {
  it('detects the model_score drift from its planted date and not before', () => {
    const start = manifest.model_drift.start;
    const m = models.models.find((x) => x.model === 'model_score')!;
    expect(m.first_drift_day).toBe(start);
    for (const d of m.drift) {
      if (d.day < start) expect(d.status, d.day).not.toBe('drift');
      else expect(d.status, d.day).toBe('drift');
    }
    // risk_score was not drifted
    const risk = models.models.find((x) => x.model === 'risk_score')!;
    expect(risk.drift.filter((d) => d.status === 'drift')).toEqual([]);
  });

  it('has outcomes, calibration and a monotone threshold table', () => {
    for (const m of models.models) {
      expect(m.labelled).toBeGreaterThan(100);
      expect(m.calibration.reduce((s, b) => s + b.n, 0)).toBe(m.labelled);
      const recall = m.thresholds.map((t) => t.recall!);
      for (let i = 1; i < recall.length; i++) expect(recall[i]!).toBeLessThanOrEqual(recall[i - 1]!);
    }
  });

  it('modelDriftByDay (for alerting) agrees with the full analysis', async () => {
    const daily = await modelDriftByDay({ engine, from, to, models: ['model_score'] });
    const full = models.models.find((x) => x.model === 'model_score')!.drift;
    expect(daily.map((d) => [d.day, d.status])).toEqual(full.map((d) => [d.day, d.status]));
    // a single day with the default reference window
    const one = await modelDriftByDay({
      engine,
      from: new Date(manifest.model_drift.start),
      to: new Date(new Date(manifest.model_drift.start).getTime() + 86_400_000),
      reference: { from, to: new Date(from.getTime() + 7 * 86_400_000) },
    });
    expect(one.find((d) => d.model === 'model_score')!.status).toBe('drift');
    expect(one.find((d) => d.model === 'risk_score')!.status).not.toBe('drift');
  });
});

describe('measurement design on the lake', () => {
  it('experiment: durations, CUPED reduction and a recommendation', async () => {
    const r = await designExperiment({ engine, from, to, metric: 'reports_per_user', mde: 0.1 });
    expect(r.durations.map((d) => d.days)).toEqual([7, 14, 21]);
    for (const d of r.durations) {
      expect(d.cuped_variance_reduction!).toBeGreaterThan(0.3);
      expect(d.mde_cuped!).toBeLessThan(d.mde!);
      expect(d.required_units_per_arm_cuped!).toBeLessThan(d.required_units_per_arm!);
    }
    expect(r.recommended_days_cuped).not.toBeNull();
    const share = await designExperiment({ engine, from, to, metric: 'reporting_user_share' });
    expect(share.kind).toBe('proportion');
    expect(share.durations[0]!.mean!).toBeGreaterThan(0);
    expect(share.durations[0]!.mean!).toBeLessThan(1);
  });

  it('sampling: Neyman beats uniform and spends the budget', async () => {
    const r = await designSampling({ engine, from, to, budget: 2000 });
    expect(r.strata.reduce((s, x) => s + x.neyman, 0)).toBe(2000);
    expect(r.ci_width.neyman).toBeLessThan(r.ci_width.uniform);
    expect(r.uniform_budget_for_neyman_width).toBeGreaterThan(2000);
    // the gap stratum has a high prevalence: it gets more than its impression share
    const g = manifest.enforcement_gap;
    const s = r.strata.find((x) => x.region === g.region && x.surface === g.surface)!;
    expect(s.neyman).toBeGreaterThan(s.uniform);
  });
});

describe('CLI commands', () => {
  const capture = async (fn: () => Promise<void>) => {
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    });
    try {
      await fn();
    } finally {
      spy.mockRestore();
    }
    return chunks.join('');
  };

  it('each command prints --json and writes --out', async () => {
    const file = path.join(out, 'gaps.json');
    const gapsJson = JSON.parse(await capture(() => runGaps({ lake, json: true, out: file })));
    expect(gapsJson.analysis).toBe('enforcement_gaps');
    expect(JSON.parse(readFileSync(file, 'utf8')).top).toEqual(gapsJson.top);
    const rep = JSON.parse(
      await capture(() => runReports({ lake, json: true, from: '2026-01-01', to: '2026-01-15' })),
    );
    expect(rep.analysis).toBe('report_funnel');
    expect(rep.as_of).toBe('2026-01-15T00:00:00Z');
    const mod = JSON.parse(await capture(() => runModels({ lake, json: true, models: 'model_score' })));
    expect(mod.models.map((m: { model: string }) => m.model)).toEqual(['model_score']);
    const exp = JSON.parse(
      await capture(() => runExperiment({ lake, json: true, metric: 'impressions_per_user' })),
    );
    expect(exp.analysis).toBe('experiment_design');
    const text = await capture(() => runSampling({ lake, budget: '1000' }));
    expect(text).toMatch(/CI width: Neyman/);
  });

  it.each([
    [() => runGaps({ lake, from: '2026-01-05T03:00:00Z' }), /--from .* is not aligned to the day/],
    [() => runGaps({ lake, minLabels: 'ten' }), /--min-labels must be an integer ≥ 1, got 'ten'/],
    [
      () => runModels({ lake, referenceFrom: '2026-01-01' }),
      /--reference-from and --reference-to go together/,
    ],
    [() => runModels({ lake, models: 'fraud_score' }), /unknown model 'fraud_score'/],
    [() => runExperiment({ lake, metric: 'nope' }), /--metric: unknown metric 'nope'/],
    [
      () => runExperiment({ lake, metric: 'reports_per_user', power: '1.5' }),
      /--power must be in \(0, 1\), got '1.5'/,
    ],
    [() => runSampling({ lake, budget: '0' }), /--budget must be an integer ≥ 1, got '0'/],
    [
      () => runGaps({ lake: path.join(out, 'missing'), from: '2026-01-01', to: '2026-01-02' }),
      /not a directory/,
    ],
  ])('bad input → InputError (exit 2) naming the flag: %#', async (fn, message) => {
    const err = await fn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });
});
