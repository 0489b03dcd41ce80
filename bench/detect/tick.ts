/**
 * The hourly tick with detector state kept per series: N hourly series that have already seen 14
 * days, stored as the results store holds them (one object per metric of SERIES_PER_METRIC slices,
 * written by DetectorStateStore into a local store folder), each take one new hour. The tick streams
 * object by object as the job does — read (one ahead), decode, push, encode, write under the new
 * run (one write in flight) — then prunes the old run; it holds one object's detectors at a time. The baseline replays the 14-day
 * lookback per series (what a job without state does) on a sample of the objects, interleaved with
 * the tick's objects in the same process so both see the same machine load. Prints one table row: series, tick seconds
 * with state, seconds replaying, the ratio, state bytes per series, peak RSS (the process's, and
 * sampled during the tick) and the load average at the end.
 *
 *   npx tsx bench/detect/tick.ts [series, default 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { DetectorStateStore } from '../../shared/alerting/detector-state-store.js';
import type { MetricState, SliceDetector } from '../../shared/alerting/score-series.js';
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import { sliceOf } from '../../shared/slices/slice.js';
import { uniformStream } from '../../shared/stats/random.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);
const DAYS = 14;
const n = Number(process.argv[2] ?? 10_000);
const config = { cooldown: 0, episodeCalibration: 'hold' as const };
const SERIES_PER_METRIC = 100;
/** Series replayed for the baseline (spread evenly over the objects). */
const REPLAYED = Math.min(n, 2_000);
/**
 * Distinct 14-day histories: series s has history s mod DISTINCT (building 100k detectors would
 * cost the bench ten minutes of pushes that the tick never sees; what a tick costs per series does
 * not depend on whether two objects hold equal histories).
 */
const DISTINCT = 2_000;
const FINGERPRINT = 'bench';

function value(seed: number, i: number, r: () => number): number {
  const level = 50 + (seed % 97) * 10;
  return Math.max(
    0,
    level * (1 + 0.4 * Math.sin((2 * Math.PI * (i % 24)) / 24)) +
      Math.sqrt(level) * (r() + r() + r() - 1.5) * 2,
  );
}

/** Series s after its first `rows` hours (the replay and the state's history are the same points). */
function learned(s: number, rows: number): StreamingDetector {
  const r = uniformStream(s + 1);
  const d = new StreamingDetector(config);
  for (let i = 0; i < rows; i++) d.push({ t: T0 + i * HOUR, value: value(s, i, r) });
  return d;
}

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-tick-'));
const states = new DetectorStateStore(new FsObjectStore(dir));
const objects = Math.ceil(n / SERIES_PER_METRIC);
const metricOf = (k: number) => `metric_${k}`;
const seriesOf = (k: number) => {
  const out: number[] = [];
  for (let s = k * SERIES_PER_METRIC; s < Math.min(n, (k + 1) * SERIES_PER_METRIC); s++) out.push(s);
  return out;
};

try {
  // States after 14 days, written as the store holds them (not timed), one object at a time.
  const histories = Array.from({ length: Math.min(n, DISTINCT) }, (_, s) => learned(s, DAYS * 24));
  const before = DetectorStateStore.newRun(new Date(T0 + DAYS * 24 * HOUR));
  let bytes = 0;
  for (let k = 0; k < objects; k++) {
    const slices = new Map<string, SliceDetector>();
    for (const s of seriesOf(k)) {
      const slice = sliceOf([['region', `r${s}`]]);
      slices.set(slice.key, { slice, since: T0, detector: histories[s % DISTINCT]! });
    }
    const ms: MetricState = { fingerprint: FINGERPRINT, zeros: [], slices, windows: DAYS * 24 };
    bytes += await states.saveMetric('hour', before, metricOf(k), ms);
  }

  histories.length = 0;
  const after = DetectorStateStore.newRun(new Date(T0 + (DAYS * 24 + 1) * HOUR));
  const stride = Math.max(1, Math.round(objects / Math.ceil(REPLAYED / SERIES_PER_METRIC)));
  let tick = 0;
  let replay = 0;
  let replayed = 0;
  let tickRss = process.memoryUsage().rss;
  // As the job streams (shared/jobs/detection.ts scorePass): the next object is read while this
  // one is decoded and pushed, and its body is written while the next one is (one write in flight).
  const ahead = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => {});
    return p;
  };
  let t = performance.now();
  let next = ahead(states.fetchMetric('hour', before, metricOf(0)));
  let writing: Promise<number> | undefined;
  for (let k = 0; k < objects; k++) {
    const obj = await next;
    if (k + 1 < objects) next = ahead(states.fetchMetric('hour', before, metricOf(k + 1)));
    const loaded = DetectorStateStore.decodeMetric(obj, FINGERPRINT);
    if (!loaded) throw new Error(`state of ${metricOf(k)} not found`);
    const series = seriesOf(k);
    for (const [j, sd] of [...loaded.state.slices.values()].entries()) {
      const s = series[j]! % DISTINCT;
      sd.detector!.push({ t: T0 + DAYS * 24 * HOUR, value: value(s, DAYS * 24, uniformStream(s + 7)) });
    }
    const body = DetectorStateStore.encodeMetric(loaded.state);
    if (writing) await writing;
    writing = ahead(states.putMetric('hour', after, metricOf(k), body));
    tickRss = Math.max(tickRss, process.memoryUsage().rss);
    if (k % stride === 0 && replayed < REPLAYED) {
      // The tick's reads and writes in flight finish in the tick's time, not the replay's.
      await writing;
      await next;
      tick += performance.now() - t;
      // Without state: the tick replays the lookback (and the new hour) for every series.
      t = performance.now();
      for (const s of seriesOf(k)) {
        learned(s % DISTINCT, DAYS * 24 + 1);
        replayed++;
      }
      replay += performance.now() - t;
      t = performance.now();
    }
  }
  await writing;
  // The previous run's objects go, as the job prunes them once the book names the new run.
  const metrics = Array.from({ length: objects }, (_, k) => metricOf(k));
  await states.prune('hour', { run: after, metrics }, { run: before, metrics }, new Date());
  tick += performance.now() - t;
  const tickS = tick / 1000;
  const replayS = (replay / 1000) * (n / replayed);
  const rss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `| ${n.toLocaleString('en')} | ${tickS.toFixed(2)} | ${replayS.toFixed(2)}${replayed < n ? ` (${replayed.toLocaleString('en')} timed, scaled)` : ''} | ${(replayS / tickS).toFixed(1)}x | ${Math.round(bytes / n).toLocaleString('en')} | ${Math.round(rss / 2 ** 20).toLocaleString('en')} MiB (tick ${Math.round(tickRss / 2 ** 20).toLocaleString('en')} MiB) | ${loadavg()[0]!.toFixed(1)} |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
