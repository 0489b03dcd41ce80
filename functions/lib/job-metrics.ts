/**
 * The CloudWatch metrics the jobs publish (Powertools EMF): their namespace, the `service` dimension
 * Powertools adds to each, and their names. The stack sets the functions' POWERTOOLS_* environment
 * and charts the dashboard from this one declaration.
 */
export const JOB_METRICS_NAMESPACE = 'Vigil';
export const JOB_SERVICE_NAME = 'vigil';

export const JOB_METRIC_NAMES = [
  'WindowsWritten',
  'WindowsFailed',
  'WindowsJudged',
  'AlertsSent',
  'AlertsUndelivered',
  'DataIssues',
  'AthenaQueries',
  'AthenaBytesScanned',
  'AthenaDollars',
] as const;
export type JobMetricName = (typeof JOB_METRIC_NAMES)[number];
