import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AthenaQueryEngine,
  athenaCell,
  type QueryStats,
} from '../../../shared/adapters/athena/athena-engine.js';
import { QueryError } from '../../../shared/errors.js';
import { Deadline } from '../../../shared/ports/deadline.js';

const athena = mockClient(AthenaClient);
const noSleep = async () => {};

function engine(extra: Partial<ConstructorParameters<typeof AthenaQueryEngine>[0]> = {}) {
  return new AthenaQueryEngine({
    client: new AthenaClient({ region: 'eu-west-1' }),
    workGroup: 'vigil',
    database: 'vigil',
    sleep: noSleep,
    retry: { random: () => 0.5 },
    ...extra,
  });
}

const cols = [
  { Name: 'w', Type: 'double' },
  { Name: 'd_region', Type: 'varchar' },
  { Name: 'g', Type: 'integer' },
  { Name: 'ok', Type: 'boolean' },
  { Name: 'n', Type: 'bigint' },
];
const row = (...v: (string | undefined)[]) => ({
  Data: v.map((x) => (x === undefined ? {} : { VarCharValue: x })),
});

beforeEach(() => athena.reset());

describe('AthenaQueryEngine', () => {
  it('runs in the workgroup, pages results into typed column vectors and records bytes scanned', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({
        QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 12345 } },
      });
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: cols },
          Rows: [row('w', 'd_region', 'g', 'ok', 'n'), row('1767225600', 'BR', '0', 'true', '42')],
        },
        NextToken: 'p2',
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: 'p2' })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: cols },
          Rows: [row('1767225600', undefined, '1', 'false', '7')],
        },
      });
    const stats: QueryStats[] = [];
    const result = await engine({ onQuery: (s) => stats.push(s) }).query('SELECT 1', { label: 'test' });
    expect(result.columns).toEqual(['w', 'd_region', 'g', 'ok', 'n']);
    expect(result.rowCount).toBe(2);
    expect(result.data).toEqual({
      w: [1767225600, 1767225600],
      d_region: ['BR', null],
      g: [0, 1],
      ok: [true, false],
      n: [42, 7],
    });
    expect(result.bytesScanned).toBe(12345);
    expect(stats).toMatchObject([
      { queryExecutionId: 'q1', state: 'SUCCEEDED', bytesScanned: 12345, attempts: 1 },
    ]);
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(start).toMatchObject({ WorkGroup: 'vigil', QueryExecutionContext: { Database: 'vigil' } });
    expect(start.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(athena.commandCalls(GetQueryResultsCommand)[0]!.args[0].input.MaxResults).toBe(1000);
  });

  it('surfaces FAILED with the state change reason and error type', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: "COLUMN_NOT_FOUND: line 3:8: Column 'regionx' cannot be resolved",
          AthenaError: { ErrorType: 1006, ErrorCategory: 2, Retryable: false },
        },
      },
    });
    const err = await engine()
      .query('SELECT regionx', { label: 'metrics scan of impressions' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect(err.message).toContain(
      'metrics scan of impressions FAILED on Athena (query q2) (error type 1006)',
    );
    expect(err.message).toContain("Column 'regionx' cannot be resolved");
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('surfaces CANCELLED (e.g. the workgroup bytes-scanned cutoff) with its reason', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q3' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'CANCELLED',
          StateChangeReason: 'Query exhausted the bytes scanned limit of the workgroup',
        },
      },
    });
    await expect(engine().query('SELECT 1')).rejects.toThrow(/CANCELLED on Athena.*bytes scanned limit/);
  });

  it('re-runs a query Athena marks Retryable, then succeeds', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .resolvesOnce({ QueryExecutionId: 'a' })
      .resolves({ QueryExecutionId: 'b' });
    athena
      .on(GetQueryExecutionCommand, { QueryExecutionId: 'a' })
      .resolves({
        QueryExecution: {
          Status: {
            State: 'FAILED',
            StateChangeReason: 'resource exhausted',
            AthenaError: { Retryable: true },
          },
        },
      })
      .on(GetQueryExecutionCommand, { QueryExecutionId: 'b' })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    const r = await engine().query('SELECT 1');
    expect(r.rowCount).toBe(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(2);
  });

  it('retries throttled calls with jittered backoff, reusing the idempotency token', async () => {
    const sleeps: number[] = [];
    const throttle = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    athena
      .on(StartQueryExecutionCommand)
      .rejectsOnce(throttle)
      .rejectsOnce(throttle)
      .resolves({ QueryExecutionId: 'q4' });
    athena
      .on(GetQueryExecutionCommand)
      .rejectsOnce(throttle)
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    await engine({ sleep: async (ms) => void sleeps.push(ms) }).query('SELECT 1');
    const starts = athena
      .commandCalls(StartQueryExecutionCommand)
      .map((c) => c.args[0].input.ClientRequestToken);
    expect(starts).toHaveLength(3);
    expect(new Set(starts).size).toBe(1);
    // StartQueryExecution throttles wait on the queue policy (base 500 ms), polls on the call policy (200 ms).
    expect(sleeps).toEqual([500, 1000, 200]);
  });

  it('outlasts a concurrency-quota queue: capped exponential backoff with full jitter', async () => {
    const sleeps: number[] = [];
    const throttle = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    let start = athena.on(StartQueryExecutionCommand);
    for (let i = 0; i < 20; i++) start = start.rejectsOnce(throttle);
    start.resolves({ QueryExecutionId: 'q5' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    let now = 0;
    await engine({
      retry: { random: () => 1 },
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    }).query('SELECT 1');
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(21);
    // Doubling from 1 s (jitter at its maximum here), capped at 30 s: minutes of queue, no hammering.
    expect(sleeps.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 16000, 30000]);
    expect(Math.max(...sleeps)).toBe(30_000);
    expect(now).toBeGreaterThan(5 * 60_000);
  });

  it('stops waiting for the queue at the invocation deadline, never sleeping past it', async () => {
    const sleeps: number[] = [];
    athena
      .on(StartQueryExecutionCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    let now = 0;
    const deadline = Deadline.at(20_000, () => now);
    await expect(
      engine({
        retry: { random: () => 1 },
        now: () => now,
        sleep: async (ms) => {
          sleeps.push(ms);
          now += ms;
        },
      }).query('SELECT 1', { deadline }),
    ).rejects.toThrow(/TooManyRequestsException/);
    expect(now).toBeLessThan(20_000);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it('stops an in-flight query when the invocation deadline fires before the query timeout', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'long' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const deadline = Deadline.after(150);
    const started = Date.now();
    await expect(
      engine({ sleep: (ms) => new Promise((r) => setTimeout(r, ms)), pollMs: 10_000 }).query('SELECT 1', {
        label: 'scan',
        deadline,
      }),
    ).rejects.toThrow(/scan timed out on Athena after 0 s \(the invocation's deadline\).*stopped/);
    // The 10 s poll sleep was cut short by the deadline's signal.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });

  it('gives up after the retry budget on persistent throttling', async () => {
    athena
      .on(StartQueryExecutionCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(engine({ queueRetry: { attempts: 3, random: () => 0 } }).query('SELECT 1')).rejects.toThrow(
      /failed on Athena: TooManyRequestsException: Rate exceeded/,
    );
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(3);
  });

  it('stops the query past the deadline and reports a timeout', async () => {
    let now = 0;
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'slow' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const delays: number[] = [];
    const e = engine({
      timeoutMs: 10_000,
      now: () => now,
      sleep: async (ms) => {
        delays.push(ms);
        now += ms;
      },
    });
    await expect(e.query('SELECT 1', { label: 'slow scan' })).rejects.toThrow(
      /slow scan timed out on Athena after 10 s.*stopped/,
    );
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryExecutionId: 'slow',
    });
    // Poll backoff grows ×1.5 from 250 ms and is capped at 2 s.
    expect(delays.slice(0, 4)).toEqual([250, 375, 562.5, 843.75]);
    expect(Math.max(...delays)).toBe(2000);
  });

  it('types cells by the ColumnInfo type', () => {
    expect(athenaCell('1.5', 'double')).toBe(1.5);
    expect(athenaCell('NaN', 'double')).toBeNaN();
    expect(athenaCell('12', 'decimal(10,2)')).toBe(12);
    expect(athenaCell('true', 'boolean')).toBe(true);
    expect(athenaCell('2026-01-05 00:00:00.000', 'timestamp')).toBe('2026-01-05 00:00:00.000');
    expect(athenaCell(undefined, 'varchar')).toBeNull();
    expect(athenaCell('', 'varchar')).toBe('');
  });

  it('qualifies tables with the Glue database in its dialect', () => {
    expect(engine().dialect.table('impressions')).toBe('"vigil"."impressions"');
  });
});
