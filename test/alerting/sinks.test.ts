import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { StdoutAlertSink } from '../../shared/adapters/sinks/stdout-sink.js';
import { slackPayload, WebhookAlertSink } from '../../shared/adapters/sinks/webhook-sink.js';
import { makeAlert, makeFamilyAlert } from './fixtures.js';

const TMP = path.resolve('test/.tmp/alerting-sinks');

describe('FileAlertSink', () => {
  beforeAll(() => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
  });

  it('appends one JSON object per alert per line', async () => {
    // Prepare
    const file = path.join(TMP, 'nested', 'alerts.jsonl');
    const sink = new FileAlertSink(file);
    // Act
    await sink.send(makeAlert());
    await sink.send(makeAlert({ status: 'resolved', direction: 'none' }));
    // Assess
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ status: 'open', metric: 'removals', attributes: { region: 'BR' } });
    expect(first.subject).toContain('INCIDENT');
    expect(second.status).toBe('resolved');
  });

  it('after a line cut off mid-write (a full disk), drops the fragment and stays an alert log for every later run', async () => {
    const file = path.join(TMP, 'torn.jsonl');
    const open = makeAlert();
    await new FileAlertSink(file).send(open);
    const whole = readFileSync(file, 'utf8');
    const resolved = makeAlert({ status: 'resolved', direction: 'none' });
    // The write of the next line stopped part-way (ENOSPC), then the run failed.
    writeFileSync(file, whole + JSON.stringify(resolved).slice(0, 40));
    // The rerun sends it again (still pending in the outbox), and a later run appends after it.
    await new FileAlertSink(file).send(resolved);
    await new FileAlertSink(file).send(makeAlert({ windowStart: '2026-01-14T12:00:00Z' }));
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).status)).toEqual(['open', 'resolved', 'open']);
  });
});

describe('StdoutAlertSink', () => {
  it('prints the subject and the summary', async () => {
    const out: string[] = [];
    await new StdoutAlertSink({ write: (t: string) => out.push(t) }).send(makeAlert());
    expect(out.join('')).toMatch(/^\[Vigil HIGH\] INCIDENT removals region=BR up/);
    expect(out.join('')).toContain('observed 90');
  });
});

describe('WebhookAlertSink', () => {
  let server: Server;
  let url = '';
  const received: { path: string; body: unknown }[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => resolve(data));
    });

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const body = await read(req);
      received.push({ path: req.url ?? '', body: JSON.parse(body) });
      if (req.url === '/fail') res.writeHead(500).end('boom');
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('ok'), 2000);
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('posts Slack-compatible text and blocks', async () => {
    await new WebhookAlertSink(`${url}/ok`).send(makeAlert());
    const got = received.find((r) => r.path === '/ok')?.body as { text: string; blocks: { type: string }[] };
    expect(got.text).toContain('[Vigil HIGH] INCIDENT removals');
    expect(got.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
  });

  it('names every metric of a count-and-rate incident in its fields', () => {
    const fields = (slackPayload(makeFamilyAlert()).blocks[2] as { fields: { text: string }[] }).fields;
    expect(fields.map((f) => f.text)).toContain('*Metrics:* removals_per_10k_impressions + removals');
    expect(slackPayload(makeAlert()).blocks[2]).toMatchObject({
      fields: expect.arrayContaining([{ type: 'mrkdwn', text: '*Metric:* removals' }]),
    });
  });

  it('throws on an error status', async () => {
    await expect(new WebhookAlertSink(`${url}/fail`).send(makeAlert())).rejects.toThrow(/HTTP 500 boom/);
  });

  it('throws on a timeout', async () => {
    await expect(new WebhookAlertSink(`${url}/slow`, { timeoutMs: 100 }).send(makeAlert())).rejects.toThrow(
      /timed out/,
    );
  });

  it('throws when nothing listens', async () => {
    await expect(
      new WebhookAlertSink('http://127.0.0.1:9/x', { timeoutMs: 1000 }).send(makeAlert()),
    ).rejects.toThrow(/not delivered/);
  });
});
