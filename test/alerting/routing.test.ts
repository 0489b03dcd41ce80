import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { AlertOutbox } from '../../shared/alerting/outbox.js';
import { RoutingSink, routeAlert } from '../../shared/alerting/routing/route.js';
import { validateConfig } from '../../shared/config/file.js';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import { makeAlert, makeFamilyAlert } from './fixtures.js';

const CONFIG = validateConfig({
  metrics: [{ name: 'removals', team: 'enforcement' }],
  alerting: {
    sinks: {
      pager: { type: 'sns', topic_arn: 'arn:aws:sns:us-east-1:123456789012:pager' },
      chat: { type: 'webhook', url: 'https://hooks.example.com/x' },
      audit: { type: 'file', path: 'audit.jsonl' },
      quality: { type: 'stdout' },
    },
    routes: [
      { kind: 'data_quality', sinks: ['quality'], stop: true },
      { min_severity: 'high', team: 'enforcement', sinks: ['pager', 'chat'] },
      { severity: ['low', 'medium'], sinks: ['chat'] },
      { status: 'resolved', sinks: ['chat'], stop: true },
      { sinks: ['audit'] },
    ],
  },
});

class Recorder implements AlertSink {
  readonly got: Alert[] = [];
  failing = false;
  async send(alert: Alert): Promise<void> {
    if (this.failing) throw new Error('down');
    this.got.push(alert);
  }
}

describe('alert routing', () => {
  it('matches severity, team, kind and status in order; stop ends the matching', () => {
    const r = (a: Partial<Alert>) => routeAlert(CONFIG.alerting, makeAlert(a));
    expect(r({ severity: 'critical', team: 'enforcement' })).toEqual(['pager', 'chat', 'audit']);
    expect(r({ severity: 'high', team: 'other' })).toEqual(['audit']);
    expect(r({ severity: 'high' })).toEqual(['audit']);
    expect(r({ severity: 'low', team: 'enforcement' })).toEqual(['chat', 'audit']);
    expect(r({ severity: 'high', team: 'enforcement', status: 'resolved' })).toEqual(['pager', 'chat']);
    expect(r({ kind: 'data_quality', metric: 'impressions', severity: 'high' })).toEqual(['quality']);
  });

  it('a route of a metric gets the incidents that cover it, headed by it or by its rate', () => {
    const alerting = validateConfig({
      alerting: {
        sinks: { removals: { type: 'stdout' }, rest: { type: 'stdout' } },
        routes: [{ metric: 'removals', sinks: ['removals'], stop: true }, { sinks: ['rest'] }],
      },
    }).alerting;
    expect(routeAlert(alerting, makeFamilyAlert())).toEqual(['removals']);
    expect(routeAlert(alerting, makeAlert())).toEqual(['removals']);
    expect(routeAlert(alerting, makeFamilyAlert({ metrics: ['removals_per_10k_impressions'] }))).toEqual([
      'rest',
    ]);
  });

  it('routes traffic notices by their cause, apart from incidents', () => {
    const cfg = validateConfig({
      alerting: {
        sinks: { pager: { type: 'stdout' }, chat: { type: 'stdout' } },
        routes: [
          { cause: 'traffic', sinks: ['chat'], stop: true },
          { cause: 'none', sinks: ['pager'] },
        ],
      },
    });
    expect(routeAlert(cfg.alerting, makeAlert({ metric: 'impressions', cause: 'traffic' }))).toEqual([
      'chat',
    ]);
    expect(routeAlert(cfg.alerting, makeAlert())).toEqual(['pager']);
    expect(() => validateConfig({ alerting: { routes: [{ cause: 'weather', sinks: ['x'] }] } })).toThrow(
      /cause/,
    );
  });

  it('with sinks and no routes, every alert goes to every sink; with neither, none', () => {
    const all = validateConfig({ alerting: { sinks: { a: { type: 'stdout' }, b: { type: 'stdout' } } } });
    expect(routeAlert(all.alerting, makeAlert())).toEqual(['a', 'b']);
    expect(routeAlert(validateConfig({}).alerting, makeAlert())).toEqual([]);
  });

  describe('RoutingSink', () => {
    const dirs: string[] = [];
    afterEach(() => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    it('fans out, falls back when no route matches, and a retry skips sinks that took the message', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'vigil-routing-'));
      dirs.push(dir);
      const sinks = new Map([
        ['pager', new Recorder()],
        ['chat', new Recorder()],
        ['audit', new Recorder()],
        ['quality', new Recorder()],
      ]);
      const fallback = new Recorder();
      const always = new FileAlertSink(path.join(dir, 'alerts.jsonl'));
      const objectStore = new FsObjectStore(path.join(dir, 'store'));
      const router = new RoutingSink({
        alerting: CONFIG.alerting,
        sinks,
        fallback: [fallback],
        always: [always],
        objectStore,
      });
      const outbox = new AlertOutbox(objectStore);

      const alert = makeAlert({ severity: 'critical', team: 'enforcement' });
      sinks.get('chat')!.failing = true;
      await outbox.record([alert], new Date());
      const first = await outbox.deliver(router, new Date());
      expect(first.failed).toHaveLength(1);
      expect(first.failed[0]!.error).toMatch(/chat: down/);
      expect(sinks.get('pager')!.got).toHaveLength(1);

      sinks.get('chat')!.failing = false;
      const second = await outbox.deliver(router, new Date());
      expect(second.sent).toHaveLength(1);
      // Each sink has the message exactly once; the --alerts file too.
      expect(sinks.get('pager')!.got).toHaveLength(1);
      expect(sinks.get('chat')!.got).toHaveLength(1);
      expect(sinks.get('audit')!.got).toHaveLength(1);
      expect(readFileSync(path.join(dir, 'alerts.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
      expect(fallback.got).toHaveLength(0);

      // No route matches: the fallback gets it.
      const none = validateConfig({
        alerting: {
          sinks: { chat: { type: 'stdout' } },
          routes: [{ severity: 'critical', sinks: ['chat'] }],
        },
      });
      const lone = new RoutingSink({
        alerting: none.alerting,
        sinks: new Map([['chat', new Recorder()]]),
        fallback: [fallback],
      });
      await lone.send(makeAlert({ severity: 'low' }));
      expect(fallback.got).toHaveLength(1);
    });
  });
});
