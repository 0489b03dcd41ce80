import { createHash } from 'node:crypto';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import {
  type ObjectStore,
  PreconditionFailedError,
  type PutOptions,
  type StoredObject,
} from '../../shared/ports/object-store.js';
import type { QueryEngine, QueryResult } from '../../shared/ports/query-engine.js';
import { PassThroughStore, type StoreCall } from '../helpers/pass-through-store.js';

/** An in-memory ObjectStore with S3's conditional-write semantics, counting writes per key. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, StoredObject>();
  readonly puts = new Map<string, number>();
  private version = 0;

  async get(key: string): Promise<StoredObject | undefined> {
    await Promise.resolve();
    return this.objects.get(key);
  }

  async put(key: string, body: Uint8Array | string, o: PutOptions = {}): Promise<{ etag: string }> {
    await Promise.resolve();
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const current = this.objects.get(key);
    if (o.ifNoneMatch && current) throw new PreconditionFailedError(`exists: ${key}`);
    if (o.ifMatch && current?.etag !== o.ifMatch) throw new PreconditionFailedError(`changed: ${key}`);
    const etag = `${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}-${++this.version}`;
    this.objects.set(key, { body: bytes, etag });
    this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
    return { etag };
  }

  async list(prefix: string): Promise<string[]> {
    await Promise.resolve();
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    await Promise.resolve();
    this.objects.delete(key);
  }

  urlOf(key: string): string {
    return `mem://${key}`;
  }
}

export class InjectedFault extends Error {}

/**
 * Wraps an ObjectStore with a failure injector. `failPut(key, n)` decides per put (n = index of the
 * put in this wrapper); `crashAfterPuts` simulates a process killed between writes: after that many
 * successful puts every operation throws and nothing more reaches the store.
 */
export class FaultyObjectStore extends PassThroughStore {
  putIndex = 0;
  crashed = false;
  constructor(
    inner: ObjectStore,
    private readonly o: {
      failPut?: (key: string, n: number) => boolean;
      failGet?: (key: string) => boolean;
      crashAfterPuts?: number;
    } = {},
  ) {
    super(inner);
  }

  protected override before(call: StoreCall, key: string): void {
    if (this.crashed) throw new InjectedFault('process killed');
    if (call === 'get' && this.o.failGet?.(key)) throw new InjectedFault(`injected get failure: ${key}`);
    if (call !== 'put') return;
    const n = this.putIndex++;
    if (this.o.crashAfterPuts !== undefined && n >= this.o.crashAfterPuts) {
      this.crashed = true;
      throw new InjectedFault('process killed');
    }
    if (this.o.failPut?.(key, n)) throw new InjectedFault(`injected put failure: ${key}`);
  }
}

/** Wraps a QueryEngine: fails queries chosen by label and index, optionally delays, tracks concurrency. */
export class FaultyEngine implements QueryEngine {
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly labels: string[] = [];
  constructor(
    private readonly inner: QueryEngine,
    private readonly o: { fail?: (label: string, n: number) => boolean; delayMs?: number } = {},
  ) {}

  get dialect() {
    return this.inner.dialect;
  }

  async query(sql: string, options: { readonly label?: string } = {}): Promise<QueryResult> {
    const n = this.calls++;
    const label = options.label ?? 'query';
    this.labels.push(label);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.o.delayMs) await new Promise((r) => setTimeout(r, this.o.delayMs));
      if (this.o.fail?.(label, n)) throw new InjectedFault(`injected engine failure in ${label}`);
      return await this.inner.query(sql, options);
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {}
}

/** A sink failing on a seeded pattern; keeps every delivery (duplicates included). */
export class FlakySink implements AlertSink {
  readonly delivered: Alert[] = [];
  attempts = 0;
  constructor(private readonly fail: (attempt: number) => boolean) {}
  async send(alert: Alert): Promise<void> {
    const n = this.attempts++;
    if (this.fail(n)) throw new InjectedFault('sink unavailable');
    this.delivered.push(alert);
  }
}

/** Tallies written to test/.tmp/reliability/tally-<file>.json for bench/RESULTS.md. */
export const tally: Record<string, unknown> = {};
