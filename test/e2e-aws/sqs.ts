import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, ServiceError, serviceErrorOf } from './account.js';
import { AccessDenied, type PolicyDocument, type Principal } from './iam.js';
import { type Caller, EmulatedService } from './service.js';

interface Message {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  /** Hidden until then (visibility timeout of the last receive). */
  visibleAt: number;
  receipt?: string;
}

interface Queue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  attributes: Record<string, string>;
  readonly messages: Message[];
  readonly waiters: Set<() => void>;
}

/** Attributes SetQueueAttributes / CreateQueue accept here (others are refused, not ignored). */
const SETTABLE = new Set([
  'Policy',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'SqsManagedSseEnabled',
]);
const NAME_RE = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * SQS over HTTP (AWS JSON 1.0, as the v3 SDK speaks it): CreateQueue, GetQueueUrl,
 * GetQueueAttributes, SetQueueAttributes, SendMessage, ReceiveMessage (long polling, visibility
 * timeout), DeleteMessage, DeleteQueue. Every request is authorized against the caller's policies
 * and the queue policy; a service (SNS delivering to a subscribed queue) is authorized against the
 * queue policy alone, with `aws:SourceArn` set to the topic, as on AWS. Bodies carry the MD5 the SDK
 * checks.
 */
export class SqsEmulator extends EmulatedService {
  private readonly queues = new Map<string, Queue>();

  override async stop(): Promise<void> {
    for (const q of this.queues.values()) for (const w of q.waiters) w();
    await super.stop();
  }

  /** Queue names that exist (tests check that a run deleted what it made). */
  names(): string[] {
    return [...this.queues.keys()];
  }

  /**
   * A message sent by an AWS service on its own behalf (SNS → SQS): the queue policy must allow the
   * service principal `sqs:SendMessage` for that source. Returns false when it does not (SNS then
   * drops the message, as it does after its retries).
   */
  deliverFromService(service: string, sourceArn: string, queueArn: string, body: string): boolean {
    const q = [...this.queues.values()].find((x) => x.arn === queueArn);
    if (!q) return false;
    const policy = q.attributes.Policy ? (JSON.parse(q.attributes.Policy) as PolicyDocument) : undefined;
    const principal: Principal = { arn: service, account: this.account.account, policies: [] };
    try {
      this.account.authorize('sqs', {
        principal,
        action: 'sqs:SendMessage',
        resource: q.arn,
        context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': this.account.account },
        ...(policy ? { resourcePolicy: policy } : {}),
      });
    } catch (err) {
      if (err instanceof AccessDenied) return false;
      throw err;
    }
    this.enqueue(q, body);
    return true;
  }

  private enqueue(q: Queue, body: string): Message {
    if (Buffer.byteLength(body) > 262_144)
      throw new ServiceError(400, 'InvalidParameterValue', 'One or more parameters are invalid');
    const m: Message = { id: randomUUID(), body, sentAt: Date.now(), receiveCount: 0, visibleAt: 0 };
    q.messages.push(m);
    for (const w of q.waiters) w();
    return m;
  }

  protected fail(res: ServerResponse, err: unknown): void {
    const e = serviceErrorOf(err, 'SQS', { status: 400, code: 'AccessDenied' }, 'InternalError');
    res.writeHead(e.status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': `${e.code};Sender`,
    });
    res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${e.code}`, message: e.message }));
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  private queueOf(url: unknown): Queue {
    const name = String(url ?? '')
      .split('/')
      .pop()!;
    const q = this.queues.get(name);
    if (!q || q.url !== url)
      throw new ServiceError(400, 'QueueDoesNotExist', 'The specified queue does not exist.');
    return q;
  }

  private setAttributes(q: Queue, attrs: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(attrs)) {
      if (!SETTABLE.has(k)) throw new ServiceError(400, 'InvalidAttributeName', `Unknown Attribute ${k}.`);
      if (k === 'Policy') {
        try {
          JSON.parse(String(v));
        } catch {
          throw new ServiceError(400, 'InvalidAttributeValue', 'Invalid value for the parameter Policy.');
        }
      }
      q.attributes[k] = String(v);
    }
  }

  private authorize(
    principal: Principal,
    action: string,
    q: Queue | string,
    context: Record<string, string>,
  ) {
    const arn = typeof q === 'string' ? q : q.arn;
    const policy =
      typeof q !== 'string' && q.attributes.Policy
        ? (JSON.parse(q.attributes.Policy) as PolicyDocument)
        : undefined;
    this.account.authorize('sqs', {
      principal,
      action,
      resource: arn,
      context,
      ...(policy ? { resourcePolicy: policy } : {}),
    });
  }

  protected async handle(
    req: IncomingMessage,
    res: ServerResponse,
    { principal, transport }: Caller,
  ): Promise<void> {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    const input = JSON.parse((await readBody(req)).toString() || '{}') as Record<string, unknown>;
    const { account, region } = this.account;
    switch (op) {
      case 'CreateQueue': {
        const name = String(input.QueueName ?? '');
        if (!NAME_RE.test(name) || name.endsWith('.fifo'))
          throw new ServiceError(400, 'InvalidParameterValue', `Invalid queue name ${name}`);
        const arn = `arn:aws:sqs:${region}:${account}:${name}`;
        this.authorize(principal, 'sqs:CreateQueue', arn, transport);
        if (this.queues.has(name))
          throw new ServiceError(400, 'QueueNameExists', `A queue named ${name} already exists`);
        const q: Queue = {
          name,
          arn,
          url: `${this.endpoint}/${account}/${name}`,
          attributes: {
            VisibilityTimeout: '30',
            MessageRetentionPeriod: '345600',
            SqsManagedSseEnabled: 'true',
          },
          messages: [],
          waiters: new Set(),
        };
        this.setAttributes(q, (input.Attributes as Record<string, unknown>) ?? {});
        this.queues.set(name, q);
        return this.json(res, { QueueUrl: q.url });
      }
      case 'GetQueueUrl': {
        const q = this.queues.get(String(input.QueueName));
        if (!q) throw new ServiceError(400, 'QueueDoesNotExist', 'The specified queue does not exist.');
        this.authorize(principal, 'sqs:GetQueueUrl', q, transport);
        return this.json(res, { QueueUrl: q.url });
      }
      case 'GetQueueAttributes': {
        const q = this.queueOf(input.QueueUrl);
        this.authorize(principal, 'sqs:GetQueueAttributes', q, transport);
        const all: Record<string, string> = {
          ...q.attributes,
          QueueArn: q.arn,
          ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= Date.now()).length),
        };
        const names = (input.AttributeNames as string[] | undefined) ?? [];
        const pick = names.includes('All') ? Object.keys(all) : names.filter((n) => n in all);
        return this.json(res, { Attributes: Object.fromEntries(pick.map((n) => [n, all[n]!])) });
      }
      case 'SetQueueAttributes': {
        const q = this.queueOf(input.QueueUrl);
        this.authorize(principal, 'sqs:SetQueueAttributes', q, transport);
        this.setAttributes(q, (input.Attributes as Record<string, unknown>) ?? {});
        return this.json(res, {});
      }
      case 'SendMessage': {
        const q = this.queueOf(input.QueueUrl);
        this.authorize(principal, 'sqs:SendMessage', q, transport);
        const m = this.enqueue(q, String(input.MessageBody ?? ''));
        return this.json(res, { MessageId: m.id, MD5OfMessageBody: md5(m.body) });
      }
      case 'ReceiveMessage': {
        const q = this.queueOf(input.QueueUrl);
        this.authorize(principal, 'sqs:ReceiveMessage', q, transport);
        const max = Number(input.MaxNumberOfMessages ?? 1);
        const wait = Number(input.WaitTimeSeconds ?? q.attributes.ReceiveMessageWaitTimeSeconds ?? 0);
        if (!Number.isInteger(max) || max < 1 || max > 10)
          throw new ServiceError(400, 'InvalidParameterValue', 'MaxNumberOfMessages must be 1 to 10');
        if (!Number.isInteger(wait) || wait < 0 || wait > 20)
          throw new ServiceError(400, 'InvalidParameterValue', 'WaitTimeSeconds must be 0 to 20');
        const visibility = Number(input.VisibilityTimeout ?? q.attributes.VisibilityTimeout);
        const until = Date.now() + wait * 1000;
        const visible = () => q.messages.filter((m) => m.visibleAt <= Date.now()).slice(0, max);
        while (visible().length === 0 && Date.now() < until) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(t);
              q.waiters.delete(done);
              resolve();
            };
            const t = setTimeout(done, Math.max(0, until - Date.now()));
            q.waiters.add(done);
          });
        }
        const got = visible();
        for (const m of got) {
          m.receiveCount++;
          m.visibleAt = Date.now() + visibility * 1000;
          m.receipt = randomUUID();
        }
        return this.json(res, {
          Messages: got.map((m) => ({
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            MD5OfBody: md5(m.body),
            Body: m.body,
            Attributes: {
              SentTimestamp: String(m.sentAt),
              ApproximateReceiveCount: String(m.receiveCount),
            },
          })),
        });
      }
      case 'DeleteMessage': {
        const q = this.queueOf(input.QueueUrl);
        this.authorize(principal, 'sqs:DeleteMessage', q, transport);
        const i = q.messages.findIndex((m) => m.receipt === input.ReceiptHandle);
        if (i < 0)
          throw new ServiceError(400, 'ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
        q.messages.splice(i, 1);
        return this.json(res, {});
      }
      case 'DeleteQueue': {
        const q = this.queueOf(input.QueueUrl);
        this.authorize(principal, 'sqs:DeleteQueue', q, transport);
        this.queues.delete(q.name);
        for (const w of q.waiters) w();
        return this.json(res, {});
      }
      default:
        throw new ServiceError(400, 'UnsupportedOperation', `${op} is not emulated`);
    }
  }
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}
