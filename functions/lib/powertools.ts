import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** One logger, metrics and tracer per container; service and namespace come from POWERTOOLS_* env. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Vigil',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil',
});
