import { renderAlertMessage } from '../../alerting/message.js';
import type { Alert, AlertSink } from '../../ports/alert-sink.js';
import { escapeControl } from '../../text/escape.js';

/** Prints each alert's subject and summary: for local runs and the CLI. */
export class StdoutAlertSink implements AlertSink {
  constructor(private readonly out: { write(text: string): unknown } = process.stdout) {}

  async send(alert: Alert): Promise<void> {
    const { subject } = renderAlertMessage(alert);
    // The summary is display-safe already (incidents.ts); escaping again is a no-op, kept for alerts built elsewhere.
    this.out.write(`${subject}\n  ${escapeControl(alert.summary)}\n`);
  }
}
