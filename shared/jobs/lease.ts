import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import { type ObjectStore, PreconditionFailedError } from '../ports/object-store.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';

/**
 * A lease on a named piece of work (e.g. one metric window), held in the ObjectStore through
 * conditional writes, so two runs of the same window (a schedule and a manual rerun, or two
 * overlapping Lambda invocations) never compute and write it at the same time:
 *   acquire:  put <prefix>/<name>.json ifNoneMatch '*'             → the first writer wins
 *   takeover: an expired lease is replaced with ifMatch <its etag>  → one of several takers wins
 *   release:  deleted when the stored record is still ours (same token)
 * A run killed while holding a lease blocks that window only until `expiresAt`.
 */
export interface LeaseRecord {
  readonly owner: string;
  /** Unique per acquisition: two holders never write the same body (the etag tells them apart). */
  readonly token: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export interface Lease {
  readonly name: string;
  readonly record: LeaseRecord;
  readonly etag: string;
}

export type AcquireResult =
  | { readonly acquired: true; readonly lease: Lease; readonly tookOver?: string }
  | { readonly acquired: false; readonly heldBy: string; readonly expiresAt: string };

export interface LeaseOptions {
  /** Who holds it, for reports and logs (a run id, a Lambda request id, `cli@host`). */
  readonly owner?: string;
  /** How long a lease lasts without release (default 15 minutes). */
  readonly ttlMs?: number;
  readonly prefix?: string;
  /**
   * Decides whether a live (unexpired) lease may be taken over anyway: its holder is known to be
   * gone (a killed local process) or the user said so (`--force`). Default: never.
   */
  readonly takeOver?: (held: LeaseRecord) => boolean;
}

const ENC = new TextEncoder();
const DEC = new TextDecoder();

export class LeaseManager {
  readonly owner: string;
  private readonly ttlMs: number;
  private readonly prefix: string;
  private readonly takeOver: (held: LeaseRecord) => boolean;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    o: LeaseOptions = {},
  ) {
    this.owner = o.owner ?? `run-${randomUUID().slice(0, 8)}`;
    this.ttlMs = o.ttlMs ?? 15 * 60_000;
    this.prefix = o.prefix ?? STORAGE_LAYOUT.leases.prefix;
    this.takeOver = o.takeOver ?? (() => false);
  }

  key(name: string): string {
    return `${this.prefix}/${name}.json`;
  }

  private record(): LeaseRecord {
    const now = this.clock.now();
    return {
      owner: this.owner,
      token: randomUUID(),
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttlMs).toISOString(),
    };
  }

  async acquire(name: string): Promise<AcquireResult> {
    const key = this.key(name);
    // Two rounds: a lease released between our failed create and our read is simply retried.
    for (let round = 0; round < 2; round++) {
      const rec = this.record();
      try {
        const put = await this.store.put(key, json(rec), {
          ifNoneMatch: '*',
          contentType: 'application/json',
        });
        return { acquired: true, lease: { name, record: rec, etag: put.etag } };
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
      const current = await this.store.get(key);
      if (!current) continue;
      const held = parse(current.body);
      if (held && Date.parse(held.expiresAt) > this.clock.now().getTime() && !this.takeOver(held))
        return { acquired: false, heldBy: held.owner, expiresAt: held.expiresAt };
      // Expired (or unreadable): take it over, unless another taker changed it first.
      try {
        const put = await this.store.put(key, json(rec), {
          ifMatch: current.etag,
          contentType: 'application/json',
        });
        return {
          acquired: true,
          lease: { name, record: rec, etag: put.etag },
          tookOver: held?.owner ?? '(unreadable lease)',
        };
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        const now = await this.store.get(key);
        const winner = now ? parse(now.body) : undefined;
        if (!winner) continue;
        return { acquired: false, heldBy: winner.owner, expiresAt: winner.expiresAt };
      }
    }
    return { acquired: false, heldBy: '(contended)', expiresAt: this.clock.now().toISOString() };
  }

  /** Deletes the lease if it is still ours; a lease that expired and was taken over is left alone. */
  async release(lease: Lease): Promise<boolean> {
    const key = this.key(lease.name);
    const current = await this.store.get(key);
    if (!current) return false;
    if (parse(current.body)?.token !== lease.record.token) return false;
    await this.store.delete(key);
    return true;
  }
}

function json(rec: LeaseRecord): Uint8Array {
  return ENC.encode(`${JSON.stringify(rec)}\n`);
}

function parse(body: Uint8Array): LeaseRecord | undefined {
  try {
    const r = JSON.parse(DEC.decode(body)) as Partial<LeaseRecord>;
    return typeof r.owner === 'string' && typeof r.expiresAt === 'string' && typeof r.token === 'string'
      ? (r as LeaseRecord)
      : undefined;
  } catch {
    return undefined;
  }
}
