import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';

export const athena = mockClient(AthenaClient);
export const s3 = mockClient(S3Client);
export const sns = mockClient(SNSClient);

/** Output aliases of a planned scan: `… AS w`, `AS "d_region"`, `AS g`, `AS a0` before FROM. */
function aliases(sql: string): string[] {
  const select = sql.slice(0, sql.indexOf('\nFROM '));
  return [...select.matchAll(/ AS "?([A-Za-z_][\w]*)"?(?=,?\n|$)/g)].map((m) => m[1]!);
}

/** The windows of the scan: from its `event_time` bounds, stepped by its `date_trunc` grain (epoch s). */
function windowsOf(sql: string): number[] {
  const at = (op: string) => {
    const m = new RegExp(`"event_time" ${op} TIMESTAMP '([^']+)'`).exec(sql)!;
    return Date.parse(`${m[1]!.replace(' ', 'T')}Z`) / 1000;
  };
  const step = /date_trunc\('day'/.test(sql) ? 86_400 : 3_600;
  const out: number[] = [];
  for (let w = at('>='); w < at('<'); w += step) out.push(w);
  return out;
}

const PART = /SELECT '(\w+)' AS source, .* WHERE "dt" >= '([\d-]+)' AND "dt" <= '([\d-]+)'/;

/** Rows of the data-quality guard's partition-count query: `rowsPerHour` for every (dt, hour) it asks for. */
function partitionCounts(sql: string, rowsPerHour: (source: string, hourStart: number) => number) {
  const rows: (string | undefined)[][] = [];
  for (const part of sql.split('\nUNION ALL\n')) {
    const [, source, from, to] = PART.exec(part)!;
    for (
      let t = Date.parse(`${from}T00:00:00Z`);
      t < Date.parse(`${to}T00:00:00Z`) + 86_400_000;
      t += 3_600_000
    ) {
      const iso = new Date(t).toISOString();
      rows.push([source, iso.slice(0, 10), iso.slice(11, 13), String(rowsPerHour(source!, t / 1000))]);
    }
  }
  return { cols: ['source', 'dt', 'hour', 'n'], types: ['varchar', 'varchar', 'varchar', 'double'], rows };
}

export interface FakeAthenaOptions {
  readonly throttleFirst?: number;
  readonly throttle?: Error;
  /** Every aggregate of a window's total row (epoch s of the window start); default '10'. */
  readonly value?: (windowStart: number) => string;
  /** Rows in each lake partition, as the partition-count query reports them; default 1000. */
  readonly rowsPerHour?: (source: string, hourStart: number) => number;
}

/**
 * A scripted Athena: every query succeeds. A metric scan returns one total row per window of its
 * range (g = all rolled up, every aggregate = `value(window)`); the data-quality guard's partition
 * count returns `rowsPerHour` for every partition it asks for.
 */
export function fakeAthena(o: FakeAthenaOptions = {}): {
  sqls: string[];
  starts: () => number;
} {
  const sqls: string[] = [];
  let n = 0;
  let starts = 0;
  athena.on(StartQueryExecutionCommand).callsFake((input) => {
    if (starts++ < (o.throttleFirst ?? 0)) throw o.throttle;
    sqls.push(input.QueryString);
    return { QueryExecutionId: `q${n++}` };
  });
  athena.on(GetQueryExecutionCommand).callsFake((input) => ({
    QueryExecution: {
      QueryExecutionId: input.QueryExecutionId,
      Status: { State: 'SUCCEEDED' },
      Statistics: { DataScannedInBytes: 1000 },
    },
  }));
  athena.on(GetQueryResultsCommand).callsFake((input) => {
    const sql = sqls[Number(String(input.QueryExecutionId).slice(1))]!;
    let result: { cols: string[]; types: string[]; rows: (string | undefined)[][] };
    if (sql.includes(' AS source, ')) {
      result = partitionCounts(sql, o.rowsPerHour ?? (() => 1000));
    } else {
      const cols = aliases(sql);
      const dims = cols.filter((c) => c.startsWith('d_')).length;
      result = {
        cols,
        types: cols.map((c) => (c.startsWith('d_') ? 'varchar' : 'double')),
        rows: windowsOf(sql).map((w) =>
          cols.map((c) =>
            c === 'w'
              ? String(w)
              : c.startsWith('d_')
                ? undefined
                : c === 'g'
                  ? String(2 ** dims - 1)
                  : (o.value?.(w) ?? '10'),
          ),
        ),
      };
    }
    return {
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: result.cols.map((c, i) => ({ Name: c, Type: result.types[i]! })),
        },
        Rows: [
          { Data: result.cols.map((c) => ({ VarCharValue: c })) },
          ...result.rows.map((r) => ({ Data: r.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
        ],
      },
    };
  });
  athena.on(StopQueryExecutionCommand).resolves({});
  return { sqls, starts: () => starts };
}

/** An in-memory S3 bucket honouring If-None-Match / If-Match. */
export function fakeS3(): Map<string, { body: Uint8Array; etag: string }> {
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  let v = 0;
  s3.on(GetObjectCommand).callsFake((input) => {
    const o = objects.get(input.Key);
    if (!o)
      throw new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404 },
      });
    return { Body: { transformToByteArray: async () => o.body }, ETag: o.etag };
  });
  s3.on(PutObjectCommand).callsFake((input) => {
    const existing = objects.get(input.Key);
    if ((input.IfNoneMatch === '*' && existing) || (input.IfMatch && input.IfMatch !== existing?.etag))
      throw new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        message: 'At least one of the pre-conditions you specified did not hold',
        $metadata: { httpStatusCode: 412 },
      });
    const etag = `"v${v++}"`;
    const body = input.Body as Uint8Array;
    objects.set(input.Key, { body, etag });
    return { ETag: etag };
  });
  s3.on(ListObjectsV2Command).callsFake((input) => ({
    Contents: [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })),
  }));
  s3.on(DeleteObjectCommand).callsFake((input) => {
    objects.delete(input.Key);
    return {};
  });
  return objects;
}

export function resetAws(): void {
  athena.reset();
  s3.reset();
  sns.reset();
}

export const lambdaContext = {
  functionName: 'vigil-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:vigil-test',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/vigil-test',
  logStreamName: 's',
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 60_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} as never;
