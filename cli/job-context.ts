import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FsLakeInventory } from '../shared/adapters/fs/fs-lake-inventory.js';
import { FsObjectStore } from '../shared/adapters/fs/fs-object-store.js';
import { localProcessAlive, THIS_PROCESS } from '../shared/adapters/fs/local-process.js';
import type { VigilConfig } from '../shared/config/file.js';
import type { LeaseRecord } from '../shared/jobs/lease.js';
import type { TickOptions } from '../shared/jobs/tick.js';
import { MetricStore } from '../shared/metrics/metric-store.js';
import { systemClock } from '../shared/ports/clock.js';
import type { ObjectStore, PutOptions, StoredObject } from '../shared/ports/object-store.js';
import type { QueryEngine } from '../shared/ports/query-engine.js';
import { incidentAnchor } from '../shared/report/model.js';
import { reportKey } from '../shared/report/write.js';
import { STORAGE_LAYOUT } from '../shared/storage/layout.js';
import { localAlertSink } from './alert-sinks.js';
import { claimDir } from './ownership.js';

const STORE_AREAS = new Set(Object.values(STORAGE_LAYOUT).map((a) => a.prefix.split('/')[0]!));

/** A store folder written before ownership markers: only the layout's top-level folders. */
export function looksLikeStore(entries: readonly string[]): boolean {
  return entries.every((e) => STORE_AREAS.has(e));
}

/**
 * Remembers the leases this process holds (puts under the lease prefix), so that Ctrl-C or a
 * SIGTERM can release them before exiting instead of blocking the windows until they expire.
 */
export class LeaseTrackingStore implements ObjectStore {
  private readonly held = new Map<string, string>();
  private stopping = false;
  constructor(readonly inner: ObjectStore) {}

  get(key: string): Promise<StoredObject | undefined> {
    return this.inner.get(key);
  }
  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }> {
    const lease = key.startsWith(`${STORAGE_LAYOUT.leases.prefix}/`);
    // Stopping: no new lease, so none is taken after the last release.
    if (lease && this.stopping) throw new Error('stopping: no new leases');
    const r = await this.inner.put(key, body, options);
    if (lease) this.held.set(key, r.etag);
    return r;
  }
  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }
  async delete(key: string): Promise<void> {
    await this.inner.delete(key);
    this.held.delete(key);
  }
  urlOf(key: string): string {
    return this.inner.urlOf(key);
  }
  get holding(): number {
    return this.held.size;
  }
  /** Refuses new leases from now on (a signal is stopping the process). */
  stop(): void {
    this.stopping = true;
  }

  /** Deletes every lease still ours (same version as we wrote); returns how many. */
  async releaseAll(): Promise<number> {
    let n = 0;
    for (const [key, etag] of [...this.held]) {
      const cur = await this.inner.get(key).catch(() => undefined);
      if (cur?.etag === etag) {
        await this.inner.delete(key).catch(() => undefined);
        n++;
      }
      this.held.delete(key);
    }
    return n;
  }
}

/** `cli@host:pid`: who holds a lease, precise enough to tell whether that process is still alive. */
export const LEASE_OWNER = `cli@${THIS_PROCESS}`;

/** undefined when the holder is not a local CLI process; else whether it is still running. */
export function localHolderAlive(owner: string): boolean | undefined {
  return owner.startsWith('cli@') ? localProcessAlive(owner.slice(4)) : undefined;
}

/**
 * Lease takeover rule of the CLI: a lease whose holder is a local process that no longer runs
 * (killed) is taken over; with `--force`, so is any lease whose holder is not a live local process
 * (the user says the remote holder is dead). A live local holder is never displaced.
 */
export function takeOverRule(force: boolean): (held: LeaseRecord) => boolean {
  return (held) => {
    const alive = localHolderAlive(held.owner);
    if (alive === false) return true;
    return force && alive === undefined;
  };
}

/** Opens (or creates) a results store folder for `by`, refusing folders that are not Vigil's. */
export async function openStore(dir: string, by: string): Promise<LeaseTrackingStore> {
  await claimDir(dir, 'store', by, '--store', looksLikeStore);
  const store = new FsObjectStore(dir);
  // A run killed with -9 left its temporary files and maybe a lock: nothing of it stays behind.
  await store.sweepLeftovers();
  return new LeaseTrackingStore(store);
}

/** Releases this process's leases on Ctrl-C / SIGTERM, then exits 130 / 143. Returns the uninstaller. */
export function releaseLeasesOnSignal(store: LeaseTrackingStore, onStop?: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    onStop?.();
    store.stop();
    // A lease being written as the signal came lands after the first pass: release until none is left.
    const release = async () => {
      for (let i = 0; i < 20; i++) {
        await store.releaseAll();
        await new Promise((r) => setTimeout(r, 25));
        if (store.holding === 0) break;
      }
    };
    void release().finally(() => {
      process.stderr.write(`\nvigil: stopped by ${signal}; leases released (rerun to resume)\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export interface JobContextFlags {
  config?: string;
  alerts?: string;
  force?: boolean;
}

/** The tick options of a job command: the same use cases the Lambda handlers call, on local adapters. */
export async function jobOptions(
  engine: QueryEngine,
  objectStore: LeaseTrackingStore,
  cfg: VigilConfig,
  o: JobContextFlags & { lake: string },
): Promise<TickOptions> {
  const reportUrl = pathToFileURL(objectStore.urlOf(reportKey(STORAGE_LAYOUT.report.prefix))).href;
  return {
    engine,
    objectStore,
    store: new MetricStore(objectStore),
    // The config's routes to its sinks, plus --alerts for every alert; delivery marks in the store.
    sink: localAlertSink(cfg, { ...(o.alerts ? { alertsFile: path.resolve(o.alerts) } : {}), objectStore }),
    config: cfg,
    experiments: cfg,
    clock: systemClock,
    lease: { owner: LEASE_OWNER, takeOver: takeOverRule(o.force === true) },
    // The lake's files: windows whose partitions did not change are not rescanned, and the newest
    // window is judged once its partitions are complete (shared/jobs/recompute.ts).
    inventory: new FsLakeInventory(o.lake),
    reportUrl: (key) => `${reportUrl}#${incidentAnchor(key)}`,
  };
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [])).length === 0;
}
