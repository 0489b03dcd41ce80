import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { run as policyCommand } from '../../cli/commands/policy-evaluate.js';
import { demoConfigYaml, Policy } from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { policyReadoutFromPanel } from '../../shared/policy/evaluate.js';
import type { PolicyPanel } from '../../shared/policy/panel.js';
import { createRng } from '../../shared/stats/random.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

let dir: string;
let manifest: LakeManifest;
const out = path.join(TMP_ROOT, 'policy-out');

beforeAll(async () => {
  ({ dir, manifest } = await tinyLake('experiments'));
  mkdirSync(out, { recursive: true });
}, 60_000);

/** The demo config plus extra policies (YAML list items) and optional team metrics. */
const withPolicies = (extra: string, metrics = '') => {
  const base = demoConfigYaml(manifest);
  return `${metrics ? base.replace('version: 1\n', `version: 1\nmetrics:\n${metrics}`) : base}${extra}`;
};

async function evaluate(yaml: string, policy: string, name = policy) {
  const config = path.join(out, `${name}.yaml`);
  const file = path.join(out, `${name}.json`);
  writeFileSync(config, yaml);
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await policyCommand({ lake: dir, config, policy, out: file, json: true });
  } finally {
    spy.mockRestore();
  }
  const text = readFileSync(file, 'utf8');
  expect(text).not.toMatch(/NaN|Infinity/);
  return { readout: JSON.parse(text), summary: JSON.parse(written.join('')), file };
}

const launch = () =>
  new Date(Date.parse(manifest.start) + 7 * 86_400_000).toISOString().replace('.000Z', 'Z');

describe('vigil policy evaluate', () => {
  it('one region: headline effect, per-region table, binned event study with leads, CS, synthetic control', async () => {
    const { readout: r, summary } = await evaluate(demoConfigYaml(manifest), 'de_hate_speech_enforcement');
    expect(r.schema).toBe('vigil.policy_readout/2');
    expect(r.treated_regions).toEqual(['DE']);
    expect(r.comparison_regions).not.toContain('DE');
    expect(r.effect.status).toBe('ok');
    expect(r.effect.inference).toBe('count_aware_t');
    expect(r.effect.relative_effect).toBeCloseTo(r.effect.att / r.effect.baseline, 12);
    expect(r.per_region[0].att).toBeCloseTo(r.effect.att, 9);
    // Leads are always there, and the reference bin is not an estimate.
    const leads = r.event_study.effects.filter((e: { event_time: number }) => e.event_time < 0);
    expect(leads.length).toBeGreaterThan(0);
    expect(r.event_study.effects.some((e: { event_time: number }) => e.event_time === 0)).toBe(true);
    expect(r.event_study.pre_trend.status).toBe('ok');
    expect(r.callaway_santanna.simple.se).toBeGreaterThan(0);
    expect(r.synthetic_control.per_region[0].weights).not.toHaveProperty('DE');
    // The CLI summary is the headline of the file, verbatim.
    expect(summary.effect).toEqual(r.effect);
    expect(summary.treated_regions).toEqual(r.treated_regions);
  }, 60_000);

  it('sparse prevalence in DE (a handful of violating labels, no planted effect) is not significant', async () => {
    const extra = `  - id: de_prevalence
    region: DE
    launch: "${manifest.policies[0]!.launch}"
    metric: violation_prevalence
    pre_days: 7
    post_days: 7
`;
    const { readout: r } = await evaluate(withPolicies(extra), 'de_prevalence');
    const de = r.per_region[0];
    console.log(
      `DE prevalence: ${de.pre.numerator}/${de.pre.denominator} before, ${de.post.numerator}/${de.post.denominator} after; effect ${r.effect.relative_effect} p ${r.effect.p_value} (${r.effect.status})`,
    );
    expect(de.pre.numerator).toBeLessThan(20);
    if (r.effect.status === 'ok') expect(r.effect.p_value).toBeGreaterThan(0.05);
    else expect(r.effect.p_value).toBeNull();
  }, 60_000);

  it('several regions, staggered launches, exclude_regions, a team metric, post_days past the data', async () => {
    const metrics = `  - name: hate_speech_removals_per_10k
    kind: ratio
    scale: 10000
    numerator: { source: moderation_decisions, agg: count, filter: [{ column: action, value: remove }, { column: policy, value: hate_speech }] }
    denominator: { source: impressions, agg: count }
    slices: [region]
`;
    const l0 = launch();
    const l1 = new Date(Date.parse(l0) + 2 * 86_400_000).toISOString().replace('.000Z', 'Z');
    const extra = `  - id: staggered
    regions: [BR, MX, DE]
    launch: { BR: "${l0}", MX: "${l1}", DE: "${l1}" }
    exclude_regions: [US]
    metric: hate_speech_removals_per_10k
    pre_days: 5
    post_days: 60
`;
    const { readout: r } = await evaluate(withPolicies(extra, metrics), 'staggered');
    expect(r.treated_regions.sort()).toEqual(['BR', 'DE', 'MX']);
    expect(r.excluded_regions).toEqual(['US']);
    expect(r.comparison_regions).not.toContain('US');
    expect(r.comparison_regions).not.toContain('BR');
    expect(r.launches.BR).toBe(l0);
    expect(r.per_region.map((x: { region: string }) => x.region).sort()).toEqual(['BR', 'DE', 'MX']);
    expect(r.effect.inference).toBe('randomization');
    expect(r.effect.inference_detail).toMatch(/assignments of 3 launch schedules/);
    expect(r.post_days_requested).toBe(60);
    expect(r.post_days).toBeLessThan(60);
    expect(r.notes.join('\n')).toMatch(/post_days 60 requested but the data ends on/);
    expect(r.callaway_santanna.group.effects.map((g: { group: string }) => g.group)).toEqual([
      l0.slice(0, 10),
      l1.slice(0, 10),
    ]);
    expect(r.synthetic_control.per_region).toHaveLength(3);
  }, 60_000);

  it('bad input: unknown policy, unknown metric, no region slice, launch not midnight, launch map mismatch', async () => {
    await expect(evaluate(demoConfigYaml(manifest), 'nope', 'never')).rejects.toThrow(
      /unknown policy 'nope'/,
    );
    expect(existsSync(path.join(out, 'never.json'))).toBe(false);
    const y = demoConfigYaml(manifest);
    expect(() =>
      parseExperimentConfig(y.replace('metric: removals_per_10k_impressions', 'metric: no_metric'), 'c'),
    ).toThrow(/policies\[0\]\.metric: unknown metric 'no_metric'/);
    const noRegion = withPolicies(
      '',
      '  - name: total_only\n    kind: count\n    source: impressions\n    slices: [surface]\n',
    ).replace('metric: removals_per_10k_impressions', 'metric: total_only');
    expect(() => parseExperimentConfig(noRegion, 'c')).toThrow(/metric 'total_only' has no region slice/);
    expect(() =>
      parseExperimentConfig(y.replace(/launch: "[^"]+"/, 'launch: "2026-01-08T05:00:00Z"'), 'c'),
    ).toThrow(/policies\[0\]\.launch: must be midnight UTC/);
    expect(() =>
      Policy.parse({ id: 'x', regions: ['BR', 'MX'], launch: { BR: '2026-01-08' }, metric: 'removals' }),
    ).toThrow(/no launch for treated region 'MX'/);
    expect(() =>
      Policy.parse({ id: 'x', region: 'BR', exclude_regions: ['BR'], launch: '2026-01-08', metric: 'm' }),
    ).toThrow(/'BR' is also treated/);
  });

  it('too little data → InputError', async () => {
    const late = demoConfigYaml(manifest).replace(/launch: "[^"]+"/, `launch: "${manifest.end}"`);
    await expect(evaluate(late, 'de_hate_speech_enforcement', 'late')).rejects.toThrow(
      /pre-launch|post-launch|no data/,
    );
  }, 30_000);

  it('needs at least 2 comparison regions; a treated region without events is not enough data (pure)', () => {
    const p = Policy.parse({
      id: 'x',
      region: 'DE',
      launch: '2026-01-08',
      metric: 'm',
      pre_days: 3,
      post_days: 3,
    });
    const days = ['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09', '2026-01-10'];
    const series = (k: number) => Float64Array.from(days, (_, i) => k + (i % 2));
    const panel = (regions: string[], zeroDe = false): PolicyPanel => ({
      regions,
      days,
      num: new Map(
        regions.map((r, i) => [r, zeroDe && r === 'DE' ? new Float64Array(days.length) : series(i + 1)]),
      ),
      den: new Map(regions.map((r) => [r, Float64Array.from(days, () => 100)])),
      ratio: true,
    });
    expect(() => policyReadoutFromPanel(p, panel(['DE', 'US']))).toThrow(/at least 2 comparison regions/);
    const r = policyReadoutFromPanel(p, panel(['DE', 'US', 'BR', 'IN'], true));
    expect(r.effect.status).toBe('not_enough_data');
    expect(r.effect.p_value).toBeNull();
    expect(r.effect.reason).toMatch(/no events/);
  });

  it('the issue case: DE 3 violating of 599 labels before, 5 of 593 after, no effect → not significant (pure)', () => {
    // Nine regions × 14 days of weighted label sums (weight 70 per label); DE's daily counts sum
    // to exactly 3/599 and 5/593, the others are drawn at the same 0.7% prevalence.
    const days = Array.from({ length: 14 }, (_, i) => `2026-01-${String(i + 8).padStart(2, '0')}`);
    const rng = createRng(5);
    const regions = ['BR', 'DE', 'GB', 'ID', 'IN', 'JP', 'MX', 'NG', 'US'];
    const num = new Map<string, Float64Array>();
    const den = new Map<string, Float64Array>();
    const deViolating = [0, 1, 0, 0, 2, 0, 0, 1, 0, 1, 0, 2, 1, 0];
    const deLabels = [85, 86, 85, 86, 85, 86, 86, 85, 84, 85, 85, 84, 85, 85];
    for (const r of regions) {
      const n = new Float64Array(days.length);
      const d = new Float64Array(days.length);
      const size = r === 'DE' ? 0 : 200 + 1500 * rng.uniform();
      days.forEach((_, t) => {
        const labels = r === 'DE' ? deLabels[t]! : Math.round(size);
        let violating = r === 'DE' ? deViolating[t]! : 0;
        if (r !== 'DE') for (let k = 0; k < labels; k++) if (rng.uniform() < 0.007) violating++;
        n[t] = 70 * violating;
        d[t] = 70 * labels;
      });
      num.set(r, n);
      den.set(r, d);
    }
    const sum = (a: Float64Array, lo: number, hi: number) => a.slice(lo, hi).reduce((x, y) => x + y, 0) / 70;
    expect([sum(num.get('DE')!, 0, 7), sum(den.get('DE')!, 0, 7)]).toEqual([3, 599]);
    expect([sum(num.get('DE')!, 7, 14), sum(den.get('DE')!, 7, 14)]).toEqual([5, 593]);
    const p = Policy.parse({
      id: 'de_prev',
      region: 'DE',
      launch: '2026-01-15',
      metric: 'violation_prevalence',
    });
    const r = policyReadoutFromPanel(p, { regions, days, num, den, ratio: true });
    console.log(
      `issue case: relative ${r.effect.relative_effect} CI [${r.effect.relative_ci_low}, ${r.effect.relative_ci_high}] p ${r.effect.p_value} (${r.effect.inference})`,
    );
    expect(r.effect.status).toBe('ok');
    expect(r.effect.p_value).toBeGreaterThan(0.2);
    expect(r.effect.relative_ci_low).toBeLessThan(0);

    // As on the demo lake: sample weights from 100 to 1000, and the few violating labels after the
    // launch happen to carry large weights, so the weighted prevalence reads about +300%.
    const wnum = new Map(num);
    const wden = new Map(den);
    const weights = (t: number, k: number) => 100 + ((t * 37 + k * 101) % 901);
    wden.set(
      'DE',
      Float64Array.from(days, (_, t) =>
        Array.from({ length: deLabels[t]! }, (_, k) => weights(t, k)).reduce((a, b) => a + b, 0),
      ),
    );
    const heavy = [0, 250, 0, 0, 500, 0, 0, 1000, 0, 1000, 0, 1150, 100, 0];
    wnum.set('DE', Float64Array.from(heavy));
    const w = policyReadoutFromPanel(p, { regions, days, num: wnum, den: wden, ratio: true });
    console.log(`weighted issue case: relative ${w.effect.relative_effect} p ${w.effect.p_value}`);
    expect(w.effect.relative_effect!).toBeGreaterThan(3);
    expect(w.effect.p_value!).toBeGreaterThan(0.05);
  });
});
