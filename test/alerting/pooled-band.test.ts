import { describe, expect, it } from 'vitest';
import { type RateObs, SeriesState, scoreRateBands } from '../../shared/alerting/pooled-band.js';
import { TUNING } from '../../shared/anomaly/detector.js';
import { decodeState, encodeState } from '../../shared/anomaly/state.js';
import { binomialUpperTail } from '../../shared/stats/binomial-tails.js';
import { poissonUpperTail } from '../../shared/stats/poisson-tails.js';
import { createRng, poissonExact } from '../../shared/stats/random.js';

const OPTIONS = {
  period: 24,
  phaseOf: (i: number) => i % 24,
  warmup: 48,
  hold: 24,
  direction: 'both' as const,
  sensitivity: () => 0.3,
  groupOf: (key: string) => (key === '' ? null : 'region'),
};

/** Hourly slices of one rate with daily traffic; `rateOf(slice, hour)` can plant a move. */
function slices(
  seed: number,
  hours: number,
  exposure: Record<string, number>,
  rateOf: (slice: string, h: number) => number,
): Map<string, RateObs[]> {
  const rng = createRng(seed);
  const out = new Map<string, RateObs[]>();
  for (const [slice, d0] of Object.entries(exposure)) {
    out.set(
      slice,
      Array.from({ length: hours }, (_, h) => {
        const d = Math.round(d0 * (1 + 0.45 * Math.sin((2 * Math.PI * h) / 24)));
        return { n: poissonExact(rng, rateOf(slice, h) * d), d };
      }),
    );
  }
  return out;
}

const REGIONS = { US: 9000, IN: 6000, DE: 1800, NG: 900 };

describe('pooled rate bands', () => {
  it('raises a spike of a few events in a small slice, where a normal z-score would not', () => {
    // NG sees about 2.7 events an hour; a 2-hour ×6 spike is a handful of events.
    const data = slices(7, 24 * 21, REGIONS, (s, h) => (s === 'NG' && h >= 400 && h < 402 ? 0.018 : 0.003));
    const ng = scoreRateBands(data, 24 * 21, OPTIONS).get('NG')!;
    expect(ng[400]!.isAnomaly || ng[401]!.isAnomaly).toBe(true);
    // Judged by its own counts against the pooled rate: the expectation is the rate × exposure.
    expect(ng[401]!.expected).toBeGreaterThan(0.5 * 0.003 * data.get('NG')![401]!.d);
    expect(ng[401]!.expected).toBeLessThan(1.5 * 0.003 * data.get('NG')![401]!.d);
  });

  it('judges a two-hour spike by its own two windows, not diluted by a window barely off before it', () => {
    // NG expects ~1.8, 1.6 and 1.5 events in hours 399-401: 3, 8, 8 is a spike of two hours after an
    // ordinary hour a little above the band. The whole run (19 against ~5) stays under the slices'
    // level; its best length (16 against ~3.2, mid-p) clears it.
    const data = slices(7, 24 * 21, REGIONS, () => 0.003);
    const ng = data.get('NG')!;
    [0, 3, 8, 8].forEach((n, j) => {
      ng[398 + j] = { n, d: ng[398 + j]!.d };
    });
    const band = scoreRateBands(data, 24 * 21, OPTIONS).get('NG')!;
    expect(band[399]!.isAnomaly).toBe(false);
    expect(band[400]!.isAnomaly).toBe(false);
    expect(band[401]!.isAnomaly).toBe(true);
  });

  it('stays quiet on pure Poisson noise at the slices’ alert level', () => {
    let flagged = 0;
    let windows = 0;
    for (const seed of [11, 12, 13]) {
      const bands = scoreRateBands(
        slices(seed, 24 * 28, REGIONS, () => 0.003),
        24 * 28,
        OPTIONS,
      );
      for (const b of bands.values()) {
        windows += b.length;
        flagged += b.filter((p) => p?.isAnomaly).length;
      }
    }
    // 8,064 windows of noise: a few flags at most (the slice level is p ≈ 1e-5 per window and scale).
    expect(flagged / windows).toBeLessThan(0.001);
  });

  it('learns a rate’s hour-of-day pattern (reports twice as likely at night) instead of flagging every night', () => {
    const night = (h: number) => h % 24 < 6;
    const data = slices(17, 24 * 28, REGIONS, (_, h) => (night(h) ? 0.006 : 0.003));
    const bands = scoreRateBands(data, 24 * 28, OPTIONS);
    let flagged = 0;
    for (const b of bands.values()) flagged += b.slice(24 * 7).filter((p) => p?.isAnomaly).length;
    expect(flagged).toBeLessThanOrEqual(3);
    // The night's expectation carries the pattern.
    const us = bands.get('US')!;
    const rate = (i: number) => us[i]!.expected / data.get('US')![i]!.d;
    expect(rate(24 * 27 + 2) / rate(24 * 27 + 14)).toBeGreaterThan(1.7);
  });

  it('borrows a small slice’s rate from its siblings, and lets a large one keep its own', () => {
    // Regions differ in rate; NG has almost no exposure, so its own rate is mostly noise.
    const rates: Record<string, number> = { US: 0.004, IN: 0.002, DE: 0.003, NG: 0.01 };
    const data = slices(21, 24 * 14, { US: 9000, IN: 6000, DE: 1800, NG: 15 }, (s) => rates[s]!);
    const bands = scoreRateBands(data, 24 * 14, OPTIONS);
    const rateAt = (s: string, i: number) => bands.get(s)![i]!.expected / data.get(s)![i]!.d;
    const last = 24 * 14 - 1;
    expect(rateAt('US', last)).toBeCloseTo(0.004, 3);
    expect(rateAt('IN', last)).toBeCloseTo(0.002, 3);
    // NG's ~0.15 events an hour: pulled well toward the pooled rate (~0.0033) from its true 0.01.
    expect(rateAt('NG', last)).toBeLessThan(0.008);
    expect(rateAt('NG', last)).toBeGreaterThan(0.002);
  });

  it('learns no incident: a −40% shift stays off its band for as long as it lasts', () => {
    const data = slices(31, 24 * 21, REGIONS, (s, h) => (s === 'US' && h >= 300 && h < 320 ? 0.0018 : 0.003));
    const us = scoreRateBands(data, 24 * 21, OPTIONS).get('US')!;
    const during = us.slice(303, 320).filter((p) => p?.isAnomaly).length;
    expect(during).toBeGreaterThanOrEqual(5);
    // The band keeps the old rate through the shift (nothing of it learned).
    const rate = (i: number) => us[i]!.expected / data.get('US')![i]!.d;
    expect(rate(319) / rate(299)).toBeGreaterThan(0.97);
    // And the return is not a second incident.
    expect(us.slice(324, 340).filter((p) => p?.isAnomaly)).toEqual([]);
  });

  it('takes a shift that holds as the new normal, and a return to the old level as normal again', () => {
    // Every window of the episode is off (×3 on ~18 events an hour), so it lasts `hold` windows.
    const data = slices(41, 24 * 21, REGIONS, (s, h) => (s === 'IN' && h >= 200 && h < 290 ? 0.009 : 0.003));
    const inn = scoreRateBands(data, 24 * 21, OPTIONS).get('IN')!;
    expect(inn.slice(200, 210).some((p) => p?.isAnomaly)).toBe(true);
    // Re-based after `hold` windows: quiet at the new level…
    expect(inn.slice(240, 290).filter((p) => p?.isAnomaly).length).toBeLessThanOrEqual(2);
    // …and back at the old one the re-base is undone, so the return raises nothing lasting.
    expect(inn.slice(295, 340).filter((p) => p?.isAnomaly).length).toBeLessThanOrEqual(2);
  });

  it('a window not learned (known event) is scored but leaves the band as it was', () => {
    const base = slices(51, 24 * 10, REGIONS, () => 0.003);
    const during = (k: string, h: number) => k === 'DE' && h >= 150 && h < 160;
    const marked = new Map(
      [...base].map(([k, v]) => [
        k,
        v.map((x, h) => (during(k, h) ? { n: x.n * 5, d: x.d, unlearned: true } : x)),
      ]),
    );
    // The same data without those windows at all.
    const gap = new Map([...base].map(([k, v]) => [k, v.map((x, h) => (during(k, h) ? null : x))]));
    const a = scoreRateBands(gap, 24 * 10, OPTIONS).get('DE')!;
    const b = scoreRateBands(marked, 24 * 10, OPTIONS).get('DE')!;
    expect(b[155]!.isAnomaly).toBe(true);
    expect(b[200]!.expected).toBeCloseTo(a[200]!.expected, 9);
  });

  it('a longer scale never reaches across windows that were not judged (too small to judge)', () => {
    // A share of ~10% on ~30 signups an hour, then two high windows, six too small to judge
    // (skipped, as a ratio under minVolume is), and two ordinary ones: 3 of 24 where 2.4 is usual.
    const obs: (RateObs | null)[] = Array.from({ length: 24 * 7 }, (_, h) => ({ n: 2 + (h % 3), d: 30 }));
    const at = obs.length;
    obs.push(
      { n: 9, d: 22 },
      { n: 11, d: 28 },
      ...new Array<null>(6).fill(null),
      { n: 3, d: 24 },
      { n: 3, d: 24 },
    );
    const options = { ...OPTIONS, sensitivity: () => 0.5, groupOf: () => null };
    const band = scoreRateBands(new Map([['', obs]]), obs.length, options).get('')!;
    expect(band[at]!.isAnomaly && band[at + 1]!.isAnomaly).toBe(true);
    // The 16-window scale's "latest 4 off" would reach back over the gap to the two high windows.
    expect(band[at + 8]!.isAnomaly).toBe(false);
    expect(band[at + 9]!.isAnomaly).toBe(false);
    // The gap is part of the kept state: two runs split inside it, the state stored between them
    // (encoded), score the later windows as one run does.
    const split = at + 4;
    const states = new Map<string, SeriesState>();
    scoreRateBands(new Map([['', obs.slice(0, split)]]), split, options, { states, offset: 0 });
    const kept = new Map([['', decodeState(encodeState(states.get('')!)) as SeriesState]]);
    const later = scoreRateBands(new Map([['', obs.slice(split)]]), obs.length - split, options, {
      states: kept,
      offset: split,
    }).get('')!;
    expect(later.map((p) => p?.score ?? null)).toEqual(band.slice(split).map((p) => p?.score ?? null));
  });

  it('reads a dispersion as Poisson unless its estimate shows more than its own sampling noise', () => {
    // 300 windows of ~0.5 events: the mean Pearson χ² has sd sqrt((2 + 1/0.5) / 300) ≈ 0.12, so a
    // mean of 1.1 is chance, not overdispersion; a mean of 2 is overdispersion, kept (shrunk a little).
    const sparse = (mean: number) =>
      Object.assign(new SeriesState(), { phiSum: mean * 300, phiWeight: 300, phiVar: 300 * (2 + 1 / 0.5) });
    expect(sparse(1.1).phi).toBe(1);
    expect(sparse(0.8).phi).toBe(1);
    expect(sparse(2).phi).toBeGreaterThan(1.95);
    expect(sparse(2).phi).toBeLessThan(2);
  });

  it('learns how far a large slice wanders by the day, so a quiet day-long wander is no incident and a shift still is', () => {
    // US carries ~27 events an hour whose rate wanders by a log-normal factor per day (sd 0.1): one
    // hour looks Poisson (φ ≈ 1.3), sixteen hours ~5 times Poisson. Judged at the hour's dispersion,
    // a day 15% up is a 16-hour incident.
    const HOURS = 24 * 35;
    const rng = createRng(61);
    const day = Array.from({ length: 35 }, () => Math.exp(0.1 * rng.normal()));
    const wander = (shift: (h: number) => number) =>
      slices(62, HOURS, REGIONS, (s, h) => 0.003 * (s === 'US' ? day[Math.floor(h / 24)]! * shift(h) : 1));
    const flagged = (data: Map<string, RateObs[]>, from: number, to: number) =>
      scoreRateBands(data, HOURS, OPTIONS)
        .get('US')!
        .slice(from, to)
        .filter((p) => p?.isAnomaly).length;
    expect(
      flagged(
        wander(() => 1),
        24 * 14,
        HOURS,
      ),
    ).toBeLessThanOrEqual(3);
    // A −60% day is far outside that wander (9 of its sds in the log): most of it is raised.
    const shifted = wander((h) => (h >= 24 * 30 && h < 24 * 31 ? 0.4 : 1));
    expect(flagged(shifted, 24 * 30, 24 * 31)).toBeGreaterThanOrEqual(12);
  });

  it('reads no span dispersion from a span or three: one chance χ² of 9 is no dispersion of 9', () => {
    const spans = (sum: number, weight: number) =>
      Object.assign(new SeriesState(), {
        spanSum: [sum, 0],
        spanWeight: [weight, 0],
        spanVar: [2 * weight, 0],
      });
    // A single 4-window span far off (a daily series' first, say): the window's φ stands.
    expect(spans(9, 1).phiOf(4)).toBe(1);
    expect(spans(27, 3).phiOf(4)).toBe(1);
    // Ten spans at a mean χ² of 3 are a dispersion (kept, shrunk a little); the 16-window scale has none.
    expect(spans(30, 10).phiOf(4)).toBeGreaterThan(2.8);
    expect(spans(30, 10).phiOf(16)).toBe(1);
  });

  it('learns no span dispersion from the warm-up, judged against a rate still being learned', () => {
    const rng = createRng(81);
    const obs: RateObs[] = Array.from({ length: 24 * 4 }, () => ({ n: poissonExact(rng, 30), d: 1000 }));
    const states = new Map<string, SeriesState>();
    const learnedAt = (windows: number) => {
      states.clear();
      scoreRateBands(
        new Map([['', obs.slice(0, windows)]]),
        windows,
        { ...OPTIONS, groupOf: () => null },
        {
          states,
          offset: 0,
        },
      );
      return states.get('')!.spanWeight[0]!;
    };
    // Through the 48 warm-up windows no span is learned; the day after, six 4-window spans are.
    expect(learnedAt(OPTIONS.warmup)).toBe(0);
    expect(learnedAt(OPTIONS.warmup + 24)).toBeGreaterThan(5);
  });

  it('judges a span against the rate before it: hours too small to be off one by one do not raise its expectation', () => {
    // 2 events an hour, then twelve hours of 5: each is learned (p ≈ 0.05 alone), so the rate creeps
    // up as they go; the span is judged against the rate of its first hour (0.002).
    const obs: RateObs[] = [
      ...new Array(24 * 7).fill({ n: 2, d: 1000 }),
      ...new Array(12).fill({ n: 5, d: 1000 }),
    ];
    const options = { ...OPTIONS, direction: 'up' as const, groupOf: () => null };
    const band = scoreRateBands(new Map([['', obs]]), obs.length, options).get('')!;
    const mid = (x: number, l: number) => (poissonUpperTail(x, l) + poissonUpperTail(x + 1, l)) / 2;
    const p = Math.min(...Array.from({ length: 12 }, (_, k) => mid(5 * (k + 1), 2 * (k + 1))));
    const evidence = -Math.log10(3 * p);
    expect(band.at(-1)!.score).toBeCloseTo(evidence / (evidence + TUNING.halfEvidence), 9);
  });

  it('judges a share of its sample (violating labels) by binomial tails, not Poisson', () => {
    // One violating label of 33 an hour, then 6 of 33: a share's spread is p(1 − p) per label, less
    // than Poisson's p, so the binomial tail is the smaller one.
    const obs: RateObs[] = [...new Array(24 * 7).fill({ n: 1, d: 33 }), { n: 6, d: 33 }];
    const options = { ...OPTIONS, direction: 'up' as const, groupOf: () => null };
    const scoreOf = (p: number) => {
      const evidence = -Math.log10(3 * p);
      return evidence / (evidence + TUNING.halfEvidence);
    };
    const share = scoreRateBands(new Map([['', obs]]), obs.length, { ...options, proportion: true }).get('')!;
    const counts = scoreRateBands(new Map([['', obs]]), obs.length, options).get('')!;
    const binomial = (binomialUpperTail(6, 33, 1 / 33) + binomialUpperTail(7, 33, 1 / 33)) / 2;
    const poisson = (poissonUpperTail(6, 1) + poissonUpperTail(7, 1)) / 2;
    expect(share.at(-1)!.score).toBeCloseTo(scoreOf(binomial), 9);
    expect(counts.at(-1)!.score).toBeCloseTo(scoreOf(poisson), 9);
    expect(binomial).toBeLessThan(poisson);
  });

  it('charges a spike only for the tests that could reach the level: no drop of a one- or 4-hour span of 2 events an hour can', () => {
    // Both directions at three scales are six tests; a drop to 0 where 2 or 8 events are expected
    // (p ≥ e^−8 / 2) can never reach the slices' level, so the up spike's evidence is charged ×4.
    const obs: RateObs[] = [...new Array(24 * 7).fill({ n: 2, d: 1000 }), { n: 10, d: 1000 }];
    const options = { ...OPTIONS, groupOf: () => null };
    const band = scoreRateBands(new Map([['', obs]]), obs.length, options).get('')!;
    const p = (poissonUpperTail(10, 2) + poissonUpperTail(11, 2)) / 2;
    const evidence = -Math.log10(4 * p);
    expect(band.at(-1)!.score).toBeCloseTo(evidence / (evidence + TUNING.halfEvidence), 9);
  });
});
