/**
 * Recall per planted incident kind and precision of the opened incidents, on planted T&S series
 * (shared/generator/planted-series.ts) judged through the alerting path (bench/detect/planted-eval.ts).
 *
 *   npx tsx bench/detect/planted.ts [seeds, default 1,2,3,4,5,6] [volume noise, default 0]
 */
import { summarisePlanted } from './planted-eval.js';

const seeds = (process.argv[2] ?? '1,2,3,4,5,6').split(',').map(Number);
const noise = Number(process.argv[3] ?? 0);
const s = summarisePlanted(seeds, 35, noise);
console.log(`seeds ${seeds.join(',')} (35 hourly days each, volume noise ${noise})\n`);
console.log('| kind | caught / planted | incidents matching it |');
console.log('| --- | ---: | ---: |');
let planted = 0;
let caught = 0;
for (const [kind, k] of s.byKind) {
  planted += k.planted;
  caught += k.caught;
  console.log(`| ${kind} | ${k.caught} / ${k.planted} | ${k.incidents} |`);
}
console.log(`| **all** | ${caught} / ${planted} (${((100 * caught) / planted).toFixed(0)}%) | |\n`);
console.log('| head metric | incidents opened | real |');
console.log('| --- | ---: | ---: |');
for (const [metric, m] of [...s.byMetric].sort(([a], [b]) => a.localeCompare(b)))
  console.log(`| ${metric} | ${m.opened} | ${m.real} (${((100 * m.real) / m.opened).toFixed(0)}%) |`);
console.log('');
console.log(
  `metric incidents opened ${s.metricIncidents}, real ${s.realMetricIncidents} (${((100 * s.realMetricIncidents) / Math.max(1, s.metricIncidents)).toFixed(0)}%); ` +
    `data-quality alerts ${s.dataAlerts}, real ${s.realDataAlerts}`,
);
console.log(`traffic days: incidents on the exposure (impressions) per day: ${s.trafficNotices.join(', ')}`);
const false_ = new Map<string, number>();
for (const f of s.falseAlarms) {
  const key = `${f.metric} ${f.slice || '(total)'}`;
  false_.set(key, (false_.get(key) ?? 0) + 1);
}
if (false_.size > 0) console.log(`false alarms: ${[...false_].map(([k, n]) => `${k} x${n}`).join(', ')}`);
