import { describe, expect, it } from 'vitest';
import { TUNING } from '../../shared/anomaly/detector.js';
import { EvidenceTracker } from '../../shared/anomaly/evidence.js';
import { uniformStream } from '../../shared/stats/random.js';
import { gaussian } from './gen.js';

const STEP = 300_000;

describe('evidence: the CUSUM reports only records', () => {
  const tuning = { ...TUNING.evidence, recurrence: false };

  it('a drift no bigger than one seen long ago (beyond the history) gets no CUSUM evidence; a bigger one does', () => {
    const tracker = new EvidenceTracker('up', tuning, STEP);
    const n = gaussian(uniformStream(11));
    let row = 0;
    const run = (rows: number, mean: number): number => {
      let peak = 0;
      for (let i = 0; i < rows; i++, row++) {
        const z = mean + 0.3 * n();
        peak = Math.max(peak, tracker.observe(z, row * STEP, 5 * z));
      }
      return peak;
    };
    const noise = (rows: number) => run(rows, 0);
    noise(1500);
    const first = run(40, 1.2);
    // Longer than the calibration history (TUNING.evidence.history), so its tails have forgotten it.
    noise(tuning.history + 500);
    const again = run(30, 1.2);
    noise(1000);
    const bigger = run(120, 1.2);
    expect(first).toBeGreaterThan(TUNING.halfEvidence);
    expect(again).toBeLessThan(TUNING.halfEvidence);
    expect(bigger).toBeGreaterThan(TUNING.halfEvidence);
  });

  it('a drift less than half a noise scale past the record is that drift again; one clearly past it is news', () => {
    const tracker = new EvidenceTracker('up', tuning, STEP);
    let row = 0;
    // Noise-free rows around the drifts keep the CUSUM at exactly 0 between them, so its peaks are
    // known: each drift row at z = 1.2 adds 1.2 - cusumK = 0.7.
    const feed = (zs: number[]): number => {
      let peak = 0;
      for (const z of zs) peak = Math.max(peak, tracker.observe(z, row++ * STEP, 5 * z));
      return peak;
    };
    const noise = (rows: number) => feed(Array.from({ length: rows }, (_, i) => (i % 2 ? 0.3 : -0.3)));
    const drift = (rows: number, last: number[] = []) => feed([...Array<number>(rows).fill(1.2), ...last]);
    noise(1500);
    const first = drift(40); // CUSUM peak 28
    noise(tuning.history + 500);
    const hair = drift(40, [0.9]); // 28.4: 0.4 past the record
    noise(1000);
    const past = drift(42); // 29.4
    expect(first).toBeGreaterThan(TUNING.halfEvidence);
    expect(hair).toBeLessThan(TUNING.halfEvidence);
    expect(past).toBeGreaterThan(TUNING.halfEvidence);
  });
});
