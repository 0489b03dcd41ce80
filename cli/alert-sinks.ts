import path from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { FileAlertSink } from '../shared/adapters/sinks/file-sink.js';
import { StdoutAlertSink } from '../shared/adapters/sinks/stdout-sink.js';
import { WebhookAlertSink } from '../shared/adapters/sinks/webhook-sink.js';
import { SnsAlertSink } from '../shared/adapters/sns/sns-alert-sink.js';
import { RoutingSink } from '../shared/alerting/routing/route.js';
import type { SinkConfig } from '../shared/alerting/routing/schema.js';
import type { VigilConfig } from '../shared/config/file.js';
import { InputError } from '../shared/errors.js';
import type { AlertSink } from '../shared/ports/alert-sink.js';
import type { ObjectStore } from '../shared/ports/object-store.js';

export interface LocalSinkOptions {
  /** `--alerts FILE.jsonl`: every alert appended, whatever the routes. */
  readonly alertsFile?: string;
  /** Where unrouted alerts go when the config has sinks but no route matched (default: nowhere). */
  readonly fallback?: readonly AlertSink[];
  /** Per-sink delivery marks (the store of the run), so a retry never repeats a message on a sink. */
  readonly objectStore?: ObjectStore;
  /** Relative `file` sink paths are resolved from here (default: the working directory). */
  readonly baseDir?: string;
}

function build(name: string, s: SinkConfig, baseDir: string): AlertSink {
  switch (s.type) {
    case 'file':
      return new FileAlertSink(path.resolve(baseDir, s.path));
    case 'stdout':
      return new StdoutAlertSink();
    case 'webhook':
      return new WebhookAlertSink(s.url, { timeoutMs: s.timeout_ms });
    case 'sns':
      if (!s.topic_arn)
        throw new InputError(
          `alerting.sinks.${name}: an sns sink needs topic_arn when run locally (only the AWS jobs default to the stack's topic)`,
        );
      // Credentials and region from the standard AWS environment, as every AWS tool.
      return new SnsAlertSink({ client: new SNSClient({}), topicArn: s.topic_arn, attributes: s.attributes });
  }
}

/** The sink of a local run: the config's routes to its sinks, plus `--alerts` for every alert. */
export function localAlertSink(config: VigilConfig, o: LocalSinkOptions = {}): AlertSink {
  const baseDir = o.baseDir ?? process.cwd();
  const sinks = new Map(Object.entries(config.alerting.sinks).map(([n, s]) => [n, build(n, s, baseDir)]));
  const always = o.alertsFile ? [new FileAlertSink(o.alertsFile)] : [];
  return new RoutingSink({
    alerting: config.alerting,
    sinks,
    always,
    ...(o.fallback ? { fallback: o.fallback } : {}),
    ...(o.objectStore ? { objectStore: o.objectStore } : {}),
  });
}
