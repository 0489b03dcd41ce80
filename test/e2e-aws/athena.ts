import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import type { Cell } from '../../shared/ports/query-engine.js';
import { quoteIdent, quoteString } from '../../shared/sql/literals.js';
import { type EmulatedAccount, readBody, ServiceError, serviceErrorOf } from './account.js';
import { AccessDenied, type Principal } from './iam.js';
import type { TlsIdentity } from './loopback.js';
import type { S3Emulator } from './s3.js';
import { type Caller, EmulatedService } from './service.js';

export interface WorkGroupSpec {
  readonly name: string;
  /** `s3://bucket/prefix/` */
  readonly outputLocation: string;
  readonly bytesScannedCutoffPerQuery?: number;
}

export interface GlueTable {
  readonly database: string;
  readonly name: string;
  /** `s3://bucket/prefix/` of the table's files. */
  readonly location: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly partitionKeys: readonly string[];
}

interface Execution {
  readonly id: string;
  readonly workGroup: string;
  readonly principal: Principal;
  readonly sql: string;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  reason?: string;
  bytesScanned: number;
  outputKey?: { bucket: string; key: string };
  result?: { columns: string[]; types: string[]; rows: (string | null)[][] };
  done: Promise<void>;
  submittedAt: number;
  completedAt?: number;
}

const HIVE_TO_DUCK: Record<string, string> = {
  string: 'VARCHAR',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  bigint: 'BIGINT',
  int: 'INTEGER',
};

function splitS3(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new Error(`not an s3 url: ${url}`);
  return { bucket: m[1]!, key: m[2]! };
}

/**
 * The partitions a Trino predicate on the string partition columns selects, as partition projection
 * prunes them: `"dt" = 'D' [AND "hour" IN (…)]`, `"dt" BETWEEN 'A' AND 'B'`, `"dt" >= 'A' AND
 * "dt" <= 'B'`. A query without such a predicate scans the whole table.
 */
export function partitionFilter(sql: string): (dt: string, hour: string) => boolean {
  const terms: ((dt: string, hour: string) => boolean)[] = [];
  for (const m of sql.matchAll(/"dt" = '([\d-]+)'(?: AND "hour" IN \(([^)]*)\))?/g)) {
    const hours = m[2] ? new Set([...m[2].matchAll(/'(\d+)'/g)].map((h) => h[1]!)) : undefined;
    terms.push((dt, hour) => dt === m[1] && (!hours || hours.has(hour)));
  }
  for (const m of sql.matchAll(/"dt" BETWEEN '([\d-]+)' AND '([\d-]+)'/g))
    terms.push((dt) => dt >= m[1]! && dt <= m[2]!);
  for (const m of sql.matchAll(/"dt" >= '([\d-]+)' AND "dt" <= '([\d-]+)'/g))
    terms.push((dt) => dt >= m[1]! && dt <= m[2]!);
  if (terms.length === 0) return () => true;
  return (dt, hour) => terms.some((t) => t(dt, hour));
}

/**
 * Athena over HTTP (JSON 1.1): StartQueryExecution, GetQueryExecution, GetQueryResults (paged,
 * header row first), StopQueryExecution, GetWorkGroup. A query runs as its caller: Athena needs the
 * caller's athena:* on the workgroup, glue:GetDatabase/GetTable on every table it names (catalog,
 * database and table ARNs), s3:ListBucket on each partition prefix and s3:GetObject (and the key)
 * on each file it reads, and s3:PutObject into the workgroup's output location; GetQueryResults
 * reads that output back with the caller's s3:GetObject. A denial inside the query fails it, as on
 * Athena. The SQL itself runs on DuckDB through the project's Trino compatibility layer, over the
 * Parquet files the S3 emulation holds; bytes scanned are the sizes of the files the partition
 * predicate selects.
 */
export class AthenaEmulator extends EmulatedService {
  private readonly workGroups = new Map<string, WorkGroupSpec>();
  private readonly tables = new Map<string, GlueTable>();
  private readonly executions = new Map<string, Execution>();
  private readonly engines = new Map<string, Promise<DuckDbQueryEngine>>();
  private queue: Promise<void> = Promise.resolve();
  private readonly scratch = mkdtempSync(path.join(tmpdir(), 'vigil-athena-'));
  /** Every query run, in order (tests read the SQL and statistics). */
  readonly history: Execution[] = [];

  constructor(
    account: EmulatedAccount,
    private readonly s3: S3Emulator,
    tls?: TlsIdentity,
  ) {
    super(account, tls);
  }

  addWorkGroup(w: WorkGroupSpec): void {
    this.workGroups.set(w.name, w);
  }

  addTable(t: GlueTable): void {
    this.tables.set(`${t.database}.${t.name}`, t);
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:${kind === 'workgroup' ? 'athena' : 'glue'}:${this.account.region}:${this.account.account}:${kind}/${name}`;
  }

  private engine(database: string): Promise<DuckDbQueryEngine> {
    let e = this.engines.get(database);
    if (!e) {
      e = DuckDbQueryEngine.open({ threads: 1, trinoCompat: { schema: database }, lake: this.scratch });
      this.engines.set(database, e);
    }
    return e;
  }

  override async stop(): Promise<void> {
    await super.stop();
    for (const e of this.engines.values()) await (await e).close();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  protected fail(res: ServerResponse, err: unknown): void {
    const e = serviceErrorOf(
      err,
      'Athena',
      { status: 400, code: 'AccessDeniedException' },
      'InternalServerException',
    );
    res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': e.code });
    res.end(JSON.stringify({ __type: e.code, Message: e.message }));
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  private workGroup(name: string | undefined): WorkGroupSpec {
    const w = this.workGroups.get(name ?? 'primary');
    if (!w) throw new ServiceError(400, 'InvalidRequestException', `WorkGroup ${name} is not found.`);
    return w;
  }

  private execution(
    id: string,
    principal: Principal,
    action: string,
    context: Record<string, string>,
  ): Execution {
    const e = this.executions.get(id);
    if (!e) throw new ServiceError(400, 'InvalidRequestException', `QueryExecution ${id} was not found`);
    this.account.authorize('athena', {
      principal,
      action,
      resource: this.arn('workgroup', e.workGroup),
      context,
    });
    return e;
  }

  protected async handle(
    req: IncomingMessage,
    res: ServerResponse,
    { principal, transport }: Caller,
  ): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.replace(/^AmazonAthena\./, '');
    const input = JSON.parse((await readBody(req)).toString() || '{}');
    switch (op) {
      case 'StartQueryExecution': {
        const w = this.workGroup(input.WorkGroup);
        this.account.authorize('athena', {
          principal,
          action: 'athena:StartQueryExecution',
          resource: this.arn('workgroup', w.name),
          context: transport,
        });
        const id = randomUUID();
        const e: Execution = {
          id,
          workGroup: w.name,
          principal,
          sql: String(input.QueryString),
          state: 'QUEUED',
          bytesScanned: 0,
          done: Promise.resolve(),
          submittedAt: Date.now(),
        };
        const database = String(input.QueryExecutionContext?.Database ?? 'default');
        // One query at a time: the lake views are replaced per query.
        e.done = this.queue = this.queue.then(() => this.run(e, w, database));
        this.executions.set(id, e);
        this.history.push(e);
        return this.json(res, { QueryExecutionId: id });
      }
      case 'GetQueryExecution': {
        const e = this.execution(
          String(input.QueryExecutionId),
          principal,
          'athena:GetQueryExecution',
          transport,
        );
        return this.json(res, {
          QueryExecution: {
            QueryExecutionId: e.id,
            Query: e.sql,
            StatementType: 'DML',
            WorkGroup: e.workGroup,
            ResultConfiguration: e.outputKey
              ? { OutputLocation: `s3://${e.outputKey.bucket}/${e.outputKey.key}` }
              : undefined,
            Status: {
              State: e.state,
              ...(e.reason ? { StateChangeReason: e.reason } : {}),
              ...(e.state === 'FAILED'
                ? {
                    AthenaError: {
                      ErrorCategory: 2,
                      ErrorType: 1100,
                      Retryable: false,
                      ErrorMessage: e.reason,
                    },
                  }
                : {}),
              SubmissionDateTime: e.submittedAt / 1000,
              ...(e.completedAt ? { CompletionDateTime: e.completedAt / 1000 } : {}),
            },
            Statistics: {
              DataScannedInBytes: e.bytesScanned,
              EngineExecutionTimeInMillis: (e.completedAt ?? Date.now()) - e.submittedAt,
              QueryQueueTimeInMillis: 0,
            },
          },
        });
      }
      case 'GetQueryResults': {
        const e = this.execution(
          String(input.QueryExecutionId),
          principal,
          'athena:GetQueryResults',
          transport,
        );
        if (e.state !== 'SUCCEEDED' || !e.result || !e.outputKey)
          throw new ServiceError(
            400,
            'InvalidRequestException',
            `Query has not yet finished. Current state: ${e.state}`,
          );
        // Athena reads the result file with the caller's credentials.
        try {
          this.s3.getAs(principal, e.outputKey.bucket, e.outputKey.key);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          throw new ServiceError(400, 'InvalidRequestException', `Unable to read query results: ${reason}`);
        }
        const max = Math.min(Number(input.MaxResults ?? 1000), 1000);
        const offset = input.NextToken ? Number(input.NextToken) : 0;
        const all = [e.result.columns, ...e.result.rows];
        const page = all.slice(offset, offset + max);
        const next = offset + max < all.length ? String(offset + max) : undefined;
        return this.json(res, {
          ResultSet: {
            Rows: page.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
            ResultSetMetadata: {
              ColumnInfo: e.result.columns.map((c, i) => ({
                CatalogName: 'hive',
                Name: c,
                Label: c,
                Type: e.result!.types[i],
                Nullable: 'UNKNOWN',
              })),
            },
          },
          ...(next ? { NextToken: next } : {}),
          UpdateCount: 0,
        });
      }
      case 'StopQueryExecution': {
        const e = this.execution(
          String(input.QueryExecutionId),
          principal,
          'athena:StopQueryExecution',
          transport,
        );
        if (e.state === 'QUEUED' || e.state === 'RUNNING') e.state = 'CANCELLED';
        return this.json(res, {});
      }
      case 'GetWorkGroup': {
        const w = this.workGroup(input.WorkGroup);
        this.account.authorize('athena', {
          principal,
          action: 'athena:GetWorkGroup',
          resource: this.arn('workgroup', w.name),
          context: transport,
        });
        return this.json(res, {
          WorkGroup: {
            Name: w.name,
            State: 'ENABLED',
            Configuration: {
              ResultConfiguration: { OutputLocation: w.outputLocation },
              EnforceWorkGroupConfiguration: true,
              ...(w.bytesScannedCutoffPerQuery
                ? { BytesScannedCutoffPerQuery: w.bytesScannedCutoffPerQuery }
                : {}),
            },
          },
        });
      }
      default:
        throw new ServiceError(400, 'UnknownOperationException', `${op} is not emulated`);
    }
  }

  private async run(e: Execution, w: WorkGroupSpec, database: string): Promise<void> {
    if (e.state === 'CANCELLED') return;
    e.state = 'RUNNING';
    try {
      const engine = await this.engine(database);
      const refs = new Set<string>();
      for (const m of e.sql.matchAll(/"([A-Za-z0-9_]+)"\."([A-Za-z0-9_]+)"/g)) refs.add(`${m[1]}.${m[2]}`);
      for (const ref of refs) {
        const t = this.tables.get(ref);
        const [db, name] = ref.split('.') as [string, string];
        const glue = (action: string, resource: string) =>
          this.account.authorize('glue', { principal: e.principal, action, resource });
        glue('glue:GetDatabase', this.arn('catalog', '').replace(/\/$/, ''));
        glue('glue:GetDatabase', this.arn('database', db));
        for (const r of [
          this.arn('catalog', '').replace(/\/$/, ''),
          this.arn('database', db),
          this.arn('table', `${db}/${name}`),
        ])
          glue('glue:GetTable', r);
        if (!t)
          throw new QueryFailure(
            `TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.${db}.${name}' does not exist`,
          );
        await this.attach(engine, e, t);
      }
      const out = splitS3(w.outputLocation);
      if (w.bytesScannedCutoffPerQuery && e.bytesScanned > w.bytesScannedCutoffPerQuery)
        throw new QueryFailure(
          'Query exhausted resources: data scanned exceeds the workgroup limit (BytesScannedCutoffPerQuery)',
        );
      const result = await engine.query(e.sql, { label: 'athena emulation' });
      const columns = [...result.columns];
      const cols = columns.map((c) => result.data[c]!);
      const types = cols.map(typeOf);
      const rows: (string | null)[][] = [];
      for (let i = 0; i < result.rowCount; i++) rows.push(cols.map((c) => cellText(c[i]!)));
      const key = `${out.key.replace(/\/?$/, '/')}${e.id}.csv`.replace(/^\//, '');
      const csv = [columns, ...rows]
        .map((r) => r.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(','))
        .join('\n');
      this.s3.authorize(e.principal, 's3:GetBucketLocation', out.bucket, undefined);
      this.s3.putAs(e.principal, out.bucket, key, Buffer.from(`${csv}\n`));
      this.s3.putAs(
        e.principal,
        out.bucket,
        `${key}.metadata`,
        Buffer.from(JSON.stringify({ columns, types })),
      );
      if ((e.state as Execution['state']) === 'CANCELLED') return;
      e.outputKey = { bucket: out.bucket, key };
      e.result = { columns, types, rows };
      e.state = 'SUCCEEDED';
    } catch (err) {
      e.state = 'FAILED';
      e.reason =
        err instanceof AccessDenied
          ? `Permission denied: ${err.message}`
          : err instanceof ServiceError
            ? `${err.code}: ${err.message}`
            : err instanceof Error
              ? err.message
              : String(err);
    } finally {
      e.completedAt = Date.now();
    }
  }

  /** Reads a table's selected partitions as the caller (ListBucket per partition, GetObject per file). */
  private async attach(engine: DuckDbQueryEngine, e: Execution, t: GlueTable): Promise<void> {
    const { bucket, key: prefix } = splitS3(t.location);
    const base = prefix.replace(/\/?$/, '/').replace(/^\//, '');
    const keep = partitionFilter(e.sql);
    const files: string[] = [];
    const partitions = new Map<string, string[]>();
    for (const k of this.s3.keys(bucket, base)) {
      const m = /^dt=([^/]+)\/hour=([^/]+)\/[^/]+\.parquet$/.exec(k.slice(base.length));
      if (!m) continue;
      const part = `${base}dt=${m[1]}/hour=${m[2]}/`;
      if (!partitions.has(part)) partitions.set(part, []);
      partitions.get(part)!.push(k);
    }
    for (const [part, keys] of partitions) {
      const m = /dt=([^/]+)\/hour=([^/]+)\/$/.exec(part)!;
      if (!keep(m[1]!, m[2]!)) continue;
      this.s3.authorize(e.principal, 's3:ListBucket', bucket, undefined, { 's3:prefix': part });
      for (const k of keys) {
        this.s3.getAs(e.principal, bucket, k, 'athena');
        e.bytesScanned += statSync(this.s3.pathOf(bucket, k)).size;
      }
    }
    // The view globs every partition, so results never depend on the pruning above (which decides
    // only what is authorized and counted as scanned, as partition projection would).
    const dir = this.s3.pathOf(bucket, `${base}x`).slice(0, -1);
    if (partitions.size > 0) files.push(path.join(dir, 'dt=*', 'hour=*', '*.parquet'));
    const view = `${quoteIdent(t.database)}.${quoteIdent(t.name)}`;
    const body =
      files.length > 0
        ? `SELECT * FROM read_parquet([${files.map(quoteString).join(', ')}], hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`
        : `SELECT ${[
            ...t.columns.map(
              (c) => `CAST(NULL AS ${HIVE_TO_DUCK[c.type] ?? 'VARCHAR'}) AS ${quoteIdent(c.name)}`,
            ),
            ...t.partitionKeys.map((p) => `CAST(NULL AS VARCHAR) AS ${quoteIdent(p)}`),
          ].join(', ')} WHERE false`;
    await engine.exec(`CREATE OR REPLACE VIEW ${view} AS ${body}`, `view ${view}`);
  }
}

/** A query that fails inside the engine (FAILED with this reason). */
class QueryFailure extends Error {}

function typeOf(col: readonly Cell[]): string {
  for (const v of col) {
    if (v === null) continue;
    if (typeof v === 'number') return 'double';
    if (typeof v === 'boolean') return 'boolean';
    return 'varchar';
  }
  return 'varchar';
}

function cellText(v: Cell): string | null {
  if (v === null) return null;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  }
  return String(v);
}
