import { describe, expect, it } from 'vitest';
import { Deadline, DeadlineExceededError } from '../../shared/ports/deadline.js';

describe('Deadline', () => {
  it('of a Lambda invocation: its remaining time less the reserve', () => {
    const d = Deadline.ofLambda({ getRemainingTimeInMillis: () => 60_000 }, 20_000);
    expect(d.remainingMs()).toBeGreaterThan(39_000);
    expect(d.remainingMs()).toBeLessThanOrEqual(40_000);
    expect(Deadline.ofLambda({ getRemainingTimeInMillis: () => 5_000 }).expired).toBe(true);
  });

  it('within(): the earlier of a per-query timeout and the invocation deadline', () => {
    let now = 0;
    const clock = () => now;
    const d = Deadline.at(10_000, clock);
    expect(d.within(5_000).at).toBe(5_000);
    expect(d.within(50_000)).toBe(d);
    expect(Deadline.none().within(1_000).at).toBeDefined();
    now = 10_000;
    expect(d.expired).toBe(true);
    expect(() => d.check('scan')).toThrow(DeadlineExceededError);
    expect(() => Deadline.none().check('scan')).not.toThrow();
  });

  it('fires its signal when it passes, and a sleep wakes early', async () => {
    const d = Deadline.after(50);
    const started = Date.now();
    await d.sleep(10_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBeInstanceOf(DeadlineExceededError);
  });
});
