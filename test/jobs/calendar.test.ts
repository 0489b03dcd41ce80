import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { scoreMetrics } from '../../shared/alerting/score-series.js';
import { KnownEvents } from '../../shared/calendar/calendar.js';
import { type VigilConfig, validateConfig } from '../../shared/config/file.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { judgeWindows } from '../../shared/jobs/detection.js';
import type { MetricRow } from '../../shared/metrics/metric-row.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT } from '../helpers/lake.js';

/**
 * The calendar of known events through the detection job, on a generated lake with planted
 * incidents: alerts in an event are annotated with it, `suppress: true` raises none in its scope,
 * and an event's windows are never learned.
 */
const DIR = path.join(TMP_ROOT, 'jobs-calendar');
// Ten days at 80k impressions a day: enough volume per hour for slices to be readable.
const FROM = new Date('2026-01-05T00:00:00Z');
let JUDGE_FROM: Date;
let TO: Date;
const METRICS = ['removals', 'automated_action_share', 'user_reports'];

let engine: DuckDbQueryEngine;
let store: MetricStore;
let manifest: LakeManifest;
let rows: MetricRow[];

class Recorder implements AlertSink {
  readonly got: Alert[] = [];
  async send(alert: Alert): Promise<void> {
    this.got.push(alert);
  }
}

function config(calendar: unknown[] = []): VigilConfig {
  return validateConfig({ include_core: METRICS, calendar }, 'vigil.yaml');
}

let run = 0;
async function judge(cfg: VigilConfig): Promise<Alert[]> {
  const sink = new Recorder();
  await judgeWindows(
    {
      engine,
      store,
      objectStore: new FsObjectStore(path.join(DIR, `state-${run++}`)),
      sink,
      config: cfg,
      clock: fixedClock(TO),
    },
    'hour',
    FROM,
    JUDGE_FROM,
    TO,
  );
  return sink.got;
}

const incident = (id: string) => manifest.incidents.find((i) => i.id === id)!;
const opens = (alerts: Alert[], metric: string, from: string, to: string) =>
  alerts.filter(
    (a) =>
      a.metric === metric &&
      a.status === 'open' &&
      Date.parse(a.windowStart) >= Date.parse(from) &&
      Date.parse(a.windowStart) < Date.parse(to),
  );

let baseline: Alert[];

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  const lake = path.join(DIR, 'lake');
  manifest = await generateLake(
    buildScenario({ seed: 7, start: FROM, days: 10, impressions: 800_000 }),
    lake,
  );
  // Judge the days of the planted incidents, after a week of history.
  const first = Math.min(...manifest.incidents.map((i) => Date.parse(i.start)));
  const last = Math.max(...manifest.incidents.map((i) => Date.parse(i.end)));
  JUDGE_FROM = new Date(Math.floor(first / 86_400_000) * 86_400_000);
  TO = new Date(Math.min(Date.parse(manifest.end), Math.ceil(last / 86_400_000) * 86_400_000 + 86_400_000));
  engine = await DuckDbQueryEngine.open({ lake });
  store = new MetricStore(new FsObjectStore(path.join(DIR, 'metrics')));
  const summary = await runBackfill({
    engine,
    store,
    config: config(),
    grain: 'hour',
    windows: windowsInRange('hour', FROM, TO),
    clock: fixedClock(TO),
    concurrency: 2,
  });
  expect(summary.failed).toEqual([]);
  const read = await Promise.all(
    windowsInRange('hour', FROM, TO).map((w) => store.readWindow('hour', w.start)),
  );
  rows = read.flatMap((r) => r ?? []);
  baseline = await judge(config());
}, 240_000);

afterAll(async () => {
  await engine?.close();
});

describe('calendar of known events through the detection job', () => {
  it('without a calendar the planted incidents alert (the baseline the other cases change)', () => {
    const outage = incident('classifier-outage');
    expect(opens(baseline, 'automated_action_share', outage.start, outage.end).length).toBeGreaterThan(0);
    expect(baseline.every((a) => a.events === undefined)).toBe(true);
  });

  it('an event annotates the alerts of its window and scope, and changes nothing else', async () => {
    const outage = incident('classifier-outage');
    const alerts = await judge(
      config([
        {
          id: 'model_rollout',
          kind: 'launch',
          title: 'Classifier v7 roll-out',
          start: outage.start,
          end: outage.end,
          metrics: ['automated_action_share', 'removals'],
        },
      ]),
    );
    const during = opens(alerts, 'automated_action_share', outage.start, outage.end);
    expect(during.length).toBeGreaterThan(0);
    for (const a of during)
      expect(a.events).toEqual([
        expect.objectContaining({
          id: 'model_rollout',
          kind: 'launch',
          title: 'Classifier v7 roll-out',
          suppress: false,
        }),
      ]);
    // Out of scope (another metric) or out of the window: no annotation.
    expect(alerts.filter((a) => a.metric === 'user_reports').every((a) => a.events === undefined)).toBe(true);
    const outside = alerts.filter(
      (a) =>
        Date.parse(a.windowStart) >= Date.parse(outage.end) ||
        Date.parse(a.windowStart) < Date.parse(outage.start),
    );
    expect(outside.every((a) => a.events === undefined)).toBe(true);
  });

  it('suppress: true raises no alert in its scope while it lasts; other metrics alert as before', async () => {
    const outage = incident('classifier-outage');
    const alerts = await judge(
      config([
        {
          id: 'planned_outage',
          kind: 'outage',
          start: outage.start,
          end: outage.end,
          suppress: true,
          metrics: ['automated_action_share'],
        },
      ]),
    );
    expect(opens(alerts, 'automated_action_share', outage.start, outage.end)).toEqual([]);
    const key = (a: Alert) => `${a.dedupeKey}|${a.status}|${a.windowStart}`;
    const others = (list: Alert[]) => list.filter((a) => a.metric === 'user_reports').map(key);
    expect(others(alerts)).toEqual(others(baseline));
  });

  it('an event scoped to a region suppresses that region only: its slices stay quiet, the rest alerts', async () => {
    const wave = incident('spam-wave-br');
    const inBR = (a: Alert) => a.slice.split(';').includes('region=BR');
    const before = baseline.filter(
      (a) => a.status === 'open' && inBR(a) && a.windowStart >= wave.start && a.windowStart < wave.end,
    );
    expect(before.length).toBeGreaterThan(0);
    const alerts = await judge(
      config([
        {
          id: 'br_holiday',
          kind: 'holiday',
          start: wave.start,
          end: wave.end,
          regions: ['BR'],
          suppress: true,
        },
      ]),
    );
    const after = alerts.filter(
      (a) => a.status === 'open' && inBR(a) && a.windowStart >= wave.start && a.windowStart < wave.end,
    );
    expect(after).toEqual([]);
    // Outside BR nothing changed: the live report spike still opens its incident.
    const key = (a: Alert) => `${a.dedupeKey}|${a.status}|${a.windowStart}`;
    const notBR = (list: Alert[]) => list.filter((a) => !inBR(a)).map(key);
    expect(notBR(alerts)).toEqual(notBR(baseline));
    expect(notBR(alerts).length).toBeGreaterThan(0);
  });

  it('an event is not learned: what the detector expects after it does not depend on the data inside it', () => {
    const outage = incident('classifier-outage');
    const start = Date.parse(outage.start);
    const end = Date.parse(outage.end);
    const windows = windowsInRange('hour', FROM, TO).map((w) => w.start.getTime());
    const cfg = config();
    // The same history with the event's windows rewritten (five times the values).
    const bent = rows.map((r) => {
      const t = r.windowStart.getTime();
      if (t < start || t >= end || r.value === null) return r;
      return { ...r, value: r.value * 5, numerator: r.numerator === null ? null : r.numerator * 5 };
    });
    const after = (input: MetricRow[], known?: KnownEvents) =>
      scoreMetrics(input, {
        metrics: cfg,
        grain: 'hour',
        windows,
        excluded: new Map(),
        ...(known ? { known } : {}),
      })
        .find((m) => m.metric === 'removals')!
        .slices.get('')!
        .filter((p) => p.t >= end)
        .map((p) => [p.expected, p.score]);
    const known = new KnownEvents(config([{ id: 'x', start: outage.start, end: outage.end }]).calendar);
    expect(after(bent, known)).toEqual(after(rows, known));
    // Without the calendar the bent windows are learned, and what follows changes.
    expect(after(bent)).not.toEqual(after(rows));
    // Inside the event the windows are still scored (against what was learned before).
    const inside = scoreMetrics(rows, { metrics: cfg, grain: 'hour', windows, excluded: new Map(), known })
      .find((m) => m.metric === 'removals')!
      .slices.get('')!
      .filter((p) => p.t >= start && p.t < end);
    expect(inside.every((p) => p.known === true && p.expected !== null)).toBe(true);
  });
});
