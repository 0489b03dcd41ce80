import path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_METRICS_NAMESPACE, JOB_SERVICE_NAME } from '../../functions/lib/job-metrics.js';
import {
  BUNDLE_TARGET,
  ESM_REQUIRE_BANNER,
  EXTERNAL_MODULES,
  EXTRA_ESBUILD_ARGS,
  FUNCTION_ENTRIES,
  type FunctionName,
  LAMBDA_NODE_OPTIONS,
  MAIN_FIELDS,
} from '../bundling.js';
import { areaGrants, sidOf } from '../storage-access.js';
import type { EventLake } from './event-lake.js';
import { METRIC_HISTORY_VIEW, METRIC_STORE_TABLE } from './metric-history.js';
import type { QueryWorkgroup } from './query-workgroup.js';

export interface JobFunctionsProps {
  readonly lake: EventLake;
  readonly resultsBucket: s3.IBucket;
  readonly workgroup: QueryWorkgroup;
  readonly alerts: sns.ITopic;
  /** Repository root (entries and the lock file are resolved from it). */
  readonly projectRoot: string;
  /** Key of the deployed config in the results bucket. */
  readonly configKey: string;
  /** Glue database of the metric history tables. */
  readonly historyDatabaseName: string;
  /** KMS key of an SSE-KMS lake bucket. */
  readonly lakeKmsKeyArn?: string;
  /** Base URL of report links in alerts. */
  readonly reportBaseUrl?: string;
  /** The lake's declared size per day: the jobs refuse a run over its share (shared/jobs/cost.ts). */
  readonly lakeBytesPerDay?: number;
}

/** Per-function sizing: timeouts leave the Athena deadline a margin to stop its query and report. */
const SIZING: Record<FunctionName, { timeout: Duration; memory: number; description: string }> = {
  hourly: {
    timeout: Duration.minutes(5),
    memory: 512,
    description: 'Vigil hourly job: metrics of the last 3 hours, data guard, detection, alerts',
  },
  daily: {
    timeout: Duration.minutes(10),
    memory: 512,
    description: 'Vigil daily job: metrics of the last 2 days, detection, alerts',
  },
  rerun: {
    timeout: Duration.minutes(15),
    memory: 512,
    description: 'Vigil on-demand rerun/backfill: metrics and/or detection',
  },
};

/**
 * The three job functions (Node.js 24, arm64, esbuild ESM bundles), their dead-letter queue and a
 * least-privilege role each: a shared policy (Athena on the workgroup only, Glue on the database and
 * its tables, S3 read of the lake's source prefixes, ListBucket on the results bucket), plus on each
 * role the results-store areas that function uses (AREA_USERS × STORAGE_LAYOUT access) and SNS
 * publish on the alert topic.
 */
export class JobFunctions extends Construct {
  readonly functions: Record<FunctionName, NodejsFunction>;
  readonly deadLetterQueue: sqs.Queue;
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: JobFunctionsProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.policy = new iam.ManagedPolicy(this, 'JobAccess', {
      description: 'Vigil jobs: Athena workgroup, Glue lake tables, lake S3 prefixes, results bucket listing',
      statements: jobStatements(this, props),
    });
    const env = {
      VIGIL_WORKGROUP: props.workgroup.name,
      VIGIL_DATABASE: props.lake.databaseName,
      VIGIL_RESULTS_BUCKET: props.resultsBucket.bucketName,
      VIGIL_STORE_PREFIX: '',
      VIGIL_CONFIG_KEY: props.configKey,
      ...(props.reportBaseUrl ? { VIGIL_LINK_BASE: props.reportBaseUrl } : {}),
      VIGIL_TOPIC_ARN: props.alerts.topicArn,
      // Listed (ListObjectsV2, never read) for partition fingerprints and the completeness watermark.
      VIGIL_LAKE_BUCKET: props.lake.bucket.bucketName,
      VIGIL_LAKE_PREFIX: props.lake.prefix,
      ...(props.lakeBytesPerDay ? { VIGIL_LAKE_BYTES_PER_DAY: String(props.lakeBytesPerDay) } : {}),
      POWERTOOLS_SERVICE_NAME: JOB_SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: JOB_METRICS_NAMESPACE,
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
    };
    const make = (name: FunctionName): NodejsFunction => {
      const sizing = SIZING[name];
      const logGroup = new logs.LogGroup(this, `${cap(name)}Logs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new iam.Role(this, `${cap(name)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Vigil ${name} job`,
        managedPolicies: [this.policy],
      });
      // Its own log group only (instead of the AWS managed AWSLambdaBasicExecutionRole).
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      // Its own areas of the results store, as STORAGE_LAYOUT and AREA_USERS say.
      for (const g of areaGrants(name))
        role.addToPolicy(
          new iam.PolicyStatement({
            sid: sidOf(g.area),
            actions: [...g.actions],
            resources: [props.resultsBucket.arnForObjects(`${g.prefix}*`)],
          }),
        );
      props.alerts.grantPublish(role);
      const fn = new NodejsFunction(this, cap(name), {
        entry: path.join(props.projectRoot, FUNCTION_ENTRIES[name]),
        handler: 'handler',
        projectRoot: props.projectRoot,
        depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: sizing.memory,
        timeout: sizing.timeout,
        description: sizing.description,
        role,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        environment: {
          ...env,
          // The Athena deadline: a minute before the function's own timeout.
          VIGIL_QUERY_TIMEOUT_MS: String(sizing.timeout.toMilliseconds() - 60_000),
        },
        bundling: {
          format: OutputFormat.ESM,
          target: BUNDLE_TARGET,
          minify: true,
          // Error names survive minification (logs show JobFailedError, not `e`), and stack traces
          // point at the TypeScript sources (external map, not inlined: the bundle stays small).
          keepNames: true,
          sourceMap: true,
          sourceMapMode: SourceMapMode.EXTERNAL,
          sourcesContent: false,
          mainFields: MAIN_FIELDS,
          banner: ESM_REQUIRE_BANNER,
          externalModules: EXTERNAL_MODULES,
          esbuildArgs: EXTRA_ESBUILD_ARGS,
          forceDockerBundling: false,
        },
      });
      return fn;
    };
    this.functions = { hourly: make('hourly'), daily: make('daily'), rerun: make('rerun') };
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function jobStatements(scope: Construct, props: JobFunctionsProps): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const { lake, resultsBucket } = props;
  const lakePrefixes = lake.folders().map((f) => `${f}*`);
  const glueArn = (resource: string, resourceName?: string) =>
    stack.formatArn({ service: 'glue', resource, ...(resourceName ? { resourceName } : {}) });
  return [
    new iam.PolicyStatement({
      sid: 'AthenaOnTheWorkgroupOnly',
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
      ],
      resources: [
        stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workgroup.name }),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'GlueLakeTablesRead',
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions'],
      // The tables the config's mappings name (not the six default names), and the history tables.
      resources: [
        ...new Set([
          glueArn('catalog'),
          glueArn('database', lake.databaseName),
          glueArn('database', props.historyDatabaseName),
          ...Object.values(lake.tableNames).map((t) => glueArn('table', `${lake.databaseName}/${t}`)),
          ...[METRIC_STORE_TABLE, METRIC_HISTORY_VIEW].map((t) =>
            glueArn('table', `${props.historyDatabaseName}/${t}`),
          ),
        ]),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'LakeSourcesRead',
      actions: ['s3:GetObject'],
      resources: lake.objectArns(),
    }),
    new iam.PolicyStatement({
      sid: 'LakeBucketListSourcePrefixes',
      actions: ['s3:ListBucket'],
      resources: [lake.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': lakePrefixes } },
    }),
    ...(props.lakeKmsKeyArn
      ? [
          new iam.PolicyStatement({
            // SSE-KMS lake: S3 decrypts the objects Athena reads for the job, with the job's rights.
            sid: 'LakeKeyDecryptViaS3',
            actions: ['kms:Decrypt'],
            resources: [props.lakeKmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
          }),
        ]
      : []),
    new iam.PolicyStatement({
      sid: 'BucketLocations',
      actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
      resources: [lake.bucket.bucketArn, resultsBucket.bucketArn],
    }),
    new iam.PolicyStatement({
      // Unconditional: without ListBucket, S3 answers a read of a key that does not exist yet (a
      // window's first manifest, the incident book, the outbox) with 403 instead of 404.
      sid: 'ResultsBucketList',
      actions: ['s3:ListBucket'],
      resources: [resultsBucket.bucketArn],
    }),
  ];
}
