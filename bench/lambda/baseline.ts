/**
 * The bench's baseline handler: the floor every function of this stack pays at cold start, with none
 * of Vigil's code — the three SDK clients, middy with Powertools logger and metrics, a zod-checked
 * event — bundled exactly like the jobs (bench/lambda/run.ts prints each job's init as a ratio to it).
 */
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { wrap } from '../../functions/lib/middleware.js';

const Event = z.strictObject({ job: z.enum(['hourly', 'daily']), scheduledTime: z.iso.datetime() });

let clients: { athena: AthenaClient; s3: S3Client; sns: SNSClient } | undefined;

export const handler = wrap(async (event: unknown) => {
  clients ??= { athena: new AthenaClient({}), s3: new S3Client({}), sns: new SNSClient({}) };
  const e = Event.parse(event);
  const Bucket = process.env.VIGIL_RESULTS_BUCKET;
  const got = await clients.s3.send(new GetObjectCommand({ Bucket, Key: e.job }));
  await clients.athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }));
  await clients.s3.send(new PutObjectCommand({ Bucket, Key: e.scheduledTime, Body: got.ETag ?? '' }));
  await clients.sns.send(new PublishCommand({ TopicArn: process.env.VIGIL_TOPIC_ARN, Message: e.job }));
  return { ok: true };
});
