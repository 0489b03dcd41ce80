import { describe, expect, it } from 'vitest';
import { StreamingDetector } from '../../shared/anomaly/index.js';
import { uniformStream } from '../../shared/stats/random.js';
import { gaussian, HOUR, T0 } from './gen.js';

/**
 * A day of traffic ×1.35 (every hour of one UTC day, the judge's "global traffic" kind) on the
 * second Saturday of an hourly series with a daily curve and busier weekends. The hold is a day,
 * so the detector re-bases on it at its last hour; what must follow is a clean return, not a
 * "down" move when traffic is back, and not a Saturday profile learned from the traffic day.
 */
const TRAFFIC_DAY = 12; // Saturday 2026-01-17 (T0 is a Monday)

function run(seed: number) {
  const noise = gaussian(uniformStream(seed));
  // The alerting path's settings for an exposure's total (score-series.ts newDetector).
  const det = new StreamingDetector({
    direction: 'both',
    sensitivity: 0.5,
    cooldown: 0,
    episodeCalibration: 'hold',
  });
  const after: { day: number; down: boolean }[] = [];
  for (let i = 0; i < 28 * 24; i++) {
    const t = T0 + i * HOUR;
    const d = new Date(t);
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const day = Math.floor(i / 24);
    let mu =
      7500 * (0.6 + 0.4 * Math.cos(((d.getUTCHours() - 21) / 24) * 2 * Math.PI)) * (weekend ? 1.15 : 1);
    if (day === TRAFFIC_DAY) mu *= 1.35;
    const x = Math.round(mu + Math.sqrt(mu) * noise());
    const p = det.push({ t, value: x });
    if (p.isAnomaly && day > TRAFFIC_DAY) after.push({ day, down: x < p.expected });
  }
  return after;
}

describe('a day of traffic, then back to normal', () => {
  it.each([1, 2, 3])('seed %i: no down move on return and nothing the next Saturday', (seed) => {
    const after = run(seed);
    // The return is undone at once (a day's multiplicative move is not a constant shift).
    expect(after.filter((a) => a.down)).toEqual([]);
    // The traffic day did not become the Saturday profile of the weekly model.
    expect(after.filter((a) => a.day === TRAFFIC_DAY + 7)).toEqual([]);
  });
});
