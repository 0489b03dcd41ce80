import { metricsOf, renderAlertMessage } from '../../alerting/message.js';
import { VigilError } from '../../errors.js';
import type { Alert, AlertSink } from '../../ports/alert-sink.js';
import { escapeControl } from '../../text/escape.js';

export interface WebhookSinkOptions {
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Slack's limit for a section block's text. */
const BLOCK_TEXT_MAX = 3000;

/**
 * Posts a Slack-compatible `{ text, blocks }` JSON to an incoming-webhook URL (global fetch).
 * Throws on a timeout, a network error or a non-2xx answer, so the outbox keeps the alert pending.
 */
export class WebhookAlertSink implements AlertSink {
  constructor(
    private readonly url: string,
    private readonly options: WebhookSinkOptions = {},
  ) {}

  async send(alert: Alert): Promise<void> {
    const payload = slackPayload(alert);
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.headers ?? {}) },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const why =
        err instanceof Error && err.name === 'TimeoutError'
          ? 'timed out'
          : String((err as Error)?.message ?? err);
      throw new VigilError(`webhook alert ${alert.dedupeKey} not delivered: ${why}`, { cause: err });
    }
    // Drain the body so the connection is released.
    const text = await res.text().catch(() => '');
    if (!res.ok)
      throw new VigilError(
        `webhook alert ${alert.dedupeKey} not delivered: HTTP ${res.status} ${text.slice(0, 200)}`,
      );
  }
}

export function slackPayload(alert: Alert): { text: string; blocks: unknown[] } {
  const msg = renderAlertMessage(alert);
  const summary = escapeControl(alert.summary);
  const cut = (s: string) => (s.length <= BLOCK_TEXT_MAX ? s : `${s.slice(0, BLOCK_TEXT_MAX - 1)}…`);
  const fields = [
    `*Severity:* ${alert.severity}`,
    metricsOf(alert).length > 1
      ? `*Metrics:* ${escapeControl(metricsOf(alert).join(' + '))}`
      : `*Metric:* ${escapeControl(alert.metric)}`,
    `*Slice:* ${escapeControl(alert.slice || 'total')}`,
    `*Since:* ${alert.since}`,
  ];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: msg.subject.slice(0, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: cut(summary) } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (alert.topSlices.length)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cut(
          `*Top slices:*\n${alert.topSlices.map((s) => `• ${escapeControl(s.slice)}: ${(s.contribution * 100).toFixed(1)}% of the move`).join('\n')}`,
        ),
      },
    });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cut(`Report: ${alert.reportUrl}`) }] });
  return { text: `${msg.subject}\n${summary}`.slice(0, 3900), blocks };
}
