/**
 * What the event lake holds, object by object: the input of partition fingerprints (has a window's
 * data changed since it was computed?), of the completeness watermark (is a partition still being
 * written?) and of the bytes-scanned budget (how much would a scan read?). S3 ListObjectsV2 on AWS,
 * a folder walk locally; no object is read.
 */
export interface LakeObject {
  /** The partition's hour, `00`..`23`. */
  readonly hour: string;
  /** Key (or path) of the object, unique in the lake. */
  readonly key: string;
  readonly size: number;
  readonly modified: Date;
  /** S3 ETag; absent locally (size + mtime stand for it). */
  readonly etag?: string;
}

export interface LakeInventory {
  /** Every object of a table's `dt=<dt>/hour=*` partitions (markers included), sorted by key. */
  objects(table: string, dt: string): Promise<LakeObject[]>;
}

/** Athena and Hive skip files whose name starts with `_` or `.` (markers, temporaries): so do fingerprints. */
export function isDataObject(o: LakeObject): boolean {
  const name = o.key.slice(o.key.lastIndexOf('/') + 1);
  return !name.startsWith('_') && !name.startsWith('.');
}

/** One listing per (table, dt) for the lifetime of this wrapper (one run). */
export function memoizedInventory(inner: LakeInventory): LakeInventory {
  const seen = new Map<string, Promise<LakeObject[]>>();
  return {
    objects: (table, dt) => {
      const key = `${table}\u0000${dt}`;
      let p = seen.get(key);
      if (!p) {
        p = inner.objects(table, dt);
        p.catch(() => seen.delete(key));
        seen.set(key, p);
      }
      return p;
    },
  };
}
