import { describe, expect, it } from 'vitest';
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import { type ScoreCsvOptions, scoreSeriesCsv } from '../../shared/anomaly/score-csv.js';
import { formatScore, parseTimestamp } from '../../shared/anomaly/series-csv.js';
import { InputError } from '../../shared/errors.js';

function expectInputError(text: string, pattern: RegExp, options: ScoreCsvOptions = {}): void {
  let caught: unknown;
  try {
    scoreSeriesCsv(text, 'in.csv', options);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  const message = (caught as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toContain('\n');
}

const HOUR = 3_600_000;
const iso = (i: number) => new Date(Date.UTC(2026, 0, 5) + i * HOUR).toISOString();
/** An hourly series with a daily cycle, a little noise and one spike. */
function hourly(n: number, spikeAt = -1, seed = 1): number[] {
  let s = seed;
  const noise = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  return Array.from({ length: n }, (_, i) =>
    i === spikeAt ? 80 : Math.round((20 + 5 * Math.sin((2 * Math.PI * i) / 24) + noise()) * 100) / 100,
  );
}
const lines = (csv: string) => csv.trimEnd().split('\n');

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

describe('reading the input', () => {
  it('reads a valid file with extra columns in any order, CRLF and a BOM', () => {
    const out = scoreSeriesCsv(
      '\uFEFFvalue,label,timestamp\r\n1.5,a,2026-01-05T00:00:00Z\r\n2,"b,c",2026-01-05T01:00:00Z\r\n',
    );
    expect(lines(out.csv)).toEqual([
      'timestamp,value,anomaly_score,is_anomaly',
      '2026-01-05T00:00:00Z,1.5,0,false',
      '2026-01-05T01:00:00Z,2,0,false',
    ]);
  });
  it('empty file', () => expectInputError('', /empty file/));
  it('header only', () => expectInputError('timestamp,value\n', /no data rows/));
  it('missing column', () => expectInputError('timestamp,count\n2026-01-05,1\n', /missing column 'value'/));
  it('missing both columns', () => expectInputError('a,b\n1,2\n', /missing column 'timestamp' and 'value'/));
  it('non-numeric value, with line and value', () =>
    expectInputError('timestamp,value\n2026-01-05,1\n2026-01-06,abc\n', /line 3: non-numeric value 'abc'/));
  it('infinite value', () =>
    expectInputError('timestamp,value\n2026-01-05,Infinity\n', /line 2: non-numeric/));
  it('unparseable timestamp', () =>
    expectInputError(
      'timestamp,value\n2026-01-05,1\nnot-a-date,2\n',
      /line 3: unparseable timestamp 'not-a-date'/,
    ));
  it('a blank line inside the data, but not at the end', () => {
    expectInputError('timestamp,value\n2026-01-05,1\n\n2026-01-06,2\n', /line 3: empty line/);
    expect(scoreSeriesCsv('timestamp,value\n2026-01-05,1\n\n\r\n').rows).toBe(1);
  });
  it('an unterminated quote', () =>
    expectInputError('timestamp,value\n"2026-01-05,1\n', /line 2: unterminated quoted field/));
  it('control characters in a bad cell are shown escaped in the error', () =>
    expectInputError('timestamp,value\n2026-01-05,1\u001b[2J\n', /non-numeric value '1\\u001B\[2J'/));
});

describe('the series people have', () => {
  it('scores duplicate and out-of-order rows where they arrive, and counts them', () => {
    const values = hourly(300);
    const rows = values.map((v, i) => ({ ts: iso(i), v }));
    // A DST-style repeated hour and a late row that arrives two hours after its time.
    rows.splice(100, 0, { ts: iso(99), v: 21 });
    rows.splice(201, 0, { ts: iso(150), v: 19.5 });
    const text = ['timestamp,value', ...rows.map((r) => `${r.ts},${r.v}`)].join('\n');
    const out = scoreSeriesCsv(text);
    expect(out).toMatchObject({ rows: 302, duplicateTimestamps: 1, outOfOrder: 1, gaps: 0, series: 1 });
    const got = lines(out.csv).slice(1);
    expect(got).toHaveLength(302);
    expect(got.map((l) => l.split(',')[0])).toEqual(rows.map((r) => r.ts));
    // Arrival order is the order the detector sees: the same as feeding it the rows as they come.
    const detector = new StreamingDetector();
    const expected = rows.map((r) => {
      const s = detector.push({ t: Date.parse(r.ts), value: r.v });
      return `${formatScore(s.score)},${s.isAnomaly}`;
    });
    expect(got.map((l) => l.split(',').slice(2).join(','))).toEqual(expected);
    for (const l of got) {
      const score = Number(l.split(',')[2]);
      expect(score >= 0 && score <= 1).toBe(true);
    }
  });

  it('empty and NaN/NA/null values are gaps: echoed, scored 0, not learned from', () => {
    const values = hourly(200, 150);
    const withGaps = values.map((v, i) =>
      i % 17 === 5 ? '' : i === 40 ? 'NaN' : i === 41 ? 'NA' : String(v),
    );
    withGaps[42] = 'null';
    const text = ['timestamp,value', ...withGaps.map((v, i) => `${iso(i)},${v}`)].join('\n');
    const out = scoreSeriesCsv(text);
    const gapCount = withGaps.filter((v) => ['', 'NaN', 'NA', 'null'].includes(v)).length;
    expect(out).toMatchObject({ rows: 200, gaps: gapCount });
    const got = lines(out.csv).slice(1);
    expect(got[5]).toBe(`${iso(5)},,0,false`);
    expect(got[40]).toBe(`${iso(40)},NaN,0,false`);
    // The spike is still found, and every other row scores as in the series without the gap rows.
    expect(got[150]).toMatch(/,true$/);
    const isGap = (v: string) => ['', 'NaN', 'NA', 'null'].includes(v);
    const kept = withGaps.map((v, i) => [v, i] as const).filter(([v]) => !isGap(v));
    const without = lines(
      scoreSeriesCsv(['timestamp,value', ...kept.map(([v, i]) => `${iso(i)},${v}`)].join('\n')).csv,
    );
    expect(got.filter((_, i) => !isGap(withGaps[i]!))).toEqual(without.slice(1));
  });

  it('--series-column: each series its own detector, rows kept in input order, columns echoed', () => {
    const a = hourly(240, 200, 3);
    const b = hourly(240, 120, 7).map((v) => v * 1000);
    const header = 'slice,timestamp,metric,value';
    const mixed: string[] = [header];
    const single = { a: ['timestamp,value'], b: ['timestamp,value'] };
    for (let i = 0; i < 240; i++) {
      mixed.push(`region=BR,${iso(i)},removals,${a[i]}`);
      mixed.push(`"region=DE;surface=live",${iso(i)},removals,${b[i]}`);
      single.a.push(`${iso(i)},${a[i]}`);
      single.b.push(`${iso(i)},${b[i]}`);
    }
    const out = scoreSeriesCsv(mixed.join('\n'), 'in.csv', { seriesColumns: ['metric', 'slice'] });
    expect(out).toMatchObject({ rows: 480, series: 2, duplicateTimestamps: 0, outOfOrder: 0 });
    const got = lines(out.csv);
    expect(got[0]).toBe('timestamp,value,anomaly_score,is_anomaly,metric,slice');
    const alone = {
      a: lines(scoreSeriesCsv(single.a.join('\n')).csv),
      b: lines(scoreSeriesCsv(single.b.join('\n')).csv),
    };
    for (let i = 0; i < 240; i++) {
      expect(got[1 + 2 * i]).toBe(`${alone.a[1 + i]},removals,region=BR`);
      expect(got[2 + 2 * i]).toBe(`${alone.b[1 + i]},removals,region=DE;surface=live`);
    }
    // Without the series column the interleaved rows are one (worse) series and repeat every timestamp.
    expect(scoreSeriesCsv(mixed.join('\n')).duplicateTimestamps).toBe(240);
  });

  it('--series-column errors name the column; the series cap is enforced', () => {
    expectInputError(
      'timestamp,value\n2026-01-05,1\n',
      /--series-column 'metric' is not a column of header line 1/,
      {
        seriesColumns: ['metric'],
      },
    );
    expectInputError('timestamp,value,m\n2026-01-05,1\n', /line 2: no 'm' field/, { seriesColumns: ['m'] });
    expectInputError('timestamp,value\n2026-01-05,1\n', /that is the value column/, {
      seriesColumns: ['value'],
    });
    expectInputError(
      'timestamp,value,m\n2026-01-05,1,a\n2026-01-05,1,b\n2026-01-05,1,c\n',
      /line 4: more than 2 distinct series/,
      { seriesColumns: ['m'], maxSeries: 2 },
    );
  });

  it('control characters in echoed cells are escaped, never written raw', () => {
    const out = scoreSeriesCsv('timestamp,value,m\n2026-01-05,1,\u001b[31mx\u202e\u0000\n', 'in', {
      seriesColumns: ['m'],
    });
    expect(lines(out.csv)[1]).toBe('2026-01-05,1,0,false,\\u001B[31mx\\u202E\\u0000');
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
