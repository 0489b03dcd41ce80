import { describe, expect, it } from 'vitest';
import { alertThreshold, parseDetectorConfig } from '../../shared/anomaly/config.js';

describe('detector config', () => {
  it('fills defaults', () => {
    expect(parseDetectorConfig({})).toMatchObject({ direction: 'both', sensitivity: 0.5, minVolume: 0 });
  });
  it('rejects unknown keys and bad values', () => {
    expect(() => parseDetectorConfig({ direction: 'sideways' } as never)).toThrow();
    expect(() => parseDetectorConfig({ sensitivity: 2 })).toThrow();
    expect(() => parseDetectorConfig({ warmup: -1 })).toThrow();
    expect(() => parseDetectorConfig({ bogus: 1 } as never)).toThrow();
  });
  it('maps higher sensitivity to a lower alert threshold', () => {
    expect(alertThreshold(0.9)).toBeLessThan(alertThreshold(0.5));
    expect(alertThreshold(0.5)).toBeCloseTo(0.5);
  });
});
