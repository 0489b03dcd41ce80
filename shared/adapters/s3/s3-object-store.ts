import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InputError } from '../../errors.js';
import {
  type ObjectStore,
  PreconditionFailedError,
  type PutOptions,
  type StoredObject,
} from '../../ports/object-store.js';

export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix inside the bucket (no leading or trailing slash), e.g. `vigil`. */
  readonly prefix?: string;
  /** Base of human links; default the S3 console object page. */
  readonly linkBase?: string;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string | undefined {
  return (err as { name?: string })?.name;
}

/**
 * ObjectStore on S3. Conditional writes use S3's If-None-Match / If-Match on PutObject; a lost race
 * (412 PreconditionFailed, or 409 ConditionalRequestConflict while another conditional write of the
 * same key is in flight) becomes PreconditionFailedError so callers re-read and retry.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly prefix: string;
  constructor(private readonly o: S3ObjectStoreOptions) {
    this.prefix = o.prefix ? `${o.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  }

  private key(key: string): string {
    if (key.length === 0 || key.startsWith('/') || key.split('/').includes('..'))
      throw new InputError(`invalid object key '${key}'`);
    return `${this.prefix}${key}`;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const res = await this.o.client.send(
        new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }),
      );
      const body = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: res.ETag ?? '' };
    } catch (err) {
      if (nameOf(err) === 'NoSuchKey' || statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    const full = this.key(key);
    try {
      const res = await this.o.client.send(
        new PutObjectCommand({
          Bucket: this.o.bucket,
          Key: full,
          Body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
          ...(options.contentType ? { ContentType: options.contentType } : {}),
          ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
          ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
        }),
      );
      return { etag: res.ETag ?? '' };
    } catch (err) {
      const status = statusOf(err);
      const name = nameOf(err);
      if (status === 412 || name === 'PreconditionFailed')
        throw new PreconditionFailedError(
          options.ifNoneMatch
            ? `object exists: s3://${this.o.bucket}/${full}`
            : `object changed since read: s3://${this.o.bucket}/${full}`,
          { cause: err },
        );
      // If-Match on a key that does not exist (any more) answers 404: the version we read is gone.
      if (options.ifMatch && (status === 404 || name === 'NoSuchKey'))
        throw new PreconditionFailedError(`object deleted since read: s3://${this.o.bucket}/${full}`, {
          cause: err,
        });
      if (status === 409 || name === 'ConditionalRequestConflict')
        throw new PreconditionFailedError(`concurrent conditional write of s3://${this.o.bucket}/${full}`, {
          cause: err,
        });
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.o.client.send(
        new ListObjectsV2Command({
          Bucket: this.o.bucket,
          Prefix: `${this.prefix}${prefix}`,
          ContinuationToken: token,
        }),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.prefix.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    // S3 DeleteObject is idempotent: a missing key is not an error.
    await this.o.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
  }

  urlOf(key: string): string {
    const full = this.key(key);
    if (this.o.linkBase) return `${this.o.linkBase.replace(/\/+$/, '')}/${full}`;
    return `https://s3.console.aws.amazon.com/s3/object/${this.o.bucket}?prefix=${encodeURIComponent(full)}`;
  }
}
