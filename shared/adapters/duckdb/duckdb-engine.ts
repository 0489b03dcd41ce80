import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { MetricConfig } from '../../config/schema.js';
import { QueryError } from '../../errors.js';
import { SOURCE_COLUMNS, SOURCE_NAMES } from '../../lake/sources.js';
import { DeadlineExceededError } from '../../ports/deadline.js';
import type { Cell, QueryEngine, QueryOptions, QueryResult } from '../../ports/query-engine.js';
import { type Dialect, duckdbDialect } from '../../sql/dialect.js';
import { quoteIdent, quoteString } from '../../sql/literals.js';

export interface DuckDbEngineOptions {
  /** Event lake root; each source becomes a view over `<lake>/<table>/dt=*\/hour=*\/*.parquet`. */
  readonly lake?: string;
  readonly sources?: MetricConfig['sources'];
  readonly threads?: number;
  /**
   * DuckDB memory_limit, e.g. '4GB': past it, joins and aggregates spill to a private temporary
   * folder (removed on close).
   * @default DuckDB's own: 80% of the machine's memory
   */
  readonly memoryLimit?: string;
  /**
   * Tests only: run Athena-dialect SQL. Creates macros for the Trino functions Vigil plans
   * (approx_distinct, approx_percentile, to_unixtime) and a schema of this name holding the lake views.
   */
  readonly trinoCompat?: { readonly schema: string };
}

function toCell(v: DuckDBValue): Cell {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}

/** The first line of an engine error (DuckDB messages can carry long hints), with the fix when known. */
function firstLine(err: unknown): string {
  const line = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return line.startsWith('Out of Memory Error')
    ? `${line} — raise the memory limit (VIGIL_MEMORY_LIMIT for the CLI)`
    : line;
}

interface Partition {
  readonly dt: string;
  readonly hour: string;
  /** Size of its Parquet files: the bytes-scanned estimate of a query that reads it. */
  readonly bytes: number;
}

/** The `dt=…/hour=…` partitions of a table folder that hold at least one Parquet file. */
function listPartitions(dir: string): Partition[] {
  if (!existsSync(dir)) return [];
  const out: Partition[] = [];
  for (const dt of readdirSync(dir, { withFileTypes: true })) {
    if (!dt.isDirectory() || !dt.name.startsWith('dt=')) continue;
    for (const hour of readdirSync(path.join(dir, dt.name), { withFileTypes: true })) {
      if (!hour.isDirectory() || !hour.name.startsWith('hour=')) continue;
      const folder = path.join(dir, dt.name, hour.name);
      const files = readdirSync(folder).filter((f) => f.endsWith('.parquet'));
      if (files.length === 0) continue;
      const bytes = files.reduce((n, f) => n + statSync(path.join(folder, f)).size, 0);
      out.push({ dt: dt.name.slice(3), hour: hour.name.slice(5), bytes });
    }
  }
  return out;
}

function readParquetSql(globs: string[]): string {
  // Partitions stay strings (hive_types_autocast=false), as Athena sees them.
  const list = globs.map(quoteString).join(', ');
  return `read_parquet([${list}], hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`;
}

/** The QueryEngine on embedded DuckDB over a local Parquet lake. */
export class DuckDbQueryEngine implements QueryEngine {
  /** Physical table → its folder and partitions, listed once when the lake is attached. */
  private readonly tables = new Map<string, { dir: string; partitions: Partition[] }>();
  /**
   * Bytes of each ranged table read this engine rendered, by its SQL text: a query's bytes-scanned
   * estimate is the sum over the reads it contains. (Whole Parquet files: DuckDB reads only the
   * columns it needs, Athena bills the same way, so this is an upper bound of both.)
   */
  private readonly readBytes = new Map<string, number>();

  /**
   * DuckDB SQL, with one difference: a query that names its time range reads only the partition
   * folders of that range. Hive filter pruning alone still globs every folder of the lake, which
   * costs more than the scan itself for an hourly window.
   */
  readonly dialect: Dialect = {
    ...duckdbDialect,
    table: (name, range) => {
      const t = this.tables.get(name);
      if (!range || !t || t.partitions.length === 0) return quoteIdent(name);
      const from = range.from.toISOString();
      const to = range.to.toISOString();
      const read = t.partitions.filter((p) => {
        const start = `${p.dt}T${p.hour}:00:00.000Z`;
        // A partition holds the events of its hour: keep the hours that overlap [from, to).
        return start < to && new Date(Date.parse(start) + 3_600_000).toISOString() > from;
      });
      if (read.length === 0) return quoteIdent(name);
      const sql = readParquetSql(
        read.map((p) => path.join(t.dir, `dt=${p.dt}`, `hour=${p.hour}`, '*.parquet')),
      );
      if (this.readBytes.size > 10_000) this.readBytes.clear();
      this.readBytes.set(
        sql,
        read.reduce((n, p) => n + p.bytes, 0),
      );
      return sql;
    },
  };

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly spillDir: string,
  ) {}

  static async open(options: DuckDbEngineOptions = {}): Promise<DuckDbQueryEngine> {
    const config: Record<string, string> = {
      // No network here: never try to download an extension.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
    };
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    // In-memory DuckDB spills to `.tmp` in the working directory by default: keep that out of the
    // user's folder, and apart from other processes.
    const spillDir = mkdtempSync(path.join(os.tmpdir(), 'vigil-duckdb-'));
    config.temp_directory = spillDir;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
    } catch (err) {
      rmSync(spillDir, { recursive: true, force: true });
      throw new QueryError(`cannot start DuckDB: ${firstLine(err)}`, { cause: err });
    }
    const conn = await instance.connect();
    const engine = new DuckDbQueryEngine(instance, conn, spillDir);
    try {
      // Windows are UTC; TIMESTAMPTZ columns must not shift with the machine's zone (all connections).
      await conn.run(`SET GLOBAL TimeZone = 'UTC'`);
      if (options.lake) await engine.attachLake(options.lake, options.sources ?? {});
      if (options.trinoCompat) await engine.addTrinoCompat(options.trinoCompat.schema, options.sources ?? {});
    } catch (err) {
      // Nobody else holds the engine yet: release DuckDB and the spill folder here.
      await engine.close();
      throw err;
    }
    return engine;
  }

  /** Creates one view per source. A source with no files is an empty view of the fixed schema. */
  private async attachLake(lake: string, sources: MetricConfig['sources']): Promise<void> {
    const names = new Set<string>([...SOURCE_NAMES, ...Object.keys(sources)]);
    for (const source of names) {
      const table = sources[source]?.table ?? source;
      const dir = path.join(lake, table);
      let body: string;
      const partitions = listPartitions(dir);
      this.tables.set(table, { dir, partitions });
      if (partitions.length > 0) {
        body = `SELECT * FROM ${readParquetSql([path.join(dir, 'dt=*', 'hour=*', '*.parquet')])}`;
      } else {
        const cols = (SOURCE_COLUMNS as Record<string, Record<string, string>>)[source] ?? {};
        const typed = Object.entries(cols).map(([c, t]) => `CAST(NULL AS ${t}) AS ${quoteIdent(c)}`);
        body = `SELECT ${[...typed, `CAST(NULL AS VARCHAR) AS "dt"`, `CAST(NULL AS VARCHAR) AS "hour"`].join(', ')} WHERE false`;
      }
      await this.exec(`CREATE OR REPLACE VIEW ${quoteIdent(table)} AS ${body}`, `view ${table}`);
    }
  }

  private async addTrinoCompat(schema: string, sources: MetricConfig['sources']): Promise<void> {
    // Exact stand-ins: approx_distinct's error bound and approx_percentile's sketch do not apply here.
    await this.exec('CREATE OR REPLACE MACRO approx_distinct(x, e) AS count(DISTINCT x)', 'trino compat');
    await this.exec('CREATE OR REPLACE MACRO approx_percentile(x, p) AS quantile_cont(x, p)', 'trino compat');
    await this.exec('CREATE OR REPLACE MACRO to_unixtime(t) AS epoch(t)', 'trino compat');
    await this.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`, 'trino compat');
    for (const source of new Set<string>([...SOURCE_NAMES, ...Object.keys(sources)])) {
      const table = quoteIdent(sources[source]?.table ?? source);
      await this.exec(
        `CREATE OR REPLACE VIEW ${quoteIdent(schema)}.${table} AS SELECT * FROM main.${table}`,
        'trino compat',
      );
    }
  }

  /** Runs a statement without reading results (DDL, COPY). */
  async exec(sql: string, label = 'statement'): Promise<void> {
    try {
      await this.conn.run(sql);
    } catch (err) {
      throw new QueryError(`${label} failed on DuckDB: ${firstLine(err)}`, { cause: err });
    }
  }

  /** The bytes-scanned estimate of a statement: the partition files of the ranged reads it holds. */
  private estimateBytes(sql: string): number {
    let bytes = 0;
    for (const [read, n] of this.readBytes) if (sql.includes(read)) bytes += n;
    return bytes;
  }

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const label = options.label ?? 'query';
    const deadline = options.deadline;
    if (deadline?.expired)
      throw new DeadlineExceededError(`${label} not started on DuckDB: the invocation's deadline has passed`);
    // A connection per query lets independent scans (one per source) run concurrently.
    const conn = await this.instance.connect();
    // Past the deadline the running statement is interrupted (it then fails with an INTERRUPT error).
    const stop = () => conn.interrupt();
    deadline?.signal.addEventListener('abort', stop, { once: true });
    try {
      const result = await conn.run(sql);
      const columns = result.columnNames();
      const data: Cell[][] = columns.map(() => []);
      let rowCount = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        rowCount += chunk.rowCount;
        chunk.getColumns().forEach((col, i) => {
          const out = data[i]!;
          for (const v of col) out.push(toCell(v));
        });
      }
      return {
        columns,
        data: Object.fromEntries(columns.map((c, i) => [c, data[i]!])),
        rowCount,
        bytesScanned: this.estimateBytes(sql),
      };
    } catch (err) {
      if (deadline?.signal.aborted)
        throw new DeadlineExceededError(`${label} stopped on DuckDB at the invocation's deadline`, {
          cause: err,
        });
      throw new QueryError(`${label} failed on DuckDB: ${firstLine(err)}`, { cause: err });
    } finally {
      deadline?.signal.removeEventListener('abort', stop);
      conn.closeSync();
    }
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.instance.closeSync();
    rmSync(this.spillDir, { recursive: true, force: true });
  }
}
