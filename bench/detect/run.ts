/**
 * Detector throughput: 10,000 synthetic daily series x 180 days and 1,000 hourly series x 28
 * days, scored with the default configuration. Prints a markdown table (series/second).
 *
 *   npx tsx bench/detect/run.ts
 */
import { detectSeries, type SeriesPoint } from '../../shared/anomaly/detector.js';
import { uniformStream } from '../../shared/stats/random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);

/** A seasonal series with noise and an occasional incident, like a T&S metric. */
function makeSeries(seed: number, rows: number, stepMs: number, periodRows: number): SeriesPoint[] {
  const r = uniformStream(seed);
  const level = 100 + 900 * r();
  const out: SeriesPoint[] = [];
  for (let i = 0; i < rows; i++) {
    const season = 0.2 * level * Math.sin((2 * Math.PI * i) / periodRows);
    const incident = r() < 0.005 ? 0.5 * level : 0;
    out.push({
      t: T0 + i * stepMs,
      value: level + season + 0.03 * level * (r() + r() + r() - 1.5) + incident,
    });
  }
  return out;
}

function measure(label: string, count: number, rows: number, stepMs: number, periodRows: number) {
  const series = Array.from({ length: count }, (_, i) => makeSeries(i + 1, rows, stepMs, periodRows));
  const started = performance.now();
  let anomalies = 0;
  for (const s of series) for (const p of detectSeries(s)) if (p.isAnomaly) anomalies++;
  const seconds = (performance.now() - started) / 1000;
  return { label, count, rows, seconds, anomalies };
}

const results = [
  measure('daily × 180 days', 10_000, 180, DAY, 7),
  measure('hourly × 28 days', 1_000, 28 * 24, HOUR, 24),
];
console.log('| series | count | rows/series | seconds | series/s | rows/s |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.count} | ${r.rows} | ${r.seconds.toFixed(2)} | ${Math.round(r.count / r.seconds)} | ${Math.round((r.count * r.rows) / r.seconds)} |`,
  );
}
