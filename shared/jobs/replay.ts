import { DataError, VigilError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import { formatIso, type Grain, windowsInRange } from '../time/window.js';
import { runBackfill } from './backfill.js';
import { coveredWindows, NoLakeDataError } from './lake-coverage.js';
import { firingsIn, type Tick, tickAt } from './schedule.js';
import { runTick, type TickOptions, type TickResult } from './tick.js';

/** What a replay has done so far, kept in the results store so a killed replay resumes. */
export interface ReplayProgress {
  readonly grain: Grain;
  /** The last tick (firing instant, ISO) that ran to the end. */
  readonly completedThrough: string;
}

export interface ReplayOptions extends TickOptions {
  readonly grain: Grain;
  readonly from: Date;
  readonly to: Date;
  /** After each tick (run or skipped as done): for progress bars. */
  readonly onTick?: (done: number, total: number, at: Date) => void;
  /** Checked between ticks: an aborted replay stops after the tick in flight, resumable. */
  readonly signal?: AbortSignal;
  /**
   * With an `inventory`: compute every window the remaining ticks recompute first, in batches,
   * recording their partitions' fingerprints (default true); the ticks' incremental recompute then
   * rescans only partitions that changed since. test/jobs/replay.test.ts checks the alerts equal
   * those of the ticks run one by one.
   */
  readonly prefetch?: boolean;
  readonly onPrefetch?: (done: number, total: number) => void;
  /**
   * Run the remaining ticks as one: one tick whose windows are all of theirs (recomputed, then
   * judged in one detection pass, the daily readouts and report once, as of the last). On a lake
   * whose partitions are settled — every tick then judges through its own newest window — it sends
   * the alerts of the ticks one by one (test/jobs/detector-state.test.ts); `vigil demo` uses it.
   */
  readonly onePass?: boolean;
}

export interface ReplaySummary {
  readonly grain: Grain;
  readonly from: string;
  readonly to: string;
  readonly ticks: number;
  /** Ticks run by this call. */
  readonly ran: number;
  /** Ticks a previous (killed or finished) replay had completed: skipped. */
  readonly resumed: number;
  /** Leading ticks before the lake's first data (nothing to judge yet). */
  readonly beforeData: number;
  readonly judged: number;
  /** Alerts newly recorded by this call, in order. */
  readonly alerts: TickResult['job']['alerts'];
  readonly delivered: number;
  readonly undelivered: number;
  readonly windowsWritten: number;
  readonly failedWindows: readonly { readonly window: string; readonly error: string }[];
  readonly openIncidents: number;
  /** Daily ticks: the last report written into the store. */
  readonly report?: string;
}

/** A tick could not run to the end (another run holds its windows, or windows failed): the replay stops there. */
export class ReplayBlockedError extends VigilError {}

const ENC = new TextEncoder();
const DEC = new TextDecoder();

function progressKey(grain: Grain): string {
  // Next to the incident state it drives (the scheduled jobs never read it).
  return `${STORAGE_LAYOUT.alertState.prefix}/replay-${grain}.json`;
}

export async function loadProgress(store: ObjectStore, grain: Grain): Promise<ReplayProgress | undefined> {
  const obj = await store.get(progressKey(grain));
  if (!obj) return undefined;
  try {
    return JSON.parse(DEC.decode(obj.body)) as ReplayProgress;
  } catch (err) {
    throw new DataError(`replay progress ${store.urlOf(progressKey(grain))} is not valid JSON`, {
      cause: err,
    });
  }
}

/**
 * Every firing of the grain's schedule in [from, to), in order, each exactly the tick
 * `vigil run hourly|daily --at` runs (shared/jobs/tick.ts). After each tick the progress is stored;
 * a replay started again skips the ticks already completed, and reruns the one that was cut off
 * (every step of a tick is idempotent: windows are replaced whole, judged windows are skipped,
 * alerts are recorded once in the outbox), so a kill at any point loses and duplicates nothing.
 */
export async function runReplay(o: ReplayOptions): Promise<ReplaySummary> {
  const firings = firingsIn(o.grain, o.from, o.to);
  const progress = await loadProgress(o.objectStore, o.grain);
  const doneThrough = progress ? Date.parse(progress.completedThrough) : Number.NEGATIVE_INFINITY;
  let ran = 0;
  let resumed = 0;
  let beforeData = 0;
  let judged = 0;
  let delivered = 0;
  let undelivered = 0;
  let windowsWritten = 0;
  let openIncidents = 0;
  let report: string | undefined;
  let seenData = false;
  const alerts: TickResult['job']['alerts'] = [];
  const failedWindows: { window: string; error: string }[] = [];
  const todo = firings.filter((at) => at.getTime() > doneThrough);
  if (o.inventory && (o.prefetch ?? true) && todo.length > 1) {
    // One pass over the windows the ticks will recompute (one scan per source per day of hours),
    // fingerprinted: each tick then finds its windows unchanged and rescans nothing, exactly as a
    // `vigil run` of that tick would on this lake (shared/jobs/recompute.ts, incremental).
    const first = tickAt(o.grain, todo[0]!).recompute[0]!.start;
    const last = tickAt(o.grain, todo[todo.length - 1]!).target.end;
    await runBackfill({
      engine: o.engine,
      store: o.store,
      config: o.config,
      grain: o.grain,
      windows: await coveredWindows(o.engine, o.config, o.grain, windowsInRange(o.grain, first, last)),
      clock: o.clock,
      lease: { ...o.lease, ...(o.leaseOwner ? { owner: o.leaseOwner } : {}), store: o.objectStore },
      inventory: o.inventory,
      incremental: true,
      ...(o.grain === 'day' ? { rollup: true } : {}),
      ...(o.onPrefetch ? { onProgress: o.onPrefetch } : {}),
    });
  }
  // One pass: the last firing, its windows widened to those of every remaining tick.
  const merged: Tick | undefined =
    o.onePass && todo.length > 0
      ? (() => {
          const first = tickAt(o.grain, todo[0]!);
          const last = tickAt(o.grain, todo[todo.length - 1]!);
          return {
            ...last,
            recompute: windowsInRange(o.grain, first.recompute[0]!.start, last.target.end),
            historyFrom: first.historyFrom,
          };
        })()
      : undefined;
  for (const [i, at] of firings.entries()) {
    if (o.signal?.aborted) break;
    if (merged && at.getTime() > doneThrough && at.getTime() < merged.at.getTime()) {
      o.onTick?.(i + 1, firings.length, at);
      continue;
    }
    if (at.getTime() <= doneThrough) {
      resumed++;
      seenData = true;
      o.onTick?.(i + 1, firings.length, at);
      continue;
    }
    let r: TickResult;
    try {
      r = await runTick(
        o,
        o.grain,
        at,
        merged && at.getTime() === merged.at.getTime() ? merged : tickAt(o.grain, at),
      );
    } catch (err) {
      // Ticks before the lake's first partition have nothing to judge; past it, no data is an error.
      if (err instanceof NoLakeDataError && !seenData) {
        beforeData++;
        o.onTick?.(i + 1, firings.length, at);
        continue;
      }
      throw err;
    }
    seenData = true;
    ran += merged && at.getTime() === merged.at.getTime() ? todo.length : 1;
    judged += r.job.judged;
    alerts.push(...r.job.alerts);
    delivered += r.job.delivery.sent.length;
    undelivered += r.job.delivery.failed.length;
    windowsWritten += r.job.recompute.written;
    openIncidents = r.job.open.length;
    if (r.report) report = r.report.url;
    failedWindows.push(...r.job.recompute.failed);
    const blocked = r.job.recompute.skipped[0];
    if (blocked)
      throw new ReplayBlockedError(
        `tick at ${formatIso(at)}: window ${blocked.window} is held by ${blocked.heldBy}${blocked.expiresAt ? ` until ${blocked.expiresAt}` : ''}; rerun the replay after that (it resumes here)`,
      );
    if (r.job.recompute.failed.length > 0)
      throw new ReplayBlockedError(
        `tick at ${formatIso(at)}: ${r.job.recompute.failed.length} window(s) failed; first ${r.job.recompute.failed[0]!.window}: ${r.job.recompute.failed[0]!.error}`,
      );
    const next: ReplayProgress = { grain: o.grain, completedThrough: at.toISOString() };
    await o.objectStore.put(progressKey(o.grain), ENC.encode(`${JSON.stringify(next)}\n`), {
      contentType: 'application/json',
    });
    o.onTick?.(i + 1, firings.length, at);
  }
  if (firings.length > 0 && ran + resumed === 0 && beforeData === firings.length)
    throw new NoLakeDataError(
      `the lake has no partitions for any ${o.grain} tick in [${formatIso(o.from)}, ${formatIso(o.to)})`,
    );
  return {
    grain: o.grain,
    from: formatIso(o.from),
    to: formatIso(o.to),
    ticks: firings.length,
    ran,
    resumed,
    beforeData,
    judged,
    alerts,
    delivered,
    undelivered,
    windowsWritten,
    failedWindows,
    openIncidents,
    ...(report ? { report } : {}),
  };
}
