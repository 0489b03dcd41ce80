import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StdoutAlertSink } from '../../shared/adapters/sinks/stdout-sink.js';
import { slackPayload } from '../../shared/adapters/sinks/webhook-sink.js';
import { renderAlertMessage } from '../../shared/alerting/message.js';
import { metricRowsFromCsv, metricRowsToCsv } from '../../shared/metrics/csv.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { sliceOf } from '../../shared/slices/slice.js';
import { isDisplaySafe } from '../../shared/text/escape.js';
import { makeAlert } from '../alerting/fixtures.js';
import { vigil } from '../helpers/cli.js';

/** What hostile data can hold: NUL, an ANSI "clear screen", a bidi override, C1, a line break. */
const HOSTILE = 'BR\u0000\u001b[2J\u202Egnp.exe\u009b\nX';
/** Safe for a terminal once line breaks (the output's own structure) are set aside. */
const safe = (text: string) => text.split('\n').every((line) => isDisplaySafe(line));

describe('control characters in data never reach an output raw', () => {
  const row: MetricRow = {
    metric: 'removals',
    grain: 'day',
    windowStart: new Date('2026-01-05T00:00:00Z'),
    slice: sliceOf([['region', HOSTILE]]),
    value: 3,
    numerator: null,
    denominator: null,
    ciLow: null,
    ciHigh: null,
  };

  it('metric CSV: slice values escaped, one line per row', () => {
    const csv = metricRowsToCsv([row]);
    expect(safe(csv)).toBe(true);
    expect(csv.trimEnd().split('\n')).toHaveLength(2);
    expect(csv).toContain('region=BR\\u0000\\u001B[2J\\u202Egnp.exe\\u009B\\u000AX');
  });

  it('the metric store keeps the exact bytes (lossless) and reads them back', () => {
    const stored = metricRowsToCsv([row], { lossless: true });
    expect(stored).toContain(HOSTILE);
    expect(metricRowsFromCsv(stored)[0]!.slice.key).toBe(row.slice.key);
  });

  it('alert subject, body, stdout sink and chat payload', async () => {
    const alert = makeAlert({
      slice: `region=${HOSTILE}`,
      summary: `Incident: removals (region=${HOSTILE}) up`,
      topSlices: [{ slice: `region=${HOSTILE}`, observed: 9, expected: 1, contribution: 1 }],
    });
    const clean = renderAlertMessage(
      makeAlert({ topSlices: [{ slice: 'region=BR', observed: 9, expected: 1, contribution: 1 }] }),
    );
    const msg = renderAlertMessage(alert);
    expect(msg.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(msg.subject).toContain('\\u001B[2J');
    expect(safe(msg.body)).toBe(true);
    // Data cannot add lines to the body: same line count as the clean alert.
    expect(msg.body.split('\n')).toHaveLength(clean.body.split('\n').length);

    let printed = '';
    await new StdoutAlertSink({ write: (t: string) => (printed += t) }).send(alert);
    expect(safe(printed)).toBe(true);
    expect(printed.split('\n')).toHaveLength(3);

    const chat = slackPayload(alert);
    expect(safe(JSON.stringify(chat))).toBe(true);
    expect(JSON.stringify(chat)).not.toContain('\u202E');
  });

  it('CLI errors show control characters escaped', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-ctl-'));
    const input = path.join(dir, 'in.csv');
    writeFileSync(input, 'timestamp,value\n2026-01-05,\u001b]0;pwned\u0007\n');
    const r = vigil(['detect', '--input', input, '--output', path.join(dir, 'out.csv')]);
    expect(r.status).toBe(2);
    expect(safe(r.stderr)).toBe(true);
    expect(r.stderr).toContain("non-numeric value '\\u001B]0;pwned\\u0007'");
    const u = vigil(['detect', '--input', input, '--output', 'x.csv', '--bogus\u001b[31m']);
    expect(u.status).toBe(2);
    expect(safe(u.stderr)).toBe(true);
    expect(u.stderr).toContain('--bogus\\u001B[31m');
  });
});
