import { PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatedAccount } from './account.js';
import { SnsEmulator } from './sns.js';
import { SqsEmulator } from './sqs.js';
import { selfSignedIdentity, trusting } from './tls.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
const account = new EmulatedAccount(ACCOUNT, REGION);
let sqs: SqsEmulator;
let sns: SnsEmulator;
let sqsClient: SQSClient;
let snsClient: SNSClient;

beforeAll(async () => {
  const tls = await selfSignedIdentity();
  sqs = new SqsEmulator(account, tls);
  sns = new SnsEmulator(account, tls, sqs);
  sns.addTopic({ arn: TOPIC });
  await Promise.all([sqs.start(), sns.start()]);
  account.addPrincipal('AKIAOP', {
    arn: `arn:aws:iam::${ACCOUNT}:user/op`,
    account: ACCOUNT,
    policies: [{ Statement: [{ Effect: 'Allow', Action: ['sqs:*', 'sns:*'], Resource: '*' }] }],
  });
  const base = {
    region: REGION,
    credentials: { accessKeyId: 'AKIAOP', secretAccessKey: 's' },
    ...trusting(tls),
  };
  sqsClient = new SQSClient({ ...base, endpoint: sqs.endpoint });
  snsClient = new SNSClient({ ...base, endpoint: sns.endpoint });
});
afterAll(async () => {
  sqsClient?.destroy();
  snsClient?.destroy();
  await sns?.stop();
  await sqs?.stop();
});

async function subscribedQueue(name: string, sourceArn: string | undefined): Promise<string> {
  const { QueueUrl } = await sqsClient.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqsClient.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (sourceArn)
    await sqsClient.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'sns.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: Attributes!.QueueArn,
                Condition: { ArnEquals: { 'aws:SourceArn': sourceArn } },
              },
            ],
          }),
        },
      }),
    );
  await snsClient.send(
    new SubscribeCommand({ TopicArn: TOPIC, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }),
  );
  return QueueUrl!;
}

describe('SNS → SQS on the emulation', () => {
  it('delivers only to queues whose policy lets the topic send, as an SNS envelope the SDK accepts (MD5)', async () => {
    const allowed = await subscribedQueue('allowed', TOPIC);
    const otherTopic = await subscribedQueue('other-topic', `arn:aws:sns:${REGION}:${ACCOUNT}:other`);
    const noPolicy = await subscribedQueue('no-policy', undefined);
    const waiting = sqsClient.send(new ReceiveMessageCommand({ QueueUrl: allowed, WaitTimeSeconds: 5 }));
    const started = Date.now();
    await snsClient.send(
      new PublishCommand({
        TopicArn: TOPIC,
        Subject: 'subject',
        Message: JSON.stringify({ default: '{"a":1}', email: 'text' }),
        MessageStructure: 'json',
        MessageAttributes: { region: { DataType: 'String.Array', StringValue: '["BR"]' } },
      }),
    );
    const got = await waiting;
    // The long poll returned on delivery, not at its timeout.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(got.Messages).toHaveLength(1);
    const env = JSON.parse(got.Messages![0]!.Body!);
    expect(env).toMatchObject({
      Type: 'Notification',
      TopicArn: TOPIC,
      Subject: 'subject',
      Message: '{"a":1}',
      MessageAttributes: { region: { Type: 'String.Array', Value: '["BR"]' } },
    });
    for (const q of [otherTopic, noPolicy])
      expect((await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: q }))).Messages ?? []).toEqual([]);
    expect(sns.undelivered).toHaveLength(2);
    // Received messages stay hidden for the visibility timeout; a wrong receipt handle is refused.
    expect((await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: allowed }))).Messages ?? []).toEqual(
      [],
    );
    await expect(
      sqsClient.send(new DeleteMessageCommand({ QueueUrl: allowed, ReceiptHandle: 'nope' })),
    ).rejects.toThrow(/receipt handle is invalid/);
    await sqsClient.send(
      new DeleteMessageCommand({ QueueUrl: allowed, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }),
    );
  });

  it('refuses a MessageStructure json message without a default body', async () => {
    await expect(
      snsClient.send(
        new PublishCommand({
          TopicArn: TOPIC,
          Message: JSON.stringify({ email: 'x' }),
          MessageStructure: 'json',
        }),
      ),
    ).rejects.toThrow(/No default entry/);
  });
});
