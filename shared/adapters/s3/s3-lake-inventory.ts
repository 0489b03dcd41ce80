import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { LakeInventory, LakeObject } from '../../ports/lake-inventory.js';

export interface S3LakeInventoryOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Lake prefix in the bucket, with its trailing slash ('' = bucket root), e.g. `events/`. */
  readonly prefix: string;
}

/**
 * The LakeInventory of an S3 lake: ListObjectsV2 on `<prefix><table>/dt=<dt>/` (the jobs'
 * s3:ListBucket grant on the lake covers these prefixes). Size, ETag and LastModified are what a
 * fingerprint needs; no object is read.
 */
export class S3LakeInventory implements LakeInventory {
  constructor(private readonly o: S3LakeInventoryOptions) {}

  async objects(table: string, dt: string): Promise<LakeObject[]> {
    const base = `${this.o.prefix}${table}/dt=${dt}/`;
    const out: LakeObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.o.client.send(
        new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: base, ContinuationToken: token }),
      );
      for (const c of res.Contents ?? []) {
        const m = c.Key ? /^hour=([^/]+)\//.exec(c.Key.slice(base.length)) : null;
        if (!m || !c.Key) continue;
        out.push({
          hour: m[1]!,
          key: c.Key,
          size: c.Size ?? 0,
          modified: c.LastModified ?? new Date(0),
          ...(c.ETag ? { etag: c.ETag } : {}),
        });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
