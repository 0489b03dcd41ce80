import { describe, expect, it } from 'vitest';
import { type BackfillSummary, judgeableEnd } from '../../shared/jobs/backfill.js';

const summary = (failed: string[], skipped: string[]): BackfillSummary => ({
  windows: 3,
  written: 3 - failed.length - skipped.length,
  rows: 0,
  scans: 0,
  bytesScanned: 0,
  superseded: 0,
  failed: failed.map((window) => ({ window, error: 'boom' })),
  skipped: skipped.map((window) => ({ window, heldBy: 'other-run', expiresAt: '2026-01-05T04:00:00Z' })),
  warnings: [],
});

describe('judgeableEnd', () => {
  const end = new Date('2026-01-05T03:00:00Z');
  it('judges up to the end when every window was written', () => {
    expect(judgeableEnd(summary([], []), end)).toEqual(end);
  });
  it('stops before the earliest failed or leased-elsewhere window', () => {
    expect(judgeableEnd(summary(['2026-01-05T02:00:00Z'], ['2026-01-05T01:00:00Z']), end)).toEqual(
      new Date('2026-01-05T01:00:00Z'),
    );
    expect(judgeableEnd(summary(['2026-01-05T02:00:00Z'], []), end)).toEqual(
      new Date('2026-01-05T02:00:00Z'),
    );
  });
});
