import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { FileAlertSink } from '../../shared/adapters/sinks/file-sink.js';
import { coreCatalog } from '../../shared/config/load.js';
import { InputError } from '../../shared/errors.js';
import { buildScenario, SCALES } from '../../shared/generator/scenario.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { runDemoDetection } from '../../shared/jobs/detection-demo.js';
import { runReportJob } from '../../shared/jobs/report-job.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import { systemClock } from '../../shared/ports/clock.js';
import { incidentAnchor } from '../../shared/report/model.js';
import { parseUtc, windowsInRange } from '../../shared/time/window.js';
import { printSummary } from '../options.js';
import { progressBar } from '../progress.js';

interface Opts {
  dir: string;
  seed: string;
  json?: boolean;
  quiet?: boolean;
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** The end-to-end local run: generate a lake with planted truth, run the jobs, summarise. */
export async function run(o: Opts): Promise<void> {
  if (!/^\d+$/.test(o.seed)) throw new InputError(`--seed must be a non-negative integer, got '${o.seed}'`);
  const started = performance.now();
  const dir = path.resolve(o.dir);
  const lake = path.join(dir, 'lake');
  const alertsFile = path.join(dir, 'alerts.jsonl');
  await mkdir(dir, { recursive: true });
  const bar = progressBar(o);
  const scenario = buildScenario({
    seed: Number(o.seed),
    start: parseUtc('2026-01-01', 'start'),
    ...SCALES.small,
  });
  const manifest = await generateLake(scenario, lake, (step, done, total) => bar.update(done, total, step));
  bar.done();
  const tGenerate = performance.now();

  const config = coreCatalog();
  const objectStore = new FsObjectStore(path.join(dir, 'store'));
  // A demo run starts from a clean store and alert log so its summary describes this lake only.
  await rm(objectStore.root, { recursive: true, force: true });
  await rm(alertsFile, { force: true });
  const store = new MetricStore(objectStore);
  const engine = await DuckDbQueryEngine.open({ lake, sources: config.sources });
  const from = parseUtc(manifest.start, 'start');
  const to = parseUtc(manifest.end, 'end');
  const reportIndex = path.join(dir, 'report', 'index.html');
  let detection: Awaited<ReturnType<typeof runDemoDetection>>;
  let daily: Awaited<ReturnType<typeof runBackfill>>;
  let report: Awaited<ReturnType<typeof runReportJob>>;
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
    });
    daily = await runBackfill({
      engine,
      store,
      config,
      grain: 'day',
      windows: windowsInRange('day', from, to),
      clock: systemClock,
    });
    report = await runReportJob({
      objectStore: new FsObjectStore(dir),
      store,
      config,
      from,
      to,
      alerts: detection.alerts,
      now: new Date(),
    });
  } finally {
    await engine.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    dir,
    lake,
    alerts: alertsFile,
    report: report.url,
    report_bytes: report.bytes,
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
    planted: {
      incidents: manifest.incidents.map((i) => i.id),
      experiments: manifest.experiments,
      policies: manifest.policies,
    },
  };
  const events = Object.values(manifest.rows).reduce((a, b) => a + b, 0);
  printSummary(o.json, summary, [
    `Vigil demo — ${manifest.start} .. ${manifest.end}, seed ${manifest.seed}`,
    `  lake         ${lake} (${events.toLocaleString('en-US')} events, generated in ${summary.generate_seconds}s)`,
    `  metrics      ${config.metrics.length} metrics × ${detection.windows} hourly + ${daily.written} daily windows`,
    `  incidents    ${detection.metricIncidents} raised, ${detection.incidentsFound} match planted ones — precision ${pct(detection.precision)}, recall ${pct(detection.recall)} (${pct(detection.incidentRecall)} of ${manifest.incidents.length} planted incidents caught)`,
    `  data quality ${detection.missingPartitionsFound}/${detection.missingPartitions} missing partitions alerted as data issues (${detection.dataAlerts} data alerts)`,
    `  alerts       ${alertsFile} (${detection.delivered} messages)`,
    `  report       ${report.url} (${Math.round(report.bytes / 1024)} KiB)`,
    `  total        ${seconds.toFixed(1)}s`,
  ]);
}
