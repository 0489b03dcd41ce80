import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfiguredAlertSink } from '../../functions/lib/alert-sinks.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { validateConfig } from '../../shared/config/file.js';
import { makeAlert } from '../alerting/fixtures.js';

const STACK = 'arn:aws:sns:eu-west-1:123456789012:vigil-alerts';
const PAGER = 'arn:aws:sns:eu-west-1:123456789012:ts-pager';
const sns = mockClient(SNSClient);
const dirs: string[] = [];
afterEach(() => {
  sns.reset();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sinkFor(raw: unknown) {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-fn-sinks-'));
  dirs.push(dir);
  return new ConfiguredAlertSink({
    config: async () => validateConfig(raw),
    sns: new SNSClient({ region: 'eu-west-1' }),
    topicArn: STACK,
    objects: new FsObjectStore(dir),
  });
}

describe('the jobs alert sink on AWS', () => {
  it('without sinks in the config, every alert goes to the stack topic', async () => {
    sns.on(PublishCommand).resolves({});
    await sinkFor({}).send(makeAlert());
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn)).toEqual([STACK]);
  });

  it('routes to the configured topics with their attributes; unrouted alerts go to the stack topic', async () => {
    sns.on(PublishCommand).resolves({});
    const sink = sinkFor({
      alerting: {
        sinks: {
          pager: { type: 'sns', topic_arn: PAGER, attributes: { env: 'prod' } },
          audit: { type: 'file', path: 'x.jsonl' },
        },
        routes: [{ min_severity: 'high', sinks: ['pager', 'audit'] }],
      },
    });
    await sink.send(makeAlert({ severity: 'critical' }));
    await sink.send(
      makeAlert({ severity: 'low', dedupeKey: 'metric_incident:removals::2026-01-14T11:00:00Z' }),
    );
    const calls = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.TopicArn)).toEqual([PAGER, STACK]);
    expect(calls[0]!.MessageAttributes?.env).toEqual({ DataType: 'String', StringValue: 'prod' });
    expect(calls[1]!.MessageAttributes?.env).toBeUndefined();
  });
});
