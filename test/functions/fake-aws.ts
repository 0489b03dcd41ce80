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

/** The first window start of the scan, from its `event_time >= TIMESTAMP '…'` bound. */
function fromOf(sql: string): number {
  const m = /" >= TIMESTAMP '([^']+)'/.exec(sql)!;
  return Date.parse(`${m[1]!.replace(' ', 'T')}Z`) / 1000;
}

/** A scripted Athena: every query succeeds with one total row (g = all rolled up, aggregates = 10). */
export function fakeAthena(o: { throttleFirst?: number; throttle?: Error } = {}): {
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
    const cols = aliases(sql);
    const dims = cols.filter((c) => c.startsWith('d_')).length;
    const values = cols.map((c) =>
      c === 'w'
        ? String(fromOf(sql))
        : c.startsWith('d_')
          ? undefined
          : c === 'g'
            ? String(2 ** dims - 1)
            : '10',
    );
    return {
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: cols.map((c) => ({ Name: c, Type: c.startsWith('d_') ? 'varchar' : 'double' })),
        },
        Rows: [
          { Data: cols.map((c) => ({ VarCharValue: c })) },
          { Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) },
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
