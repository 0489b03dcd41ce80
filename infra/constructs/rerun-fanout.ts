import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface RerunFanoutProps {
  readonly rerun: lambda.IFunction;
  /** Chunks computed at once: the bound that keeps concurrent Athena queries under the quota. */
  readonly maxConcurrency: number;
}

/**
 * Reruns and backfills of many windows: `plan` splits the range into chunks (a day of hours or a
 * week of days each), then a Map runs the chunks with at most `maxConcurrency` in flight, each with
 * retries and backoff. Every chunk replaces its windows whole, so re-executing after a failure is safe.
 */
export class RerunFanout extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RerunFanoutProps) {
    super(scope, id);
    const plan = new tasks.LambdaInvoke(this, 'PlanChunks', {
      lambdaFunction: props.rerun,
      payload: sfn.TaskInput.fromObject({
        action: 'plan',
        grain: sfn.JsonPath.stringAt('$.grain'),
        from: sfn.JsonPath.stringAt('$.from'),
        to: sfn.JsonPath.stringAt('$.to'),
        jobs: sfn.JsonPath.listAt('$.jobs'),
      }),
      payloadResponseOnly: true,
      // Only the chunks go on: each is a small range payload, and the plan caps their number, so
      // the state stays far below Step Functions' 256 KB limit however long the range.
      resultSelector: { 'chunks.$': '$.chunks', 'windows.$': '$.windows' },
      resultPath: '$.plan',
    });
    plan.addRetry({ errors: ['Lambda.TooManyRequestsException', 'Lambda.ServiceException'], maxAttempts: 3 });
    const runChunk = new tasks.LambdaInvoke(this, 'RunChunk', {
      lambdaFunction: props.rerun,
      payloadResponseOnly: true,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(16)),
      // A chunk's job summaries are in its logs; the state keeps none of them.
      resultPath: sfn.JsonPath.DISCARD,
    });
    runChunk.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(30),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const map = new sfn.Map(this, 'RunChunks', {
      itemsPath: '$.plan.chunks',
      maxConcurrency: props.maxConcurrency,
      // Results discarded: a year of chunks' outputs would pass the 256 KB state limit.
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(runChunk);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment:
        'Vigil metrics rerun/backfill: input {"grain":"hour|day","from":ISO,"to":ISO,"jobs":["metrics"]} (detection runs in time order: invoke the rerun function after)',
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(map)),
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }
}
