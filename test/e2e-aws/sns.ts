import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EmulatedAccount, readBody, ServiceError, serviceErrorOf } from './account.js';
import type { PolicyDocument } from './iam.js';
import { LoopbackServer } from './loopback.js';

export interface TopicSpec {
  readonly arn: string;
  readonly policy?: PolicyDocument;
  /** SSE: publishers need kms:GenerateDataKey* and kms:Decrypt on this key. */
  readonly kmsKeyArn?: string;
}

export interface AttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
}

export interface Published {
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject?: string;
  readonly message: string;
  readonly attributes: Record<string, AttributeValue>;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** SNS's message limit: body and attributes together. */
const MAX_BYTES = 262_144;

/** Checks a message attribute as SNS does (data types, String.Array syntax, no empty strings). */
export function validateAttribute(name: string, a: AttributeValue): void {
  const bad = (why: string) => {
    throw new ServiceError(400, 'ParameterValueInvalid', `The message attribute '${name}' ${why}`);
  };
  const base = a.DataType.split('.')[0];
  if (a.DataType === 'String.Array') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(a.StringValue ?? '');
    } catch {
      bad('has an invalid message attribute type: String.Array values must be a JSON array');
    }
    if (!Array.isArray(parsed)) bad('must be a JSON array for data type String.Array');
    for (const v of parsed as unknown[])
      if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null))
        bad('String.Array may hold only strings, numbers, booleans and null');
    return;
  }
  if (base !== 'String' && base !== 'Number' && base !== 'Binary')
    bad(`has an invalid data type ${a.DataType}`);
  if (base === 'String' && (a.StringValue ?? '') === '')
    bad('must contain non-empty message attribute value');
  if (base === 'Number' && !Number.isFinite(Number(a.StringValue))) bad('must be a number');
}

/**
 * SNS over HTTP (query protocol): Publish, authorized against the caller's policies and the topic
 * policy, plus the topic key (SSE) as AWS requires of publishers. Messages are validated like SNS
 * (subject, size, attributes) and kept in `published`.
 */
export class SnsEmulator {
  private readonly topics = new Map<string, TopicSpec>();
  private readonly http = new LoopbackServer(
    (req, res) => this.handle(req, res),
    (res, err) => this.fail(res, err),
  );
  get endpoint(): string {
    return this.http.endpoint;
  }
  readonly published: Published[] = [];
  /** Subscribers called for each accepted message (e.g. an SQS queue in the smoke test). */
  readonly subscribers: ((m: Published) => void)[] = [];

  constructor(private readonly account: EmulatedAccount) {}

  addTopic(t: TopicSpec): void {
    this.topics.set(t.arn, t);
  }

  async start(): Promise<string> {
    return this.http.start();
  }

  async stop(): Promise<void> {
    await this.http.stop();
  }

  private fail(res: ServerResponse, err: unknown): void {
    const e = serviceErrorOf(err, 'SNS', { status: 403, code: 'AuthorizationError' }, 'InternalError');
    res.writeHead(e.status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const principal = this.account.callerOf(req);
    const form = new URLSearchParams((await readBody(req)).toString());
    const action = form.get('Action');
    if (action !== 'Publish') throw new ServiceError(400, 'InvalidAction', `${action} is not emulated`);
    const arn = form.get('TopicArn') ?? '';
    const topic = this.topics.get(arn);
    if (!topic) throw new ServiceError(404, 'NotFound', `Topic does not exist: ${arn}`);
    this.account.authorize('sns', {
      principal,
      action: 'sns:Publish',
      resource: arn,
      ...(topic.policy ? { resourcePolicy: topic.policy } : {}),
    });
    if (topic.kmsKeyArn) {
      this.account.useKey('sns', principal, topic.kmsKeyArn, 'kms:GenerateDataKey');
      this.account.useKey('sns', principal, topic.kmsKeyArn, 'kms:Decrypt');
    }
    const message = form.get('Message') ?? '';
    if (message === '') throw new ServiceError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    const subject = form.get('Subject') ?? undefined;
    if (subject !== undefined && (subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject)))
      throw new ServiceError(400, 'InvalidParameter', 'Invalid parameter: Subject');
    const attributes: Record<string, AttributeValue> = {};
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      const name = form.get(`MessageAttributes.entry.${i}.Name`)!;
      const a: AttributeValue = {
        DataType: form.get(`MessageAttributes.entry.${i}.Value.DataType`) ?? '',
        ...(form.has(`MessageAttributes.entry.${i}.Value.StringValue`)
          ? { StringValue: form.get(`MessageAttributes.entry.${i}.Value.StringValue`)! }
          : {}),
      };
      validateAttribute(name, a);
      attributes[name] = a;
    }
    if (Object.keys(attributes).length > 10)
      throw new ServiceError(400, 'InvalidParameter', 'Number of message attributes exceeds 10');
    let bytes = Buffer.byteLength(message);
    for (const [n, a] of Object.entries(attributes))
      bytes += Buffer.byteLength(n) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue ?? '');
    if (bytes > MAX_BYTES)
      throw new ServiceError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    const m: Published = {
      topicArn: arn,
      messageId: randomUUID(),
      ...(subject ? { subject } : {}),
      message,
      attributes,
    };
    this.published.push(m);
    for (const s of this.subscribers) s(m);
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${m.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }
}
