/**
 * Report generation for the large case: 200 daily metric series × 90 days (plus 4 hourly series
 * over the same 90 days), with incidents, experiments and a policy readout.
 *
 *   npx tsx bench/report/run.ts [--metrics 200] [--days 90] [--hourly 4] [--out DIR]
 *
 * Prints render time (median of 5 after a warm-up), write time and size. Opening time in Chromium
 * is measured by test/report/browser.test.ts.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { renderReport } from '../../shared/report/render.js';
import { writeReport } from '../../shared/report/write.js';
import { buildFixture } from '../../test/report/fixture.js';

const { values } = parseArgs({
  options: {
    metrics: { type: 'string', default: '200' },
    days: { type: 'string', default: '90' },
    hourly: { type: 'string', default: '4' },
    out: { type: 'string' },
  },
});
const metricCount = Number(values.metrics);
const days = Number(values.days);
const hourlyCount = Number(values.hourly);

const { data } = buildFixture({ metricCount, days, hourlyCount, seed: 11 });
const points = data.metrics.reduce((n, m) => n + m.points.length, 0);
renderReport(data); // warm-up (JIT)
const times: number[] = [];
let html = '';
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  html = renderReport(data);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const dir = values.out ?? (await mkdtemp(path.join(os.tmpdir(), 'vigil-report-bench-')));
const t0 = performance.now();
const written = await writeReport(new FsObjectStore(dir), 'report', data);
const writeMs = performance.now() - t0;
const bytes = Buffer.byteLength(html);

console.log(`| case | series | points | incidents | render (median of 5) | render+write | size |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
console.log(
  `| ${metricCount} metrics × ${days} days + ${hourlyCount} hourly | ${data.metrics.length} | ${points.toLocaleString('en-US')} | ${data.incidents.length} | ${times[2]!.toFixed(0)} ms | ${writeMs.toFixed(0)} ms | ${(bytes / 1024).toFixed(0)} KiB (${(bytes / points).toFixed(1)} B/point) |`,
);
console.log(`\nwritten: ${written.url}`);
