import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SNS_MESSAGE_MAX_BYTES, SnsAlertSink } from '../../../shared/adapters/sns/sns-alert-sink.js';
import { renderAlertMessage } from '../../../shared/alerting/message.js';
import { validateAttribute } from '../../e2e-aws/sns.js';
import { ALERT } from './alert-fixture.js';

const sns = mockClient(SNSClient);
const sink = () =>
  new SnsAlertSink({
    client: new SNSClient({ region: 'eu-west-1' }),
    topicArn: 'arn:aws:sns:eu-west-1:1:alerts',
  });

beforeEach(() => sns.reset());

function messageBytes(input: {
  Subject?: string;
  Message?: string;
  MessageAttributes?: Record<string, { DataType?: string; StringValue?: string }>;
}): number {
  let n = Buffer.byteLength(input.Subject ?? '') + Buffer.byteLength(input.Message ?? '');
  for (const [k, v] of Object.entries(input.MessageAttributes ?? {}))
    n += Buffer.byteLength(k) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '');
  return n;
}

describe('SnsAlertSink', () => {
  it('publishes the alert JSON for machines, the readable body for e-mail, the subject and filter attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    await sink().send(ALERT);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    const expected = renderAlertMessage(ALERT);
    expect(input.TopicArn).toBe('arn:aws:sns:eu-west-1:1:alerts');
    expect(input.Subject).toBe(expected.subject);
    expect(input.Subject!.length).toBeLessThanOrEqual(100);
    expect(input.Subject).toMatch(
      /^\[Vigil CRITICAL\] INCIDENT automated_action_share region=BR down since 2026-01-09T13:00:00Z$/,
    );
    // SQS, Lambda and HTTP(S) subscribers get `default`: the design's alert JSON; e-mail the text.
    expect(input.MessageStructure).toBe('json');
    const bodies = JSON.parse(input.Message!) as { default: string; email: string };
    expect(Object.keys(bodies).sort()).toEqual(['default', 'email']);
    expect(JSON.parse(bodies.default)).toEqual({ ...ALERT, subject: expected.subject });
    expect(bodies.email).toBe(expected.body);
    expect(bodies.email).toContain('Report: https://example.com/report#inc-1');
    expect(bodies.email).toContain('region=BR;surface=video');
    expect(input.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      metric: { DataType: 'String.Array', StringValue: '["automated_action_share"]' },
      region: { DataType: 'String.Array', StringValue: '["BR"]' },
      grain: { DataType: 'String', StringValue: ALERT.grain },
      status: { DataType: 'String', StringValue: 'open' },
      kind: { DataType: 'String', StringValue: 'metric_incident' },
    });
  });

  it('adds the metric team and owner, and the sink static attributes, for subscription filter policies', async () => {
    sns.on(PublishCommand).resolves({});
    await new SnsAlertSink({
      client: new SNSClient({ region: 'eu-west-1' }),
      topicArn: 'arn:aws:sns:eu-west-1:1:alerts',
      attributes: { env: 'prod' },
    }).send({ ...ALERT, team: 'child-safety', owner: 'cs@example.com' });
    const attrs = sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes!;
    expect(attrs.team).toEqual({ DataType: 'String', StringValue: 'child-safety' });
    expect(attrs.owner).toEqual({ DataType: 'String', StringValue: 'cs@example.com' });
    expect(attrs.env).toEqual({ DataType: 'String', StringValue: 'prod' });
    // SNS takes at most 10 attributes a message.
    expect(Object.keys(attrs).length).toBeLessThanOrEqual(10);
  });

  it('names every region as a String.Array (SNS syntax), or ["ALL"] when the alert names none', async () => {
    sns.on(PublishCommand).resolves({});
    await sink().send({ ...ALERT, regions: ['BR', 'ID'] });
    await sink().send({ ...ALERT, slice: '', regions: [] });
    const [a, b] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes);
    expect(a!.region).toEqual({ DataType: 'String.Array', StringValue: '["BR","ID"]' });
    expect(b!.region).toEqual({ DataType: 'String.Array', StringValue: '["ALL"]' });
    for (const attrs of [a!, b!])
      for (const [name, v] of Object.entries(attrs))
        expect(() =>
          validateAttribute(name, { DataType: v.DataType!, StringValue: v.StringValue! }),
        ).not.toThrow();
  });

  it('names every metric the incident covers in `metric`, its head first, so a filter on the rate matches', async () => {
    sns.on(PublishCommand).resolves({});
    const metrics = ['removals', 'removals_per_10k_impressions'];
    await sink().send({ ...ALERT, metric: 'removals', metrics });
    const attr = sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes!.metric!;
    expect(attr.DataType).toBe('String.Array');
    expect(JSON.parse(attr.StringValue!)).toEqual(metrics);
    expect(() =>
      validateAttribute('metric', { DataType: attr.DataType!, StringValue: attr.StringValue! }),
    ).not.toThrow();
  });

  it('gives open, update and resolve of one incident the same region attribute', async () => {
    sns.on(PublishCommand).resolves({});
    for (const status of ['open', 'update', 'resolved'] as const) await sink().send({ ...ALERT, status });
    const regions = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes!.region);
    expect(new Set(regions.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('keeps the subject within SNS rules and the whole message within 256 KB', async () => {
    sns.on(PublishCommand).resolves({});
    const long = {
      ...ALERT,
      metric: `m_${'x'.repeat(200)}`,
      slice: 'region=BRé',
      summary: `é${'漢'.repeat(200_000)}`,
    };
    await sink().send(long);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject!.length).toBe(100);
    expect(input.Subject).toMatch(/^[\x20-\x7e]+\.\.\.$/);
    expect(messageBytes(input)).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    const bodies = JSON.parse(input.Message!) as { default: string; email: string };
    expect(bodies.email).toMatch(
      /\[truncated: the full incident is in the report: https:\/\/example.com\/report#inc-1\]\n$/,
    );
    const record = JSON.parse(bodies.default) as typeof long;
    expect(record.summary).toMatch(/ \[truncated\]$/);
    expect({ ...record, summary: '' }).toEqual({ ...long, summary: '', subject: input.Subject });
    // Each part has its share of the budget, and nothing is cut inside a character.
    expect(Buffer.byteLength(bodies.email)).toBeGreaterThan(60_000);
    expect(input.Message).not.toContain('\ufffd');
  });

  it('throws when SNS does not accept the message (the caller keeps the alert pending)', async () => {
    sns.on(PublishCommand).rejects(new Error('KMSAccessDeniedException: key disabled'));
    await expect(sink().send(ALERT)).rejects.toThrow(/KMSAccessDenied/);
  });
});
