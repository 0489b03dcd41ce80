import { Duration, Stack } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DefaultDashboardFactory, MonitoringFacade, SnsAlarmActionStrategy } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import {
  JOB_METRICS_NAMESPACE,
  JOB_SERVICE_NAME,
  type JobMetricName,
} from '../../functions/lib/job-metrics.js';

export interface OpsMonitoringProps {
  readonly functions: Record<string, lambda.Function>;
  /** The scheduled functions and their period: no invocation in two periods means the schedule stopped. */
  readonly schedules: readonly {
    readonly name: string;
    readonly fn: lambda.IFunction;
    readonly period: Duration;
  }[];
  readonly deadLetterQueue: sqs.IQueue;
  readonly rerunStateMachine: sfn.IStateMachine;
  readonly ops: sns.ITopic;
}

/** A job event older than this in the DLQ: its window was neither computed nor judged in time. */
export const DLQ_MAX_AGE_SECONDS = 3600;
/** A run longer than this share of its timeout is close to being killed mid-way. */
export const NEAR_TIMEOUT_PERCENT = 80;

/**
 * The stack's own health through cdk-monitoring-constructs (one facade: its alarm naming, its
 * dashboard of every monitored resource with the alarms' thresholds drawn in): job errors, durations
 * near timeout, a schedule that silently stopped (no invocation in two periods), DLQ depth and the age
 * of its oldest message, failed reruns; alarm and OK to the ops topic. Names carry the stack's name,
 * so two stacks share an account. The jobs' own metrics (windows, alerts, Athena bytes) are charted
 * from job-metrics.ts, with the `service` dimension Powertools adds.
 */
export class OpsMonitoring extends Construct {
  readonly facade: MonitoringFacade;
  readonly dashboards: DefaultDashboardFactory;

  constructor(scope: Construct, id: string, props: OpsMonitoringProps) {
    super(scope, id);
    const name = Stack.of(this).stackName;
    this.dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: name,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      // A week: the daily job's runs, and the hourly job's across a weekly cycle.
      detailDashboardRange: Duration.days(7),
    });
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: name,
        actionsEnabled: true,
        // One bad period is enough: a job runs once an hour or a day, so one failed run is one datapoint.
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.ops, onOkTopic: props.ops }),
      },
      metricFactoryDefaults: {},
      dashboardFactory: this.dashboards,
    });

    for (const [fnName, fn] of Object.entries(props.functions)) {
      const schedule = props.schedules.find((s) => s.fn === fn);
      const timeout = fn.timeout?.toSeconds() ?? 3;
      this.facade.monitorLambdaFunction({
        lambdaFunction: fn,
        humanReadableName: `Vigil ${fnName} job`,
        alarmFriendlyName: fnName,
        addFaultCountAlarm: {
          Failed: {
            maxErrorCount: 0,
            alarmDescriptionOverride: `Vigil ${fnName} job failed (see its logs; failed runs end in the DLQ)`,
          },
        },
        addMaxLatencyAlarm: {
          NearTimeout: {
            maxLatencyPercentageOfTimeout: NEAR_TIMEOUT_PERCENT,
            alarmDescriptionOverride: `Vigil ${fnName} job ran longer than ${NEAR_TIMEOUT_PERCENT}% of its ${timeout} s timeout`,
          },
        },
        ...(schedule
          ? {
              addMinInvocationsCountAlarm: {
                NotInvoked: {
                  minCount: 1,
                  period: schedule.period,
                  evaluationPeriods: 2,
                  datapointsToAlarm: 2,
                  // No datapoint at all is exactly the failure this alarm exists for.
                  treatMissingDataOverride: cw.TreatMissingData.BREACHING,
                  alarmDescriptionOverride: `Vigil ${schedule.name} job was not invoked in two schedule periods (schedule disabled, deleted or failing to deliver)`,
                },
              },
            }
          : {}),
      });
    }

    this.facade.monitorSqsQueue({
      queue: props.deadLetterQueue,
      humanReadableName: 'Vigil dead-letter queue',
      alarmFriendlyName: 'DeadLetterQueue',
      addQueueMaxSizeAlarm: {
        Depth: {
          maxMessageCount: 0,
          // An empty, idle queue publishes no metrics: that is the healthy state.
          treatMissingDataOverride: cw.TreatMissingData.NOT_BREACHING,
          alarmDescriptionOverride:
            'Vigil job events in the dead-letter queue (schedules or runs that failed all retries)',
        },
      },
      addQueueMaxMessageAgeAlarm: {
        OldestMessage: {
          maxAgeInSeconds: DLQ_MAX_AGE_SECONDS,
          treatMissingDataOverride: cw.TreatMissingData.NOT_BREACHING,
          alarmDescriptionOverride:
            'A Vigil job event has waited in the dead-letter queue for over an hour: its window was not computed or judged',
        },
      },
    });

    this.facade.monitorStepFunction({
      stateMachine: props.rerunStateMachine,
      humanReadableName: 'Vigil rerun/backfill',
      alarmFriendlyName: 'Rerun',
      addFailedExecutionCountAlarm: {
        Failed: {
          maxErrorCount: 0,
          alarmDescriptionOverride: 'A Vigil rerun/backfill execution failed (rerunning it is safe)',
        },
      },
    });

    const jobMetric = (metricName: JobMetricName) =>
      new cw.Metric({
        namespace: JOB_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: JOB_SERVICE_NAME },
        statistic: cw.Stats.SUM,
        label: metricName,
      });
    this.facade.monitorCustom({
      humanReadableName: 'Vigil jobs',
      alarmFriendlyName: 'Jobs',
      metricGroups: [
        {
          title: 'Windows',
          metrics: (['WindowsWritten', 'WindowsFailed', 'WindowsJudged'] as const).map(jobMetric),
        },
        {
          title: 'Alerts',
          metrics: (['AlertsSent', 'AlertsUndelivered', 'DataIssues'] as const).map(jobMetric),
        },
        { title: 'Athena bytes scanned', metrics: [jobMetric('AthenaBytesScanned')] },
        {
          title: 'Athena queries and dollars',
          metrics: (['AthenaQueries', 'AthenaDollars'] as const).map(jobMetric),
        },
      ],
    });
  }
}
