import { describe, expect, it } from 'vitest';
import { scoreSeriesCsv } from '../../shared/anomaly/score-csv.js';
import { formatScore, parseSeriesCsv, parseTimestamp } from '../../shared/anomaly/series-csv.js';
import { InputError } from '../../shared/errors.js';

function expectInputError(text: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    parseSeriesCsv(text, 'in.csv');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  const message = (caught as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toContain('\n');
}

describe('parseTimestamp', () => {
  it('reads NAB and ISO forms as UTC', () => {
    expect(parseTimestamp('2014-04-01 00:00:00')).toBe(Date.UTC(2014, 3, 1));
    expect(parseTimestamp('2026-01-05T00:00:00Z')).toBe(Date.UTC(2026, 0, 5));
    expect(parseTimestamp('2026-01-05')).toBe(Date.UTC(2026, 0, 5));
    expect(parseTimestamp('2026-01-05T01:00:00+01:00')).toBe(Date.UTC(2026, 0, 5));
    expect(parseTimestamp('2014-04-01 00:00:00.500000')).toBe(Date.UTC(2014, 3, 1) + 500);
  });
  it('refuses non-dates', () => {
    for (const s of ['', 'yesterday', '2026-02-30', '2026-01-05T25:00:00Z', '1700000000']) {
      expect(parseTimestamp(s)).toBeNaN();
    }
  });
});

describe('parseSeriesCsv', () => {
  it('parses a valid file with extra columns in any order, CRLF and a BOM', () => {
    const s = parseSeriesCsv(
      '\uFEFFvalue,label,timestamp\r\n1.5,a,2026-01-05T00:00:00Z\r\n2,"b,c",2026-01-05T01:00:00Z\r\n',
    );
    expect(s.x).toEqual([1.5, 2]);
    expect(s.timestamps).toEqual(['2026-01-05T00:00:00Z', '2026-01-05T01:00:00Z']);
  });
  it('empty file', () => expectInputError('', /empty file/));
  it('header only', () => expectInputError('timestamp,value\n', /no data rows/));
  it('missing column', () => expectInputError('timestamp,count\n2026-01-05,1\n', /missing column 'value'/));
  it('missing both columns', () => expectInputError('a,b\n1,2\n', /missing column 'timestamp' and 'value'/));
  it('non-numeric value, with line and value', () =>
    expectInputError('timestamp,value\n2026-01-05,1\n2026-01-06,abc\n', /line 3: non-numeric value 'abc'/));
  it('empty value', () => expectInputError('timestamp,value\n2026-01-05,\n', /line 2: non-numeric value ''/));
  it('infinite value', () =>
    expectInputError('timestamp,value\n2026-01-05,Infinity\n', /line 2: non-numeric/));
  it('unparseable timestamp', () =>
    expectInputError(
      'timestamp,value\n2026-01-05,1\nnot-a-date,2\n',
      /line 3: unparseable timestamp 'not-a-date'/,
    ));
  it('unsorted timestamps', () =>
    expectInputError('timestamp,value\n2026-01-06,1\n2026-01-05,2\n', /line 3: timestamps not sorted/));
  it('duplicate timestamps', () =>
    expectInputError(
      'timestamp,value\n2026-01-05,1\n2026-01-05T00:00:00Z,2\n',
      /line 3: duplicate timestamp/,
    ));
  it('allows duplicates only when asked (NAB)', () => {
    const s = parseSeriesCsv('timestamp,value\n2026-01-05,1\n2026-01-05,2\n', 'x', {
      allowDuplicateTimestamps: true,
    });
    expect(s.x).toEqual([1, 2]);
  });
});

describe('scoreSeriesCsv', () => {
  it('writes one row per input row, same order, with the fixed columns', () => {
    const rows = ['timestamp,value,extra'];
    for (let i = 0; i < 200; i++)
      rows.push(
        `2014-04-01 ${String(i % 24).padStart(2, '0')}:00:00,${i === 150 ? 99 : 1 + (i % 3)},x`.replace(
          '2014-04-01',
          `2014-04-${String(1 + Math.floor(i / 24)).padStart(2, '0')}`,
        ),
      );
    const out = scoreSeriesCsv(rows.join('\n'));
    const lines = out.csv.trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score,is_anomaly');
    expect(lines).toHaveLength(201);
    expect(lines[1]).toBe('2014-04-01 00:00:00,1,0,false');
    expect(lines[151]).toMatch(/^2014-04-07 06:00:00,99,0\.\d+,true$/);
    expect(out).toMatchObject({ rows: 200, anomalies: 1 });
  });
  it('formats scores without exponents', () => {
    expect(formatScore(1e-12)).toBe('0');
    expect(formatScore(0.25)).toBe('0.25');
    expect(formatScore(2)).toBe('1');
  });
});
