/** Retries with exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly random: () => number;
}

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

export async function withRetries<T>(
  fn: () => Promise<T>,
  p: RetryPolicy & {
    readonly sleep: (ms: number) => Promise<void>;
    readonly retryIf: (e: unknown) => boolean;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= p.attempts || !p.retryIf(err)) throw err;
      await p.sleep(Math.floor(p.random() * Math.min(p.maxMs, p.baseMs * 2 ** attempt)));
    }
  }
}
