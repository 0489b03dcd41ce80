import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EmulatedAccount, readBody, ServiceError, serviceErrorOf } from './account.js';
import type { PolicyDocument, Principal } from './iam.js';
import type { TlsIdentity } from './loopback.js';
import { type Caller, EmulatedService } from './service.js';
import type { SqsEmulator } from './sqs.js';

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
  /** The Message parameter as published (with MessageStructure=json, the per-protocol object). */
  readonly message: string;
  /** MessageStructure=json: the body for each protocol (`default` for the others). */
  readonly bodies?: Readonly<Record<string, string>>;
  readonly attributes: Record<string, AttributeValue>;
}

/** What a subscriber of a protocol receives as the message body. */
export function bodyFor(m: Published, protocol: string): string {
  return m.bodies ? (m.bodies[protocol] ?? m.bodies.default!) : m.message;
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

export interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: 'sqs';
  /** The queue's ARN. */
  readonly endpoint: string;
}

/** The JSON body SNS delivers to a subscribed queue (no raw message delivery). */
export function notificationOf(m: Published, region: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: m.messageId,
    TopicArn: m.topicArn,
    ...(m.subject ? { Subject: m.subject } : {}),
    Message: bodyFor(m, 'sqs'),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'EMULATED',
    SigningCertURL: `https://sns.${region}.amazonaws.com/SimpleNotificationService-emulated.pem`,
    UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe`,
    ...(Object.keys(m.attributes).length > 0
      ? {
          MessageAttributes: Object.fromEntries(
            Object.entries(m.attributes).map(([k, a]) => [k, { Type: a.DataType, Value: a.StringValue }]),
          ),
        }
      : {}),
  });
}

/**
 * SNS over HTTP (query protocol): Publish, authorized against the caller's policies and the topic
 * policy, plus the topic key (SSE) as AWS requires of publishers. Messages are validated like SNS
 * (subject, size, attributes) and kept in `published`. Subscribe / Unsubscribe for SQS queues of
 * the account (confirmed at once, as SNS does for them): each accepted message is delivered to every
 * subscribed queue whose queue policy lets `sns.amazonaws.com` send for that topic, else dropped and
 * counted in `undelivered`.
 */
export class SnsEmulator extends EmulatedService {
  private readonly topics = new Map<string, TopicSpec>();
  private readonly subscriptions = new Map<string, Subscription>();
  readonly published: Published[] = [];
  /** Deliveries a queue policy refused (SNS drops them after its retries). */
  readonly undelivered: { subscription: string; messageId: string }[] = [];

  constructor(
    account: EmulatedAccount,
    tls?: TlsIdentity,
    private readonly sqs?: SqsEmulator,
  ) {
    super(account, tls);
  }

  /** Subscriptions that exist (tests check that a run removed what it made). */
  subscriptionArns(): string[] {
    return [...this.subscriptions.keys()];
  }

  addTopic(t: TopicSpec): void {
    this.topics.set(t.arn, t);
  }

  protected fail(res: ServerResponse, err: unknown): void {
    const e = serviceErrorOf(err, 'SNS', { status: 403, code: 'AuthorizationError' }, 'InternalError');
    res.writeHead(e.status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${xmlEscape(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  }

  protected async handle(
    req: IncomingMessage,
    res: ServerResponse,
    { principal, transport }: Caller,
  ): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString());
    const action = form.get('Action');
    if (action === 'Subscribe') return this.subscribe(principal, form, transport, res);
    if (action === 'Unsubscribe') return this.unsubscribe(principal, form, transport, res);
    if (action !== 'Publish') throw new ServiceError(400, 'InvalidAction', `${action} is not emulated`);
    const arn = form.get('TopicArn') ?? '';
    const topic = this.topics.get(arn);
    if (!topic) throw new ServiceError(404, 'NotFound', `Topic does not exist: ${arn}`);
    this.account.authorize('sns', {
      principal,
      action: 'sns:Publish',
      resource: arn,
      context: transport,
      ...(topic.policy ? { resourcePolicy: topic.policy } : {}),
    });
    if (topic.kmsKeyArn) {
      this.account.useKey('sns', principal, topic.kmsKeyArn, 'kms:GenerateDataKey');
      this.account.useKey('sns', principal, topic.kmsKeyArn, 'kms:Decrypt');
    }
    const message = form.get('Message') ?? '';
    if (message === '') throw new ServiceError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    const structure = form.get('MessageStructure');
    let bodies: Record<string, string> | undefined;
    if (structure !== null) {
      if (structure !== 'json')
        throw new ServiceError(400, 'InvalidParameter', 'Invalid parameter: MessageStructure');
      try {
        bodies = JSON.parse(message) as Record<string, string>;
      } catch {
        throw new ServiceError(
          400,
          'InvalidParameter',
          'Invalid parameter: Message Structure - JSON message body failed to parse',
        );
      }
      if (bodies === null || typeof bodies !== 'object' || Array.isArray(bodies))
        throw new ServiceError(
          400,
          'InvalidParameter',
          'Invalid parameter: Message Structure - not an object',
        );
      if (typeof bodies.default !== 'string')
        throw new ServiceError(
          400,
          'InvalidParameter',
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        );
      for (const [k, v] of Object.entries(bodies))
        if (typeof v !== 'string')
          throw new ServiceError(
            400,
            'InvalidParameter',
            `Invalid parameter: Message Structure - ${k} is not a string`,
          );
    }
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
      ...(bodies ? { bodies } : {}),
      attributes,
    };
    this.published.push(m);
    for (const sub of this.subscriptions.values())
      if (
        sub.topicArn === arn &&
        !this.sqs?.deliverFromService(
          'sns.amazonaws.com',
          arn,
          sub.endpoint,
          notificationOf(m, this.account.region),
        )
      )
        this.undelivered.push({ subscription: sub.arn, messageId: m.messageId });
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${m.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  private authorizeOnTopic(
    principal: Principal,
    action: string,
    arn: string,
    context: Record<string, string>,
  ): TopicSpec {
    const topic = this.topics.get(arn);
    if (!topic) throw new ServiceError(404, 'NotFound', `Topic does not exist: ${arn}`);
    this.account.authorize('sns', {
      principal,
      action,
      resource: arn,
      context,
      ...(topic.policy ? { resourcePolicy: topic.policy } : {}),
    });
    return topic;
  }

  private subscribe(
    principal: Principal,
    form: URLSearchParams,
    transport: Record<string, string>,
    res: ServerResponse,
  ): void {
    const topicArn = form.get('TopicArn') ?? '';
    this.authorizeOnTopic(principal, 'sns:Subscribe', topicArn, transport);
    const protocol = form.get('Protocol');
    const endpoint = form.get('Endpoint') ?? '';
    if (protocol !== 'sqs')
      throw new ServiceError(400, 'InvalidParameter', `Protocol ${protocol} is not emulated`);
    if (!endpoint.startsWith(`arn:aws:sqs:${this.account.region}:${this.account.account}:`))
      throw new ServiceError(400, 'InvalidParameter', 'Invalid parameter: SQS endpoint ARN');
    // Raw delivery and filter policies change what arrives; this emulation delivers envelopes only.
    if (form.has('Attributes.entry.1.key'))
      throw new ServiceError(
        400,
        'InvalidParameter',
        `subscription attribute ${form.get('Attributes.entry.1.key')} is not emulated`,
      );
    const existing = [...this.subscriptions.values()].find(
      (x) => x.topicArn === topicArn && x.endpoint === endpoint,
    );
    const sub = existing ?? { arn: `${topicArn}:${randomUUID()}`, topicArn, protocol, endpoint };
    this.subscriptions.set(sub.arn, sub);
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<SubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><SubscribeResult><SubscriptionArn>${sub.arn}</SubscriptionArn></SubscribeResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SubscribeResponse>`,
    );
  }

  private unsubscribe(
    principal: Principal,
    form: URLSearchParams,
    transport: Record<string, string>,
    res: ServerResponse,
  ): void {
    const arn = form.get('SubscriptionArn') ?? '';
    const sub = this.subscriptions.get(arn);
    if (!sub) throw new ServiceError(404, 'NotFound', `Subscription does not exist: ${arn}`);
    this.authorizeOnTopic(principal, 'sns:Unsubscribe', sub.topicArn, transport);
    this.subscriptions.delete(arn);
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></UnsubscribeResponse>`,
    );
  }
}
