import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { DetectorStateStore } from '../../shared/alerting/detector-state-store.js';
import { IncidentBookStore } from '../../shared/alerting/incident-book.js';
import { metricScorer } from '../../shared/alerting/score-series.js';
import { encodeState } from '../../shared/anomaly/state.js';
import { coreCatalog } from '../../shared/config/load.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { judgeWindows, watchedMetrics } from '../../shared/jobs/detection.js';
import { runReplay } from '../../shared/jobs/replay.js';
import { firingsIn, tickAt } from '../../shared/jobs/schedule.js';
import { runTick, type TickOptions } from '../../shared/jobs/tick.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { fixedClock } from '../../shared/ports/clock.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { STORAGE_LAYOUT } from '../../shared/storage/layout.js';
import { addGrain, windowsInRange } from '../../shared/time/window.js';
import { PassThroughStore, type StoreCall } from '../helpers/pass-through-store.js';

/**
 * Detector state kept in the store: scheduled ticks that restore it and learn only the new windows
 * send exactly the alerts of one pass over the whole lake (no tick ever re-learns the lookback);
 * restored detectors are the uninterrupted ones; a lost state warms up to the same; and a crash
 * between the state write and the book write recovers to the same alerts.
 */
const DIR = path.resolve('test/.tmp/jobs-detector-state');
const SEED = path.join(DIR, 'seed-store');
let engine: DuckDbQueryEngine;
let manifest: LakeManifest;
let from: Date;
let to: Date;
let lakeStart: Date;
let onePass: string[];

/** A store that fails the first write of a key matching `dies` (as if killed there), then works. */
class CrashOnce extends PassThroughStore {
  crashed = false;
  constructor(
    inner: ObjectStore,
    private readonly dies: (key: string) => boolean,
  ) {
    super(inner);
  }
  protected override before(call: StoreCall, key: string): void {
    if (call === 'put' && !this.crashed && this.dies(key)) {
      this.crashed = true;
      throw new Error(`crash writing ${key}`);
    }
  }
}

/** A store that records its detector-state reads and writes (call and metric, in order). */
class StateCalls extends PassThroughStore {
  readonly calls: string[] = [];
  protected override before(call: StoreCall, key: string): void {
    const metric = /\/([a-z0-9_]+)\.bin$/.exec(key)?.[1];
    if (
      metric &&
      key.startsWith(`${STORAGE_LAYOUT.detectorState.prefix}/`) &&
      (call === 'get' || call === 'put')
    )
      this.calls.push(`${call} ${metric}`);
  }
}

/** The watched metrics in the order detection scores them (exposures last). */
const scoringOrder = () =>
  metricScorer([], { metrics: coreCatalog(), grain: 'hour', windows: [], excluded: new Map() }).order.map(
    (m) => m.name,
  );

function options(store: ObjectStore, alerts: string): TickOptions {
  return {
    engine,
    objectStore: store,
    store: new MetricStore(store),
    sink: new FileAlertSink(alerts),
    config: coreCatalog(),
    clock: fixedClock(new Date('2026-02-01T00:00:00Z')),
    reportUrl: (key) => `report#${key}`,
  };
}

function fresh(name: string): { root: string; alerts: string } {
  const dir = path.join(DIR, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(SEED, path.join(dir, 'store'), { recursive: true });
  return { root: path.join(dir, 'store'), alerts: path.join(dir, 'alerts.jsonl') };
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  lakeStart = new Date('2026-01-05T00:00:00Z');
  manifest = await generateLake(
    buildScenario({ seed: 7, start: lakeStart, days: 10, impressions: 800_000 }),
    path.join(DIR, 'lake'),
  );
  engine = await DuckDbQueryEngine.open({ lake: path.join(DIR, 'lake') });
  // Ticks over the planted classifier outage; every hourly window of the lake is stored once.
  const outage = manifest.incidents.find((i) => i.id === 'classifier-outage')!;
  from = addGrain(new Date(outage.start), 'hour', -1);
  to = addGrain(from, 'hour', 10);
  await runBackfill({
    engine,
    store: new MetricStore(new FsObjectStore(SEED)),
    config: coreCatalog(),
    grain: 'hour',
    windows: windowsInRange('hour', lakeStart, new Date(manifest.end)),
    clock: fixedClock(new Date('2026-02-01T00:00:00Z')),
  });
  // The reference: one pass, detectors learning every window from the lake's start, judging the
  // windows the ticks judge (from the first tick's recompute range on).
  const one = fresh('one-pass');
  const first = tickAt('hour', firingsIn('hour', from, to)[0]!);
  await judgeWindows(
    options(new FsObjectStore(one.root), one.alerts),
    'hour',
    lakeStart,
    first.recompute[0]!.start,
    tickAt('hour', firingsIn('hour', from, to).at(-1)!).target.end,
  );
  onePass = lines(one.alerts);
}, 600_000);

afterAll(async () => {
  await engine?.close();
});

describe('detector state in the store', () => {
  it('ticks that restore the state and learn only new windows send the alerts of one pass', async () => {
    const t = fresh('ticks');
    const store = new StateCalls(new FsObjectStore(t.root));
    const learned: number[] = [];
    const sources: string[] = [];
    for (const at of firingsIn('hour', from, to)) {
      store.calls.length = 0;
      const r = await runTick(options(store, t.alerts), 'hour', at);
      learned.push(r.job.detectorState?.windowsLearned ?? 0);
      sources.push(r.job.detectorState?.source ?? 'none');
    }
    // A tick streams metric by metric: each metric's state is written before the one after the
    // next is read (one read ahead), so it never holds more than one metric's detectors decoded.
    const order = scoringOrder();
    expect(store.calls).toEqual([
      `get ${order[0]}`,
      ...order.flatMap((m, k) => [...(order[k + 1] ? [`get ${order[k + 1]}`] : []), `put ${m}`]),
    ]);
    expect(onePass.length).toBeGreaterThan(0);
    expect(onePass.some((l) => JSON.parse(l).metric === 'automated_action_share')).toBe(true);
    expect(lines(t.alerts)).toEqual(onePass);
    // The first tick warms up on the stored history; every later one learns its one new hour.
    expect(sources[0]).toBe('warmed');
    expect(learned[0]).toBeGreaterThan(24 * 5);
    expect(sources.slice(1).every((s) => s === 'restored')).toBe(true);
    expect(learned.slice(1).every((n) => n === 1)).toBe(true);
    // One object per metric under the run the book names; older runs are pruned.
    const book = (await new IncidentBookStore(store).load('hour')).book;
    const keys = await store.list(`${STORAGE_LAYOUT.detectorState.prefix}/`);
    expect(book.detectorState).toBeDefined();
    expect(keys.length).toBe(book.detectorState!.metrics.length);
    expect(keys.every((k) => k.includes(`/run-${book.detectorState!.run}/`))).toBe(true);
  }, 600_000);

  it("the demo's one pass (replay onePass) sends the alerts of the ticks one by one", async () => {
    const t = fresh('one-pass-replay');
    const summary = await runReplay({
      ...options(new FsObjectStore(t.root), t.alerts),
      grain: 'hour',
      from,
      to,
      onePass: true,
    });
    expect(summary.ran).toBe(firingsIn('hour', from, to).length);
    expect(lines(t.alerts)).toEqual(onePass);
  }, 600_000);

  it('restored detectors are the uninterrupted ones, bit for bit', async () => {
    // Ticks through the range leave a state; one pass over the same windows builds one in memory.
    const t = fresh('restored');
    const store = new FsObjectStore(t.root);
    for (const at of firingsIn('hour', from, to)) await runTick(options(store, t.alerts), 'hour', at);
    const book = (await new IncidentBookStore(store).load('hour')).book;
    const fps = watchedMetrics(coreCatalog(), 'hour');
    const restored = await new DetectorStateStore(store).load('hour', book.detectorState!, fps);
    expect(restored).toBeDefined();

    const ref = fresh('restored-ref');
    const refStore = new FsObjectStore(ref.root);
    await judgeWindows(
      options(refStore, ref.alerts),
      'hour',
      lakeStart,
      addGrain(new Date(book.processedThrough!), 'hour', -1),
      addGrain(new Date(book.processedThrough!), 'hour', 1),
    );
    const refBook = (await new IncidentBookStore(refStore).load('hour')).book;
    const uninterrupted = await new DetectorStateStore(refStore).load('hour', refBook.detectorState!, fps);
    expect(refBook.processedThrough).toBe(book.processedThrough);
    for (const [metric, ms] of uninterrupted!.states) {
      const mine = restored!.states.get(metric)!;
      expect([...mine.slices.keys()], metric).toEqual([...ms.slices.keys()]);
      expect(mine.zeros).toEqual(ms.zeros);
      for (const [key, sd] of ms.slices) {
        const a = Buffer.from(encodeState(sd.detector));
        const b = Buffer.from(encodeState(mine.slices.get(key)!.detector));
        expect(a.equals(b), `${metric} ${key}`).toBe(true);
      }
    }
  }, 600_000);

  it('a lost state warms up from the stored history to the same alerts', async () => {
    const t = fresh('lost');
    const store = new FsObjectStore(t.root);
    const firings = firingsIn('hour', from, to);
    const order = scoringOrder();
    const objects = () => store.list(`${STORAGE_LAYOUT.detectorState.prefix}/`);
    // The key of a metric's object in the state the book names.
    const current = async (metric: string) => {
      const { run } = (await new IncidentBookStore(store).load('hour')).book.detectorState!;
      return (await objects()).find((k) => k.endsWith(`/run-${run}/${metric}.bin`))!;
    };
    const sources: string[] = [];
    for (const [i, at] of firings.entries()) {
      // The state objects go, all of them (deleted by hand) or one: the last metric scored (found
      // missing after the others were restored and written), or the second, overwritten in a
      // format this build cannot read (another detector version).
      if (i === 3) for (const k of await objects()) await store.delete(k);
      if (i === 5) await store.delete(await current(order.at(-1)!));
      if (i === 7) {
        const key = await current(order[1]!);
        const body = Uint8Array.from((await store.get(key))!.body);
        body[3] = 99;
        await store.put(key, body);
      }
      const r = await runTick(options(store, t.alerts), 'hour', at);
      sources.push(r.job.detectorState?.source ?? 'none');
    }
    expect(sources).toEqual([
      'warmed',
      'restored',
      'restored',
      'warmed',
      'restored',
      'warmed',
      'restored',
      'warmed',
      'restored',
      'restored',
    ]);
    expect(lines(t.alerts)).toEqual(onePass);
    // What a restore wrote before it found a metric missing is removed: only the book's run is left.
    const book = (await new IncidentBookStore(store).load('hour')).book;
    const keys = await objects();
    expect(keys.length).toBe(order.length);
    expect(keys.every((k) => k.includes(`/run-${book.detectorState!.run}/`))).toBe(true);
  }, 600_000);

  it('a crash between the state write and the book write recovers to the same alerts', async () => {
    for (const target of ['state', 'book'] as const) {
      const t = fresh(`crash-${target}`);
      const firings = firingsIn('hour', from, to);
      const inner = new FsObjectStore(t.root);
      // Crashes at the 4th tick's first state object, or at its book write (state already written).
      let ticks = 0;
      const crashing = new CrashOnce(
        inner,
        (key) =>
          ticks === 4 &&
          (target === 'state'
            ? key.startsWith(`${STORAGE_LAYOUT.detectorState.prefix}/`)
            : key === `${STORAGE_LAYOUT.alertState.prefix}/hour.json`),
      );
      for (const at of firings) {
        ticks++;
        const o = options(crashing, t.alerts);
        try {
          await runTick(o, 'hour', at);
        } catch (err) {
          expect((err as Error).message).toMatch(/crash writing/);
          // The tick runs again (the next schedule firing or a retry), from what the store holds.
          await runTick(o, 'hour', at);
        }
      }
      expect(crashing.crashed, target).toBe(true);
      expect(lines(t.alerts), target).toEqual(onePass);
    }
  }, 600_000);
});
