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
import { parseSliceKey, type Slice } from '../../shared/slices/slice.js';
import { tinyLake } from '../helpers/lake.js';

const sl = (key: string) => parseSliceKey(key);
const keyOf = (s: Slice | 'other') => (s === 'other' ? s : s.key);

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
  slice: sl('region=US'),
  observed: 90,
  expected: 40,
  score: 0.95,
  direction: 'up',
  severity: 'high',
  slices: [sl('region=NG'), sl('region=US'), sl('surface=message')],
  topSlices: [
    { slice: sl('region=US'), observed: 60, expected: 20, contribution: 0.8 },
    { slice: sl('region=NG'), observed: 3, expected: 1, contribution: 0.04 },
    { slice: sl('surface=message'), observed: 4, expected: 2, contribution: 0.04 },
  ],
};

describe('small-slice suppression (k distinct users)', () => {
  it('slices under k are merged into "other" in findings, hence in alerts', async () => {
    const users = await countSliceUsers(engine, config, 'day', [
      { metric: 'user_reports', t, slices: [sl('region=US'), sl('region=NG'), sl('surface=message')] },
    ]);
    const n = (s: string) => users.get(JSON.stringify(['user_reports', t, s]))!;
    expect(n('region=US')).toBeGreaterThan(n('region=NG'));
    const k = n('region=NG') + 1; // NG is just under k
    const [safe] = await protectFindings([finding], {
      engine,
      config,
      grain: 'day',
      privacy: { minSliceUsers: k },
    });
    for (const s of [...safe!.slices, ...safe!.topSlices.map((x) => x.slice)])
      expect(s === OTHER_SLICE || n(s.key) >= k).toBe(true);
    expect(safe!.suppressed).toBeUndefined();
    expect(safe!.hiddenSlices).toBe(1);
    expect(safe!.topSlices.map((x) => keyOf(x.slice))).toContain(OTHER_SLICE);
    const everything = await protectFindings([finding], {
      engine,
      config,
      grain: 'day',
      privacy: { minSliceUsers: 1e9 },
    });
    expect(everything[0]!.suppressed).toBe(true);
    expect(everything[0]!.slices).toEqual([]);
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
    expect(json).not.toMatch(/region=NG|region=US|surface=message/);
    expect(step.alert).toMatchObject({ slice: OTHER_SLICE, sliceSuppressed: true, regions: [] });
    expect(json).not.toMatch(/\b(imp|dec|rep)_\d+|\bcr?\d+\b|\bu[A-Z]{2}_\d+/);
  });

  it('report rows of small slices are left out; totals stay', () => {
    const rows = [{ slice: sl('') }, { slice: sl('region=US') }, { slice: sl('region=NG') }];
    expect(suppressSmallSlices(rows, (s) => s.key !== 'region=NG')).toEqual([
      { slice: sl('') },
      { slice: sl('region=US') },
    ]);
  });
});
