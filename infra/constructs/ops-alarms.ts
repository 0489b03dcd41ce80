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
  readonly deadLetterQueue: sqs.IQueue;
  readonly rerunStateMachine: sfn.IStateMachine;
  readonly ops: sns.ITopic;
}

/** Alarms on the stack's own health, to the ops topic: job errors, durations near timeout, DLQ depth. */
export class OpsAlarms extends Construct {
  readonly alarms: cw.Alarm[] = [];

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
  }
}
