import { describe, expect, it } from 'vitest';
import { detectSeries, StreamingDetector } from '../../shared/anomaly/detector.js';
import { DAY, dailyWeekly, firstFlag, flat, HOUR, hourlySeasonal, points, T0 } from './gen.js';

const count = (xs: readonly { isAnomaly: boolean }[], from = 0) =>
  xs.slice(from).filter((s) => s.isAnomaly).length;

describe('detector: planted anomalies', () => {
  it('finds a spike within a point', () => {
    const s = flat(600, 1);
    s.x[400]! += 12;
    const scores = detectSeries(points(s));
    expect(scores[400]!.isAnomaly).toBe(true);
    expect(count(scores, 100)).toBeLessThanOrEqual(2);
  });

  it('finds a dip, and ignores it with direction=up', () => {
    const s = flat(600, 2);
    s.x[450]! -= 12;
    expect(detectSeries(points(s))[450]!.isAnomaly).toBe(true);
    expect(detectSeries(points(s), { direction: 'up' })[450]!.isAnomaly).toBe(false);
  });

  it('finds a level shift within a few points', () => {
    const s = flat(800, 3);
    for (let i = 500; i < 800; i++) s.x[i]! += 4;
    const first = firstFlag(detectSeries(points(s)), 400);
    expect(first).toBeGreaterThanOrEqual(500);
    expect(first).toBeLessThanOrEqual(505);
  });

  it('finds a trend change', () => {
    const s = flat(800, 4);
    for (let i = 500; i < 800; i++) s.x[i]! += 0.25 * (i - 500);
    const first = firstFlag(detectSeries(points(s)), 400);
    expect(first).toBeGreaterThanOrEqual(500);
    expect(first).toBeLessThanOrEqual(525);
  });

  it('finds an incident on an hour-of-day seasonal series at a normal-looking value', () => {
    const s = hourlySeasonal(28, 5);
    // At 03:00 the profile is at its low (~70); 100 is a normal value for midday, not for 3am.
    const at = 21 * 24 + 3;
    for (let i = at; i < at + 3; i++) s.x[i] = 100;
    const scores = detectSeries(points(s));
    expect(scores[at]!.seasonality).toBe('daily');
    const first = firstFlag(scores, at - 5);
    expect(first).toBeGreaterThanOrEqual(at);
    expect(first).toBeLessThanOrEqual(at + 2);
  });

  it('learns day-of-week seasonality on daily series', () => {
    const s = dailyWeekly(120, 6);
    const scores = detectSeries(points(s));
    expect(scores[119]!.seasonality).toBe('weekly');
    expect(count(scores, 60)).toBe(0);
  });

  it('gives (near) zero false alarms on clean seasonal noise', () => {
    let alarms = 0;
    let rows = 0;
    for (let seed = 10; seed < 20; seed++) {
      const scores = detectSeries(points(hourlySeasonal(28, seed)));
      alarms += count(scores, 7 * 24);
      rows += scores.length - 7 * 24;
    }
    expect(alarms / rows).toBeLessThan(0.003);
  });

  it('does not learn a long incident as normal', () => {
    const s = hourlySeasonal(28, 7);
    const at = 20 * 24;
    for (let i = at; i < s.x.length; i++) s.x[i]! += 40;
    const scores = detectSeries(points(s));
    expect(firstFlag(scores, at - 24)).toBe(at);
    // Twelve hours in, the baseline still expects the old level and the residual stays large.
    for (let i = at; i < at + 12; i++) {
      expect(s.x[i]! - scores[i]!.expected).toBeGreaterThan(30);
      expect(scores[i]!.z).toBeGreaterThan(5);
    }
  });

  it('needs more evidence for a ratio with a small denominator', () => {
    // The same relative move (rate 2% -> 3%) with 500 vs 500k exposures per hour.
    const score = (den: number) => {
      const s = flat(400, 8, HOUR, 0.02, 0.0002);
      const d = new StreamingDetector();
      let last = 0;
      for (let i = 0; i < 400; i++) {
        const value = i === 399 ? 0.03 : s.x[i]!;
        last = d.push({ t: s.t[i]!, value, numerator: value * den, denominator: den }).score;
      }
      return last;
    };
    const small = score(500);
    const large = score(500_000);
    expect(large).toBeGreaterThan(0.5);
    expect(small).toBeLessThan(large);
    expect(small).toBeLessThan(0.5);
  });

  it('skips rows below minVolume', () => {
    const d = new StreamingDetector({ minVolume: 100 });
    const r = d.push({ t: T0, value: 5, numerator: 1, denominator: 10 });
    expect(r).toMatchObject({ score: 0, isAnomaly: false });
  });

  it('is causal: scores of a prefix equal the full-series scores on that prefix', () => {
    const s = hourlySeasonal(21, 9);
    s.x[300]! += 50;
    const full = detectSeries(points(s));
    const prefix = detectSeries(points({ t: s.t.slice(0, 320), x: s.x.slice(0, 320) }));
    expect(prefix).toEqual(full.slice(0, 320));
  });

  it('keeps scores in [0,1] and survives irregular sampling and gaps', () => {
    const t: number[] = [];
    const x: number[] = [];
    let now = T0;
    for (let i = 0; i < 2000; i++) {
      now += (i % 97 === 0 ? 3 * DAY : 0) + 60_000 * (1 + ((i * 7919) % 13));
      t.push(now);
      x.push(Math.sin(i / 10) + (i % 500 === 0 ? 20 : 0));
    }
    for (const r of detectSeries(points({ t, x }))) {
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r.expected)).toBe(true);
    }
  });

  it('handles a flat line without alarms and flags the first change', () => {
    const t = Array.from({ length: 300 }, (_, i) => T0 + i * HOUR);
    const x = t.map((_, i) => (i === 250 ? 1.5 : 1));
    const scores = detectSeries(points({ t, x }));
    expect(count(scores.slice(0, 250))).toBe(0);
    expect(scores[250]!.isAnomaly).toBe(true);
  });
});

describe('detector: switching baselines', () => {
  it('right after a switch to a seasonal model, counts a row only as far as both models agree', () => {
    for (const seed of [1, 2, 3]) {
      const clean = detectSeries(points(hourlySeasonal(30, seed)));
      const sw = clean.findIndex((s) => s.seasonality === 'daily');
      expect(sw).toBeGreaterThan(48);
      // +14 against noise sd 2 is a z of 6-9 for the hour-of-day profile, and nothing for the
      // level model (the daily swing is +-30). The profile's calibration is a few dozen rows old
      // at sw + 5 (the spike alone scored 0.42-0.59 before the rule), well grown at sw + 300.
      const early = hourlySeasonal(30, seed);
      early.x[sw + 5]! += 14;
      const atEarly = detectSeries(points(early))[sw + 5]!;
      expect(atEarly.seasonality).toBe('daily');
      expect(atEarly.isAnomaly).toBe(false);
      const late = hourlySeasonal(30, seed);
      late.x[sw + 300]! += 14;
      expect(detectSeries(points(late))[sw + 300]!.isAnomaly).toBe(true);
    }
  });
});

describe('detector: baselines that do not learn incidents', () => {
  it('is not blinded by one extreme outlier: later spikes score as without it', () => {
    // Prepare: 5-minute flat noise; one 1000-sd outlier, then spikes of 6-18 sd 100-900 rows
    // later (each clearly larger than the last: a spike of a size already seen, or within half a
    // noise sd of it, is routine by design, see test/anomaly/repertoire.test.ts).
    const spikes = [700, 900, 1200, 1500];
    const base = flat(2000, 7, 300_000);
    const clean = { t: base.t, x: base.x.slice() };
    spikes.forEach((i, k) => {
      clean.x[i]! += 6 + 4 * k;
    });
    const hit = { t: base.t, x: clean.x.slice() };
    hit.x[600]! += 1000;
    // Act
    const withOutlier = detectSeries(points(hit));
    const without = detectSeries(points(clean));
    // Assess: the outlier is flagged, and every later spike keeps (nearly) its score.
    expect(withOutlier[600]!.isAnomaly).toBe(true);
    for (const i of spikes) {
      expect(withOutlier[i]!.isAnomaly).toBe(true);
      expect(withOutlier[i]!.score).toBeGreaterThan(without[i]!.score - 0.05);
    }
  });

  it('holds the baseline through an episode, then re-bases on a new normal after `hold` rows', () => {
    // Prepare: hourly seasonal series, +40 from day 20 on (10 residual sds): a new normal.
    const s = hourlySeasonal(28, 21);
    const at = 20 * 24;
    for (let i = at; i < s.x.length; i++) s.x[i]! += 40;
    // Act
    const scores = detectSeries(points(s), { hold: 12 });
    // Assess: held for the 12 rows (expected stays at the old level), re-based right after.
    for (let i = at; i < at + 12; i++) expect(s.x[i]! - scores[i]!.expected).toBeGreaterThan(30);
    for (let i = at + 13; i < at + 24; i++) expect(Math.abs(s.x[i]! - scores[i]!.expected)).toBeLessThan(10);
    expect(count(scores, at + 13)).toBe(0);
  });

  it('takes a return to the old level after a re-base as normal, not as a new incident', () => {
    const s = hourlySeasonal(30, 22);
    const at = 18 * 24;
    for (let i = at; i < at + 30; i++) s.x[i]! += 40;
    const scores = detectSeries(points(s), { hold: 12 });
    expect(scores[at]!.isAnomaly).toBe(true);
    // After the episode ends (re-based at 12 rows, back at 30): no alarm for the way back.
    expect(count(scores, at + 13)).toBe(0);
    expect(Math.abs(s.x[at + 40]! - scores[at + 40]!.expected)).toBeLessThan(10);
  });

  it('keeps the evidence up for as long as an episode lasts with episodeCalibration: hold', () => {
    // A 4-sd shift on noise (hourly): with learning, the calibration absorbs the CUSUM; held, it
    // stays anomalous until the hold re-bases it.
    const s = flat(24 * 20, 23, HOUR, 50, 1);
    const at = 24 * 14;
    for (let i = at; i < at + 20; i++) s.x[i]! += 2.5;
    const held = detectSeries(points(s), { episodeCalibration: 'hold', cooldown: 0, hold: 24 });
    const learnt = detectSeries(points(s), { cooldown: 0, hold: 24 });
    const flagged = (xs: typeof held) => xs.slice(at, at + 20).filter((p) => p.isAnomaly).length;
    expect(flagged(held)).toBeGreaterThanOrEqual(15);
    expect(flagged(held)).toBeGreaterThan(flagged(learnt));
  });
});
