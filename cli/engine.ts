import { DuckDbQueryEngine } from '../shared/adapters/duckdb/duckdb-engine.js';
import type { MetricConfig } from '../shared/config/schema.js';
import { InputError } from '../shared/errors.js';

const SIZE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * DuckDB's memory cap from VIGIL_MEMORY_LIMIT (e.g. `2GB`): past it, joins and aggregates spill to
 * disk, so a 10M-unit experiment runs in the memory of a 1M one. Unset → DuckDB's default.
 */
export function memoryLimitFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env.VIGIL_MEMORY_LIMIT?.trim();
  if (!v) return undefined;
  if (!SIZE.test(v))
    throw new InputError(
      `VIGIL_MEMORY_LIMIT must be a size such as 512MB or 2GB, got '${env.VIGIL_MEMORY_LIMIT}'`,
    );
  return v;
}

/**
 * DuckDB's worker threads from VIGIL_THREADS (a positive integer). Unset → one per core. Results
 * do not depend on it: sums are exact (see Dialect.sum).
 */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.VIGIL_THREADS?.trim();
  if (!v) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 1024)
    throw new InputError(`VIGIL_THREADS must be an integer from 1 to 1024, got '${env.VIGIL_THREADS}'`);
  return n;
}

/** The local engine over a lake, as every command opens it. */
export function openLakeEngine(lake: string, sources?: MetricConfig['sources']): Promise<DuckDbQueryEngine> {
  const memoryLimit = memoryLimitFromEnv();
  const threads = threadsFromEnv();
  return DuckDbQueryEngine.open({
    lake,
    sources,
    ...(memoryLimit ? { memoryLimit } : {}),
    ...(threads ? { threads } : {}),
  });
}
