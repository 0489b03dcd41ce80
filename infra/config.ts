import type { Node } from 'constructs';
import { bytesScannedCutoffPerQuery } from '../shared/jobs/cost.js';

/** Stack settings, from CDK context (`-c key=value` or cdk.json) or props. */
export interface VigilSettings {
  /** Existing event lake bucket; when absent the stack creates one. */
  readonly lakeBucketName?: string;
  /** Prefix of the six source folders inside the lake bucket ('' or ending in '/'). */
  readonly lakePrefix: string;
  /** Glue database of the lake tables and the metric history (also the Athena schema name). */
  readonly databaseName: string;
  /** First partition date partition projection knows (yyyy-MM-dd). */
  readonly lakeStartDate: string;
  readonly workGroupName: string;
  /**
   * Athena bytes-scanned cutoff per query (workgroup-enforced). With `lakeBytesPerDay` and no
   * explicit value it follows from the lake's size (shared/jobs/cost.ts: bytesScannedCutoffPerQuery).
   */
  readonly bytesScannedCutoffPerQuery: number;
  /** Bytes the lake gains per day (all sources): sets the per-query cutoff and each run's budget. */
  readonly lakeBytesPerDay?: number;
  readonly alertEmail?: string;
  readonly opsEmail?: string;
  /** Chunks of a rerun computed at once (each runs ≤ 5 Athena queries at a time). */
  readonly rerunConcurrency: number;
  /** Days Athena query results are kept. */
  readonly queryResultsDays: number;
}

export const DEFAULT_SETTINGS: VigilSettings = {
  lakePrefix: '',
  databaseName: 'vigil',
  lakeStartDate: '2024-01-01',
  workGroupName: 'vigil',
  bytesScannedCutoffPerQuery: 200 * 1024 ** 3,
  rerunConcurrency: 4,
  queryResultsDays: 7,
};

/** The context keys `cdk deploy -c` understands. */
export const CONTEXT_KEYS = {
  lakeBucketName: 'vigil:lakeBucketName',
  lakePrefix: 'vigil:lakePrefix',
  databaseName: 'vigil:databaseName',
  lakeStartDate: 'vigil:lakeStartDate',
  workGroupName: 'vigil:workGroupName',
  bytesScannedCutoffPerQuery: 'vigil:bytesScannedCutoffPerQuery',
  lakeBytesPerDay: 'vigil:lakeBytesPerDay',
  alertEmail: 'vigil:alertEmail',
  opsEmail: 'vigil:opsEmail',
  rerunConcurrency: 'vigil:rerunConcurrency',
  queryResultsDays: 'vigil:queryResultsDays',
} as const satisfies Record<keyof VigilSettings, string>;

const NAME_RE = /^[a-z0-9_]{1,64}$/;

function positiveInt(value: unknown, key: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`context ${key} must be a positive integer, got ${value}`);
  return n;
}

/** Reads settings from context, props overriding, and validates them (synth fails on bad input). */
export function resolveSettings(node: Node, props: Partial<VigilSettings> = {}): VigilSettings {
  const ctx = (k: keyof VigilSettings): unknown => props[k] ?? node.tryGetContext(CONTEXT_KEYS[k]);
  const str = (k: keyof VigilSettings): string | undefined => {
    const v = ctx(k);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const lakeBytesPerDay =
    ctx('lakeBytesPerDay') !== undefined
      ? positiveInt(ctx('lakeBytesPerDay'), CONTEXT_KEYS.lakeBytesPerDay)
      : undefined;
  let lakePrefix = str('lakePrefix') ?? DEFAULT_SETTINGS.lakePrefix;
  if (lakePrefix.startsWith('/')) lakePrefix = lakePrefix.slice(1);
  if (lakePrefix !== '' && !lakePrefix.endsWith('/')) lakePrefix += '/';
  const s: VigilSettings = {
    ...(str('lakeBucketName') ? { lakeBucketName: str('lakeBucketName')! } : {}),
    lakePrefix,
    databaseName: str('databaseName') ?? DEFAULT_SETTINGS.databaseName,
    lakeStartDate: str('lakeStartDate') ?? DEFAULT_SETTINGS.lakeStartDate,
    workGroupName: str('workGroupName') ?? DEFAULT_SETTINGS.workGroupName,
    bytesScannedCutoffPerQuery: positiveInt(
      ctx('bytesScannedCutoffPerQuery') ??
        (lakeBytesPerDay
          ? bytesScannedCutoffPerQuery({ lakeBytesPerDay })
          : DEFAULT_SETTINGS.bytesScannedCutoffPerQuery),
      CONTEXT_KEYS.bytesScannedCutoffPerQuery,
    ),
    ...(lakeBytesPerDay ? { lakeBytesPerDay } : {}),
    ...(str('alertEmail') ? { alertEmail: str('alertEmail')! } : {}),
    ...(str('opsEmail') ? { opsEmail: str('opsEmail')! } : {}),
    rerunConcurrency: positiveInt(
      ctx('rerunConcurrency') ?? DEFAULT_SETTINGS.rerunConcurrency,
      CONTEXT_KEYS.rerunConcurrency,
    ),
    queryResultsDays: positiveInt(
      ctx('queryResultsDays') ?? DEFAULT_SETTINGS.queryResultsDays,
      CONTEXT_KEYS.queryResultsDays,
    ),
  };
  if (!NAME_RE.test(s.databaseName))
    throw new Error(`context ${CONTEXT_KEYS.databaseName} must match ${NAME_RE}, got '${s.databaseName}'`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s.lakeStartDate))
    throw new Error(`context ${CONTEXT_KEYS.lakeStartDate} must be yyyy-MM-dd, got '${s.lakeStartDate}'`);
  if (s.bytesScannedCutoffPerQuery < 10 * 1024 ** 2)
    throw new Error(
      `context ${CONTEXT_KEYS.bytesScannedCutoffPerQuery} must be at least 10 MB (Athena minimum)`,
    );
  if (s.rerunConcurrency > 20) throw new Error(`context ${CONTEXT_KEYS.rerunConcurrency} must be at most 20`);
  return s;
}
