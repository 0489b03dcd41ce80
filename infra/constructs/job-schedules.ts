import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { cronOf } from '../../shared/jobs/schedule.js';

export interface JobSchedulesProps {
  readonly hourly: lambda.IFunction;
  readonly daily: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * EventBridge Scheduler schedules (UTC), from shared/jobs/schedule.ts. Hourly at :15 (events of the past hour have landed; the job
 * recomputes the last 3 hours for late data), daily at 01:30 for yesterday. A failed delivery is
 * retried, then sent to the DLQ; a failed run is retried by Lambda's async retries, then also DLQ'd.
 */
export class JobSchedules extends Construct {
  readonly hourly: scheduler.Schedule;
  readonly daily: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: JobSchedulesProps) {
    super(scope, id);
    const target = (fn: lambda.IFunction, job: 'hourly' | 'daily') =>
      new targets.LambdaInvoke(fn, {
        input: scheduler.ScheduleTargetInput.fromObject({
          job,
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      });
    this.hourly = new scheduler.Schedule(this, 'Hourly', {
      description: 'Vigil hourly metrics (last 3 complete hours)',
      schedule: scheduler.ScheduleExpression.cron(cronOf('hour')),
      target: target(props.hourly, 'hourly'),
    });
    this.daily = new scheduler.Schedule(this, 'Daily', {
      description: 'Vigil daily metrics (yesterday, UTC)',
      schedule: scheduler.ScheduleExpression.cron(cronOf('day')),
      target: target(props.daily, 'daily'),
    });
  }
}
