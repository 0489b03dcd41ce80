import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { leftoversOf, removeLeftovers, type StackResource } from '../../../scripts/smoke-aws/cleanup.js';

const RESOURCES: StackResource[] = [
  { type: 'AWS::S3::Bucket', logicalId: 'LakeBucketB1D32E10', physicalId: 'smoke-lakebucket-1' },
  { type: 'AWS::S3::Bucket', logicalId: 'ResultsAccessLogs10A17094', physicalId: 'smoke-accesslogs-1' },
  { type: 'AWS::KMS::Key', logicalId: 'TopicsKey64CE8550', physicalId: 'key-1' },
  { type: 'AWS::Lambda::Function', logicalId: 'JobsHourlyB3FFC74D', physicalId: 'smoke-hourly' },
  { type: 'AWS::Logs::LogGroup', logicalId: 'JobsHourlyLogs', physicalId: '/aws/lambda/smoke-hourly' },
  {
    type: 'AWS::Lambda::Function',
    logicalId: 'AWS679f53fac002430cb0da5b7982bd2287',
    physicalId: 'smoke-provider',
  },
  { type: 'AWS::SNS::Topic', logicalId: 'TopicsAlerts', physicalId: 'arn:aws:sns:eu-west-1:1:smoke-alerts' },
];

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const logs = mockClient(CloudWatchLogsClient);
const clients = () => ({
  s3: new S3Client({ region: 'eu-west-1' }),
  kms: new KMSClient({ region: 'eu-west-1' }),
  logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
});
beforeEach(() => {
  s3.reset();
  kms.reset();
  logs.reset();
});

describe('smoke:aws leftovers', () => {
  it('are the stack’s retained buckets and keys, and the log groups Lambda made outside the stack', () => {
    expect(leftoversOf(RESOURCES)).toEqual({
      buckets: ['smoke-lakebucket-1', 'smoke-accesslogs-1'],
      keys: ['key-1'],
      logGroups: ['/aws/lambda/smoke-provider'],
    });
  });

  it('removes every version of each bucket, then the bucket; retries a bucket still receiving logs', async () => {
    s3.on(ListObjectVersionsCommand, { Bucket: 'smoke-lakebucket-1' })
      .resolvesOnce({
        Versions: [{ Key: 'a', VersionId: '1' }],
        DeleteMarkers: [{ Key: 'a', VersionId: '2' }],
      })
      .resolves({});
    s3.on(ListObjectVersionsCommand, { Bucket: 'smoke-accesslogs-1' }).resolves({});
    s3.on(DeleteBucketCommand, { Bucket: 'smoke-accesslogs-1' })
      .rejectsOnce(Object.assign(new Error('not empty'), { name: 'BucketNotEmpty' }))
      .resolves({});
    kms.on(ScheduleKeyDeletionCommand).resolves({});
    logs
      .on(DeleteLogGroupCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const errors = await removeLeftovers(clients(), leftoversOf(RESOURCES), {
      rounds: 3,
      waitMs: 0,
      log: () => {},
    });
    expect(errors).toEqual([]);
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'smoke-lakebucket-1',
        Delete: {
          Objects: [
            { Key: 'a', VersionId: '1' },
            { Key: 'a', VersionId: '2' },
          ],
          Quiet: true,
        },
      },
    ]);
    expect(s3.commandCalls(DeleteBucketCommand).map((c) => c.args[0].input.Bucket)).toEqual([
      'smoke-lakebucket-1',
      'smoke-accesslogs-1',
      'smoke-accesslogs-1',
    ]);
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)[0]!.args[0].input).toEqual({
      KeyId: 'key-1',
      PendingWindowInDays: 7,
    });
  });

  it('reports, one line each, what it could not remove', async () => {
    s3.on(ListObjectVersionsCommand).resolves({});
    s3.on(DeleteBucketCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    kms.on(ScheduleKeyDeletionCommand).resolves({});
    logs.on(DeleteLogGroupCommand).resolves({});
    const errors = await removeLeftovers(clients(), leftoversOf(RESOURCES), {
      rounds: 2,
      waitMs: 0,
      log: () => {},
    });
    expect(errors).toEqual([
      'bucket smoke-lakebucket-1: AccessDenied: denied',
      'bucket smoke-accesslogs-1: AccessDenied: denied',
    ]);
  });
});
