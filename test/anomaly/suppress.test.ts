import { describe, expect, it } from 'vitest';
import { RepeatSuppressor } from '../../shared/anomaly/suppress.js';

/** The 72-row window, x0.2 damping, alert level 0.5 and 0.1 margin of `vigil detect`'s defaults. */
const suppressor = () => new RepeatSuppressor(72, 0.2, 0.5, 0.1);

describe('repeat suppression with hold-off', () => {
  it('passes the first alert, damps small escalations after it, passes large ones', () => {
    const s = suppressor();
    const out = [0.1, 0.3, 0.6, 0.65, 0.68, 0.8].map((r) => s.apply(r));
    expect(out[1]).toBe(0.3);
    expect(out[2]).toBe(0.6);
    expect(out[3]).toBeCloseTo(0.13);
    expect(out[4]).toBeCloseTo(0.136);
    expect(out[5]).toBe(0.8);
  });

  it('without an alert in the window, every new high passes', () => {
    const s = suppressor();
    expect([0.1, 0.2, 0.3, 0.45, 0.49].map((r) => s.apply(r))).toEqual([0.1, 0.2, 0.3, 0.45, 0.49]);
  });

  it("ends `window` rows after the alert, not after the damped rows of the alert's episode", () => {
    // A drift alerts at 0.55, its damped scores creep up to 0.62 over 40 rows, then it is over.
    // A new event 80 rows after the alert (0.04 above the drift's last high row, which is still in
    // the window) is news: before, every row in the window at alert level renewed the hold-off.
    const s = suppressor();
    expect(s.apply(0.55)).toBe(0.55);
    for (let i = 1; i <= 40; i++) expect(s.apply(0.5 + 0.003 * i)).toBeLessThan(0.5);
    for (let i = 41; i < 80; i++) s.apply(0.3);
    expect(s.apply(0.66)).toBe(0.66);
  });

  it('measures an escalation against the alert that was reported', () => {
    // Alert 0.51, damped noise up to 0.6 after it; 60 rows later an event at 0.635 is a new high
    // of the window and beats the alert by the margin: it passes (before: it had to beat 0.6 + 0.1).
    const s = suppressor();
    expect(s.apply(0.51)).toBe(0.51);
    for (const r of [0.5, 0.53, 0.56, 0.6, 0.55, 0.52]) expect(s.apply(r)).toBeLessThan(0.5);
    for (let i = 7; i < 60; i++) s.apply(0.3);
    expect(s.apply(0.59)).toBeCloseTo(0.118);
    expect(s.apply(0.635)).toBe(0.635);
  });
});
