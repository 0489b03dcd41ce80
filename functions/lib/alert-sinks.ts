import type { SNSClient } from '@aws-sdk/client-sns';
import { StdoutAlertSink } from '../../shared/adapters/sinks/stdout-sink.js';
import { WebhookAlertSink } from '../../shared/adapters/sinks/webhook-sink.js';
import { SnsAlertSink } from '../../shared/adapters/sns/sns-alert-sink.js';
import { RoutingSink } from '../../shared/alerting/routing/route.js';
import type { VigilConfig } from '../../shared/config/file.js';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { logger } from './powertools.js';

/**
 * The jobs' alert sink: the config's routes to its sinks, the stack's topic for what no route
 * matches (and for every alert when the config declares no sinks). `file` sinks have no place in a
 * Lambda and are left out (logged). Built on the first alert, once the config is loaded.
 */
export class ConfiguredAlertSink implements AlertSink {
  private sink: Promise<AlertSink> | undefined;

  constructor(
    private readonly o: {
      readonly config: () => Promise<VigilConfig>;
      readonly sns: SNSClient;
      readonly topicArn: string;
      readonly objects: ObjectStore;
    },
  ) {}

  async send(alert: Alert): Promise<void> {
    this.sink ??= this.build().catch((err: unknown) => {
      this.sink = undefined;
      throw err;
    });
    await (await this.sink).send(alert);
  }

  private async build(): Promise<AlertSink> {
    const stack = new SnsAlertSink({ client: this.o.sns, topicArn: this.o.topicArn });
    const { alerting } = await this.o.config();
    if (Object.keys(alerting.sinks).length === 0) return stack;
    const sinks = new Map<string, AlertSink>();
    for (const [name, s] of Object.entries(alerting.sinks)) {
      if (s.type === 'file') {
        logger.warn('alert sink left out on AWS (file sinks are for local runs)', { sink: name });
        sinks.set(name, { send: async () => {} });
      } else if (s.type === 'stdout') sinks.set(name, new StdoutAlertSink());
      else if (s.type === 'webhook')
        sinks.set(name, new WebhookAlertSink(s.url, { timeoutMs: s.timeout_ms }));
      else
        sinks.set(
          name,
          new SnsAlertSink({
            client: this.o.sns,
            topicArn: s.topic_arn ?? this.o.topicArn,
            attributes: s.attributes,
          }),
        );
    }
    return new RoutingSink({ alerting, sinks, fallback: [stack], objectStore: this.o.objects });
  }
}
