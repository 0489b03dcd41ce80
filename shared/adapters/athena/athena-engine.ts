import { randomUUID } from 'node:crypto';
import {
  type AthenaClient,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { QueryError } from '../../errors.js';
import type { Deadline } from '../../ports/deadline.js';
import type { Cell, QueryEngine, QueryOptions, QueryResult } from '../../ports/query-engine.js';
import { athenaDialect, type Dialect } from '../../sql/dialect.js';
import { backoffMs, CALL_RETRY, isThrottle, QUEUE_RETRY, type RetryPolicy, withRetries } from './retry.js';

export interface QueryStats {
  readonly label: string;
  readonly queryExecutionId: string;
  readonly state: string;
  readonly bytesScanned: number;
  readonly engineMs: number;
  readonly queueMs: number;
  readonly wallMs: number;
  readonly attempts: number;
}

export interface AthenaEngineOptions {
  readonly client: AthenaClient;
  readonly workGroup: string;
  /** Glue database holding the lake tables; also the schema the dialect qualifies tables with. */
  readonly database: string;
  readonly catalog?: string;
  /**
   * Whole-query timeout; past it, or past the caller's deadline (QueryOptions.deadline) if that
   * comes first, the query is stopped (StopQueryExecution).
   */
  readonly timeoutMs?: number;
  /** First poll delay, growing ×1.5 up to `maxPollMs`. */
  readonly pollMs?: number;
  readonly maxPollMs?: number;
  /** Retries of throttled API calls: polls and result pages (full jitter). */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Retries of StartQueryExecution past the concurrent-query quota (TooManyRequestsException):
   * long enough to outlast a queue, bounded by the deadline (QUEUE_RETRY in retry.ts).
   */
  readonly queueRetry?: Partial<RetryPolicy>;
  /** Re-runs of a query Athena marks as Retryable (e.g. resource exhaustion). */
  readonly maxQueryAttempts?: number;
  /** Called once per finished query (succeeded or not) — bytes scanned are recorded here. */
  readonly onQuery?: (stats: QueryStats) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** A query that did not finish in time; it was stopped in Athena. */
export class QueryTimeoutError extends QueryError {}

const NUMERIC = new Set(['tinyint', 'smallint', 'integer', 'int', 'bigint', 'double', 'float', 'real']);

/** Converts an Athena VarCharValue to a typed cell by the column's ColumnInfo type. */
export function athenaCell(value: string | undefined, type: string): Cell {
  if (value === undefined) return null;
  const t = type.toLowerCase();
  if (NUMERIC.has(t) || t.startsWith('decimal')) {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    return Number(value);
  }
  if (t === 'boolean') return value === 'true';
  return value;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * QueryEngine on Amazon Athena: starts the statement in the workgroup (whose enforced settings own
 * the output location, encryption and the bytes-scanned cutoff), polls with backoff, stops it past
 * the deadline, and reads the result pages into column vectors typed by ColumnInfo.
 */
export class AthenaQueryEngine implements QueryEngine {
  readonly dialect: Dialect;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly retry: RetryPolicy;
  private readonly queueRetry: RetryPolicy;

  constructor(private readonly o: AthenaEngineOptions) {
    this.dialect = athenaDialect(o.database);
    this.sleep = o.sleep ?? defaultSleep;
    this.now = o.now ?? Date.now;
    this.retry = { ...CALL_RETRY, ...o.retry };
    this.queueRetry = { ...QUEUE_RETRY, random: this.retry.random, ...o.queueRetry };
  }

  private call<T>(label: string, fn: () => Promise<T>, bound: Bound, policy = this.retry): Promise<T> {
    return withRetries(fn, {
      ...policy,
      sleep: (ms) => this.pause(ms, bound),
      now: this.now,
      deadline: bound,
      retryIf: isThrottle,
    }).catch((err) => {
      if (err instanceof QueryError) throw err;
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      throw new QueryError(`${label} failed on Athena: ${name}: ${message}`, { cause: err });
    });
  }

  /** Sleeps, waking early when the caller's deadline fires. */
  private pause(ms: number, bound: Bound): Promise<void> {
    const signal = bound.signal;
    if (!signal) return this.sleep(ms);
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      void this.sleep(ms).then(done);
    });
  }

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const label = options.label ?? 'query';
    const started = this.now();
    const bound = this.boundOf(started, options.deadline);
    const maxAttempts = this.o.maxQueryAttempts ?? 2;
    for (let attempt = 1; ; attempt++) {
      const execution = await this.runOnce(sql, label, started, attempt, bound);
      const state = execution.Status?.State ?? 'UNKNOWN';
      const id = execution.QueryExecutionId ?? '?';
      const stats = execution.Statistics;
      this.o.onQuery?.({
        label,
        queryExecutionId: id,
        state,
        bytesScanned: stats?.DataScannedInBytes ?? 0,
        engineMs: stats?.EngineExecutionTimeInMillis ?? 0,
        queueMs: stats?.QueryQueueTimeInMillis ?? 0,
        wallMs: this.now() - started,
        attempts: attempt,
      });
      if (state === 'SUCCEEDED') {
        const result = await this.readResults(id, label, bound);
        return { ...result, bytesScanned: stats?.DataScannedInBytes ?? 0 };
      }
      const err = execution.Status?.AthenaError;
      const reason = execution.Status?.StateChangeReason ?? err?.ErrorMessage ?? 'no reason given';
      if (state === 'FAILED' && err?.Retryable && attempt < maxAttempts) {
        const wait = backoffMs(attempt, this.retry);
        if (wait < bound.remainingMs()) {
          await this.pause(wait, bound);
          if (!bound.expired) continue;
        }
      }
      const kind = err?.ErrorType !== undefined ? ` (error type ${err.ErrorType})` : '';
      throw new QueryError(`${label} ${state} on Athena (query ${id})${kind}: ${reason}`);
    }
  }

  /** The earlier of the query timeout and the caller's deadline, on this engine's clock. */
  private boundOf(started: number, deadline: Deadline | undefined): Bound {
    const timeoutAt = started + (this.o.timeoutMs ?? 600_000);
    const at = deadline?.at !== undefined ? Math.min(timeoutAt, deadline.at) : timeoutAt;
    const byDeadline = deadline?.at !== undefined && deadline.at < timeoutAt;
    const signal = deadline?.signal;
    const now = this.now;
    return {
      at,
      byDeadline,
      ...(signal ? { signal } : {}),
      remainingMs: () => (signal?.aborted ? 0 : Math.max(0, at - now())),
      get expired() {
        return signal?.aborted === true || now() >= at;
      },
    };
  }

  /** Starts one execution and polls it to a final state. */
  private async runOnce(sql: string, label: string, started: number, attempt: number, bound: Bound) {
    if (bound.expired) throw this.timeout(label, started, attempt, bound, undefined);
    // The token makes a retried StartQueryExecution idempotent (no double run after a throttle).
    const token = randomUUID();
    const start = await this.call(
      label,
      () =>
        this.o.client.send(
          new StartQueryExecutionCommand({
            QueryString: sql,
            WorkGroup: this.o.workGroup,
            ClientRequestToken: token,
            QueryExecutionContext: {
              Database: this.o.database,
              Catalog: this.o.catalog ?? 'AwsDataCatalog',
            },
          }),
        ),
      bound,
      this.queueRetry,
    );
    const id = start.QueryExecutionId;
    if (!id) throw new QueryError(`${label} failed on Athena: no query execution id returned`);
    let delay = this.o.pollMs ?? 250;
    for (;;) {
      // Past the deadline no call may wait: the stop below must still fit in the reserve.
      const res = bound.expired
        ? undefined
        : await this.call(
            label,
            () => this.o.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
            bound,
          ).catch((err) => {
            if (bound.expired) return undefined;
            throw err;
          });
      const execution: QueryExecution = res?.QueryExecution ?? { QueryExecutionId: id };
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED')
        return { ...execution, QueryExecutionId: id };
      const remaining = bound.remainingMs();
      if (remaining <= 0) {
        // One attempt, no retries: this runs in the time kept back for cleanup.
        await this.o.client
          .send(new StopQueryExecutionCommand({ QueryExecutionId: id }))
          .catch(() => undefined);
        throw this.timeout(label, started, attempt, bound, id);
      }
      await this.pause(Math.min(delay, remaining), bound);
      delay = Math.min(delay * 1.5, this.o.maxPollMs ?? 2_000);
    }
  }

  private timeout(label: string, started: number, attempt: number, bound: Bound, id: string | undefined) {
    const why = bound.byDeadline ? " (the invocation's deadline)" : '';
    const where = id
      ? `query ${id}, attempt ${attempt}); it was stopped`
      : `attempt ${attempt}); not started`;
    return new QueryTimeoutError(
      `${label} timed out on Athena after ${Math.round((this.now() - started) / 1000)} s${why} (${where}`,
    );
  }

  /** Reads every result page (1000 rows a page) into column vectors. */
  private async readResults(id: string, label: string, bound: Bound): Promise<QueryResult> {
    let columns: string[] = [];
    let types: string[] = [];
    let vectors: Cell[][] = [];
    let rowCount = 0;
    let nextToken: string | undefined;
    let first = true;
    do {
      const token = nextToken;
      const page = await this.call(
        label,
        () =>
          this.o.client.send(
            new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, NextToken: token }),
          ),
        bound,
      );
      const rows = page.ResultSet?.Rows ?? [];
      if (first) {
        const info: ColumnInfo[] = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
        columns = info.map((c) => c.Name ?? c.Label ?? '');
        types = info.map((c) => c.Type ?? 'varchar');
        vectors = columns.map(() => []);
      }
      // The first row of the first page repeats the column names (SELECT statements).
      const skip = first && rows.length > 0 && isHeader(rows[0]!.Data ?? [], columns) ? 1 : 0;
      for (let r = skip; r < rows.length; r++) {
        const data = rows[r]!.Data ?? [];
        for (let c = 0; c < columns.length; c++)
          vectors[c]!.push(athenaCell(data[c]?.VarCharValue, types[c]!));
        rowCount++;
      }
      first = false;
      nextToken = page.NextToken;
    } while (nextToken);
    return { columns, data: Object.fromEntries(columns.map((c, i) => [c, vectors[i]!])), rowCount };
  }

  async close(): Promise<void> {}
}

function isHeader(data: readonly { VarCharValue?: string }[], columns: readonly string[]): boolean {
  return columns.length > 0 && columns.every((c, i) => data[i]?.VarCharValue === c);
}

/** A query's time bound on the engine's clock, with the caller's abort signal. */
interface Bound {
  readonly at: number;
  /** The caller's deadline, not the engine's query timeout, is the binding one. */
  readonly byDeadline: boolean;
  readonly signal?: AbortSignal;
  remainingMs(): number;
  readonly expired: boolean;
}
