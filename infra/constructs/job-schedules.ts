import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SCHEDULE } from '../../shared/jobs/schedule.js';

export interface JobSchedulesProps {
  readonly hourly: lambda.IFunction;
  readonly daily: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * EventBridge Scheduler schedules (UTC), from the one schedule declaration (shared/jobs/schedule.ts:
 * when each job fires, what it recomputes, how long a window settles before it is judged). A failed
 * delivery is retried, then sent to the DLQ; a failed run is retried by Lambda's async retries,
 * then also DLQ'd.
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
      description: SCHEDULE.hour.description,
      schedule: scheduler.ScheduleExpression.cron({ ...SCHEDULE.hour.cron }),
      target: target(props.hourly, 'hourly'),
    });
    this.daily = new scheduler.Schedule(this, 'Daily', {
      description: SCHEDULE.day.description,
      schedule: scheduler.ScheduleExpression.cron({ ...SCHEDULE.day.cron }),
      target: target(props.daily, 'daily'),
    });
  }
}
