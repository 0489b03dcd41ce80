/**
 * The hourly tick with detector state kept per series: N hourly series that have already seen 14
 * days (their states encoded as the store holds them: one object per metric of SERIES_PER_METRIC
 * slices) each take one new hour — decode, push, encode — against a replay of the 14-day lookback
 * per series (what a job without state does). Prints one table row: series, tick seconds with
 * state, seconds replaying, the ratio, state bytes per series and peak RSS.
 *
 *   npx tsx bench/detect/tick.ts [series, default 10000]
 */
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import { decodeState, encodeState } from '../../shared/anomaly/state.js';
import { uniformStream } from '../../shared/stats/random.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);
const DAYS = 14;
const n = Number(process.argv[2] ?? 10_000);
const config = { cooldown: 0, episodeCalibration: 'hold' as const };

function value(seed: number, i: number, r: () => number): number {
  const level = 50 + (seed % 97) * 10;
  return Math.max(
    0,
    level * (1 + 0.4 * Math.sin((2 * Math.PI * (i % 24)) / 24)) +
      Math.sqrt(level) * (r() + r() + r() - 1.5) * 2,
  );
}

const SERIES_PER_METRIC = 100;

// States after 14 days, as the store holds them (built once, not timed).
const objects: Uint8Array[] = [];
let bytes = 0;
for (let g = 0; g < n; g += SERIES_PER_METRIC) {
  const group: StreamingDetector[] = [];
  for (let s = g; s < Math.min(n, g + SERIES_PER_METRIC); s++) {
    const r = uniformStream(s + 1);
    const d = new StreamingDetector(config);
    for (let i = 0; i < DAYS * 24; i++) d.push({ t: T0 + i * HOUR, value: value(s, i, r) });
    group.push(d);
  }
  const body = encodeState(group);
  bytes += body.length;
  objects.push(body);
}
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;

let t = performance.now();
for (const [k, body] of objects.entries()) {
  const group = decodeState(body) as StreamingDetector[];
  for (const [j, d] of group.entries()) {
    const s = k * SERIES_PER_METRIC + j;
    d.push({ t: T0 + DAYS * 24 * HOUR, value: value(s, DAYS * 24, uniformStream(s + 7)) });
  }
  objects[k] = encodeState(group);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}
const tick = (performance.now() - t) / 1000;

// Without state: every tick replays the lookback for every series.
const replayN = Math.min(n, 2_000);
t = performance.now();
for (let s = 0; s < replayN; s++) {
  const r = uniformStream(s + 1);
  const d = new StreamingDetector(config);
  for (let i = 0; i <= DAYS * 24; i++) d.push({ t: T0 + i * HOUR, value: value(s, i, r) });
}
const replay = ((performance.now() - t) / 1000) * (n / replayN);
const rss = Math.max(rssPeak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
console.log(
  `| ${n.toLocaleString('en')} | ${tick.toFixed(2)} | ${replay.toFixed(2)}${replayN < n ? ` (${replayN.toLocaleString('en')} timed, scaled)` : ''} | ${(replay / tick).toFixed(1)}x | ${Math.round(bytes / n).toLocaleString('en')} | ${Math.round(rss / 2 ** 20).toLocaleString('en')} MiB |`,
);
