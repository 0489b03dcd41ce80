import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { renderAlertMessage } from '../../alerting/message.js';
import type { Alert, AlertSink } from '../../ports/alert-sink.js';

/**
 * Appends one JSON object per alert to a JSONL file: the alert itself plus its rendered
 * `subject` and `attributes` (the body is derivable and can be large, so it stays out).
 */
export class FileAlertSink implements AlertSink {
  constructor(readonly file: string) {}

  async send(alert: Alert): Promise<void> {
    const { subject, attributes } = renderAlertMessage(alert);
    await mkdir(path.dirname(this.file), { recursive: true });
    // One write call per line: appends of a line this size do not interleave with other writers.
    await appendFile(this.file, `${JSON.stringify({ ...alert, subject, attributes })}\n`, 'utf8');
  }
}
