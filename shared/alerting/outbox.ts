import { createHash } from 'node:crypto';
import type { Alert, AlertSink } from '../ports/alert-sink.js';
import { type ObjectStore, PreconditionFailedError } from '../ports/object-store.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';

/**
 * At-least-once delivery with idempotent dedupe, through conditional writes in the ObjectStore:
 *   record:  <prefix>/pending/<id>.json   (ifNoneMatch: a rerun computing the same message is a no-op)
 *   deliver: send, then <prefix>/sent/<id>.json (ifNoneMatch) and delete the pending record.
 * A failed send stays pending (with its attempt count) and is retried by the next run. A crash
 * between a send and its `sent` mark can repeat that one message; nothing else can.
 */
interface OutboxRecord {
  readonly id: string;
  readonly status: 'pending' | 'sent';
  readonly alert: Alert;
  readonly attempts: number;
  readonly lastError?: string;
  readonly recordedAt: string;
  readonly sentAt?: string;
}

export interface DeliveryReport {
  readonly sent: Alert[];
  readonly failed: { readonly alert: Alert; readonly error: string }[];
}

/** Within one window a resolution precedes a new opening of the same incident key. */
const STATUS_ORDER: Record<Alert['status'], number> = { resolved: 0, update: 1, open: 2 };

const ENC = new TextEncoder();
const DEC = new TextDecoder();

export class AlertOutbox {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string = STORAGE_LAYOUT.alertOutbox.prefix,
  ) {}

  /** The message's identity: incident, status and window, so a recomputation maps to the same id. */
  static idOf(alert: Alert): string {
    const hash = createHash('sha256')
      .update(`${alert.dedupeKey}\n${alert.status}\n${alert.windowStart}`)
      .digest('hex')
      .slice(0, 16);
    // Window first: listing the pending folder yields messages in time order.
    return `${alert.windowStart.replaceAll(':', '')}-${hash}`;
  }

  /** Records alerts as pending; returns the ones that were new. */
  async record(alerts: readonly Alert[], now: Date): Promise<Alert[]> {
    const fresh: Alert[] = [];
    for (const alert of alerts) {
      const id = AlertOutbox.idOf(alert);
      if (await this.store.get(this.key('sent', id))) continue;
      const rec: OutboxRecord = { id, status: 'pending', alert, attempts: 0, recordedAt: now.toISOString() };
      try {
        await this.store.put(this.key('pending', id), json(rec), {
          ifNoneMatch: '*',
          contentType: 'application/json',
        });
        fresh.push(alert);
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    }
    return fresh;
  }

  /** Sends every pending message in order; failures stay pending for the next run. */
  async deliver(sink: AlertSink, now: Date): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: [], failed: [] };
    for (const key of await this.store.list(`${this.prefix}/pending/`)) {
      const obj = await this.store.get(key);
      if (!obj) continue;
      const rec = JSON.parse(DEC.decode(obj.body)) as OutboxRecord;
      if (await this.store.get(this.key('sent', rec.id))) {
        await this.store.delete(key);
        continue;
      }
      try {
        await sink.send(rec.alert);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        report.failed.push({ alert: rec.alert, error });
        const retry: OutboxRecord = { ...rec, attempts: rec.attempts + 1, lastError: error.slice(0, 500) };
        // ifMatch: a concurrent run that delivered it meanwhile wins.
        await this.store
          .put(key, json(retry), { ifMatch: obj.etag, contentType: 'application/json' })
          .catch((e: unknown) => {
            if (!(e instanceof PreconditionFailedError)) throw e;
          });
        continue;
      }
      const done: OutboxRecord = {
        ...rec,
        status: 'sent',
        attempts: rec.attempts + 1,
        sentAt: now.toISOString(),
      };
      await this.store
        .put(this.key('sent', rec.id), json(done), { ifNoneMatch: '*', contentType: 'application/json' })
        .catch((e: unknown) => {
          if (!(e instanceof PreconditionFailedError)) throw e;
        });
      await this.store.delete(key);
      report.sent.push(rec.alert);
    }
    return report;
  }

  /**
   * Every alert the outbox holds, sent and pending, in the order they were (or will be) sent:
   * by window, then by the order they were recorded. The report reads its incidents from here.
   */
  async all(): Promise<Alert[]> {
    const recs: OutboxRecord[] = [];
    for (const folder of ['sent', 'pending'] as const)
      for (const key of await this.store.list(`${this.prefix}/${folder}/`)) {
        const obj = await this.store.get(key);
        if (obj) recs.push(JSON.parse(DEC.decode(obj.body)) as OutboxRecord);
      }
    const seen = new Set<string>();
    return recs
      .filter((r) => !seen.has(r.id) && seen.add(r.id))
      .sort(
        (a, b) =>
          a.alert.windowStart.localeCompare(b.alert.windowStart) ||
          a.recordedAt.localeCompare(b.recordedAt) ||
          STATUS_ORDER[a.alert.status] - STATUS_ORDER[b.alert.status],
      )
      .map((r) => r.alert);
  }

  async pendingCount(): Promise<number> {
    return (await this.store.list(`${this.prefix}/pending/`)).length;
  }

  private key(folder: 'pending' | 'sent', id: string): string {
    return `${this.prefix}/${folder}/${id}.json`;
  }
}

function json(value: unknown): Uint8Array {
  return ENC.encode(`${JSON.stringify(value)}\n`);
}
