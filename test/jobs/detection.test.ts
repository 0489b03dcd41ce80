import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { coreCatalog } from '../../shared/config/load.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { runHourlyJob } from '../../shared/jobs/hourly-job.js';
import { type PlantedScore, scoreAgainstManifest } from '../../shared/jobs/planted-score.js';
import { runReplay } from '../../shared/jobs/replay.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { stringColumn } from '../../shared/ports/query-engine.js';
import { addGrain } from '../../shared/time/window.js';

const DIR = path.resolve('test/.tmp/jobs-detection');
const H = 3_600_000;
let engine: DuckDbQueryEngine;
let manifest: LakeManifest;
let metrics: MetricStore;
let demo: PlantedScore & { alerts: Alert[]; delivered: number };

function readJsonl(file: string): Alert[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);
}

function planted(id: string) {
  return manifest.incidents.find((i) => i.id === id)!;
}

class FlakySink implements AlertSink {
  failing = true;
  readonly got: Alert[] = [];
  async send(alert: Alert): Promise<void> {
    if (this.failing) throw new Error('webhook down');
    this.got.push(alert);
  }
}

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  // Ten days at 80k impressions a day: enough volume per hour for slices to be readable.
  const scenario = buildScenario({
    seed: 7,
    start: new Date('2026-01-05T00:00:00Z'),
    days: 10,
    impressions: 800_000,
  });
  manifest = await generateLake(scenario, path.join(DIR, 'lake'));
  engine = await DuckDbQueryEngine.open({ lake: path.join(DIR, 'lake') });
  const objectStore = new FsObjectStore(path.join(DIR, 'demo'));
  metrics = new MetricStore(objectStore);
  // The demo's path: every hourly tick of the lake (vigil replay), in one pass.
  const replay = await runReplay({
    engine,
    store: metrics,
    objectStore,
    sink: new FileAlertSink(path.join(DIR, 'demo', 'alerts.jsonl')),
    config: coreCatalog(),
    clock: fixedClock(new Date(manifest.end)),
    inventory: new FsLakeInventory(path.join(DIR, 'lake')),
    grain: 'hour',
    from: new Date(manifest.start),
    to: addGrain(new Date(manifest.end), 'hour'),
    onePass: true,
  });
  demo = {
    ...scoreAgainstManifest(replay.alerts, manifest),
    alerts: replay.alerts,
    delivered: replay.delivered,
  };
});

afterAll(async () => {
  await engine?.close();
});

describe('the hourly ticks of a generated lake (the demo)', () => {
  it('catches the planted incidents of each kind that the lake carries', () => {
    // Assess
    const matched = new Set(demo.incidents.flatMap((i) => i.matches));
    expect(matched).toContain('classifier-outage');
    expect(matched).toContain('spam-wave-br');
    expect(matched).toContain('live-report-spike');
    expect(demo.recall).toBeGreaterThanOrEqual(0.5);
    expect(demo.precision).toBeGreaterThanOrEqual(0.4);
    expect(demo.delivered).toBe(demo.alerts.length);
    expect(readJsonl(path.join(DIR, 'demo', 'alerts.jsonl'))).toHaveLength(demo.alerts.length);
  });

  it('raises a data alert for the missing partition and no metric alert for that hour', () => {
    // Prepare
    const gap = manifest.missing_partitions[0]!;
    const hour = `${gap.dt}T${gap.hour}:00:00Z`;
    // Assess
    const data = demo.alerts.filter((a) => a.kind === 'data_quality' && a.status === 'open');
    expect(data.map((a) => [a.metric, a.since])).toEqual([[gap.source, hour]]);
    expect(data[0]?.summary).toContain('metrics held back');
    const metricAtGap = demo.alerts.filter((a) => a.kind === 'metric_incident' && a.windowStart === hour);
    expect(metricAtGap.filter((a) => a.status !== 'resolved')).toEqual([]);
    expect(demo.missingPartitionsFound).toBe(1);
  });

  it('ranks the planted slice first among the root-cause slices', () => {
    const wave = planted('spam-wave-br');
    // Removals and their rate are one incident, headed by the rate, naming both.
    const removals = demo.alerts.find(
      (a) =>
        (a.metrics ?? [a.metric]).includes('removals') &&
        a.status === 'open' &&
        Date.parse(a.since) >= Date.parse(wave.start),
    );
    expect(removals?.topSlices[0]?.slice).toBe('region=BR');
    const live = planted('live-report-spike');
    // The spike is raised on the reports family (the count and its rate are one incident): its own
    // incident, or an update of the family's incident still open from the spam wave, whose first
    // root-cause slice is then the live surface.
    const reports = demo.alerts.find(
      (a) =>
        (a.metrics ?? [a.metric]).includes('user_reports') &&
        a.status !== 'resolved' &&
        Date.parse(a.windowStart) >= Date.parse(live.start) &&
        Date.parse(a.windowStart) < Date.parse(live.end),
    );
    expect(reports?.topSlices[0]?.slice).toBe('surface=live');
  });

  it('puts no user, content or account ids in any alert', async () => {
    // Prepare: real ids from the lake.
    const ids = await engine.query(
      `SELECT viewer_id AS id FROM impressions USING SAMPLE 200 UNION ALL SELECT content_id FROM moderation_decisions USING SAMPLE 200 UNION ALL SELECT reporter_id FROM user_reports USING SAMPLE 200 UNION ALL SELECT account_id FROM account_events USING SAMPLE 200`,
    );
    const text = readFileSync(path.join(DIR, 'demo', 'alerts.jsonl'), 'utf8');
    // Assess
    // Whole tokens: report anchors carry hex fingerprints, in which e.g. `c18` can appear.
    const leaked = stringColumn(ids, 'id').filter(
      (id) => id !== null && new RegExp(`(^|[^A-Za-z0-9_])${id}([^A-Za-z0-9_]|$)`).test(text),
    );
    expect(ids.rowCount).toBeGreaterThan(100);
    expect(leaked).toEqual([]);
  });
});

describe('runHourlyJob', () => {
  it('opens, resolves, and sends nothing new on a rerun of the same hour', async () => {
    // Prepare
    const wave = planted('spam-wave-br');
    const objectStore = new FsObjectStore(path.join(DIR, 'hourly'));
    const file = path.join(DIR, 'hourly', 'alerts.jsonl');
    const deps = {
      engine,
      store: metrics,
      objectStore,
      sink: new FileAlertSink(file),
      config: coreCatalog(),
    };
    const start = new Date(wave.start);
    const last = addGrain(new Date(wave.end), 'hour', 2);
    // Act: the hours around the start, then a run that judges the three hours after the end.
    for (const t of [addGrain(start, 'hour', -1), start, addGrain(start, 'hour', 1), last])
      await runHourlyJob({
        ...deps,
        hour: t,
        lookbackDays: 7,
        clock: fixedClock(new Date(t.getTime() + H + 600_000)),
      });
    const before = readJsonl(file).length;
    const rerun = await runHourlyJob({
      ...deps,
      hour: last,
      lookbackDays: 7,
      clock: fixedClock(new Date(last.getTime() + 2 * H)),
    });
    // Assess
    // One incident for removals and their rate (it names both).
    const removals = readJsonl(file).filter((a) => (a.metrics ?? [a.metric]).includes('removals'));
    expect(removals.map((a) => a.status)[0]).toBe('open');
    expect(removals.at(-1)?.status).toBe('resolved');
    expect(new Set(removals.map((a) => a.dedupeKey)).size).toBe(1);
    expect(rerun.alerts).toEqual([]);
    expect(readJsonl(file)).toHaveLength(before);
  });

  it('retries a failed send on the next run and never duplicates it', async () => {
    // Prepare
    const wave = planted('spam-wave-br');
    const objectStore = new FsObjectStore(path.join(DIR, 'flaky'));
    const sink = new FlakySink();
    const deps = { engine, store: metrics, objectStore, sink, config: coreCatalog() };
    const start = new Date(wave.start);
    await runHourlyJob({
      ...deps,
      lookbackDays: 7,
      hour: addGrain(start, 'hour', -1),
      clock: fixedClock(start),
    });
    // Act
    const failed = await runHourlyJob({
      ...deps,
      lookbackDays: 7,
      hour: start,
      clock: fixedClock(addGrain(start, 'hour')),
    });
    sink.failing = false;
    const retried = await runHourlyJob({
      ...deps,
      lookbackDays: 7,
      hour: start,
      clock: fixedClock(addGrain(start, 'hour', 2)),
    });
    const again = await runHourlyJob({
      ...deps,
      lookbackDays: 7,
      hour: start,
      clock: fixedClock(addGrain(start, 'hour', 3)),
    });
    // Assess
    expect(failed.delivery.failed.length).toBeGreaterThan(0);
    expect(failed.delivery.sent).toEqual([]);
    expect(retried.alerts).toEqual([]);
    expect(retried.delivery.sent.map((a) => a.dedupeKey).sort()).toEqual(
      failed.delivery.failed.map((f) => f.alert.dedupeKey).sort(),
    );
    expect(again.delivery.sent).toEqual([]);
    const keys = sink.got.map((a) => `${a.dedupeKey}|${a.status}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
