import { describe, expect, it } from 'vitest';
import { TUNING } from '../../shared/anomaly/detector.js';
import { EvidenceTracker } from '../../shared/anomaly/evidence.js';
import { TailCalibrator } from '../../shared/anomaly/tail.js';
import { uniformStream } from '../../shared/stats/random.js';
import { gaussian } from './gen.js';

const STEP = 300_000;

/**
 * A bursty series seen through a baseline whose noise scale collapses during silence: every
 * 25th row is a burst of ~1000 in the series' units, but its z depends on how long the quiet
 * lasted, so the next burst of the usual size can have a z far beyond anything seen before.
 */
function feed(tracker: EvidenceTracker, rows: number): void {
  const r = uniformStream(7);
  const n = gaussian(r);
  for (let i = 0; i < rows; i++) {
    const burst = i % 25 === 0;
    const dev = burst ? 1000 * (0.8 + 0.4 * r()) : 0.01 * n();
    const scale = burst ? 1 + 9 * r() : 0.01;
    tracker.observe(dev / scale, i * STEP, dev);
  }
}

describe('evidence: raw-deviation gate', () => {
  const tuning = { ...TUNING.evidence, recurrence: false };

  it('does not treat a burst of the usual size as new because the local scale collapsed', () => {
    const gated = new EvidenceTracker('up', tuning, STEP);
    feed(gated, 1000);
    // z = 1e5: a hundred times the largest z so far, yet the usual 1000 in the series' units.
    const routine = gated.observe(1e5, 1000 * STEP, 1000);
    // Below the default alert level (score 0.5 at evidence TUNING.halfEvidence).
    expect(routine).toBeLessThan(TUNING.halfEvidence);

    const ungated = new EvidenceTracker('up', { ...tuning, rawGate: false }, STEP);
    feed(ungated, 1000);
    expect(ungated.observe(1e5, 1000 * STEP, 1000)).toBeGreaterThan(10);
  });

  it('still gives strong evidence for a burst far larger than any before', () => {
    const gated = new EvidenceTracker('up', tuning, STEP);
    feed(gated, 1000);
    expect(gated.observe(2e6, 1000 * STEP, 20_000)).toBeGreaterThan(10);
  });

  it('leaves a smooth series unchanged when z and the raw deviation agree', () => {
    const a = new EvidenceTracker('both', tuning, STEP);
    const b = new EvidenceTracker('both', { ...tuning, rawGate: false }, STEP);
    const n = gaussian(uniformStream(3));
    for (let i = 0; i < 1000; i++) {
      const z = n();
      a.observe(z, i * STEP, 5 * z);
      b.observe(z, i * STEP, 5 * z);
    }
    expect(a.observe(8, 1000 * STEP, 40)).toBeCloseTo(b.observe(8, 1000 * STEP, 40), 6);
  });
});

describe('TailCalibrator', () => {
  it('atLeast(x, p) equals max(p, pValue(x)), also while the buffers grow and after they wrap', () => {
    const r = uniformStream(5);
    const n = gaussian(r);
    const tail = new TailCalibrator(300, 0.1, 10);
    for (let i = 0; i < 1000; i++) {
      const x = Math.abs(n()) * (r() < 0.05 ? 20 : 1);
      for (const p of [0, 0.001, 0.05, 0.2, 1]) expect(tail.atLeast(x, p)).toBe(Math.max(p, tail.pValue(x)));
      tail.add(x);
    }
    expect(tail.size).toBe(300);
  });
});
