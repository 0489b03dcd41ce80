import type { StackOutputs } from './steps.js';

const ALLOW = 'Allow' as const;

/** Prefix of the smoke's queue names; its IAM may touch only queues named so. */
export const QUEUE_PREFIX = 'vigil-smoke-';

/**
 * What the smoke's steps need besides `cdk deploy`/`destroy`, as an IAM policy on the deployed
 * stack's resources: upload to the lake, read the results, invoke the scheduled jobs, run the rerun
 * state machine, and make, subscribe, read and remove its own queue. The emulated test runs the
 * steps as a principal with exactly this policy.
 */
export function smokePolicy(out: StackOutputs, region: string, account: string) {
  const fn = (name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'UploadLake',
        Effect: ALLOW,
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${out.LakeBucketName}/*`,
      },
      {
        Sid: 'ReadResults',
        Effect: ALLOW,
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${out.ResultsBucketName}`, `arn:aws:s3:::${out.ResultsBucketName}/*`],
      },
      {
        Sid: 'InvokeJobs',
        Effect: ALLOW,
        Action: 'lambda:InvokeFunction',
        Resource: [fn(out.HourlyFunctionName), fn(out.DailyFunctionName)],
      },
      {
        Sid: 'StartRerun',
        Effect: ALLOW,
        Action: 'states:StartExecution',
        Resource: out.RerunStateMachineArn,
      },
      {
        Sid: 'WatchRerun',
        Effect: ALLOW,
        Action: 'states:DescribeExecution',
        Resource: `${out.RerunStateMachineArn.replace(':stateMachine:', ':execution:')}:*`,
      },
      {
        Sid: 'OwnQueue',
        Effect: ALLOW,
        Action: [
          'sqs:CreateQueue',
          'sqs:GetQueueAttributes',
          'sqs:SetQueueAttributes',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:DeleteQueue',
        ],
        Resource: `arn:aws:sqs:${region}:${account}:${QUEUE_PREFIX}*`,
      },
      {
        Sid: 'SubscribeQueue',
        Effect: ALLOW,
        Action: ['sns:Subscribe', 'sns:Unsubscribe'],
        Resource: out.AlertTopicArn,
      },
    ],
  };
}
