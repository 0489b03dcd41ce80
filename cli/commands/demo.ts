import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { analyzeGaps } from '../../shared/analysis/gaps.js';
import { analyzeModels } from '../../shared/analysis/models.js';
import { analyzeReports } from '../../shared/analysis/reports.js';
import { coreCatalog } from '../../shared/config/load.js';
import { unitLookup } from '../../shared/config/units.js';
import { InputError } from '../../shared/errors.js';
import { demoConfigYaml } from '../../shared/experiments/demo-config.js';
import { type AllReadouts, analyzeAll } from '../../shared/experiments/index.js';
import { parseExperimentConfig } from '../../shared/experiments/parse-config.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { funnelTable, gapTable, modelTable } from '../../shared/jobs/analysis-tables.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { runDemoDetection } from '../../shared/jobs/detection-demo.js';
import { runReportJob } from '../../shared/jobs/report-job.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { fromExperimentReadout, fromPolicyReadout } from '../../shared/report/adapters.js';
import { incidentAnchor } from '../../shared/report/model.js';
import { parseUtc, windowsInRange } from '../../shared/time/window.js';
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
  const reportIndex = path.join(dir, 'report', 'index.html');
  let detection: Awaited<ReturnType<typeof runDemoDetection>>;
  let daily: Awaited<ReturnType<typeof runBackfill>>;
  let report: Awaited<ReturnType<typeof runReportJob>>;
  let readouts: Awaited<ReturnType<typeof analyzeAll>>;
  let analyses: {
    gaps: Awaited<ReturnType<typeof analyzeGaps>>;
    funnel: Awaited<ReturnType<typeof analyzeReports>>;
    models: Awaited<ReturnType<typeof analyzeModels>>;
  };
  try {
    // Hourly job replayed over the lake: metrics → detection → alerts.
    detection = await runDemoDetection({
      engine,
      store,
      objectStore,
      sink: new FileAlertSink(alertsFile),
      lakeManifest: manifest,
      config,
      clock: systemClock,
      reportUrl: (key) => `file://${reportIndex}#${incidentAnchor(key)}`,
      // Slices with fewer than k distinct users are merged into "other" before any alert names them.
      privacy: { minSliceUsers: 5 },
    });
    daily = await runBackfill({
      engine,
      store,
      config,
      grain: 'day',
      windows: windowsInRange('day', from, to),
      clock: systemClock,
    });
    // Daily job: read out the experiment and the policy launch of the lake, then the analyses.
    const experimentsYaml = demoConfigYaml(manifest);
    await writeFile(path.join(dir, 'experiments.yaml'), experimentsYaml);
    readouts = await analyzeAll({ engine, config: parseExperimentConfig(experimentsYaml), asOf: to });
    await writeFile(path.join(dir, 'readouts.json'), `${JSON.stringify(readouts, null, 2)}\n`);
    analyses = {
      gaps: await analyzeGaps({ engine, from, to }),
      funnel: await analyzeReports({ engine, from, to }),
      models: await analyzeModels({ engine, from, to }),
    };
    await writeFile(path.join(dir, 'analyses.json'), `${JSON.stringify(analyses, null, 2)}\n`);
    report = await runReportJob({
      objectStore: new FsObjectStore(dir),
      store,
      config,
      from,
      to,
      alerts: detection.alerts,
      experiments: readouts.experiments.map(fromExperimentReadout),
      policies: readouts.policies.map((r) => fromPolicyReadout(r, unitLookup(config))),
      analyses: [gapTable(analyses.gaps), funnelTable(analyses.funnel), modelTable(analyses.models)],
      now: new Date(),
      // The lake counts the people behind each slice series (k-anonymity of the report).
      engine,
    });
  } finally {
    await engine.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const effects = effectsVsTruth(manifest, readouts);
  const summary = {
    dir,
    lake,
    alerts: alertsFile,
    report: report.url,
    report_bytes: report.bytes,
    readouts: path.join(dir, 'readouts.json'),
    seconds: Number(seconds.toFixed(2)),
    generate_seconds: Number(((tGenerate - started) / 1000).toFixed(2)),
    rows: manifest.rows,
    metrics: config.metrics.length,
    hourly_windows: detection.windows,
    daily_windows: daily.written,
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
    `  metrics      ${config.metrics.length} metrics × ${detection.windows} hourly + ${daily.written} daily windows`,
    `  incidents    ${detection.metricIncidents} raised, ${detection.incidentsFound} match planted ones — precision ${pct(detection.precision)}, recall ${pct(detection.recall)} (${pct(detection.incidentRecall)} of ${manifest.incidents.length} planted incidents caught)`,
    `  data quality ${detection.missingPartitionsFound}/${detection.missingPartitions} missing partitions alerted as data issues (${detection.dataAlerts} data alerts)`,
    ...effects.map(fmtEffect),
    `  analyses     top gap ${summary.analyses.top_gap} (planted ${summary.analyses.planted_gap}); weakest reason ${summary.analyses.weakest_reason} (planted ${summary.analyses.planted_weak_reason}); model_score drift from ${summary.analyses.model_drift_from ?? 'never'} (planted ${manifest.model_drift.start.slice(0, 10)})`,
    `  alerts       ${alertsFile} (${detection.delivered} messages)`,
    `  report       ${report.url} (${Math.round(report.bytes / 1024)} KiB) — open it in a browser`,
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
