import { createHash } from 'node:crypto';
import type { MetricConfig } from '../config/schema.js';
import type { PartitionFingerprint } from '../metrics/metric-store.js';
import { isDataObject, type LakeInventory, type LakeObject } from '../ports/lake-inventory.js';
import { addGrain, formatDt, formatHour, type Window } from '../time/window.js';
import { COMPLETE_MARKER, type GrainSchedule } from './schedule.js';

/** The (dt, hour) partitions of a window. */
function hoursOf(w: Window): Date[] {
  const out: Date[] = [];
  for (let h = w.start; h < w.end; h = addGrain(h, 'hour')) out.push(h);
  return out;
}

async function partitionObjects(inv: LakeInventory, table: string, hour: Date): Promise<LakeObject[]> {
  const hh = formatHour(hour);
  return (await inv.objects(table, formatDt(hour))).filter((o) => o.hour === hh);
}

const tableOf = (cfg: MetricConfig, source: string) =>
  Object.hasOwn(cfg.sources, source) ? (cfg.sources[source]?.table ?? source) : source;

/**
 * Fingerprints of the data a window reads, per source: the sorted (key, size, etag or mtime) list
 * of the data objects of its partitions. Equal fingerprints mean the window's rows are still right.
 */
export async function windowInputs(
  inv: LakeInventory,
  cfg: MetricConfig,
  sources: readonly string[],
  w: Window,
): Promise<Record<string, PartitionFingerprint>> {
  const out: Record<string, PartitionFingerprint> = {};
  for (const source of [...sources].sort()) {
    const hash = createHash('sha256');
    let objects = 0;
    let bytes = 0;
    for (const hour of hoursOf(w)) {
      for (const o of (await partitionObjects(inv, tableOf(cfg, source), hour)).filter(isDataObject)) {
        hash.update(`${o.key}\t${o.size}\t${o.etag ?? o.modified.toISOString()}\n`);
        objects++;
        bytes += o.size;
      }
    }
    out[source] = { objects, bytes, hash: hash.digest('hex').slice(0, 32) };
  }
  return out;
}

export function sameInputs(
  a: Readonly<Record<string, PartitionFingerprint>> | undefined,
  b: Readonly<Record<string, PartitionFingerprint>>,
): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  return (
    keys.length === Object.keys(a).length &&
    keys.every((k) => a[k] !== undefined && a[k]!.hash === b[k]!.hash)
  );
}

/** Why a window is not complete yet, or undefined when it is. */
export interface Unsettled {
  readonly source: string;
  readonly partition: string;
  readonly lastWrite: string;
}

/**
 * The completeness watermark: the end of the leading run of `windows` whose partitions are settled
 * in every source — each holds a `_SUCCESS` marker, or had no object written in the last
 * `quietMinutes`. The first window with a partition still being written stops the run (it and
 * every later one are judged by a later tick).
 */
export async function settledEnd(
  inv: LakeInventory,
  cfg: MetricConfig,
  sources: readonly string[],
  windows: readonly Window[],
  now: Date,
  schedule: Pick<GrainSchedule, 'quietMinutes'>,
): Promise<{ end: Date | undefined; unsettled?: Unsettled }> {
  const quietSince = now.getTime() - schedule.quietMinutes * 60_000;
  let end: Date | undefined;
  for (const w of windows) {
    for (const source of sources) {
      for (const hour of hoursOf(w)) {
        const objects = await partitionObjects(inv, tableOf(cfg, source), hour);
        if (objects.some((o) => o.key.endsWith(`/${COMPLETE_MARKER}`))) continue;
        const last = Math.max(0, ...objects.map((o) => o.modified.getTime()));
        if (last > quietSince)
          return {
            end,
            unsettled: {
              source,
              partition: `dt=${formatDt(hour)}/hour=${formatHour(hour)}`,
              lastWrite: new Date(last).toISOString(),
            },
          };
      }
    }
    end = w.end;
  }
  return { end };
}
