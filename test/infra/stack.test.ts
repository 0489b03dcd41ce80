import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { JOB_METRIC_NAMES } from '../../functions/lib/job-metrics.js';
import { VigilStack } from '../../infra/vigil-stack.js';
import { SOURCE_NAMES } from '../../shared/lake/sources.js';
import { STORAGE_LAYOUT } from '../../shared/storage/layout.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function synth(context: Record<string, unknown> = {}) {
  // No bundling in template tests: bundling is exercised once by the synth test.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new VigilStack(app, 'Vigil', { env: ENV });
  return { app, stack, template: Template.fromStack(stack) };
}

const { app, stack, template } = synth({ 'vigil:alertEmail': 'oncall@example.com' });
const json = template.toJSON() as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const resources = (type: string) => Object.values(json.Resources).filter((r) => r.Type === type);

describe('Vigil stack template', () => {
  it('has one Glue table per source with partition projection on dt/hour (no crawler)', () => {
    template.resourceCountIs('AWS::Glue::Crawler', 0);
    template.resourceCountIs('AWS::Glue::Database', 1);
    for (const source of SOURCE_NAMES)
      template.hasResourceProperties('AWS::Glue::Table', {
        DatabaseName: 'vigil',
        TableInput: Match.objectLike({
          Name: source,
          PartitionKeys: [
            { Name: 'dt', Type: 'string' },
            { Name: 'hour', Type: 'string' },
          ],
          Parameters: Match.objectLike({
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.hour.type': 'integer',
            'projection.hour.digits': '2',
            'storage.location.template': Match.anyValue(),
          }),
          StorageDescriptor: Match.objectLike({
            SerdeInfo: {
              SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            },
          }),
        }),
      });
    const impressions = resources('AWS::Glue::Table').find(
      (t) => (t.Properties.TableInput as { Name: string }).Name === 'impressions',
    )!;
    const cols = (impressions.Properties.TableInput as { StorageDescriptor: { Columns: unknown[] } })
      .StorageDescriptor.Columns;
    expect(cols).toContainEqual({ Name: 'event_time', Type: 'timestamp' });
  });

  it('exposes the metric store as a CSV table and a typed metric_history view', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'metric_store_csv',
        Parameters: Match.objectLike({ 'skip.header.line.count': '1' }),
      }),
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({ Name: 'metric_history', TableType: 'VIRTUAL_VIEW' }),
    });
  });

  it('has encrypted, TLS-only, private buckets and lifecycles on Athena results and intermediates', () => {
    for (const b of resources('AWS::S3::Bucket')) {
      expect(b.Properties.BucketEncryption).toBeDefined();
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = resources('AWS::S3::BucketPolicy');
    expect(policies.length).toBe(resources('AWS::S3::Bucket').length);
    for (const p of policies)
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'expire-athena-query-results',
            Prefix: 'athena-results/',
            ExpirationInDays: 7,
          }),
          // From STORAGE_LAYOUT.intermediates.retentionDays.
          Match.objectLike({
            Id: 'expire-intermediates',
            Prefix: 'intermediates/',
            ExpirationInDays: STORAGE_LAYOUT.intermediates.retentionDays,
          }),
        ]),
      },
    });
  });

  it('has an enforced Athena workgroup with encrypted results and a bytes-scanned cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'vigil',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 200 * 1024 ** 3,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });

  it('has KMS-encrypted topics and the optional email subscription', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    for (const t of resources('AWS::SNS::Topic')) expect(t.Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('has three arm64 Node.js functions with tracing, a DLQ and async retries', () => {
    // Besides CDK's custom-resource provider that deploys the config.
    const fns = resources('AWS::Lambda::Function').filter((f) =>
      String(f.Properties.Description ?? '').startsWith('Vigil '),
    );
    expect(fns).toHaveLength(3);
    for (const f of fns) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        DeadLetterConfig: { TargetArn: expect.anything() },
      });
      expect((f.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        VIGIL_DATABASE: 'vigil',
        VIGIL_WORKGROUP: 'vigil',
      });
    }
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 3);
  });

  it('schedules hourly and daily with a retry policy and the dead-letter queue', () => {
    const schedules = resources('AWS::Scheduler::Schedule');
    expect(schedules.map((s) => s.Properties.ScheduleExpression).sort()).toEqual([
      'cron(20 * * * ? *)',
      'cron(30 1 * * ? *)',
    ]);
    for (const s of schedules) {
      const target = s.Properties.Target as Record<string, unknown>;
      expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 });
      expect(target.DeadLetterConfig).toBeDefined();
      expect(String(target.Input)).toContain('<aws.scheduler.scheduled-time>');
    }
  });

  it('fans reruns out through a Map with bounded concurrency', () => {
    const sm = resources('AWS::StepFunctions::StateMachine')[0]!;
    const def = JSON.stringify(sm.Properties.DefinitionString);
    expect(def).toContain('\\"MaxConcurrency\\":4');
    expect(def).toContain('\\"ItemsPath\\":\\"$.plan.chunks\\"');
    // Nothing accumulates in the state: the plan keeps only its chunks, chunk and Map results are discarded.
    expect(def).toContain('\\"ResultSelector\\":{\\"chunks.$\\":\\"$.chunks\\"');
    expect(def.match(/\\"ResultPath\\":null/g)).toHaveLength(2);
  });

  it('alarms on job errors, durations, silent schedules, the DLQ and failed reruns, to the ops topic', () => {
    interface MetricStat {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string }[] };
      Period: number;
      Stat: string;
    }
    // cdk-monitoring-constructs writes each alarm's metric as a one-metric `Metrics` query.
    const alarms = resources('AWS::CloudWatch::Alarm').map((a) => {
      const queries = a.Properties.Metrics as { MetricStat?: MetricStat; ReturnData?: boolean }[];
      expect(queries).toHaveLength(1);
      return { p: a.Properties, m: queries[0]!.MetricStat! };
    });
    const metrics = alarms.map(({ m }) => `${m.Metric.Namespace}:${m.Metric.MetricName}:${m.Stat}`).sort();
    expect(metrics).toEqual([
      'AWS/Lambda:Duration:Maximum',
      'AWS/Lambda:Duration:Maximum',
      'AWS/Lambda:Duration:Maximum',
      'AWS/Lambda:Errors:Sum',
      'AWS/Lambda:Errors:Sum',
      'AWS/Lambda:Errors:Sum',
      'AWS/Lambda:Invocations:Sum',
      'AWS/Lambda:Invocations:Sum',
      'AWS/SQS:ApproximateAgeOfOldestMessage:Maximum',
      'AWS/SQS:ApproximateNumberOfMessagesVisible:Maximum',
      'AWS/States:ExecutionsFailed:Sum',
    ]);
    // No invocation in two periods of each schedule; missing data is the failure itself.
    const silent = alarms.filter(({ m }) => m.Metric.MetricName === 'Invocations');
    expect(
      silent
        .map(({ p, m }) => [
          m.Period,
          p.EvaluationPeriods,
          p.DatapointsToAlarm,
          p.Threshold,
          p.ComparisonOperator,
          p.TreatMissingData,
        ])
        .sort(),
    ).toEqual([
      [3600, 2, 2, 1, 'LessThanThreshold', 'breaching'],
      [86400, 2, 2, 1, 'LessThanThreshold', 'breaching'],
    ]);
    // Every other alarm fires on one bad 5-minute period: one failed run is one datapoint.
    for (const { p, m } of alarms.filter(({ m }) => m.Metric.MetricName !== 'Invocations')) {
      expect([m.Period, p.EvaluationPeriods, p.DatapointsToAlarm, p.TreatMissingData]).toEqual([
        300,
        1,
        1,
        'notBreaching',
      ]);
      expect(p.ComparisonOperator).toBe('GreaterThanThreshold');
    }
    const threshold = (name: string) =>
      alarms
        .filter(({ m }) => m.Metric.MetricName === name)
        .map(({ p }) => p.Threshold)
        .sort((a, b) => Number(a) - Number(b));
    expect(threshold('Errors')).toEqual([0, 0, 0]);
    // 80% of the 300 / 600 / 900 s timeouts.
    expect(threshold('Duration')).toEqual([240_000, 480_000, 720_000]);
    expect(threshold('ApproximateAgeOfOldestMessage')).toEqual([3600]);
    expect(threshold('ApproximateNumberOfMessagesVisible')).toEqual([0]);
    expect(threshold('ExecutionsFailed')).toEqual([0]);
    const ops = Object.entries(json.Resources).find(
      ([, r]) => r.Type === 'AWS::SNS::Topic' && r.Properties.DisplayName === 'Vigil operations',
    )![0];
    for (const { p } of alarms) {
      expect(p.AlarmActions).toEqual([{ Ref: ops }]);
      expect(p.OKActions).toEqual([{ Ref: ops }]);
      // Names carry the stack's name: two stacks share an account.
      expect(String(p.AlarmName)).toMatch(/^Vigil-/);
      expect(String(p.AlarmDescription)).toMatch(/Vigil/);
    }
  });

  it('has one dashboard, named after the stack, charting the jobs and the metrics they publish', () => {
    const dashboards = resources('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('Vigil');
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const fn of ['hourly', 'daily', 'rerun']) expect(body).toContain(`Vigil ${fn} job`);
    expect(body).toContain('Vigil dead-letter queue');
    expect(body).toContain('Vigil rerun/backfill');
    // Powertools adds the `service` dimension to every job metric; a chart without it stays empty.
    for (const m of JOB_METRIC_NAMES)
      expect(body).toContain(`[\\"Vigil\\",\\"${m}\\",\\"service\\",\\"vigil\\"`);
  });

  it('grants least privilege: no "*" resource except X-Ray and log delivery', () => {
    const statements = [...resources('AWS::IAM::Policy'), ...resources('AWS::IAM::ManagedPolicy')].flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
    const star = statements.filter(
      (s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')),
    );
    const allowed = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]);
    expect(star.length).toBeGreaterThan(0);
    for (const s of star) for (const a of [s.Action].flat()) expect(allowed, a).toContain(a);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
    const athena = statements.find((s) => [s.Action].flat().includes('athena:StartQueryExecution'))!;
    expect(JSON.stringify(athena.Resource)).toContain(':workgroup/vigil');
    const publish = statements.find((s) => [s.Action].flat().includes('sns:Publish'))!;
    expect(publish.Resource).toEqual({ Ref: expect.stringMatching(/^TopicsAlerts/) });
    const glue = statements.find((s) => [s.Action].flat().includes('glue:GetTable'))!;
    expect(JSON.stringify(glue.Resource)).toContain('table/vigil/impressions');
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { ManagedPolicyArns: Match.arrayWith([Match.stringLikeRegexp('AWSLambdaBasicExecutionRole')]) },
      0,
    );
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement reasoned', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('uses an existing lake bucket by name, and passes cdk-nag there too', () => {
    const other = synth({
      'vigil:lakeBucketName': 'tns-events',
      'vigil:lakePrefix': 'raw',
      'vigil:databaseName': 'tns',
    });
    expect(
      other.template.findResources('AWS::S3::Bucket', {}) &&
        Object.keys(other.template.findResources('AWS::S3::Bucket')).length,
    ).toBe(2);
    other.template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'tns',
      TableInput: Match.objectLike({
        Name: 'impressions',
        Parameters: Match.objectLike({
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's projection template syntax
          'storage.location.template': 's3://tns-events/raw/impressions/dt=${dt}/hour=${hour}',
        }),
      }),
    });
    expect(new AwsSolutionsChecks(other.app).validateScope(other.stack).violations).toEqual([]);
  });

  it('refuses bad context', () => {
    expect(() => synth({ 'vigil:databaseName': 'Bad-Name' })).toThrow(/databaseName/);
    expect(() => synth({ 'vigil:bytesScannedCutoffPerQuery': '5' })).toThrow(/10 MB/);
  });
});
