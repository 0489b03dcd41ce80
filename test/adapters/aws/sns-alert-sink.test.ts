import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  SNS_MESSAGE_MAX_BYTES,
  SnsAlertSink,
  snsBody,
  snsSubject,
} from '../../../shared/adapters/sns/sns-alert-sink.js';
import { ALERT } from './alert-fixture.js';

const sns = mockClient(SNSClient);
const sink = () =>
  new SnsAlertSink({
    client: new SNSClient({ region: 'eu-west-1' }),
    topicArn: 'arn:aws:sns:eu-west-1:1:alerts',
  });

beforeEach(() => sns.reset());

describe('SnsAlertSink', () => {
  it('publishes subject, body and filterable message attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    await sink().send(ALERT);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe('arn:aws:sns:eu-west-1:1:alerts');
    expect(input.Subject!.length).toBeLessThanOrEqual(100);
    expect(input.Subject).toMatch(/^\[Vigil CRITICAL\] automated_action_share down in region=BR/);
    expect(input.Message).toContain('Report: https://example.com/report#inc-1');
    expect(input.Message).toContain('region=BR;surface=video');
    expect(input.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'critical' },
      metric: { DataType: 'String', StringValue: 'automated_action_share' },
      region: { DataType: 'String.Array', StringValue: '["BR"]' },
      status: { DataType: 'String', StringValue: 'open' },
      kind: { DataType: 'String', StringValue: 'metric_incident' },
    });
  });

  it('keeps the subject within SNS rules and the body within 256 KB', async () => {
    sns.on(PublishCommand).resolves({});
    const long = { ...ALERT, metric: `m_${'x'.repeat(200)}`, summary: `é${'漢'.repeat(200_000)}` };
    await sink().send(long);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject!.length).toBe(100);
    expect(input.Subject).toMatch(/\.\.\.$/);
    expect(Buffer.byteLength(input.Message!)).toBeLessThan(SNS_MESSAGE_MAX_BYTES);
    expect(input.Message).toMatch(/truncated; see the report\)$/);
    expect(snsSubject('Ünïcode\nline – dash')).toBe('Unicode line dash');
    expect(snsBody('short', 100)).toBe('short');
  });

  it('throws when SNS does not accept the message (the caller keeps the alert pending)', async () => {
    sns.on(PublishCommand).rejects(new Error('KMSAccessDeniedException: key disabled'));
    await expect(sink().send(ALERT)).rejects.toThrow(/KMSAccessDenied/);
  });
});
