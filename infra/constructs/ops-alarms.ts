import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface OpsAlarmsProps {
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

/**
 * Alarms on the stack's own health, to the ops topic: job errors, durations near timeout, a schedule
 * that silently stopped (no invocation in two periods), DLQ depth and age of its oldest message,
 * failed reruns. And one dashboard of the same signals.
 */
export class OpsAlarms extends Construct {
  readonly alarms: cw.Alarm[] = [];
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: OpsAlarmsProps) {
    super(scope, id);
    const action = new actions.SnsAction(props.ops);
    const add = (alarmId: string, alarm: cw.AlarmProps) => {
      const a = new cw.Alarm(this, alarmId, alarm);
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
    };
    for (const [name, fn] of Object.entries(props.functions)) {
      const label = name.charAt(0).toUpperCase() + name.slice(1);
      add(`${label}Errors`, {
        alarmDescription: `Vigil ${name} job failed (see its logs; failed runs end in the DLQ)`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cw.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
      const timeoutMs = fn.timeout?.toMilliseconds() ?? 3_000;
      add(`${label}DurationNearTimeout`, {
        alarmDescription: `Vigil ${name} job ran longer than 80% of its ${timeoutMs / 1000} s timeout`,
        metric: fn.metricDuration({ period: Duration.minutes(5), statistic: cw.Stats.MAXIMUM }),
        threshold: Math.round(timeoutMs * 0.8),
        evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
    }
    for (const sch of props.schedules) {
      const label = sch.name.charAt(0).toUpperCase() + sch.name.slice(1);
      add(`${label}NotInvoked`, {
        alarmDescription: `Vigil ${sch.name} job was not invoked in two schedule periods (schedule disabled, deleted or failing to deliver)`,
        metric: sch.fn.metricInvocations({ period: sch.period, statistic: cw.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No datapoint at all is exactly the failure this alarm exists for.
        treatMissingData: cw.TreatMissingData.BREACHING,
      });
    }
    add('DeadLetterQueueOldestMessage', {
      alarmDescription:
        'A Vigil job event has waited in the dead-letter queue for over an hour: its window was not computed or judged',
      metric: props.deadLetterQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: cw.Stats.MAXIMUM,
      }),
      threshold: 3600,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    add('DeadLetterQueueDepth', {
      alarmDescription:
        'Vigil job events in the dead-letter queue (schedules or runs that failed all retries)',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cw.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    add('RerunFailed', {
      alarmDescription: 'A Vigil rerun/backfill execution failed (rerunning it is safe)',
      metric: props.rerunStateMachine.metricFailed({ period: Duration.minutes(5), statistic: cw.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });

    const fns = Object.entries(props.functions);
    const perFn = (title: string, m: (fn: lambda.Function) => cw.Metric) =>
      new cw.GraphWidget({
        title,
        width: 8,
        left: fns.map(([name, fn]) => m(fn).with({ label: name, period: Duration.hours(1) })),
      });
    const vigil = (metricName: string, statistic: string) =>
      new cw.Metric({ namespace: 'Vigil', metricName, statistic, period: Duration.hours(1) });
    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          perFn('Invocations', (fn) => fn.metricInvocations({ statistic: cw.Stats.SUM })),
          perFn('Errors', (fn) => fn.metricErrors({ statistic: cw.Stats.SUM })),
          perFn('Duration (max)', (fn) => fn.metricDuration({ statistic: cw.Stats.MAXIMUM })),
        ],
        [
          new cw.GraphWidget({
            title: 'Windows',
            width: 8,
            left: ['WindowsWritten', 'WindowsFailed', 'WindowsJudged'].map((m) => vigil(m, cw.Stats.SUM)),
          }),
          new cw.GraphWidget({
            title: 'Alerts',
            width: 8,
            left: ['AlertsSent', 'AlertsUndelivered', 'DataIssues'].map((m) => vigil(m, cw.Stats.SUM)),
          }),
          new cw.GraphWidget({
            title: 'Athena bytes scanned',
            width: 8,
            left: [vigil('AthenaBytesScanned', cw.Stats.SUM)],
            right: [vigil('AthenaQueries', cw.Stats.SUM)],
          }),
        ],
        [
          new cw.GraphWidget({
            title: 'Dead-letter queue',
            width: 12,
            left: [props.deadLetterQueue.metricApproximateNumberOfMessagesVisible()],
            right: [props.deadLetterQueue.metricApproximateAgeOfOldestMessage()],
          }),
          new cw.AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarms }),
        ],
      ],
    });
  }
}
