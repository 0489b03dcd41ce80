import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type AlertMessage, renderAlertMessage } from '../../alerting/message.js';
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
 * Message attributes subscribers filter on: `severity`, `metric`, `grain`, `team` and `owner` (when
 * the metric declares them), `status`, `kind` and the sink's static ones as String; `region` as
 * String.Array of the incident's region codes (`["ALL"]` when it names none), fixed when the
 * incident opens, so a filter policy `{"region": ["BR"]}` matches its opening, updates and
 * resolution alike. Empty String values are left out (SNS rejects them).
 */
function attributesOf(
  alert: Alert,
  message: AlertMessage,
  extra: Readonly<Record<string, string>> = {},
): Record<string, MessageAttributeValue> {
  const { region: _joined, ...strings } = message.attributes;
  const values: Record<string, string> = {
    ...extra,
    ...strings,
    status: alert.status,
    kind: alert.kind,
  };
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(values))
    if (value !== '') out[name] = { DataType: 'String', StringValue: value };
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

/**
 * Publishes alerts to an SNS topic in the one shared message format (renderAlertMessage); throws when
 * SNS did not accept it, so the outbox keeps the alert pending for the next run.
 */
export class SnsAlertSink implements AlertSink {
  constructor(private readonly o: SnsAlertSinkOptions) {}

  async send(alert: Alert): Promise<void> {
    let message = renderAlertMessage(alert);
    const attributes = attributesOf(alert, message, this.o.attributes);
    // The shared renderer caps the body at 256 KB alone; SNS counts subject and attributes too.
    const budget =
      SNS_MESSAGE_MAX_BYTES - bytesOf(message.subject) - attributeBytes(attributes) - FRAMING_BYTES;
    if (bytesOf(message.body) > budget) message = renderAlertMessage(alert, budget);
    await this.o.client.send(
      new PublishCommand({
        TopicArn: this.o.topicArn,
        Subject: message.subject,
        Message: message.body,
        MessageAttributes: attributes,
      }),
    );
  }
}
