import { VigilError } from '../errors.js';

/** A stored object and its version tag (S3 ETag, or a content hash on the filesystem). */
export interface StoredObject {
  readonly body: Uint8Array;
  readonly etag: string;
}

export interface PutOptions {
  /** Write only if the object does not exist yet. */
  readonly ifNoneMatch?: '*';
  /** Write only if the object's current version is this one. */
  readonly ifMatch?: string;
  readonly contentType?: string;
}

/** Keys are `/`-separated relative paths. Writes of one object are atomic. */
export interface ObjectStore {
  get(key: string): Promise<StoredObject | undefined>;
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string }>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** A link a person can open (file path locally, s3:// or https on AWS). */
  urlOf(key: string): string;
}

/** A conditional write lost: someone else wrote first. */
export class PreconditionFailedError extends VigilError {}
