import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { JOB_METRICS_NAMESPACE, JOB_SERVICE_NAME } from './job-metrics.js';

/**
 * One logger and metrics per container; service and namespace come from POWERTOOLS_* env. No
 * Powertools Tracer: its X-Ray SDK (with cls-hooked and semver, ~130 KB, async hooks on every
 * promise) would only add a subsegment per AWS call, and every Athena query is already logged with
 * its time and bytes; Lambda's active tracing still records each invocation and its init.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? JOB_SERVICE_NAME });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? JOB_METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? JOB_SERVICE_NAME,
});
