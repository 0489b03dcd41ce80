import path from 'node:path';
import { InputError, VigilError } from '../../shared/errors.js';
import { runReplay } from '../../shared/jobs/replay.js';
import type { TickResult } from '../../shared/jobs/tick.js';
import { formatIso, isAligned, parseGrain, parseUtc } from '../../shared/time/window.js';
import { openLakeEngine } from '../engine.js';
import { jobOptions, openStore, releaseLeasesOnSignal } from '../job-context.js';
import { loadConfig, printSummary, requireLake } from '../options.js';
import { progressBar } from '../progress.js';
import { writeReportDir } from './report.js';

interface Opts {
  lake: string;
  store: string;
  grain: string;
  from: string;
  to: string;
  config?: string;
  alerts?: string;
  report?: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** One tick's summary line / JSON (shared by `run hourly|daily` and the replay). */
export function tickSummary(r: TickResult, seconds: number) {
  return {
    grain: r.tick.grain,
    at: formatIso(r.tick.at),
    window: formatIso(r.tick.target.start),
    recompute: r.tick.recompute.length,
    recomputed: r.job.recompute.written,
    held: r.job.recompute.skipped,
    failed: r.job.recompute.failed,
    judged: r.job.judged,
    alerts: r.job.alerts.length,
    delivered: r.job.delivery.sent.length,
    undelivered: r.job.delivery.failed.length,
    data_issues: r.job.dataIssues.length,
    open_incidents: r.job.open.length,
    ...(r.readouts
      ? {
          readouts: {
            experiments: r.readouts.experiments.length,
            policies: r.readouts.policies.length,
            skipped: r.readouts.skipped,
          },
        }
      : {}),
    ...(r.report ? { report: r.report.url } : {}),
    seconds,
  };
}

/**
 * `vigil replay`: every firing of the schedule in [from, to), in order, each exactly a
 * `vigil run hourly|daily --at` (shared/jobs/replay.ts); resumable after a kill.
 */
export async function run(o: Opts): Promise<void> {
  const grain = parseGrain(o.grain, '--grain');
  const from = parseUtc(o.from, '--from');
  const to = parseUtc(o.to, '--to');
  if (!isAligned(from, grain))
    throw new InputError(`--from ${formatIso(from)} is not aligned to the ${grain}`);
  if (!isAligned(to, grain)) throw new InputError(`--to ${formatIso(to)} is not aligned to the ${grain}`);
  if (from >= to) throw new InputError(`--from ${formatIso(from)} must be before --to ${formatIso(to)}`);
  const cfg = await loadConfig(o.config);
  await requireLake(o.lake);
  const objects = await openStore(o.store, 'replay');
  const engine = await openLakeEngine(o.lake, cfg.sources);
  const bar = progressBar(o);
  const stop = releaseLeasesOnSignal(objects, () => bar.done());
  const started = performance.now();
  try {
    const summary = await runReplay({
      ...(await jobOptions(engine, objects, cfg, o)),
      grain,
      from,
      to,
      onTick: (done, total, at) => bar.update(done, total, `${grain} ticks (${formatIso(at)})`),
    });
    bar.done();
    let report: string | undefined;
    if (o.report) {
      report = (await writeReportDir(objects, cfg, path.resolve(o.report), 'replay', undefined, engine)).url;
    }
    const seconds = (performance.now() - started) / 1000;
    const { alerts, ...rest } = summary;
    const out = {
      ...rest,
      alerts: alerts.length,
      ...(o.alerts ? { alerts_file: path.resolve(o.alerts) } : {}),
      ...(report ? { report } : {}),
      seconds: Number(seconds.toFixed(2)),
    };
    printSummary(o.json, out, [
      `Replayed ${summary.ticks} ${grain} ticks in [${summary.from}, ${summary.to}) in ${seconds.toFixed(1)}s: ${summary.ran} run, ${summary.resumed} already done${summary.beforeData ? `, ${summary.beforeData} before the lake's first data` : ''}`,
      `  judged ${summary.judged} windows, ${alerts.length} new alert(s), ${summary.delivered} delivered${summary.undelivered ? `, ${summary.undelivered} NOT delivered (pending in the store)` : ''}, ${summary.openIncidents} incident(s) open`,
      ...(o.alerts ? [`  alerts  ${path.resolve(o.alerts)}`] : []),
      ...(summary.report ? [`  store report ${summary.report}`] : []),
      ...(report ? [`  report  ${report}`] : []),
    ]);
    if (summary.undelivered > 0)
      throw new VigilError(`${summary.undelivered} alert(s) not delivered (kept pending in the store)`);
  } finally {
    bar.done();
    stop();
    await objects.releaseAll();
    await engine.close();
  }
}
