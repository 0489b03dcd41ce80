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
import type { Cell, QueryEngine, QueryResult } from '../../ports/query-engine.js';
import { athenaDialect, type Dialect } from '../../sql/dialect.js';
import { isThrottle, type RetryPolicy, withRetries } from './retry.js';

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
  /** Whole-query deadline; past it the query is stopped (StopQueryExecution). */
  readonly timeoutMs?: number;
  /** First poll delay, growing ×1.5 up to `maxPollMs`. */
  readonly pollMs?: number;
  readonly maxPollMs?: number;
  /** Retries of throttled API calls (full jitter). */
  readonly retry?: Partial<RetryPolicy>;
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

  constructor(private readonly o: AthenaEngineOptions) {
    this.dialect = athenaDialect(o.database);
    this.sleep = o.sleep ?? defaultSleep;
    this.now = o.now ?? Date.now;
    this.retry = { attempts: 6, baseMs: 200, maxMs: 5_000, random: Math.random, ...o.retry };
  }

  private call<T>(label: string, fn: () => Promise<T>): Promise<T> {
    return withRetries(fn, { ...this.retry, sleep: this.sleep, retryIf: isThrottle }).catch((err) => {
      if (err instanceof QueryError) throw err;
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      throw new QueryError(`${label} failed on Athena: ${name}: ${message}`, { cause: err });
    });
  }

  async query(sql: string, options: { readonly label?: string } = {}): Promise<QueryResult> {
    const label = options.label ?? 'query';
    const started = this.now();
    const maxAttempts = this.o.maxQueryAttempts ?? 2;
    for (let attempt = 1; ; attempt++) {
      const execution = await this.runOnce(sql, label, started, attempt);
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
        const result = await this.readResults(id, label);
        return { ...result, bytesScanned: stats?.DataScannedInBytes ?? 0 };
      }
      const err = execution.Status?.AthenaError;
      const reason = execution.Status?.StateChangeReason ?? err?.ErrorMessage ?? 'no reason given';
      if (state === 'FAILED' && err?.Retryable && attempt < maxAttempts) {
        await this.sleep(backoff(attempt, this.retry));
        continue;
      }
      const kind = err?.ErrorType !== undefined ? ` (error type ${err.ErrorType})` : '';
      throw new QueryError(`${label} ${state} on Athena (query ${id})${kind}: ${reason}`);
    }
  }

  /** Starts one execution and polls it to a final state. */
  private async runOnce(sql: string, label: string, started: number, attempt: number) {
    const deadline = started + (this.o.timeoutMs ?? 600_000);
    // The token makes a retried StartQueryExecution idempotent (no double run after a throttle).
    const token = randomUUID();
    const start = await this.call(label, () =>
      this.o.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: this.o.workGroup,
          ClientRequestToken: token,
          QueryExecutionContext: { Database: this.o.database, Catalog: this.o.catalog ?? 'AwsDataCatalog' },
        }),
      ),
    );
    const id = start.QueryExecutionId;
    if (!id) throw new QueryError(`${label} failed on Athena: no query execution id returned`);
    let delay = this.o.pollMs ?? 250;
    for (;;) {
      const res = await this.call(label, () =>
        this.o.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      );
      const execution: QueryExecution = res.QueryExecution ?? { QueryExecutionId: id };
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED')
        return { ...execution, QueryExecutionId: id };
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        await this.call(label, () =>
          this.o.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })),
        ).catch(() => undefined);
        throw new QueryTimeoutError(
          `${label} timed out on Athena after ${Math.round((this.now() - started) / 1000)} s (query ${id}, attempt ${attempt}); it was stopped`,
        );
      }
      await this.sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 1.5, this.o.maxPollMs ?? 2_000);
    }
  }

  /** Reads every result page (1000 rows a page) into column vectors. */
  private async readResults(id: string, label: string): Promise<QueryResult> {
    let columns: string[] = [];
    let types: string[] = [];
    let vectors: Cell[][] = [];
    let rowCount = 0;
    let nextToken: string | undefined;
    let first = true;
    do {
      const token = nextToken;
      const page = await this.call(label, () =>
        this.o.client.send(
          new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, NextToken: token }),
        ),
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

function backoff(attempt: number, p: RetryPolicy): number {
  return Math.floor(p.random() * Math.min(p.maxMs, p.baseMs * 2 ** attempt));
}
