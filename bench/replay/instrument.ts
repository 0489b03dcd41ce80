import type { ObjectStore, PutOptions, StoredObject } from '../../shared/ports/object-store.js';
import type { QueryEngine, QueryResult } from '../../shared/ports/query-engine.js';

/** Per-label query counts and milliseconds, and the source scans (metric plans) among them. */
export class CountingEngine implements QueryEngine {
  readonly byLabel = new Map<string, { n: number; ms: number }>();
  constructor(private readonly inner: QueryEngine) {}
  get dialect() {
    return this.inner.dialect;
  }
  async query(sql: string, options: { readonly label?: string } = {}): Promise<QueryResult> {
    const started = performance.now();
    try {
      return await this.inner.query(sql, options);
    } finally {
      const label = (options.label ?? 'query').replace(/\s+\d.*$/, '').replace(/ \S+=.*$/, '');
      const e = this.byLabel.get(label) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += performance.now() - started;
      this.byLabel.set(label, e);
    }
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  reset(): void {
    this.byLabel.clear();
  }
  get queries(): number {
    return [...this.byLabel.values()].reduce((s, e) => s + e.n, 0);
  }
}

/** Object store operations by kind. */
export class CountingStore implements ObjectStore {
  gets = 0;
  puts = 0;
  lists = 0;
  deletes = 0;
  constructor(private readonly inner: ObjectStore) {}
  get(key: string): Promise<StoredObject | undefined> {
    this.gets++;
    return this.inner.get(key);
  }
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }> {
    this.puts++;
    return this.inner.put(key, body, options);
  }
  list(prefix: string): Promise<string[]> {
    this.lists++;
    return this.inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    this.deletes++;
    return this.inner.delete(key);
  }
  urlOf(key: string): string {
    return this.inner.urlOf(key);
  }
}
