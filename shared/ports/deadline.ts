import { VigilError } from '../errors.js';

/** Work was stopped because the invocation's time ran out. */
export class DeadlineExceededError extends VigilError {}

/**
 * One deadline per invocation (a Lambda's remaining time minus a reserve, a CLI limit, or none),
 * passed down to every query: engines bound their waits by it and stop in-flight work when its
 * signal fires, so a job ends — queries stopped, leases released, summary logged — before the
 * runtime kills it.
 */
export class Deadline {
  private constructor(
    /** Epoch ms; undefined = no deadline. */
    readonly at: number | undefined,
    /** Aborts when the deadline passes (or a parent deadline does). */
    readonly signal: AbortSignal,
    private readonly now: () => number,
  ) {}

  static none(): Deadline {
    return new Deadline(undefined, new AbortController().signal, Date.now);
  }

  /** A deadline `ms` from now. */
  static after(ms: number, now: () => number = Date.now): Deadline {
    return Deadline.at(now() + ms, now);
  }

  static at(at: number, now: () => number = Date.now, parent?: AbortSignal): Deadline {
    const controller = new AbortController();
    const fire = () =>
      controller.abort(new DeadlineExceededError(`deadline ${new Date(at).toISOString()} passed`));
    const wait = at - now();
    if (wait <= 0) fire();
    else setTimeout(fire, Math.min(wait, 2 ** 31 - 1)).unref?.();
    const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
    return new Deadline(at, signal, now);
  }

  /**
   * The deadline of a Lambda invocation: its remaining time less `reserveMs`, kept for stopping
   * queries, releasing leases and reporting.
   */
  static ofLambda(context: { getRemainingTimeInMillis(): number }, reserveMs = 20_000): Deadline {
    return Deadline.after(Math.max(0, context.getRemainingTimeInMillis() - reserveMs));
  }

  /** Milliseconds left (Infinity without a deadline, 0 once passed). */
  remainingMs(): number {
    return this.at === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.at - this.now());
  }

  get expired(): boolean {
    return this.signal.aborted || this.remainingMs() <= 0;
  }

  /** This deadline or `ms` from now, whichever comes first (e.g. a per-query timeout). */
  within(ms: number | undefined): Deadline {
    if (ms === undefined) return this;
    const at = this.now() + ms;
    if (this.at !== undefined && this.at <= at) return this;
    return Deadline.at(at, this.now, this.signal);
  }

  /** Throws DeadlineExceededError naming `what` when the deadline has passed. */
  check(what: string): void {
    if (this.expired)
      throw new DeadlineExceededError(
        `${what}: the invocation's deadline${this.at !== undefined ? ` (${new Date(this.at).toISOString()})` : ''} has passed`,
      );
  }

  /** Sleeps `ms`, waking early (without throwing) when the deadline fires. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      // The deadline wakes it through its signal, so the wake-up and signal.aborted agree.
      const timer = setTimeout(done, Math.max(0, ms));
      this.signal.addEventListener('abort', done, { once: true });
    });
  }
}
