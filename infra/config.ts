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
  /** The team's vigil.yaml (path from the project root), deployed to config/ in the results bucket. */
  readonly configFile?: string;
  /** The Glue database and the lake tables exist already: the stack creates neither. */
  readonly existingDatabase: boolean;
  /** Glue database of the metric history tables (the stack's own; default: the lake database, or `<lake database>_vigil` when that exists already). */
  readonly historyDatabaseName: string;
  /** KMS key of an SSE-KMS lake bucket: the jobs (through Athena and S3) may decrypt with it. */
  readonly lakeKmsKeyArn?: string;
  /** Base URL serving the results bucket (e.g. CloudFront): alert links open the report there. */
  readonly reportBaseUrl?: string;
}

export const DEFAULT_SETTINGS: VigilSettings = {
  lakePrefix: '',
  databaseName: 'vigil',
  lakeStartDate: '2024-01-01',
  workGroupName: 'vigil',
  bytesScannedCutoffPerQuery: 200 * 1024 ** 3,
  rerunConcurrency: 4,
  queryResultsDays: 7,
  existingDatabase: false,
  historyDatabaseName: 'vigil',
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
  configFile: 'vigil:config',
  existingDatabase: 'vigil:existingDatabase',
  historyDatabaseName: 'vigil:historyDatabaseName',
  lakeKmsKeyArn: 'vigil:lakeKmsKeyArn',
  reportBaseUrl: 'vigil:reportBaseUrl',
} as const satisfies Record<keyof VigilSettings, string>;

const NAME_RE = /^[a-z0-9_]{1,64}$/;

function positiveInt(value: unknown, key: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`context ${key} must be a positive integer, got ${value}`);
  return n;
}

/**
 * Names that must be unique per stack (so two stacks share an account) default from the stack's
 * name: `Vigil` → database `vigil`, workgroup `vigil`; `VigilStaging` → `vigil_staging`, `vigil-staging`.
 * Functions, topics, queues, schedules and roles get CloudFormation's generated (stack-prefixed) names.
 */
export function stackDefaults(stackName: string): { databaseName: string; workGroupName: string } {
  const snake = stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return { databaseName: snake || 'vigil', workGroupName: (snake || 'vigil').replace(/_/g, '-') };
}

const bool = (v: unknown): boolean => v === true || v === 'true' || v === '1';

/** Reads settings from context, props overriding, and validates them (synth fails on bad input). */
export function resolveSettings(
  node: Node,
  props: Partial<VigilSettings> = {},
  stackName = 'Vigil',
): VigilSettings {
  const defaults = stackDefaults(stackName);
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
    databaseName: str('databaseName') ?? defaults.databaseName,
    lakeStartDate: str('lakeStartDate') ?? DEFAULT_SETTINGS.lakeStartDate,
    workGroupName: str('workGroupName') ?? defaults.workGroupName,
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
    ...(str('configFile') ? { configFile: str('configFile')! } : {}),
    existingDatabase: bool(ctx('existingDatabase')),
    historyDatabaseName: '',
    ...(str('lakeKmsKeyArn') ? { lakeKmsKeyArn: str('lakeKmsKeyArn')! } : {}),
    ...(str('reportBaseUrl') ? { reportBaseUrl: str('reportBaseUrl')! } : {}),
  };
  if (s.reportBaseUrl && !/^https:\/\/[^\s]+$/.test(s.reportBaseUrl))
    throw new Error(
      `context ${CONTEXT_KEYS.reportBaseUrl} must be an https:// URL, got '${s.reportBaseUrl}'`,
    );
  if (!NAME_RE.test(s.databaseName))
    throw new Error(`context ${CONTEXT_KEYS.databaseName} must match ${NAME_RE}, got '${s.databaseName}'`);
  (s as { historyDatabaseName: string }).historyDatabaseName =
    str('historyDatabaseName') ??
    (s.existingDatabase ? `${s.databaseName}_vigil`.slice(0, 64) : s.databaseName);
  if (!NAME_RE.test(s.historyDatabaseName))
    throw new Error(
      `context ${CONTEXT_KEYS.historyDatabaseName} must match ${NAME_RE}, got '${s.historyDatabaseName}'`,
    );
  if (s.existingDatabase && s.historyDatabaseName === s.databaseName)
    throw new Error(
      `context ${CONTEXT_KEYS.historyDatabaseName} must differ from the existing lake database '${s.databaseName}' (the stack never changes a database it did not create)`,
    );
  if (s.lakeKmsKeyArn && !/^arn:aws[\w-]*:kms:[\w-]+:\d{12}:key\/[\w-]+$/.test(s.lakeKmsKeyArn))
    throw new Error(`context ${CONTEXT_KEYS.lakeKmsKeyArn} must be a KMS key ARN, got '${s.lakeKmsKeyArn}'`);
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
