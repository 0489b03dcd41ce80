import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { AthenaQueryEngine, type QueryStats } from '../../shared/adapters/athena/athena-engine.js';
import { S3LakeInventory } from '../../shared/adapters/s3/s3-lake-inventory.js';
import { S3ObjectStore } from '../../shared/adapters/s3/s3-object-store.js';
import { defaultConfig, type VigilConfig, validateConfig } from '../../shared/config/file.js';
import { DataError } from '../../shared/errors.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import type { AlertSink } from '../../shared/ports/alert-sink.js';
import { type Clock, systemClock } from '../../shared/ports/clock.js';
import type { LakeInventory } from '../../shared/ports/lake-inventory.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import type { QueryEngine } from '../../shared/ports/query-engine.js';
import { ConfiguredAlertSink } from './alert-sinks.js';
import { type JobEnv, readEnv } from './env.js';
import { logger } from './powertools.js';

/** The adapters a job needs, built once per Lambda container and reused across invocations. */
export interface Container {
  readonly env: JobEnv;
  readonly engine: QueryEngine;
  readonly objects: ObjectStore;
  readonly store: MetricStore;
  readonly sink: AlertSink;
  readonly clock: Clock;
  /** The event lake's object listing (fingerprints, completeness, budget); absent without VIGIL_LAKE_BUCKET. */
  readonly inventory?: LakeInventory;
  /** Queries of the current invocation (bytes scanned per query); reset by the handler. */
  readonly queries: QueryStats[];
  /** vigil.yaml as `vigil config export` wrote it (S3 key VIGIL_CONFIG_KEY), or the core catalog alone. */
  config(): Promise<VigilConfig>;
}

let current: Container | undefined;

export function container(): Container {
  current ??= build(readEnv());
  return current;
}

/** Drops the cached container (tests change the environment between cases). */
export function resetContainer(): void {
  current = undefined;
}

function build(env: JobEnv): Container {
  // The SDK's own retries stay on (standard mode); the engine adds jittered retries on throttles.
  const athena = new AthenaClient({});
  const s3 = new S3Client({});
  const sns = new SNSClient({});
  const queries: QueryStats[] = [];
  const engine = new AthenaQueryEngine({
    client: athena,
    workGroup: env.VIGIL_WORKGROUP,
    database: env.VIGIL_DATABASE,
    timeoutMs: env.VIGIL_QUERY_TIMEOUT_MS,
    pollMs: env.VIGIL_POLL_MS,
    onQuery: (s) => {
      queries.push(s);
      logger.info('athena query', { ...s });
    },
  });
  const objects = new S3ObjectStore({
    client: s3,
    bucket: env.VIGIL_RESULTS_BUCKET,
    prefix: env.VIGIL_STORE_PREFIX,
    ...(env.VIGIL_LINK_BASE ? { linkBase: env.VIGIL_LINK_BASE } : {}),
  });
  let config: Promise<VigilConfig> | undefined;
  const loadConfig = async (): Promise<VigilConfig> => {
    if (!env.VIGIL_CONFIG_KEY) return defaultConfig();
    const obj = await objects.get(env.VIGIL_CONFIG_KEY);
    if (!obj) throw new DataError(`metric config ${objects.urlOf(env.VIGIL_CONFIG_KEY)} does not exist`);
    // JSON (from `vigil config export`), so the bundle needs no YAML parser.
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(obj.body));
    } catch (err) {
      throw new DataError(
        `metric config ${env.VIGIL_CONFIG_KEY} is not JSON (upload \`vigil config export\` output)`,
        {
          cause: err,
        },
      );
    }
    return validateConfig(raw, env.VIGIL_CONFIG_KEY);
  };
  const containerConfig = (): Promise<VigilConfig> => {
    config ??= loadConfig().catch((err) => {
      config = undefined; // a failed load is retried by the next invocation
      throw err;
    });
    return config;
  };
  return {
    env,
    engine,
    objects,
    store: new MetricStore(objects),
    sink: new ConfiguredAlertSink({
      config: containerConfig,
      sns,
      topicArn: env.VIGIL_TOPIC_ARN,
      objects,
    }),
    clock: systemClock,
    ...(env.VIGIL_LAKE_BUCKET
      ? {
          inventory: new S3LakeInventory({
            client: s3,
            bucket: env.VIGIL_LAKE_BUCKET,
            prefix: env.VIGIL_LAKE_PREFIX,
          }),
        }
      : {}),
    queries,
    config: containerConfig,
  };
}
