/**
 * Lake-level planted bench: per seed, a clean generated lake (no built-in incidents), twelve incidents
 * planted into its Parquet partitions (plan.ts, plant.ts), then the BUILT CLI exactly as a user runs it
 * — `vigil replay --grain hour`, then `--grain day`, core catalog, no config — and the alerts scored
 * against the truth per kind (shared/jobs/planted-score.ts).
 *   nice -n 10 npx tsx bench/detect/lake/run.ts --seeds 1,2,3 [--impressions 6000000] [--vigil bin/vigil.mjs]
 *     [--label-rate 0.05] [--noise 0.05] [--grains hour,day] [--label NAME-] [--score-only]
 * Per seed it writes bench/out/lake-bench/seed-N/{lake,store,alerts.jsonl,truth.json,score.json}.
 * Last it prints, for each label-flip plant (prevalence), what its samples hold (samplePower).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateLake } from '../../../shared/adapters/duckdb/generate-lake.js';
import type { PlantedKind } from '../../../shared/generator/planted-series.js';
import { buildScenario } from '../../../shared/generator/scenario.js';
import { scoreAgainstTruth, type TruthScore } from '../../../shared/jobs/planted-score.js';
import type { Alert } from '../../../shared/ports/alert-sink.js';
import { binomialUpperTail } from '../../../shared/stats/binomial-tails.js';
import { planLake } from './plan.js';
import { plantLake } from './plant.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    days: { type: 'string', default: '35' },
    impressions: { type: 'string', default: '6000000' },
    vigil: { type: 'string', default: path.resolve(import.meta.dirname, '../../../bin/vigil.mjs') },
    out: { type: 'string', default: path.resolve(import.meta.dirname, '../../out/lake-bench') },
    label: { type: 'string', default: '' },
    /** Prevalence labels per impression (the generator's default: 0.01). */
    'label-rate': { type: 'string' },
    /** Extra-Poisson volume noise of the generator (log-normal sd; default 0). */
    noise: { type: 'string', default: '0' },
    /** Grains to replay, in order (a quick look: hour). */
    grains: { type: 'string', default: 'hour,day' },
    reuse: { type: 'boolean', default: false },
    /** Score the alerts a run left, without replaying (truth recomputed from the plan). */
    'score-only': { type: 'boolean', default: false },
  },
});
const seeds = values.seeds.split(',').map(Number);
const days = Number(values.days);
const impressions = Number(values.impressions);
const START = new Date('2026-01-05T00:00:00Z');
const end = new Date(START.getTime() + days * 86_400_000);
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

async function runSeed(seed: number) {
  const dir = path.join(values.out, `${values.label}seed-${seed}`);
  const lake = path.join(dir, 'lake');
  const plants = planLake(seed, START.getTime(), days);
  const t0 = performance.now();
  if (!((values.reuse || values['score-only']) && existsSync(path.join(dir, 'truth.json')))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const scenario = buildScenario({
      seed,
      start: START,
      days,
      impressions,
      planted: 'none',
      ...(values['label-rate'] ? { labelRate: Number(values['label-rate']) } : {}),
      noise: Number(values.noise),
    });
    await generateLake(scenario, lake);
    const rows = await plantLake(lake, plants, seed, scenario);
    const truth = plants.map(({ edits: _, ...p }, i) => ({ ...p, rows: rows[i] }));
    await writeFile(path.join(dir, 'truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
  }
  const prepared = performance.now();
  const store = path.join(dir, 'store');
  const alertsFile = path.join(dir, 'alerts.jsonl');
  if (!values['score-only']) {
    await rm(store, { recursive: true, force: true });
    await rm(alertsFile, { force: true });
  }
  for (const grain of values['score-only'] ? [] : values.grains.split(','))
    execFileSync(
      'node',
      [
        values.vigil,
        'replay',
        '--lake',
        lake,
        '--store',
        store,
        '--grain',
        grain,
        '--from',
        iso(START),
      ].concat(['--to', iso(end), '--alerts', alertsFile, '--quiet']),
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  const alerts: Alert[] = readFileSync(alertsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const score = {
    hour: scoreAgainstTruth(
      alerts.filter((a) => a.grain === 'hour'),
      plants,
    ),
    day: scoreAgainstTruth(
      alerts.filter((a) => a.grain === 'day'),
      plants,
    ),
    seconds: {
      prepare: Math.round((prepared - t0) / 1000),
      replay: Math.round((performance.now() - prepared) / 1000),
    },
  };
  await writeFile(path.join(dir, 'score.json'), `${JSON.stringify(score, null, 2)}\n`);
  return { ...score, power: samplePower(dir, seed, score.hour) };
}

/**
 * What a label-flip plant left for any detector to find: its violating labels before and after, and
 * how often chance alone reaches the after count — the binomial tail at the slice's own rate, and
 * that times the lake's hours (the 6-hour windows starting at each hour of one slice that would do
 * as well by chance). Where that is about 1 or more, no detector can tell the plant from noise.
 */
function samplePower(dir: string, seed: number, hour: TruthScore): string[] {
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as {
    id: string;
    metrics: { slice: string }[];
    rows?: { before: number; after: number; sample?: { labelled: number; rate: number } };
  }[];
  return truth.flatMap((t) => {
    const s = t.rows?.sample;
    if (!s) return [];
    const tail = binomialUpperTail(t.rows!.after, s.labelled, s.rate);
    const caught = hour.verdicts.find((v) => v.id === t.id)?.caught ? 'caught' : 'missed';
    return [
      `  seed ${seed} ${t.id} [${t.metrics[0]?.slice}]: violating labels ${t.rows!.before} -> ${t.rows!.after} of ${s.labelled} (expected ${(s.labelled * s.rate).toFixed(1)}); P(>= ${t.rows!.after} by chance) ${tail.toPrecision(2)}, x ${days * 24} hours = ${(tail * days * 24).toFixed(2)}; hour: ${caught}`,
    ];
  });
}

type Tally = Map<PlantedKind, { planted: number; hour: number; day: number; either: number }>;
const tally: Tally = new Map();
const totals = {
  hour: { opened: 0, real: 0, dq: 0, dqReal: 0 },
  day: { opened: 0, real: 0, dq: 0, dqReal: 0 },
};
const notices: Record<'hour' | 'day', number[]> = { hour: [], day: [] };
const faults = { planted: 0, alerted: 0 };
const falseAlarms: string[] = [];
const power: string[] = [];
for (const seed of seeds) {
  const s = await runSeed(seed);
  power.push(...s.power);
  for (const g of ['hour', 'day'] as const) {
    const sc: TruthScore = s[g];
    totals[g].opened += sc.metricIncidents;
    totals[g].real += sc.realMetricIncidents;
    totals[g].dq += sc.dataAlerts;
    totals[g].dqReal += sc.realDataAlerts;
    for (const i of sc.incidents)
      if (i.matches.length === 0)
        falseAlarms.push(`seed ${seed} ${g} ${i.kind} ${i.metric} [${i.slice}] ${i.since}`);
  }
  s.hour.verdicts.forEach((v, i) => {
    const k = tally.get(v.kind) ?? { planted: 0, hour: 0, day: 0, either: 0 };
    const day = s.day.verdicts[i]!.caught;
    k.planted++;
    if (v.caught) k.hour++;
    if (day) k.day++;
    // Traffic must hold at both grains; anything else is caught by an alert of either.
    if (v.kind === 'traffic' ? v.caught && day : v.caught || day) k.either++;
    tally.set(v.kind, k);
    if (v.kind === 'traffic') {
      notices.hour.push(v.notices);
      notices.day.push(s.day.verdicts[i]!.notices);
    }
    if (v.kind === 'partial_partition') {
      faults.planted++;
      if (v.caught) faults.alerted++;
    }
  });
  console.error(`seed ${seed}: prepared in ${s.seconds.prepare}s, replayed in ${s.seconds.replay}s`);
}
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(0)}%` : '-');
const all = [...tally.values()].reduce(
  (a, k) => ({
    planted: a.planted + k.planted,
    hour: a.hour + k.hour,
    day: a.day + k.day,
    either: a.either + k.either,
  }),
  { planted: 0, hour: 0, day: 0, either: 0 },
);
console.log(`seeds ${seeds.join(',')} (${days} days, ${impressions} impressions)`);
console.log('| kind | planted | caught (hour) | caught (day) | caught (either) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [kind, k] of [...tally].sort(([a], [b]) => a.localeCompare(b)))
  console.log(`| ${kind} | ${k.planted} | ${k.hour} | ${k.day} | ${k.either} |`);
console.log(
  `| all | ${all.planted} | ${all.hour} (${pct(all.hour, all.planted)}) | ${all.day} (${pct(all.day, all.planted)}) | ${all.either} (${pct(all.either, all.planted)}) |`,
);
for (const g of ['hour', 'day'] as const)
  console.log(
    `${g}: opened incidents real ${totals[g].real}/${totals[g].opened} (${pct(totals[g].real, totals[g].opened)}); data-quality alerts real ${totals[g].dqReal}/${totals[g].dq}; traffic notices per traffic day ${notices[g].join(',')}`,
  );
console.log(`data faults raised as data-quality alerts (hour): ${faults.alerted}/${faults.planted}`);
console.log('false alarms:');
for (const f of falseAlarms) console.log(`  ${f}`);
console.log('label-flip plants (what the samples hold):');
for (const p of power) console.log(p);
