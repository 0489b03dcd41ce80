import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type AlertMessage, metricsOf, renderAlertMessage, truncateUtf8 } from '../../alerting/message.js';
import type { Alert, AlertSink } from '../../ports/alert-sink.js';

export interface SnsAlertSinkOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  /** Extra String attributes on every message (vigil.yaml `alerting.sinks.<name>.attributes`). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** SNS limit of a whole message: body, subject and message attributes together. */
export const SNS_MESSAGE_MAX_BYTES = 262_144;
/** Headroom for the JSON/SDK framing SNS counts besides the raw strings. */
const FRAMING_BYTES = 1024;

const ENC = new TextEncoder();
const bytesOf = (s: string) => ENC.encode(s).length;

/**
 * Message attributes subscribers filter on: `severity`, `grain`, `team` and `owner` (when the metric
 * declares them), `status`, `kind` and the sink's static ones as String; as String.Array, `metric`
 * (every metric the incident covers so far, its head first: a count and its own rate are one
 * incident, so `{"metric": ["removals_per_10k_impressions"]}` matches an incident headed by
 * `removals`, as vigil.yaml's routes do) and `region` (the incident's region codes, `["ALL"]` when
 * it names none; fixed when the incident opens, so a filter policy `{"region": ["BR"]}` matches its
 * opening, updates and resolution alike). Empty String values are left out (SNS rejects them).
 */
function attributesOf(
  alert: Alert,
  shared: AlertMessage['attributes'],
  extra: Readonly<Record<string, string>> = {},
): Record<string, MessageAttributeValue> {
  const { region: _joined, metric: _head, ...strings } = shared;
  const values: Record<string, string> = {
    ...extra,
    ...strings,
    status: alert.status,
    kind: alert.kind,
  };
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(values))
    if (value !== '') out[name] = { DataType: 'String', StringValue: value };
  out.metric = { DataType: 'String.Array', StringValue: JSON.stringify(metricsOf(alert)) };
  out.region = {
    DataType: 'String.Array',
    StringValue: JSON.stringify(alert.regions.length > 0 ? [...alert.regions] : ['ALL']),
  };
  return out;
}

function attributeBytes(attrs: Record<string, MessageAttributeValue>): number {
  let n = 0;
  for (const [name, a] of Object.entries(attrs))
    n += bytesOf(name) + bytesOf(a.DataType ?? '') + bytesOf(a.StringValue ?? '');
  return n;
}

/** The alert as the design's JSON record: the Alert object and its subject (as the file sink writes it). */
function alertRecord(alert: Alert, subject: string): string {
  return JSON.stringify({ ...alert, subject });
}

/**
 * The message as SNS `MessageStructure: json`: `default` — what SQS, Lambda and HTTP(S) subscribers
 * get — is the alert's JSON record (the design's alert format); `email` is the readable text body.
 * Both fit `budget` bytes together: an oversized summary is cut in the record, and the text is
 * rendered with what remains (JSON escaping of the text counted).
 */
function structuredMessage(alert: Alert, subject: string, budget: number): string {
  let record = alertRecord(alert, subject);
  const half = Math.floor(budget / 2);
  if (bytesOf(record) > half) {
    const rest = bytesOf(alertRecord({ ...alert, summary: '' }, subject));
    record = alertRecord(
      { ...alert, summary: truncateUtf8(alert.summary, Math.max(0, half - rest - 64), ' [truncated]') },
      subject,
    );
  }
  let textBudget = budget - bytesOf(JSON.stringify({ default: record, email: '' }));
  for (;;) {
    const message = JSON.stringify({ default: record, email: renderAlertMessage(alert, textBudget).body });
    const over = bytesOf(message) - budget;
    if (over <= 0 || textBudget <= 0) return message;
    textBudget -= over;
  }
}

/**
 * Publishes alerts to an SNS topic: the alert's JSON record for machines and the shared readable
 * text for e-mail (structuredMessage), the shared subject and filter attributes; throws when SNS
 * did not accept it, so the outbox keeps the alert pending for the next run.
 */
export class SnsAlertSink implements AlertSink {
  constructor(private readonly o: SnsAlertSinkOptions) {}

  async send(alert: Alert): Promise<void> {
    const { subject, attributes: shared } = renderAlertMessage(alert);
    const attributes = attributesOf(alert, shared, this.o.attributes);
    // SNS counts subject and attributes in its 256 KB too.
    const budget = SNS_MESSAGE_MAX_BYTES - bytesOf(subject) - attributeBytes(attributes) - FRAMING_BYTES;
    await this.o.client.send(
      new PublishCommand({
        TopicArn: this.o.topicArn,
        Subject: subject,
        Message: structuredMessage(alert, subject, budget),
        MessageStructure: 'json',
        MessageAttributes: attributes,
      }),
    );
  }
}
