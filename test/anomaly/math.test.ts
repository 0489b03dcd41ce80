import { describe, expect, it } from 'vitest';
import { median } from '../../shared/anomaly/math.js';

describe('median (math.ts)', () => {
  it('takes the middle value of an odd list and the mean of the middle two of an even one, unsorted', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([-0.2, 0.1])).toBeCloseTo(-0.05, 12);
  });

  it('leaves its input as it was', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
});
