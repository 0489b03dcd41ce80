import { describe, expect, it } from 'vitest';
import { TUNING } from '../../shared/anomaly/detector.js';
import { EvidenceTracker } from '../../shared/anomaly/evidence.js';
import { Repertoire } from '../../shared/anomaly/repertoire.js';
import { uniformStream } from '../../shared/stats/random.js';
import { gaussian } from './gen.js';

const STEP = 300_000;
const DAY_ROWS = 288;

/** Feeds `rows` rows of deviation 0 with an excursion of size `size(i)` where it is defined. */
function feed(r: Repertoire, rows: number, size: (i: number) => number | undefined, from = 0): void {
  for (let i = from; i < from + rows; i++) r.add(size(i) ?? 0, i * STEP, 1);
}

describe('repertoire of past excursions', () => {
  it('floors a size seen before at the rate it occurred, and leaves a new record alone', () => {
    const r = new Repertoire(false);
    // Five excursions of 5, 200 rows apart (unrelated times of day): (5 + 1) / (rows + 1).
    feed(r, 999, (i) => (i % 200 === 100 ? 5 : undefined));
    expect(r.floor(4, 999 * STEP)).toBeCloseTo(6 / 1000, 9);
    expect(r.floor(5.5, 999 * STEP)).toBe(0);
  });

  it('takes a hair above the record (within the margin) as the record size, a clear step above as new', () => {
    const r = new Repertoire(false);
    feed(r, 999, (i) => (i % 200 === 100 ? 5 + i / 1e4 : undefined));
    // The largest is 5.09; 5.1 beats it by less than the margin 0.5: five of its size were seen.
    expect(r.floor(5.1, 999 * STEP, 0.5)).toBeCloseTo(6 / 1000, 9);
    expect(r.floor(5.1, 999 * STEP)).toBe(0);
    expect(r.floor(5.7, 999 * STEP, 0.5)).toBe(0);
  });

  it('does not count the excursion still going on', () => {
    const r = new Repertoire(false);
    feed(r, 100, (i) => (i >= 90 ? 5 : undefined));
    expect(r.floor(4, 100 * STEP)).toBe(0);
    r.add(0, 100 * STEP, 1);
    expect(r.floor(4, 101 * STEP)).toBeGreaterThan(0);
  });

  it('is not muted by one far bigger outlier', () => {
    const r = new Repertoire(false);
    feed(r, 500, (i) => (i === 100 ? 1000 : undefined));
    expect(r.floor(6, 500 * STEP)).toBe(0);
    expect(r.floor(200, 500 * STEP)).toBeGreaterThan(0);
  });

  it('takes an excursion that recurs at its time of day as routine only at that time', () => {
    const r = new Repertoire(true);
    // A nightly job: an excursion of 5 at the same minute for 5 days.
    feed(r, 5 * DAY_ROWS + 10, (i) => (i % DAY_ROWS === 0 ? 5 : undefined));
    const atJobTime = 5 * DAY_ROWS * STEP;
    expect(r.floor(4, atJobTime)).toBeGreaterThan(0);
    // The same size six hours off the job's time has not been seen there.
    expect(r.floor(4, atJobTime + 6 * 3_600_000)).toBe(0);
  });
});

describe('evidence: repertoire floor', () => {
  const tuning = { ...TUNING.evidence, recurrence: false };

  /** Gaussian noise (z = deviation) with a burst of 8 every 300 rows. */
  function bursty(tracker: EvidenceTracker, rows: number): void {
    const n = gaussian(uniformStream(11));
    for (let i = 0; i < rows; i++) {
      const d = i % 300 === 150 ? 8 : n();
      tracker.observe(d, i * STEP, d);
    }
  }

  it('keeps a burst of a size the series shows every few hundred rows under the alert level', () => {
    const t = new EvidenceTracker('up', tuning, STEP);
    bursty(t, 1400);
    // Far out in the noise's exponential tail, yet the fifth of its kind.
    expect(t.observe(8, 1400 * STEP, 8)).toBeLessThan(TUNING.halfEvidence);
  });

  it('keeps a burst a hair bigger each time (the expectation drifting by much less than the noise) under the alert level', () => {
    const t = new EvidenceTracker('up', tuning, STEP);
    const n = gaussian(uniformStream(11));
    for (let i = 0; i < 1400; i++) {
      const d = i % 300 === 150 ? 8 + i / 1e4 : n();
      t.observe(d, i * STEP, d);
    }
    // Each burst was a new record by ~0.03 sd, so no floor applied before the margin.
    expect(t.observe(8.2, 1400 * STEP, 8.2)).toBeLessThan(TUNING.halfEvidence);
  });

  it('still gives strong evidence for a burst bigger than any before', () => {
    const t = new EvidenceTracker('up', tuning, STEP);
    bursty(t, 1400);
    expect(t.observe(16, 1400 * STEP, 16)).toBeGreaterThan(2 * TUNING.halfEvidence);
  });
});
