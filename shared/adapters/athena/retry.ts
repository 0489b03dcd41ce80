/**
 * Retries with capped exponential backoff and full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): attempt n sleeps uniform(0, min(maxMs, baseMs·2ⁿ)). Every wait is bounded
 * by the invocation's deadline: when the next sleep would pass it, the last error is thrown.
 */
export interface RetryPolicy {
  /** Total attempts, the first included (Infinity: until `maxElapsedMs` or the deadline). */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Stop retrying once this long has passed since the first attempt. */
  readonly maxElapsedMs?: number;
  readonly random: () => number;
}

/**
 * StartQueryExecution past the account's concurrent-query quota answers TooManyRequestsException
 * until running queries finish — minutes, when another team's backfill holds the queue. Waiting
 * up to 30 s between attempts, for up to 10 minutes (or the deadline), outlasts such a queue
 * without hammering the API.
 */
export const QUEUE_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  baseMs: 500,
  maxMs: 30_000,
  maxElapsedMs: 10 * 60_000,
  random: Math.random,
};

/** Other API calls (polls, result pages): a few quick retries of a throttle. */
export const CALL_RETRY: RetryPolicy = { attempts: 6, baseMs: 200, maxMs: 5_000, random: Math.random };

const THROTTLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);

/** True for an AWS API throttle (by error name, or HTTP 429). */
export function isThrottle(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  return (
    (e.name !== undefined && THROTTLE_NAMES.has(e.name)) ||
    e.$metadata?.httpStatusCode === 429 ||
    e.$retryable?.throttling === true
  );
}

/** The sleep before retry number `attempt` (1 = the first retry). */
export function backoffMs(attempt: number, p: Pick<RetryPolicy, 'baseMs' | 'maxMs' | 'random'>): number {
  return Math.floor(p.random() * Math.min(p.maxMs, p.baseMs * 2 ** attempt));
}

export async function withRetries<T>(
  fn: () => Promise<T>,
  p: RetryPolicy & {
    readonly sleep: (ms: number) => Promise<void>;
    readonly retryIf: (e: unknown) => boolean;
    /** The time left (an invocation's Deadline, or any bound with the same two members). */
    readonly deadline?: { remainingMs(): number; readonly expired: boolean };
    readonly now?: () => number;
    /** Called before each sleep (for logs: which call, which attempt, how long). */
    readonly onRetry?: (attempt: number, waitMs: number, err: unknown) => void;
  },
): Promise<T> {
  const now = p.now ?? Date.now;
  const started = now();
  const deadline = p.deadline ?? { remainingMs: () => Number.POSITIVE_INFINITY, expired: false };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= p.attempts || !p.retryIf(err)) throw err;
      const wait = backoffMs(attempt, p);
      const elapsed = now() - started + wait;
      if (wait >= deadline.remainingMs() || (p.maxElapsedMs !== undefined && elapsed > p.maxElapsedMs))
        throw err;
      p.onRetry?.(attempt, wait, err);
      await p.sleep(wait);
      if (deadline.expired) throw err;
    }
  }
}
