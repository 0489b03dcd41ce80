import type { ObjectStore, PutOptions, StoredObject } from '../../shared/ports/object-store.js';

export type StoreCall = 'get' | 'put' | 'list' | 'delete';

/**
 * An ObjectStore that hands every call to `inner`, after `before` has seen it: a test's store fails
 * or counts calls by overriding `before` alone (throwing there fails the call, as a fault or a process
 * killed at that call would). `urlOf` touches no store and is never intercepted.
 */
export class PassThroughStore implements ObjectStore {
  constructor(protected readonly inner: ObjectStore) {}

  protected before(_call: StoreCall, _key: string): void {}

  async get(key: string): Promise<StoredObject | undefined> {
    this.before('get', key);
    return this.inner.get(key);
  }

  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }> {
    this.before('put', key);
    return this.inner.put(key, body, options);
  }

  async list(prefix: string): Promise<string[]> {
    this.before('list', prefix);
    return this.inner.list(prefix);
  }

  async delete(key: string): Promise<void> {
    this.before('delete', key);
    return this.inner.delete(key);
  }

  urlOf(key: string): string {
    return this.inner.urlOf(key);
  }
}
