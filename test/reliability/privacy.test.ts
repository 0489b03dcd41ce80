import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import type { Finding } from '../../shared/alerting/findings.js';
import { stepIncident } from '../../shared/alerting/incidents.js';
import { coreCatalog } from '../../shared/config/load.js';
import {
  countSliceUsers,
  OTHER_SLICE,
  protectFindings,
  suppressSmallSlices,
} from '../../shared/privacy/k-anonymity.js';
import { tinyLake } from '../helpers/lake.js';

let engine: DuckDbQueryEngine;
const config = coreCatalog();
const t = Date.parse('2026-01-04T00:00:00Z');

beforeAll(async () => {
  engine = await DuckDbQueryEngine.open({ lake: (await tinyLake('reliability')).dir });
});
afterAll(() => engine?.close());

const finding: Finding = {
  kind: 'metric_incident',
  metric: 'user_reports',
  t,
  slice: 'region=US',
  observed: 90,
  expected: 40,
  score: 0.95,
  direction: 'up',
  severity: 'high',
  slices: ['region=NG', 'region=US', 'surface=message'],
  topSlices: [
    { slice: 'region=US', observed: 60, expected: 20, contribution: 0.8 },
    { slice: 'region=NG', observed: 3, expected: 1, contribution: 0.04 },
    { slice: 'surface=message', observed: 4, expected: 2, contribution: 0.04 },
  ],
};

describe('small-slice suppression (k distinct users)', () => {
  it('slices under k are merged into "other" in findings, hence in alerts', async () => {
    const users = await countSliceUsers(engine, config, 'day', [
      { metric: 'user_reports', t, slices: ['region=US', 'region=NG', 'surface=message'] },
    ]);
    const n = (s: string) => users.get(`user_reports@${t}@${s}`)!;
    expect(n('region=US')).toBeGreaterThan(n('region=NG'));
    const k = n('region=NG') + 1; // NG is just under k
    const [safe] = await protectFindings([finding], {
      engine,
      config,
      grain: 'day',
      privacy: { minSliceUsers: k },
    });
    for (const s of [...safe!.slices, ...safe!.topSlices.map((x) => x.slice), safe!.slice])
      expect(s === OTHER_SLICE || n(s) >= k).toBe(true);
    expect(safe!.topSlices.map((x) => x.slice)).toContain(OTHER_SLICE);
    const everything = await protectFindings([finding], {
      engine,
      config,
      grain: 'day',
      privacy: { minSliceUsers: 1e9 },
    });
    expect(everything[0]!.slice).toBe(OTHER_SLICE);
    expect(everything[0]!.topSlices).toEqual([
      { slice: OTHER_SLICE, observed: null, expected: null, contribution: 0.88 },
    ]);
    const off = await protectFindings([finding], {
      engine,
      config,
      grain: 'day',
      privacy: { minSliceUsers: 1 },
    });
    expect(off[0]).toEqual(finding);
    // The alert built from a protected finding names no small slice and carries no ids.
    const step = stepIncident(undefined, everything[0], {
      t,
      grain: 'hour',
      resolveAfter: 2,
      cooldown: 3,
      reportUrl: () => 'report.html#x',
    });
    const json = JSON.stringify(step.alert);
    expect(json).not.toMatch(/region=NG|surface=message/);
    expect(json).not.toMatch(/\b(imp|dec|rep)_\d+|\bcr?\d+\b|\bu[A-Z]{2}_\d+/);
  });

  it('report rows of small slices are left out; totals stay', () => {
    const rows = [{ slice: '' }, { slice: 'region=US' }, { slice: 'region=NG' }];
    expect(suppressSmallSlices(rows, (s) => s !== 'region=NG')).toEqual([
      { slice: '' },
      { slice: 'region=US' },
    ]);
  });
});
