import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import * as z from 'zod';
import { ConfigFile, exportConfig, validateConfig } from '../../shared/config/file.js';
import { coreCatalog } from '../../shared/config/load.js';
import { parseConfig } from '../../shared/config/read.js';
import { unitOf } from '../../shared/config/units.js';
import { InputError } from '../../shared/errors.js';
import { vigil } from '../helpers/cli.js';
import { TMP_ROOT } from '../helpers/lake.js';

const CORE = coreCatalog().metrics.map((m) => m.name);

/** A team's file using every part: own metrics, a core override, experiments, policies, routing, calendar. */
const FULL = {
  version: 1,
  sources: { user_reports: { table: 'reports_v2', columns: { region: 'country' } } },
  metrics: [
    {
      name: 'minor_safety_removals_per_10k',
      kind: 'ratio',
      scale: 10000,
      unit: 'per10k',
      numerator: {
        source: 'moderation_decisions',
        agg: 'count',
        filter: [
          { column: 'action', value: 'remove' },
          { column: 'policy', value: 'minor_safety' },
        ],
      },
      denominator: { source: 'impressions', agg: 'count' },
      slices: ['region'],
      team: 'child-safety',
      owner: 'cs-oncall@example.com',
      detection: { direction: 'up', sensitivity: 0.6 },
    },
    { name: 'removals', team: 'enforcement', detection: { direction: 'up' } },
  ],
  experiments: [
    {
      id: 'report_flow_v2',
      variants: [
        { name: 'control', weight: 1 },
        { name: 'treatment', weight: 1 },
      ],
      start: '2026-01-10',
      end: '2026-01-24',
      metrics: [
        {
          name: 'reports',
          role: 'primary',
          kind: 'count',
          source: 'user_reports',
          unit_column: 'reporter_id',
        },
      ],
    },
  ],
  policies: [
    {
      id: 'br_strict',
      regions: ['BR', 'MX'],
      launch: '2026-01-15T00:00:00Z',
      // A metric of the file: policies name any metric in effect with a region slice.
      metric: 'minor_safety_removals_per_10k',
    },
  ],
  alerting: {
    sinks: {
      pager: {
        type: 'sns',
        topic_arn: 'arn:aws:sns:us-east-1:123456789012:pager',
        attributes: { env: 'prod' },
      },
      chat: { type: 'webhook', url: 'https://hooks.example.com/T000/B000' },
      log: { type: 'file', path: 'alerts.jsonl' },
    },
    routes: [
      { min_severity: 'high', team: 'child-safety', sinks: ['pager', 'chat'], stop: true },
      { kind: 'data_quality', metric: 'impressions', sinks: ['chat'] },
      { sinks: ['log'] },
    ],
  },
  calendar: [
    { id: 'carnival', kind: 'holiday', start: '2026-02-14', end: '2026-02-18', regions: ['BR'] },
    {
      id: 'lake_migration',
      kind: 'outage',
      start: '2026-03-01T02:00:00Z',
      end: '2026-03-01T05:00:00Z',
      suppress: true,
    },
  ],
};

function errorOf(raw: unknown): string {
  try {
    validateConfig(raw, 'vigil.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error('expected the config to be refused');
}

const withMetrics = (...metrics: unknown[]) => ({ version: 1, metrics });
const count = (name: string, extra: object = {}) => ({
  name,
  kind: 'count',
  source: 'user_reports',
  ...extra,
});

describe('vigil.yaml: one file, every key optional', () => {
  it('an empty file (or none) is the core catalog', () => {
    for (const raw of [null, {}, { version: 1 }]) {
      const c = validateConfig(raw, 'vigil.yaml');
      expect(c.metrics.map((m) => m.name)).toEqual(CORE);
      expect(c).toMatchObject({
        experiments: [],
        policies: [],
        calendar: [],
        alerting: { sinks: {}, routes: [] },
      });
    }
    expect(parseConfig('', 'empty.yaml').metrics).toHaveLength(CORE.length);
  });

  it('metrics extend the core catalog; a full definition with a core name replaces it in place', () => {
    const c = validateConfig(withMetrics(count('spam_reports'), count('removals', { team: 'x' })));
    expect(c.metrics.map((m) => m.name)).toEqual([...CORE, 'spam_reports']);
    const removals = c.metrics.find((m) => m.name === 'removals')!;
    expect(removals).toMatchObject({ source: 'user_reports', team: 'x' });
    expect(c.metrics.indexOf(removals)).toBe(CORE.indexOf('removals'));
  });

  it('an entry without kind changes a core metric: detection merged field by field, the rest replaced', () => {
    const c = validateConfig(
      withMetrics({
        name: 'decision_latency_p90_seconds',
        detection: { sensitivity: 0.5 },
        slices: ['region'],
        owner: 'ops',
      }),
    );
    const m = c.metrics.find((x) => x.name === 'decision_latency_p90_seconds')!;
    const core = coreCatalog().metrics.find((x) => x.name === 'decision_latency_p90_seconds')!;
    expect(m.detection).toMatchObject({
      direction: 'up',
      sensitivity: 0.5,
      sliceSensitivity: 0.1,
      minRelativeChange: 1,
    });
    expect(m).toMatchObject({ kind: 'percentile', slices: ['region'], owner: 'ops', percentile: 0.9 });
    expect(unitOf(m)).toBe('seconds');
    expect(core.slices).toEqual(['region', 'surface', 'policy']); // the catalog itself is untouched
  });

  it('include_core: false runs only the file; a list keeps just those core metrics', () => {
    expect(validateConfig({ include_core: false, metrics: [count('a')] }).metrics.map((m) => m.name)).toEqual(
      ['a'],
    );
    expect(
      validateConfig({ include_core: ['user_reports', 'impressions'], metrics: [count('a')] }).metrics.map(
        (m) => m.name,
      ),
    ).toEqual(['impressions', 'user_reports', 'a']);
  });

  it('the full example validates, and its export resolves to the same config', () => {
    const c = validateConfig(FULL, 'vigil.yaml');
    expect(c.metrics).toHaveLength(CORE.length + 1);
    expect(c.metrics.find((m) => m.name === 'removals')).toMatchObject({
      team: 'enforcement',
      detection: { direction: 'up' },
    });
    expect(c.calendar.map((e) => [e.id, e.start, e.suppress])).toEqual([
      ['carnival', '2026-02-14T00:00:00.000Z', false],
      ['lake_migration', '2026-03-01T02:00:00.000Z', true],
    ]);
    const exported = exportConfig(c);
    expect(exported.include_core).toBe(false);
    const again = validateConfig(JSON.parse(JSON.stringify(exported)), 'export');
    expect(exportConfig(again)).toEqual(exported);
    expect(again.metrics.map((m) => m.name)).toEqual(c.metrics.map((m) => m.name));
  });

  it.each([
    [{ metrcs: [] }, /^vigil\.yaml: \(root\): Unrecognized key: "metrcs"/],
    [{ version: 2 }, /^vigil\.yaml: version: .*\(got 2\)/],
    [
      withMetrics(count('a'), count('b', { detection: { sensitivity: 3 } })),
      /^vigil\.yaml: metrics\[1\]\.detection\.sensitivity: .*<=1.*\(got 3\)/,
    ],
    [withMetrics(count('a', { kind: 'median' })), /^vigil\.yaml: metrics\[0\]\.kind: .*\(got "median"\)/],
    [
      withMetrics(count('a', { slices: ['regoin'] })),
      /^vigil\.yaml: metrics\[0\]\.slices\[0\]: unknown dimension 'regoin'/,
    ],
    [withMetrics(count('a', { unit: 'bananas' })), /^vigil\.yaml: metrics\[0\]\.unit: .*\(got "bananas"\)/],
    [withMetrics(count('a'), count('a')), /^vigil\.yaml: metrics\[1\]\.name: duplicate metric name 'a'/],
    [
      withMetrics({ name: 'my_metric', detection: {} }),
      /^vigil\.yaml: metrics\[0\]: 'my_metric' is not a core metric in effect: a new metric needs a kind/,
    ],
    [
      withMetrics({ name: 'removals', source: 'x' }),
      /^vigil\.yaml: metrics\[0\]: Unrecognized key: "source"/,
    ],
    [
      { include_core: ['impressions', 'impresions'] },
      /^vigil\.yaml: include_core\[1\]: 'impresions' is not a core catalog metric/,
    ],
    [
      { include_core: false, metrics: [{ name: 'removals', team: 't' }] },
      /metrics\[0\]: 'removals' is not a core metric in effect/,
    ],
    [
      { sources: { impressions: { table: 'imp; DROP TABLE x' } } },
      /^vigil\.yaml: sources\.impressions\.table: must be a simple identifier/,
    ],
    [
      { calendar: [{ id: 'x', start: '2026-02-10', end: '2026-02-09' }] },
      /^vigil\.yaml: calendar\[0\]\.end: must be after start/,
    ],
    [
      { calendar: [{ id: 'x', start: '2026-02-30', end: '2026-03-09' }] },
      /^vigil\.yaml: calendar\[0\]\.start: must be an ISO-8601 UTC date .*\(got "2026-02-30"\)/,
    ],
    [
      { calendar: [{ id: 'x', start: '2026-02-01', end: '2026-02-02', metrics: ['nope'] }] },
      /^vigil\.yaml: calendar\[0\]\.metrics\[0\]: unknown metric 'nope'/,
    ],
    [
      { calendar: [{ id: 'x', start: '2026-02-01', end: '2026-02-02', supress: true }] },
      /^vigil\.yaml: calendar\[0\]: Unrecognized key: "supress"/,
    ],
    [
      { alerting: { routes: [{ sinks: ['pager'] }] } },
      /^vigil\.yaml: alerting\.routes\[0\]\.sinks\[0\]: unknown sink 'pager'/,
    ],
    [
      { alerting: { sinks: { chat: { type: 'webhook', url: 'http://hooks.example.com/x' } } } },
      /^vigil\.yaml: alerting\.sinks\.chat\.url: must be https/,
    ],
    [
      { alerting: { sinks: { p: { type: 'sns', topic_arn: 'arn:aws:sqs:us-east-1:1:q' } } } },
      /^vigil\.yaml: alerting\.sinks\.p\.topic_arn: must be an SNS topic ARN/,
    ],
    [
      { alerting: { sinks: { p: { type: 'sns', attributes: { severity: 'x' } } } } },
      /alerting\.sinks\.p\.attributes\.severity: is set by Vigil itself/,
    ],
    [
      { alerting: { sinks: { p: { type: 'sns', attributes: { a: '1', b: '2', c: '3' } } } } },
      /alerting\.sinks\.p\.attributes: at most 2/,
    ],
    [
      { alerting: { sinks: { p: { type: 'pagerduty' } } } },
      /^vigil\.yaml: alerting\.sinks\.p\.type: .*\(got "pagerduty"\)/,
    ],
    [
      { alerting: { sinks: { l: { type: 'stdout' } }, routes: [{ metric: 'removels', sinks: ['l'] }] } },
      /alerting\.routes\[0\]\.metric\[0\]: unknown metric 'removels'/,
    ],
    [
      { alerting: { sinks: { l: { type: 'stdout' } }, routes: [{ severity: 'urgent', sinks: ['l'] }] } },
      /alerting\.routes\[0\]\.severity: .*\(got "urgent"\)/,
    ],
    [
      { policies: [{ ...FULL.policies[0], metric: 'unique_reporters_x' }] },
      /^vigil\.yaml: policies\[0\]\.metric: unknown/,
    ],
    [
      { experiments: [FULL.experiments[0], FULL.experiments[0]] },
      /^vigil\.yaml: experiments\[1\]\.id: duplicate id 'report_flow_v2'/,
    ],
  ])('refuses %j with one line naming the path and value', (raw, message) => {
    expect(errorOf(raw)).toMatch(message);
  });

  it('a data_quality route may name a source; a metric_incident route only metrics', () => {
    const sinks = { l: { type: 'stdout' } };
    expect(() =>
      validateConfig({
        alerting: { sinks, routes: [{ kind: 'data_quality', metric: 'moderation_decisions', sinks: ['l'] }] },
      }),
    ).not.toThrow();
    expect(
      errorOf({
        alerting: {
          sinks,
          routes: [{ kind: 'metric_incident', metric: 'moderation_decisions', sinks: ['l'] }],
        },
      }),
    ).toMatch(/unknown metric 'moderation_decisions'/);
  });
});

describe('vigil config schema / validate', () => {
  let schema: Record<string, unknown>;
  const dir = path.join(TMP_ROOT, 'config-file');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    const r = vigil(['config', 'schema']);
    expect(r.status).toBe(0);
    schema = JSON.parse(r.stdout);
  });

  it('emits the JSON Schema of the whole file, every top-level key optional', () => {
    const props = schema.properties as Record<string, unknown>;
    expect(Object.keys(props).sort()).toEqual(
      [
        'alerting',
        'calendar',
        'experiments',
        'include_core',
        'metrics',
        'policies',
        'sources',
        'version',
      ].sort(),
    );
    expect(schema.required ?? []).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.stringify(schema)).toEqual(
      JSON.stringify(z.toJSONSchema(ConfigFile, { io: 'input', unrepresentable: 'any' })).replace(
        /^\{/,
        `{"title":"Vigil config (vigil.yaml)",`,
      ),
    );
  });

  it('the schema itself accepts the full example and refuses broken ones (read back with zod fromJSONSchema)', () => {
    const check = z.fromJSONSchema(schema as never);
    expect(check.safeParse(JSON.parse(JSON.stringify(FULL))).success).toBe(true);
    expect(check.safeParse({}).success).toBe(true);
    expect(
      check.safeParse({ calendar: [{ id: 'x', start: '2026-01-01', end: '2026-01-02', suppres: true }] })
        .success,
    ).toBe(false);
    expect(check.safeParse({ metrics: [{ name: 'Bad Name', kind: 'count', source: 'x' }] }).success).toBe(
      false,
    );
    expect(check.safeParse({ alerting: { sinks: { a: { type: 'carrier_pigeon' } } } }).success).toBe(false);
  });

  it('validate: exit 0 and a summary for a good file, exit 2 and one line for a bad one', () => {
    const good = path.join(dir, 'vigil.yaml');
    writeFileSync(good, stringify(FULL));
    const ok = vigil(['config', 'validate', good, '--json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      valid: true,
      experiments: ['report_flow_v2'],
      policies: ['br_strict'],
      sinks: ['pager', 'chat', 'log'],
      routes: 3,
      calendar: ['carnival', 'lake_migration'],
    });
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ ...FULL, calendar: [{ ...FULL.calendar[0], regions: [] }] }));
    const r = vigil(['config', 'validate', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml: calendar\[0\]\.regions: .*\(got \[\]\)/);
  });

  it('export writes JSON that validates to the same catalog (the form the AWS jobs read)', () => {
    const good = path.join(dir, 'vigil.yaml');
    writeFileSync(good, stringify(FULL));
    const r = vigil(['config', 'export', good]);
    expect(r.status).toBe(0);
    const json = path.join(dir, 'vigil.json');
    writeFileSync(json, r.stdout);
    const back = vigil(['config', 'validate', json, '--json']);
    expect(back.status).toBe(0);
    expect(JSON.parse(back.stdout).metrics).toEqual(validateConfig(FULL).metrics.map((m) => m.name));
  });
});
