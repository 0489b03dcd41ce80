import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { resolveSettings, type VigilSettings } from './config.js';
import { AlertTopics } from './constructs/alert-topics.js';
import { DeployedConfig } from './constructs/deployed-config.js';
import { EventLake } from './constructs/event-lake.js';
import { JobFunctions } from './constructs/job-functions.js';
import { JobSchedules } from './constructs/job-schedules.js';
import { MetricHistory } from './constructs/metric-history.js';
import { OpsMonitoring } from './constructs/ops-monitoring.js';
import { QueryWorkgroup } from './constructs/query-workgroup.js';
import { RerunFanout } from './constructs/rerun-fanout.js';
import { ResultsStore } from './constructs/results-store.js';
import { nagAcknowledgements } from './nag.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface VigilStackProps extends StackProps {
  /** Overrides of the context settings (tests). */
  readonly settings?: Partial<VigilSettings>;
}

/** Vigil on AWS: the event lake tables, Athena workgroup, results store, jobs, schedules and topics. */
export class VigilStack extends Stack {
  readonly settings: VigilSettings;
  readonly results: ResultsStore;
  readonly lake: EventLake;
  readonly workgroup: QueryWorkgroup;
  readonly topics: AlertTopics;
  readonly jobs: JobFunctions;
  readonly schedules: JobSchedules;
  readonly rerun: RerunFanout;
  readonly monitoring: OpsMonitoring;
  readonly config: DeployedConfig;

  constructor(scope: Construct, id: string, props: VigilStackProps = {}) {
    super(scope, id, props);
    const s = resolveSettings(this.node, props.settings, this.stackName);
    this.settings = s;
    this.results = new ResultsStore(this, 'Results', { queryResultsDays: s.queryResultsDays });
    this.config = new DeployedConfig(this, 'Config', {
      bucket: this.results.bucket,
      ...(s.configFile ? { configFile: path.resolve(PROJECT_ROOT, s.configFile) } : {}),
    });
    this.lake = new EventLake(this, 'Lake', {
      sources: this.config.config.sources,
      existingDatabase: s.existingDatabase,
      ...(s.lakeBucketName ? { bucketName: s.lakeBucketName } : {}),
      prefix: s.lakePrefix,
      databaseName: s.databaseName,
      startDate: s.lakeStartDate,
      accessLogs: this.results.accessLogs,
    });
    const history = new MetricHistory(this, 'MetricHistory', {
      bucket: this.results.bucket,
      ...(this.lake.database ? { database: this.lake.database } : {}),
      databaseName: s.historyDatabaseName,
      startDate: s.lakeStartDate,
    });
    this.workgroup = new QueryWorkgroup(this, 'Athena', {
      name: s.workGroupName,
      resultsBucket: this.results.bucket,
      bytesScannedCutoffPerQuery: s.bytesScannedCutoffPerQuery,
    });
    this.topics = new AlertTopics(this, 'Topics', {
      ...(s.alertEmail ? { alertEmail: s.alertEmail } : {}),
      ...(s.opsEmail ? { opsEmail: s.opsEmail } : {}),
    });
    this.jobs = new JobFunctions(this, 'Jobs', {
      lake: this.lake,
      resultsBucket: this.results.bucket,
      workgroup: this.workgroup,
      alerts: this.topics.alerts,
      projectRoot: PROJECT_ROOT,
      configKey: this.config.key,
      historyDatabaseName: s.historyDatabaseName,
      ...(s.lakeKmsKeyArn ? { lakeKmsKeyArn: s.lakeKmsKeyArn } : {}),
      ...(s.reportBaseUrl ? { reportBaseUrl: s.reportBaseUrl } : {}),
      ...(s.lakeBytesPerDay ? { lakeBytesPerDay: s.lakeBytesPerDay } : {}),
    });
    // A function never runs before its config is in place.
    for (const fn of Object.values(this.jobs.functions)) fn.node.addDependency(this.config.resource);
    void history;
    this.schedules = new JobSchedules(this, 'Schedules', {
      hourly: this.jobs.functions.hourly,
      daily: this.jobs.functions.daily,
      deadLetterQueue: this.jobs.deadLetterQueue,
    });
    this.rerun = new RerunFanout(this, 'Rerun', {
      rerun: this.jobs.functions.rerun,
      maxConcurrency: s.rerunConcurrency,
    });
    this.monitoring = new OpsMonitoring(this, 'Monitoring', {
      functions: this.jobs.functions,
      deadLetterQueue: this.jobs.deadLetterQueue,
      rerunStateMachine: this.rerun.stateMachine,
      ops: this.topics.ops,
      schedules: [
        { name: 'hourly', fn: this.jobs.functions.hourly, period: Duration.hours(1) },
        { name: 'daily', fn: this.jobs.functions.daily, period: Duration.days(1) },
      ],
    });

    new CfnOutput(this, 'LakeBucketName', { value: this.lake.bucket.bucketName });
    new CfnOutput(this, 'ResultsBucketName', { value: this.results.bucket.bucketName });
    new CfnOutput(this, 'AlertTopicArn', { value: this.topics.alerts.topicArn });
    new CfnOutput(this, 'OpsTopicArn', { value: this.topics.ops.topicArn });
    new CfnOutput(this, 'HourlyFunctionName', { value: this.jobs.functions.hourly.functionName });
    new CfnOutput(this, 'DailyFunctionName', { value: this.jobs.functions.daily.functionName });
    new CfnOutput(this, 'RerunFunctionName', { value: this.jobs.functions.rerun.functionName });
    new CfnOutput(this, 'RerunStateMachineArn', { value: this.rerun.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.workgroup.name });
    new CfnOutput(this, 'GlueDatabase', { value: s.databaseName });
    new CfnOutput(this, 'HistoryDatabase', { value: s.historyDatabaseName });
    new CfnOutput(this, 'ConfigObject', {
      value: `s3://${this.results.bucket.bucketName}/${this.config.key}`,
    });

    this.acknowledge();
  }

  /** cdk-nag AwsSolutions findings accepted on purpose, each with its reason (see NAG_ACKNOWLEDGEMENTS). */
  private acknowledge(): void {
    for (const a of nagAcknowledgements(this))
      Validations.of(a.scope).acknowledge({ id: a.id, reason: a.reason });
  }
}
