import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { AlertOutbox } from '../../shared/alerting/outbox.js';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import { makeAlert } from './fixtures.js';

/** A sink that records what it got, and can be told to fail like a broken webhook. */
class RecordingSink implements AlertSink {
  readonly got: Alert[] = [];
  failing = false;
  async send(alert: Alert): Promise<void> {
    if (this.failing) throw new Error('endpoint down');
    this.got.push(alert);
  }
}

function freshStore(name: string): FsObjectStore {
  const dir = path.resolve('test/.tmp/alerting-outbox', name);
  rmSync(dir, { recursive: true, force: true });
  return new FsObjectStore(dir);
}

const NOW = new Date('2026-01-14T11:05:00Z');

describe('AlertOutbox', () => {
  it('records each message once: recording it again sends nothing new', async () => {
    // Prepare
    const outbox = new AlertOutbox(freshStore('once'));
    const sink = new RecordingSink();
    const alerts = [makeAlert(), makeAlert({ status: 'resolved', windowStart: '2026-01-14T14:00:00Z' })];
    // Act
    await outbox.record(alerts, NOW);
    const first = await outbox.deliver(sink, NOW);
    const again = await outbox.record(alerts, NOW);
    const second = await outbox.deliver(sink, NOW);
    // Assess
    expect(first.sent.map((a) => a.status)).toEqual(['open', 'resolved']);
    expect(again).toEqual([]);
    expect(second.sent).toEqual([]);
    expect(sink.got).toHaveLength(2);
  });

  it('keeps a failed send pending and delivers it once on the next run', async () => {
    // Prepare
    const store = freshStore('retry');
    const outbox = new AlertOutbox(store);
    const sink = new RecordingSink();
    sink.failing = true;
    await outbox.record([makeAlert()], NOW);
    // Act
    const failed = await outbox.deliver(sink, NOW);
    const pendingAfterFailure = await outbox.pendingCount();
    sink.failing = false;
    const retried = await outbox.deliver(sink, NOW);
    const third = await outbox.deliver(sink, NOW);
    // Assess
    expect(failed.failed).toHaveLength(1);
    expect(failed.failed[0]?.error).toBe('endpoint down');
    expect(pendingAfterFailure).toBe(1);
    expect(retried.sent).toHaveLength(1);
    expect(third.sent).toHaveLength(0);
    expect(sink.got).toHaveLength(1);
    expect(await outbox.pendingCount()).toBe(0);
    const sent = await store.list('alerts/outbox/sent/');
    const record = JSON.parse(new TextDecoder().decode((await store.get(sent[0]!))!.body));
    expect(record).toMatchObject({ status: 'sent', attempts: 2 });
  });
});
