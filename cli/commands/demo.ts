import { existsSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsLakeInventory } from '../../shared/adapters/fs/fs-lake-inventory.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { analyzeGaps } from '../../shared/analysis/gaps.js';
import { analyzeModels } from '../../shared/analysis/models.js';
import { analyzeReports } from '../../shared/analysis/reports.js';
import { coreCatalog } from '../../shared/config/load.js';
import { InputError } from '../../shared/errors.js';
import { demoConfigYaml } from '../../shared/experiments/demo-config.js';
import type { AllReadouts } from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { funnelTable, gapTable, modelTable } from '../../shared/jobs/analysis-tables.js';
import { scoreAgainstManifest } from '../../shared/jobs/planted-score.js';
import { loadReadouts } from '../../shared/jobs/readouts-store.js';
import { runReplay } from '../../shared/jobs/replay.js';
import type { TickOptions } from '../../shared/jobs/tick.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { incidentAnchor } from '../../shared/report/model.js';
import { addGrain, parseUtc } from '../../shared/time/window.js';
import { openLakeEngine } from '../engine.js';
import { openStore } from '../job-context.js';
import { printSummary } from '../options.js';
import { claimDir, onlyWrittenBy } from '../ownership.js';
import { progressBar } from '../progress.js';
import { isGeneratedLake } from './generate.js';

interface Opts {
  dir: string;
  seed: string;
  scale: string;
  json?: boolean;
  quiet?: boolean;
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** The end-to-end local run: generate a lake with planted truth, run the jobs, summarise. */
export async function run(o: Opts): Promise<void> {
  if (!/^\d+$/.test(o.seed)) throw new InputError(`--seed must be a non-negative integer, got '${o.seed}'`);
  if (o.scale !== 'tiny' && o.scale !== 'small')
    throw new InputError(`--scale must be tiny or small, got '${o.scale}'`);
  const scale = SCALES[o.scale];
  const started = performance.now();
  const dir = path.resolve(o.dir);
  const lake = path.join(dir, 'lake');
  const alertsFile = path.join(dir, 'alerts.jsonl');
  const storeDir = path.join(dir, 'store');
  // Everything goes under DIR, a folder the demo made (or a new/empty one): never a user's folder.
  await claimDir(dir, 'demo', 'demo', '--dir', (entries) => entries.includes('lake') && isLegacyDemo(dir));
  // A demo run starts from a clean store and alert log so its summary describes this lake only —
  // but only a store nothing else wrote into (`vigil backfill` into DIR/store makes it the user's).
  if (existsSync(storeDir) && !(await onlyWrittenBy(storeDir, 'store', 'demo')))
    throw new InputError(
      `--dir ${dir}: ${storeDir} holds a store other commands wrote into (not only the demo); refusing to wipe it — move it or use another --dir`,
    );
  await claimDir(lake, 'lake', 'demo', '--dir', isGeneratedLake);
  const bar = progressBar(o);
  const scenario = buildScenario({
    seed: Number(o.seed),
    start: parseUtc('2026-01-01', 'start'),
    ...scale,
  });
  const manifest = await generateLake(scenario, lake, (step, done, total) => bar.update(done, total, step));
  bar.done();
  const tGenerate = performance.now();

  const config = coreCatalog();
  await rm(storeDir, { recursive: true, force: true });
  await rm(alertsFile, { force: true });
  const objectStore = await openStore(storeDir, 'demo');
  const store = new MetricStore(objectStore);
  const engine = await openLakeEngine(lake, config.sources);
  const from = parseUtc(manifest.start, 'start');
  const to = parseUtc(manifest.end, 'end');
  const reportDir = path.join(dir, 'report');
  const reportIndex = path.join(reportDir, 'index.html');
  const experimentsYaml = demoConfigYaml(manifest);
  await writeFile(path.join(dir, 'experiments.yaml'), experimentsYaml);
  let hourly: Awaited<ReturnType<typeof runReplay>>;
  let daily: Awaited<ReturnType<typeof runReplay>>;
  let readouts: AllReadouts;
  let analyses: {
    gaps: Awaited<ReturnType<typeof analyzeGaps>>;
    funnel: Awaited<ReturnType<typeof analyzeReports>>;
    models: Awaited<ReturnType<typeof analyzeModels>>;
  };
  try {
    // The analyses of the lake, shown in the daily report.
    analyses = {
      gaps: await analyzeGaps({ engine, from, to }),
      funnel: await analyzeReports({ engine, from, to }),
      models: await analyzeModels({ engine, from, to }),
    };
    await writeFile(path.join(dir, 'analyses.json'), `${JSON.stringify(analyses, null, 2)}\n`);
    const tables = [gapTable(analyses.gaps), funnelTable(analyses.funnel), modelTable(analyses.models)];
    // The scheduled jobs over the lake, as `vigil replay` runs them: every hourly tick, then every
    // daily one (readouts of the experiment and the policy launch, the report). One pass each: the
    // ticks' windows recomputed and judged at once, which sends the alerts of the ticks one by one.
    const tickOptions: TickOptions = {
      engine,
      objectStore,
      store,
      sink: new FileAlertSink(alertsFile),
      config,
      experiments: parseExperimentConfig(experimentsYaml),
      clock: systemClock,
      inventory: new FsLakeInventory(lake),
      reportUrl: (key) => `file://${reportIndex}#${incidentAnchor(key)}`,
      // Slices with fewer than k distinct users are merged into "other" before any alert names them.
      privacy: { minSliceUsers: 5 },
      analyses: async () => tables,
      reportOut: { store: new FsObjectStore(reportDir), prefix: '' },
    };
    // The firings that judge the lake's last hour and day come just after its end.
    hourly = await runReplay({
      ...tickOptions,
      grain: 'hour',
      from,
      to: addGrain(to, 'hour'),
      onePass: true,
      onPrefetch: (done, total) => bar.update(done, total, 'hourly metric windows'),
    });
    daily = await runReplay({
      ...tickOptions,
      grain: 'day',
      from,
      to: addGrain(to, 'day'),
      onePass: true,
      onPrefetch: (done, total) => bar.update(done, total, 'daily metric windows'),
    });
    bar.done();
    const stored = await loadReadouts(objectStore);
    readouts = stored ?? { experiments: [], policies: [], skipped: [] };
    await writeFile(path.join(dir, 'readouts.json'), `${JSON.stringify(readouts, null, 2)}\n`);
  } finally {
    await engine.close();
  }
  if (!daily.report) throw new Error('the daily replay wrote no report');
  const reportBytes = (await stat(reportIndex)).size;
  const detection = {
    ...scoreAgainstManifest(
      hourly.alerts.filter((a) => a.grain === 'hour'),
      manifest,
    ),
    delivered: hourly.delivered + daily.delivered,
  };
  const seconds = (performance.now() - started) / 1000;
  const effects = effectsVsTruth(manifest, readouts);
  const summary = {
    dir,
    lake,
    alerts: alertsFile,
    report: reportIndex,
    report_bytes: reportBytes,
    readouts: path.join(dir, 'readouts.json'),
    seconds: Number(seconds.toFixed(2)),
    generate_seconds: Number(((tGenerate - started) / 1000).toFixed(2)),
    rows: manifest.rows,
    metrics: config.metrics.length,
    hourly_windows: hourly.judged,
    daily_windows: daily.judged,
    daily_alerts: daily.alerts.length,
    detection: {
      metric_incidents: detection.metricIncidents,
      matched: detection.incidentsFound,
      precision: detection.precision,
      recall: detection.recall,
      planted_incidents_caught: detection.incidentRecall,
      data_alerts: detection.dataAlerts,
      missing_partitions_found: detection.missingPartitionsFound,
      alerts_delivered: detection.delivered,
    },
    effects,
    analyses: {
      top_gap: analyses.gaps.top['region×surface×policy'],
      planted_gap: `policy=${manifest.enforcement_gap.policy};region=${manifest.enforcement_gap.region};surface=${manifest.enforcement_gap.surface}`,
      weakest_reason: analyses.funnel.weakest_reason,
      planted_weak_reason: manifest.weak_reason.reason,
      model_drift_from:
        analyses.models.models.find((m) => m.model === 'model_score')?.first_drift_day ?? null,
      planted_drift_from: manifest.model_drift.start,
    },
    planted: { incidents: manifest.incidents.map((i) => i.id) },
  };
  const events = Object.values(manifest.rows).reduce((a, b) => a + b, 0);
  const fmtEffect = (e: (typeof effects)[number]) =>
    `  ${e.kind.padEnd(12)} ${e.id}: ${e.metric} ${signedPct(e.estimate)} [${signedPct(e.ci_low)}, ${signedPct(e.ci_high)}] vs planted ${signedPct(e.truth)} — ${e.covers ? 'covered' : 'NOT covered'}${e.decision ? `; decision ${e.decision}` : ''}`;
  printSummary(o.json, summary, [
    `Vigil demo — ${manifest.start} .. ${manifest.end}, seed ${manifest.seed}`,
    `  lake         ${lake} (${events.toLocaleString('en-US')} events, generated in ${summary.generate_seconds}s)`,
    `  metrics      ${config.metrics.length} metrics × ${hourly.judged} hourly + ${daily.judged} daily windows, judged as ${hourly.ticks} hourly and ${daily.ticks} daily ticks (vigil replay)`,
    `  incidents    ${detection.metricIncidents} raised, ${detection.incidentsFound} match planted ones — precision ${pct(detection.precision)}, recall ${pct(detection.recall)} (${pct(detection.incidentRecall)} of ${manifest.incidents.length} planted incidents caught)`,
    `  data quality ${detection.missingPartitionsFound}/${detection.missingPartitions} missing partitions alerted as data issues (${detection.dataAlerts} data alerts)`,
    ...effects.map(fmtEffect),
    `  analyses     top gap ${summary.analyses.top_gap} (planted ${summary.analyses.planted_gap}); weakest reason ${summary.analyses.weakest_reason} (planted ${summary.analyses.planted_weak_reason}); model_score drift from ${summary.analyses.model_drift_from ?? 'never'} (planted ${manifest.model_drift.start.slice(0, 10)})`,
    `  alerts       ${alertsFile} (${detection.delivered} messages)`,
    `  report       ${reportIndex} (${Math.round(reportBytes / 1024)} KiB) — open it in a browser`,
    `  total        ${seconds.toFixed(1)}s`,
  ]);
}

const signedPct = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`);

/** The planted A/B and policy effects next to what the readouts estimated. */
function effectsVsTruth(manifest: LakeManifest, readouts: AllReadouts) {
  const out: {
    kind: 'experiment' | 'policy';
    id: string;
    metric: string;
    estimate: number | null;
    ci_low: number | null;
    ci_high: number | null;
    truth: number;
    covers: boolean;
    decision?: string;
  }[] = [];
  for (const planted of manifest.experiments) {
    const r = readouts.experiments.find((x) => x.experiment === planted.id);
    const m = r?.metrics.find((x) => x.role === 'primary');
    const [lo, hi] = [m?.rel_ci_low ?? null, m?.rel_ci_high ?? null];
    out.push({
      kind: 'experiment',
      id: planted.id,
      metric: m?.metric ?? planted.metric,
      estimate: m?.rel_lift ?? null,
      ci_low: lo,
      ci_high: hi,
      truth: planted.trueRelativeLift,
      covers: lo !== null && hi !== null && lo <= planted.trueRelativeLift && planted.trueRelativeLift <= hi,
      ...(r ? { decision: r.decision } : {}),
    });
  }
  for (const planted of manifest.policies) {
    const r = readouts.policies.find((x) => x.policy === planted.id);
    const e = r?.effect;
    out.push({
      kind: 'policy',
      id: planted.id,
      metric: r?.metric ?? planted.metric,
      estimate: e?.relative_effect ?? null,
      ci_low: e?.relative_ci_low ?? null,
      ci_high: e?.relative_ci_high ?? null,
      truth: planted.trueRelativeEffect,
      covers:
        !!e &&
        e.relative_ci_low !== null &&
        e.relative_ci_high !== null &&
        e.relative_ci_low <= planted.trueRelativeEffect &&
        planted.trueRelativeEffect <= e.relative_ci_high,
    });
  }
  return out;
}

/** A demo folder written before ownership markers: its lake carries the generator's ground truth. */
function isLegacyDemo(dir: string): boolean {
  return existsSync(path.join(dir, 'lake', '_manifest.json'));
}
