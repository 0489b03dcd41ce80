import { describe, expect, it } from 'vitest';
import { coreCatalog } from '../../shared/config/load.js';
import { excludedWindows, findDataIssues, qualityRulesSchema } from '../../shared/quality/guard.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const RULES = qualityRulesSchema.parse({});

/** Three days of a steady diurnal source, with edits. */
function counts(edit: (t: number, n: number) => number | undefined): Map<string, Map<number, number>> {
  const m = new Map<number, number>();
  for (let h = 0; h < 72; h++) {
    const t = T0 + h * H;
    const n = edit(t, Math.round(100 + 60 * Math.sin((2 * Math.PI * h) / 24)));
    if (n !== undefined) m.set(t, n);
  }
  return new Map([['impressions', m]]);
}

/** One hour of user_reports a day for a week (`history`), then `last` rows at AT, a day later. */
const AT = T0 + 7 * 24 * H;
function week(history: number[], last: number): Map<string, Map<number, number>> {
  const m = new Map(history.map((n, d) => [T0 + d * 24 * H, n]));
  m.set(AT, last);
  return new Map([['user_reports', m]]);
}

describe('findDataIssues', () => {
  it('flags a missing partition and a collapsed one, not a normal night', () => {
    // Prepare
    const gap = T0 + 50 * H;
    const thin = T0 + 60 * H;
    const data = counts((t, n) => (t === gap ? undefined : t === thin ? 3 : n));
    // Act
    const issues = findDataIssues(data, T0, T0 + 24 * H, T0 + 72 * H, RULES);
    // Assess
    expect(issues.map((i) => [i.t, i.reason])).toEqual([
      [gap, 'missing'],
      [thin, 'low_volume'],
    ]);
    expect(issues[0]?.expected).toBeGreaterThan(20);
  });

  it('calls a partition with a quarter of its seasonal expectation a data fault, a partial drop not', () => {
    // Prepare: one hour at ~25% of its usual rows, another at ~60% (what losing most automated
    // decisions does to the decisions source: a metric incident, not a data fault).
    const quarter = T0 + 58 * H;
    const partial = T0 + 64 * H;
    const data = counts((t, n) =>
      t === quarter ? Math.round(n / 4) : t === partial ? Math.round(n * 0.6) : n,
    );
    // Act
    const issues = findDataIssues(data, T0, T0 + 24 * H, T0 + 72 * H, RULES);
    // Assess
    expect(issues.map((i) => [i.t, i.reason])).toEqual([[quarter, 'low_volume']]);
  });

  it('sees a quarter partition through a week of weekend highs and a traffic day', () => {
    // user_reports at 09:00 UTC on the lake bench's seed 210 (bench/detect/lake/run.ts), the seven
    // days before its planted quarter partition: weekdays ~100-115, a weekend at 131, a traffic day at
    // 153. On the count scale that spread (21%) hid the 27; as a factor the shortfall is 7 spreads.
    const history = [98, 112, 131, 131, 114, 153, 113];
    const issues = findDataIssues(week(history, 27), T0, AT, AT + H, RULES);
    expect(issues.map((i) => [i.source, i.t, i.observed, i.expected])).toEqual([
      ['user_reports', AT, 27, 114],
    ]);
    // The same week with a normal 09:00 (an ordinary weekday) raises nothing.
    expect(findDataIssues(week(history, 96), T0, AT, AT + H, RULES)).toEqual([]);
  });

  it('leaves a low hour that Poisson chance explains, and flags a quarter of a thin source', () => {
    // Series bench seed 1205 (bench/detect/planted.ts), user_reports at 05:00 on 2026-01-29: 16 rows
    // against 43, a 4.1 sd shortfall that Poisson chance draws once in ~460,000 hours; under 40% of the median, but luck.
    expect(findDataIssues(week([48, 29, 43, 47, 33, 41, 43], 16), T0, AT, AT + H, RULES)).toEqual([]);
    // A steady source of ~30 rows an hour holding 7: one hour in two million by chance.
    const thin = findDataIssues(week([30, 29, 31, 30, 28, 32, 30], 7), T0, AT, AT + H, RULES);
    expect(thin.map((i) => [i.observed, i.expected, i.reason])).toEqual([[7, 30, 'low_volume']]);
  });

  it('flags every hour of a day-long quarter partition, and none of the day after', () => {
    // A week of a diurnal source (~40-160 rows an hour), then a day at a quarter, then a normal day.
    const m = new Map<number, number>();
    for (let h = 0; h < 9 * 24; h++) {
      const n = Math.round(100 + 60 * Math.sin((2 * Math.PI * h) / 24));
      m.set(T0 + h * H, h >= 7 * 24 && h < 8 * 24 ? Math.round(n / 4) : n);
    }
    const issues = findDataIssues(new Map([['impressions', m]]), T0, T0 + 7 * 24 * H, T0 + 9 * 24 * H, RULES);
    expect(issues.map((i) => (i.t - T0) / H)).toEqual(Array.from({ length: 24 }, (_, h) => 7 * 24 + h));
  });

  it("does not call a shortfall within the hour's own day-to-day variability a fault", () => {
    // A source whose same hour swings between ~45% and 160% of its median from day to day: 30% is
    // below the collapse fraction, but within that variability.
    const m = new Map<number, number>();
    for (let h = 0; h < 96; h++) m.set(T0 + h * H, [100, 45, 160, 30][Math.floor(h / 24)]!);
    const issues = findDataIssues(new Map([['impressions', m]]), T0, T0 + 72 * H, T0 + 96 * H, RULES);
    expect(issues).toEqual([]);
  });

  it('does not judge a source too thin to tell a gap from chance', () => {
    const data = counts((t) => (t === T0 + 30 * H ? undefined : 4));
    expect(findDataIssues(data, T0, T0 + 24 * H, T0 + 72 * H, RULES)).toEqual([]);
  });

  it('holds back every metric that reads the source, and only those', () => {
    const excluded = excludedWindows(
      coreCatalog(),
      [{ source: 'impressions', t: T0 + 7 * H, observed: 0, expected: 90, reason: 'missing' }],
      'hour',
    );
    expect(excluded.get('reports_per_10k_impressions')?.has(T0 + 7 * H)).toBe(true);
    expect(excluded.get('impressions')?.has(T0 + 7 * H)).toBe(true);
    expect(excluded.get('user_reports')?.size).toBe(0);
    const daily = excludedWindows(
      coreCatalog(),
      [{ source: 'impressions', t: T0 + 7 * H, observed: 0, expected: 90, reason: 'missing' }],
      'day',
    );
    expect([...(daily.get('impressions') ?? [])]).toEqual([T0]);
  });
});
