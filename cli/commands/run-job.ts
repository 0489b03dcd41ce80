import { metricsOf } from '../../shared/alerting/message.js';
import { InputError, VigilError } from '../../shared/errors.js';
import { runTick } from '../../shared/jobs/tick.js';
import { parseUtc } from '../../shared/time/window.js';
import { openLakeEngine } from '../engine.js';
import { jobOptions, openStore, releaseLeasesOnSignal } from '../job-context.js';
import { loadConfig, printSummary, requireLake } from '../options.js';
import { tickSummary } from './replay.js';

interface Opts {
  lake: string;
  store: string;
  at: string;
  config?: string;
  alerts?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * `vigil run hourly|daily --at ISO`: the scheduled job exactly as the Lambda runs it when its
 * schedule fires at --at (shared/jobs/tick.ts), on the local lake and store.
 */
export async function runJob(job: 'hourly' | 'daily', o: Opts): Promise<void> {
  if (!o.at) throw new InputError('--at ISO is required');
  const at = parseUtc(o.at, '--at');
  const grain = job === 'hourly' ? 'hour' : 'day';
  const cfg = await loadConfig(o.config);
  await requireLake(o.lake);
  const objects = await openStore(o.store, `run ${job}`);
  const engine = await openLakeEngine(o.lake, cfg.sources);
  const stop = releaseLeasesOnSignal(objects);
  try {
    const started = performance.now();
    const r = await runTick(await jobOptions(engine, objects, cfg, o), grain, at);
    const s = tickSummary(r, (performance.now() - started) / 1000);
    const blocked = r.job.recompute.skipped;
    printSummary(o.json, s, [
      `${job} tick at ${s.at}: closed ${s.window}; recomputed ${s.recomputed}/${s.recompute} windows, judged ${s.judged}, ${s.alerts} new alert(s), ${s.delivered} delivered, ${s.open_incidents} incident(s) open (${s.seconds.toFixed(1)}s)`,
      ...r.job.alerts.map(
        (a) =>
          `  ${a.status.padEnd(8)} ${a.severity.padEnd(8)} ${metricsOf(a).join(' + ')}${a.slice ? ` [${a.slice}]` : ''} at ${a.windowStart}`,
      ),
      ...blocked.map((b) => `  held     ${b.window}: being computed by ${b.heldBy} until ${b.expiresAt}`),
      ...r.job.recompute.failed.map((f) => `  FAILED   ${f.window}: ${f.error}`),
      ...(r.report ? [`  report   ${r.report.url}`] : []),
    ]);
    if (r.job.recompute.failed.length > 0)
      throw new VigilError(`${r.job.recompute.failed.length} window(s) failed`);
    if (blocked.length > 0 && r.job.recompute.written === 0 && r.job.judged === 0)
      throw new VigilError(
        `nothing written: window ${blocked[0]!.window} is held by ${blocked[0]!.heldBy} until ${blocked[0]!.expiresAt} (rerun after that, or with --force if that run is dead)`,
      );
    if (r.job.delivery.failed.length > 0)
      throw new VigilError(
        `${r.job.delivery.failed.length} alert(s) not delivered (kept pending in the store); first: ${r.job.delivery.failed[0]!.error}`,
      );
  } finally {
    stop();
    await objects.releaseAll();
    await engine.close();
  }
}

export const runHourly = (o: Opts) => runJob('hourly', o);
export const runDaily = (o: Opts) => runJob('daily', o);
