import { appendFile, mkdir, readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { renderAlertMessage } from '../../alerting/message.js';
import { AlertOutbox } from '../../alerting/outbox.js';
import { InputError } from '../../errors.js';
import type { Alert, AlertSink } from '../../ports/alert-sink.js';

/**
 * Appends one JSON object per alert to a JSONL file: the alert itself plus its rendered
 * `subject` and `attributes` (the body is derivable and can be large, so it stays out).
 *
 * Exactly once per message: the outbox may hand over a message again when a run was killed between
 * the send and its `sent` mark, so a message already in the file (same outbox id) is not appended
 * twice. A last line cut off mid-write (a full disk) is dropped before the next append. A file that is not an alert log is refused rather than appended to; a FIFO or device is
 * written through.
 */
export class FileAlertSink implements AlertSink {
  private written: Promise<Set<string>> | undefined;
  private needsNewline = false;

  constructor(readonly file: string) {}

  async send(alert: Alert): Promise<void> {
    this.written ??= this.load();
    const written = await this.written;
    const id = AlertOutbox.idOf(alert);
    if (written.has(id)) return;
    const { subject, attributes } = renderAlertMessage(alert);
    await mkdir(path.dirname(this.file), { recursive: true });
    const line = `${this.needsNewline ? '\n' : ''}${JSON.stringify({ ...alert, subject, attributes })}\n`;
    // One write call per line: appends of a line this size do not interleave with other writers.
    await appendFile(this.file, line, 'utf8');
    this.needsNewline = false;
    written.add(id);
  }

  private async load(): Promise<Set<string>> {
    const ids = new Set<string>();
    const st = await stat(this.file).catch(() => undefined);
    if (!st?.isFile() || st.size === 0) return ids;
    const text = await readFile(this.file, 'utf8');
    const lines = text.split('\n');
    // A last line without its newline was cut off (a full disk): the next line starts fresh.
    let torn = !text.endsWith('\n');
    let fragment: string | undefined;
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const last = i === lines.length - 1;
      let a: Partial<Alert> | undefined;
      try {
        a = JSON.parse(line) as Partial<Alert>;
      } catch {
        if (last && torn) {
          fragment = line;
          return;
        }
      }
      if (
        !a ||
        typeof a.dedupeKey !== 'string' ||
        typeof a.status !== 'string' ||
        typeof a.windowStart !== 'string'
      )
        throw new InputError(
          `--alerts ${this.file}: line ${i + 1} is not a Vigil alert; refusing to append to a file that is not an alert log`,
        );
      ids.add(AlertOutbox.idOf(a as Alert));
    });
    if (fragment !== undefined) {
      // Vigil's own half-written line after lines that are all alerts: cut it, or the next line
      // appended after it would leave it mid-file, and the file would no longer read as an alert log.
      await truncate(this.file, Buffer.byteLength(text) - Buffer.byteLength(fragment));
      torn = false;
    }
    this.needsNewline = torn;
    return ids;
  }
}
