import { type CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { type CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface StackResource {
  readonly type: string;
  readonly logicalId: string;
  readonly physicalId: string;
}

/** The stack's resources (read before `cdk destroy`, which forgets what it retains). */
export async function listStackResources(
  cfn: CloudFormationClient,
  stackName: string,
): Promise<StackResource[]> {
  const out: StackResource[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(
      new ListStackResourcesCommand({ StackName: stackName, ...(token ? { NextToken: token } : {}) }),
    );
    for (const r of page.StackResourceSummaries ?? [])
      if (r.PhysicalResourceId)
        out.push({
          type: r.ResourceType!,
          logicalId: r.LogicalResourceId!,
          physicalId: r.PhysicalResourceId,
        });
    token = page.NextToken;
  } while (token);
  return out;
}

/** What `cdk destroy` leaves of a smoke stack, which the smoke created and so removes itself. */
export interface Leftovers {
  /** Buckets (retained by their removal policy: on a real stack they hold a team's data). */
  readonly buckets: readonly string[];
  /** KMS keys (retained), scheduled for deletion after the minimum 7 days. */
  readonly keys: readonly string[];
  /** Log groups Lambda made on its own for functions without one in the stack (CDK's providers). */
  readonly logGroups: readonly string[];
}

export function leftoversOf(resources: readonly StackResource[]): Leftovers {
  const of = (type: string) => resources.filter((r) => r.type === type).map((r) => r.physicalId);
  const ownLogGroups = new Set(of('AWS::Logs::LogGroup'));
  return {
    buckets: of('AWS::S3::Bucket'),
    keys: of('AWS::KMS::Key'),
    logGroups: of('AWS::Lambda::Function')
      .map((name) => `/aws/lambda/${name}`)
      .filter((g) => !ownLogGroups.has(g)),
  };
}

export interface CleanupClients {
  readonly s3: S3Client;
  readonly kms: KMSClient;
  readonly logs: CloudWatchLogsClient;
}

/** Deletes every version and delete marker of a bucket, then the bucket. */
async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      VersionId: v.VersionId!,
    }));
    if (objects.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

const gone = (e: unknown) =>
  ['NoSuchBucket', 'NotFoundException', 'ResourceNotFoundException'].includes((e as Error).name);

/**
 * Removes the leftovers, tolerating what is already gone. Buckets go in rounds: the access-log bucket
 * still receives the others' logs for a while, so a bucket that is not empty yet is retried.
 * Returns what could not be removed (one line each).
 */
export async function removeLeftovers(
  c: CleanupClients,
  l: Leftovers,
  o: { rounds: number; waitMs: number; log: (line: string) => void },
): Promise<string[]> {
  let buckets = [...l.buckets];
  const errors = new Map<string, string>();
  for (let round = 0; round < o.rounds && buckets.length > 0; round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, o.waitMs));
    const left: string[] = [];
    for (const b of buckets)
      try {
        await deleteBucket(c.s3, b);
        errors.delete(b);
        o.log(`cleanup: deleted bucket ${b}`);
      } catch (e) {
        if (gone(e)) continue;
        left.push(b);
        errors.set(b, `bucket ${b}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    buckets = left;
  }
  for (const k of l.keys)
    try {
      await c.kms.send(new ScheduleKeyDeletionCommand({ KeyId: k, PendingWindowInDays: 7 }));
      o.log(`cleanup: key ${k} scheduled for deletion in 7 days`);
    } catch (e) {
      if (!gone(e) && (e as Error).name !== 'KMSInvalidStateException')
        errors.set(k, `key ${k}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  for (const g of l.logGroups)
    try {
      await c.logs.send(new DeleteLogGroupCommand({ logGroupName: g }));
      o.log(`cleanup: deleted log group ${g}`);
    } catch (e) {
      if (!gone(e)) errors.set(g, `log group ${g}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  return [...errors.values()];
}
