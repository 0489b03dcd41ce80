import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert, AlertSink } from '../../ports/alert-sink.js';

/** A rendered alert: what a subscriber reads, and the attributes filter policies match on. */
export interface RenderedAlert {
  readonly subject: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

export interface SnsAlertSinkOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  /** The alert renderer; defaults to `defaultRenderAlert` (swap in the shared alert message renderer). */
  readonly render?: (alert: Alert) => RenderedAlert;
}

/** SNS limits: subject ≤ 100 printable ASCII chars without line breaks; whole message ≤ 256 KiB. */
export const SNS_SUBJECT_MAX = 100;
export const SNS_MESSAGE_MAX_BYTES = 262_144;

const ENC = new TextEncoder();

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return 'n/a';
  return Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(4)).toString();
}

/** Minimal rendering against the Alert type; the shared renderer replaces it when present. */
export function defaultRenderAlert(a: Alert): RenderedAlert {
  const where = a.slice === '' ? 'total' : a.slice;
  const verb =
    a.status === 'resolved' ? 'RESOLVED' : a.status === 'update' ? 'UPDATE' : a.severity.toUpperCase();
  const change =
    a.observed !== null && a.expected !== null && a.expected !== 0
      ? ` ${a.observed >= a.expected ? '+' : ''}${(((a.observed - a.expected) / Math.abs(a.expected)) * 100).toFixed(1)}%`
      : '';
  const lines = [
    a.summary,
    '',
    `Metric:    ${a.metric} (${a.grain})`,
    `Where:     ${where}`,
    `Observed:  ${fmt(a.observed)}   expected: ${fmt(a.expected)}${change}`,
    `Since:     ${a.since}   window: ${a.windowStart}`,
    `Status:    ${a.status}   severity: ${a.severity}   score: ${a.score.toFixed(2)}`,
  ];
  if (a.topSlices.length > 0) {
    lines.push('', 'Top contributing slices:');
    for (const s of a.topSlices)
      lines.push(
        `  ${s.slice}: observed ${fmt(s.observed)}, expected ${fmt(s.expected)}, ${(s.contribution * 100).toFixed(0)}% of the deviation`,
      );
  }
  lines.push('', `Report: ${a.reportUrl}`, `Incident: ${a.dedupeKey}`);
  return {
    subject: `[Vigil ${verb}] ${a.metric} ${a.direction} in ${where}${change}`,
    body: lines.join('\n'),
    attributes: {
      severity: a.severity,
      metric: a.metric,
      region: a.regions,
      status: a.status,
      kind: a.kind,
    },
  };
}

/** Subject: printable ASCII only, one line, ≤ 100 chars (SNS rejects anything else). */
export function snsSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/ +/g, ' ')
    .trim();
  if (ascii.length === 0) return 'Vigil alert';
  return ascii.length <= SNS_SUBJECT_MAX ? ascii : `${ascii.slice(0, SNS_SUBJECT_MAX - 3)}...`;
}

/** Truncates a body on a UTF-8 boundary so body + attributes stay under the SNS limit. */
export function snsBody(text: string, budgetBytes: number): string {
  const bytes = ENC.encode(text);
  if (bytes.length <= budgetBytes) return text;
  const marker = '\n…(truncated; see the report)';
  let cut = budgetBytes - ENC.encode(marker).length;
  // Back off to a code point boundary (continuation bytes are 10xxxxxx).
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return `${new TextDecoder().decode(bytes.subarray(0, cut))}${marker}`;
}

function toAttributes(attrs: RenderedAlert['attributes']): {
  attributes: Record<string, MessageAttributeValue>;
  bytes: number;
} {
  const out: Record<string, MessageAttributeValue> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(attrs)) {
    let attr: MessageAttributeValue;
    if (typeof value === 'string') {
      if (value === '') continue; // SNS rejects empty String attributes
      attr = { DataType: 'String', StringValue: value };
    } else {
      attr = { DataType: 'String.Array', StringValue: JSON.stringify(value) };
    }
    out[name] = attr;
    bytes +=
      ENC.encode(name).length + ENC.encode(attr.DataType!).length + ENC.encode(attr.StringValue!).length;
  }
  return { attributes: out, bytes };
}

/** Publishes alerts to an SNS topic; throws when SNS did not accept it (the caller keeps it pending). */
export class SnsAlertSink implements AlertSink {
  constructor(private readonly o: SnsAlertSinkOptions) {}

  async send(alert: Alert): Promise<void> {
    const rendered = (this.o.render ?? defaultRenderAlert)(alert);
    const { attributes, bytes } = toAttributes(rendered.attributes);
    const subject = snsSubject(rendered.subject);
    await this.o.client.send(
      new PublishCommand({
        TopicArn: this.o.topicArn,
        Subject: subject,
        Message: snsBody(rendered.body, SNS_MESSAGE_MAX_BYTES - bytes - 1024),
        MessageAttributes: attributes,
      }),
    );
  }
}
