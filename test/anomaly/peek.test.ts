import { describe, expect, it } from 'vitest';
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import { peek } from '../../shared/anomaly/peek.js';

const H = 3_600_000;
/** A daily-seasonal count series with noise and a few spikes (deterministic). */
function series(n: number): { t: number; value: number; numerator: number }[] {
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, (_, i) => {
    const value = Math.round(
      100 + 40 * Math.sin((2 * Math.PI * i) / 24) + 10 * rand() + (i % 97 === 50 ? 200 : 0),
    );
    return { t: i * H, value, numerator: value };
  });
}

describe('peek: score a point without learning it', () => {
  it('gives what push would give, and leaves the detector as if the point never came', () => {
    const points = series(400);
    const watched = new StreamingDetector({ warmup: 48 });
    const plain = new StreamingDetector({ warmup: 48 });
    points.forEach((p, i) => {
      if (i % 7 === 3) {
        // What push on an identical detector would say…
        const twin = new StreamingDetector({ warmup: 48 });
        for (const q of points.slice(0, i)) if (points.indexOf(q) % 7 !== 3) twin.push(q);
        expect(peek(watched, p)).toEqual(twin.push(p));
        return; // …and neither detector learns it.
      }
      expect(watched.push(p)).toEqual(plain.push(p));
    });
  });
});
