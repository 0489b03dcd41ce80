import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePositiveInt, parseRange } from '../../cli/options.js';
import { parseEvent, RerunPayload, ScheduleEvent } from '../../functions/lib/events.js';
import { coreCatalog, selectMetrics, validateMetricConfig } from '../../shared/config/load.js';
import type { MetricConfig } from '../../shared/config/schema.js';
import { InputError } from '../../shared/errors.js';
import { planMetrics } from '../../shared/metrics/plan.js';
import { renderPlan } from '../../shared/metrics/sql-render.js';
import { athenaDialect, type Dialect, duckdbDialect } from '../../shared/sql/dialect.js';
import { quoteIdent, quoteString } from '../../shared/sql/literals.js';
import { parseUtc, type Window, windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT } from '../helpers/lake.js';

/**
 * Hostile input: no config value, identifier, CLI flag or Lambda payload can change the meaning of
 * generated SQL. Each property renders the SQL for a hostile input and for a benign one, parses
 * both with DuckDB's own parser (json_serialize_sql, the SQL passed as a bound parameter) and
 * requires the same tree, with the hostile value back as one constant (or one identifier).
 */
let db: DuckDBInstance;
let conn: DuckDBConnection;
const counts: Record<string, number> = {};
const RUNS = 250;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
  mkdirSync(path.join(TMP_ROOT, 'reliability'), { recursive: true });
  writeFileSync(path.join(TMP_ROOT, 'reliability', 'hostile-counts.json'), JSON.stringify(counts, null, 1));
});

function count(name: string): void {
  counts[name] = (counts[name] ?? 0) + 1;
}

async function parseTree(sql: string): Promise<unknown> {
  const r = await conn.runAndReadAll('SELECT json_serialize_sql(CAST($1 AS VARCHAR)) AS j', [sql]);
  const tree = JSON.parse(String(r.getRows()[0]![0])) as { error: boolean; error_message?: string };
  if (tree.error) throw new Error(`does not parse: ${tree.error_message}`);
  return tree;
}

/** The tree with positions dropped, constants reduced to a marker (values collected), identifiers optionally too. */
function shape(node: unknown, consts: unknown[], idents: string[], hideIdents: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => shape(n, consts, idents, hideIdents));
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  if (o.class === 'CONSTANT') {
    const v = o.value as { value: unknown; is_null: boolean };
    consts.push(v.is_null ? null : v.value);
    return { class: 'CONSTANT' };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'query_location') continue;
    if (
      k === 'column_names' ||
      (k === 'table_name' && typeof v === 'string') ||
      (k === 'alias' && v !== '')
    ) {
      const names = Array.isArray(v) ? (v as string[]) : [String(v)];
      idents.push(...names);
      out[k] = hideIdents ? names.map(() => '?') : v;
      continue;
    }
    out[k] = shape(v, consts, idents, hideIdents);
  }
  return out;
}

async function treeOf(sqls: string[], hideIdents = false) {
  const consts: unknown[] = [];
  const idents: string[] = [];
  const shapes: unknown[] = [];
  for (const sql of sqls) shapes.push(shape(await parseTree(sql), consts, idents, hideIdents));
  return { shapes: JSON.stringify(shapes), consts, idents };
}

const DIALECTS: Dialect[] = [duckdbDialect, athenaDialect('vigil_lake')];
const DAY: Window[] = windowsInRange(
  'hour',
  new Date('2026-01-05T00:00:00Z'),
  new Date('2026-01-05T03:00:00Z'),
);

function render(cfg: MetricConfig, d: Dialect, windows: readonly Window[] = DAY): string[] {
  const plan = planMetrics(cfg, 'hour', windows[0]!.start, windows.at(-1)!.end);
  return renderPlan(plan, cfg, d).map((q) => q.sql);
}

function configWith(filter: unknown[], sources: unknown = {}): unknown {
  return {
    version: 1,
    sources,
    metrics: [
      { name: 'm', kind: 'count', source: 'user_reports', filter, slices: ['region', 'reason'] },
      {
        name: 'r',
        kind: 'ratio',
        numerator: { source: 'user_reports', agg: 'count', filter },
        denominator: { source: 'impressions', agg: 'count_distinct', column: 'viewer_id' },
        slices: ['region'],
      },
    ],
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FRAGMENTS = [
  "'",
  "''",
  '"',
  '""',
  '--',
  '/*',
  '*/',
  ';',
  '\\',
  "\\'",
  '\n',
  '\r',
  '\t',
  '\u2028',
  '\u0000',
  'ʼ',
  '＇',
  '＂',
  '$$',
  '$x$',
  "E'",
  "U&'",
  '%',
  '_',
  '?',
  '$1',
  ':x',
  'SELECT',
  'DROP TABLE impressions',
  "' OR '1'='1",
  "'); DELETE FROM x; --",
  'union all select',
  '😀',
  'é',
  '\u202e',
  '\ufeff',
  ' ',
];
const hostileString = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }).map((a) => a.join('')),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc
    .tuple(fc.constantFrom(...FRAGMENTS), fc.integer({ min: 900, max: 1200 }))
    .map(([f, n]) => f.repeat(Math.ceil(n / Math.max(1, f.length))).slice(0, n)),
);

async function expectSameMeaning(hostile: unknown, benign: unknown, value?: unknown) {
  let cfg: MetricConfig;
  try {
    cfg = validateMetricConfig(hostile, 'hostile');
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    count('rejected by the config schema');
    return;
  }
  const ref = validateMetricConfig(benign, 'benign');
  for (const d of DIALECTS) {
    let sqls: string[];
    try {
      sqls = render(cfg, d);
    } catch (err) {
      expect(err).toBeInstanceOf(InputError); // a NUL character
      count('rejected by literal quoting (NUL)');
      return;
    }
    const a = await treeOf(sqls);
    const b = await treeOf(render(ref, d));
    expect(a.shapes).toBe(b.shapes);
    if (value !== undefined && !(typeof value === 'string' && LONE_SURROGATE.test(value)))
      expect(a.consts).toContainEqual(value);
  }
}

describe('config values cannot change the SQL', () => {
  it('string filter values (eq/ne/gt/…) stay one string constant', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, fc.constantFrom('eq', 'ne', 'gte', 'lt'), async (v, op) => {
        count('config: string filter values');
        await expectSameMeaning(
          configWith([{ column: 'reason', op, value: v }]),
          configWith([{ column: 'reason', op, value: 'x' }]),
          v,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('list values (in/not_in) stay a list of constants', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileString, { minLength: 1, maxLength: 5 }), async (vs) => {
        count('config: list filter values');
        await expectSameMeaning(
          configWith([{ column: 'status', op: 'in', value: vs }]),
          configWith([{ column: 'status', op: 'in', value: vs.map(() => 'x') }]),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('numeric and boolean values stay one constant', async () => {
    const num = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean());
    await fc.assert(
      fc.asyncProperty(num, async (v) => {
        count('config: numeric/boolean values');
        const benign =
          typeof v === 'boolean'
            ? true
            : Number.isInteger(v)
              ? v < 0 || Object.is(v, -0)
                ? -1
                : 1
              : v < 0
                ? -0.5
                : 0.5;
        await expectSameMeaning(
          configWith([{ column: 'reason', op: 'gt', value: v }]),
          configWith([{ column: 'reason', op: 'gt', value: benign }]),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('identifiers: anything but a simple identifier is refused, keywords are quoted', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileString.filter((n) => !(n in Object.prototype)),
        async (name) => {
          count('config: identifiers (names, columns, tables)');
          for (const raw of [
            { version: 1, metrics: [{ name, kind: 'count', source: 'impressions' }] },
            { version: 1, metrics: [{ name: 'm', kind: 'count', source: name }] },
            { version: 1, metrics: [{ name: 'm', kind: 'count', source: 'impressions', slices: [name] }] },
            {
              version: 1,
              sources: { impressions: { table: name } },
              metrics: [{ name: 'm', kind: 'count', source: 'impressions' }],
            },
          ]) {
            try {
              validateMetricConfig(raw, 'hostile');
              expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
            } catch (err) {
              expect(err).toBeInstanceOf(InputError);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
    const keyword = fc.constantFrom(
      'select',
      'FROM',
      'where',
      'group',
      'order',
      'Union',
      'drop',
      'table',
      'null',
      'true',
      'grouping',
      'filter',
      'cast',
      'as',
      'and',
      'or',
      'not',
      'limit',
      'having',
      'window',
      'timestamp',
      'interval',
    );
    await fc.assert(
      fc.asyncProperty(keyword, keyword, keyword, async (col, table, time) => {
        count('config: keyword-like identifiers');
        const sources = { user_reports: { table, time_column: time, columns: { region: col } } };
        const hostile = validateMetricConfig(configWith([{ column: 'reason', value: 'x' }], sources), 'h');
        const benign = validateMetricConfig(
          configWith([{ column: 'reason', value: 'x' }], {
            user_reports: { table: 't1', time_column: 't2', columns: { region: 'c1' } },
          }),
          'b',
        );
        for (const d of DIALECTS) {
          const a = await treeOf(render(hostile, d), true);
          const b = await treeOf(render(benign, d), true);
          expect(a.shapes).toBe(b.shapes);
          expect(a.idents).toContain(col);
          expect(a.idents).toContain(time);
        }
      }),
      { numRuns: 60 },
    );
  });

  // Found by the property above: `sources[name]` reads Object.prototype members, so a source named
  // `toString` or `constructor` crashes validation with a TypeError (exit 1) instead of a one-line
  // InputError (exit 2). Never reaches SQL. Fix: Object.hasOwn in config/load.ts sourceColumns.
  it('a source named like an Object.prototype member is a clean InputError', () => {
    for (const name of ['toString', 'constructor', 'hasOwnProperty'])
      expect(() =>
        validateMetricConfig({ version: 1, metrics: [{ name: 'm', kind: 'count', source: name }] }, 'c'),
      ).toThrow(InputError);
  });

  it('quoteIdent and quoteString round-trip any string through the parser', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileString.filter((s) => s.length > 0 && s.length <= 255 && !s.includes('\u0000')),
        async (s) => {
          count('literal/identifier round trips');
          const t = await treeOf([`SELECT ${quoteString(s)} AS ${quoteIdent(s)} FROM ${quoteIdent(s)}`]);
          const b = await treeOf([`SELECT 'x' AS "x" FROM "x"`]);
          expect(JSON.parse(t.shapes)[0].statements[0].node.select_list[0].class).toBe('CONSTANT');
          expect(t.consts).toHaveLength(1);
          expect(JSON.parse(t.shapes).length).toBe(JSON.parse(b.shapes).length);
          if (!LONE_SURROGATE.test(s)) {
            expect(t.consts[0]).toBe(s);
            expect(t.idents).toEqual(expect.arrayContaining([s]));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/** Constants a rendered plan of the core catalog may hold: the catalog's own values and window dates. */
function catalogConstants(): Set<unknown> {
  const out = new Set<unknown>();
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
    else out.add(x);
  };
  walk(coreCatalog());
  return out;
}
const DATE_CONSTANT =
  /^(\d{4}-\d{2}-\d{2}|\d{2}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}|hour|day|vigil_lake)$/;

describe('CLI flags cannot change the SQL', () => {
  const isoish = fc.oneof(
    hostileString,
    fc
      .date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    fc
      .tuple(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.constantFrom(...FRAGMENTS),
      )
      .map(([d, f]) => `${d.toISOString().slice(0, 13)}:00:00Z${f}`),
  );
  it('--grain/--from/--to reach SQL only as dates; --metrics and --concurrency never do', async () => {
    const allowed = catalogConstants();
    const cfg = coreCatalog();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom('hour', 'day'), hostileString),
        isoish,
        isoish,
        async (grain, from, to) => {
          count('CLI: --grain/--from/--to');
          let windows: Window[];
          let g: 'hour' | 'day';
          try {
            ({ grain: g, windows } = parseRange({ grain, from, to }));
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
            return;
          }
          if (windows.length > 24 * 40) return; // range limits are checked below; keep the parse cheap
          const plan = planMetrics(cfg, g, windows[0]!.start, windows.at(-1)!.end);
          const t = await treeOf(renderPlan(plan, cfg, duckdbDialect).map((q) => q.sql));
          for (const c of t.consts)
            if (typeof c === 'string' && !allowed.has(c)) expect(c).toMatch(DATE_CONSTANT);
        },
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(hostileString, (s) => {
        count('CLI: --metrics/--concurrency');
        try {
          const picked = selectMetrics(cfg, s.split(','));
          expect(picked.metrics.every((m) => cfg.metrics.includes(m))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
        try {
          const n = parsePositiveInt(s, '--concurrency', 16);
          expect(Number.isInteger(n) && n >= 1 && n <= 16).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a range is limited (100,000 windows by default) and must be aligned', () => {
    expect(() => parseRange({ grain: 'hour', from: '2000-01-01', to: '2020-01-01' })).toThrow(
      /more than the limit/,
    );
    expect(() => parseRange({ grain: 'hour', from: '2026-01-01T00:30:00Z', to: '2026-01-02' })).toThrow(
      /not aligned/,
    );
    expect(() => parseUtc('2026-01-01T00:00:00+05:00', '--from')).toThrow(InputError);
  });
});

describe('Lambda payloads cannot change the SQL', () => {
  it('rerun and schedule events are strict: only enums and ISO times get through', () => {
    const payload = fc.oneof(
      fc.anything(),
      fc.record(
        {
          action: fc.oneof(fc.constantFrom('run', 'plan'), hostileString),
          grain: fc.oneof(fc.constantFrom('hour', 'day'), hostileString),
          from: fc.oneof(fc.constant('2026-01-05T00:00:00Z'), hostileString),
          to: fc.oneof(fc.constant('2026-01-05T02:00:00Z'), hostileString),
          jobs: fc.oneof(fc.constant(['metrics']), fc.array(hostileString, { maxLength: 3 })),
        },
        { requiredKeys: [] },
      ),
      fc.record({
        job: fc.oneof(fc.constantFrom('hourly', 'daily'), hostileString),
        scheduledTime: hostileString,
      }),
      fc
        .string({ minLength: 4000, maxLength: 9000 })
        .map((s) => ({ action: 'run', grain: 'hour', from: s, to: s })),
    );
    fc.assert(
      fc.property(payload, (event) => {
        count('Lambda payloads (rerun + schedule)');
        for (const [schema, what] of [
          [RerunPayload, 'rerun'],
          [ScheduleEvent, 'schedule'],
        ] as const) {
          let parsed: Record<string, unknown>;
          try {
            parsed = parseEvent(schema as never, event, what) as Record<string, unknown>;
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
            continue;
          }
          for (const [k, v] of Object.entries(parsed)) {
            if (k === 'from' || k === 'to' || k === 'scheduledTime' || k === 'time')
              expect(String(v)).toMatch(
                /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/,
              );
            else if (k === 'jobs')
              expect((v as string[]).every((j) => j === 'metrics' || j === 'detection')).toBe(true);
            else if (k === 'chunkWindows') expect(Number.isInteger(v)).toBe(true);
            else expect(['run', 'plan', 'hour', 'day', 'hourly', 'daily', 'Scheduled Event']).toContain(v);
          }
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('an oversized payload is refused before parsing', () => {
    const big = {
      action: 'run',
      grain: 'hour',
      from: '2026-01-05T00:00:00Z',
      to: '2026-01-05T01:00:00Z',
      pad: 'x'.repeat(100_000),
    };
    expect(() => parseEvent(RerunPayload, big, 'rerun payload')).toThrow(InputError);
  });
});
