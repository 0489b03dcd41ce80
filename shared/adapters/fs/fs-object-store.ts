import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import {
  type ObjectStore,
  PreconditionFailedError,
  type PutOptions,
  type StoredObject,
} from '../../ports/object-store.js';

function etagOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === code;
}

/**
 * ObjectStore on a local folder. Writes go to a temporary file then rename (atomic on POSIX);
 * conditional writes serialise through a lock file so compare-and-swap holds across processes.
 */
export class FsObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  private file(key: string): string {
    const norm = path.posix.normalize(key);
    if (key.length === 0 || norm.startsWith('..') || path.posix.isAbsolute(norm) || key.includes('\0'))
      throw new InputError(`invalid object key '${key}'`);
    return path.join(this.root, ...norm.split('/'));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const body = await readFile(this.file(key));
      return { body, etag: etagOf(body) };
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'EISDIR')) return undefined;
      throw err;
    }
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    const target = this.file(key);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.tmp`;
    await writeFile(tmp, bytes);
    try {
      if (options.ifNoneMatch || options.ifMatch)
        await this.withLock(target, () => this.checkThenRename(tmp, target, options));
      else await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { etag: etagOf(bytes) };
  }

  private async checkThenRename(tmp: string, target: string, options: PutOptions): Promise<void> {
    const current = await this.get(path.relative(this.root, target).split(path.sep).join('/'));
    if (options.ifNoneMatch && current) throw new PreconditionFailedError(`object exists: ${target}`);
    if (options.ifMatch && current?.etag !== options.ifMatch)
      throw new PreconditionFailedError(`object changed since read: ${target}`);
    await rename(tmp, target);
  }

  private async withLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
    const lock = `${target}.lock`;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, 'wx');
        await handle.close();
        break;
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
        // A lock older than 30 s was left by a killed process.
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > 30_000) await rm(lock, { force: true });
        if (attempt > 2000) throw new Error(`timed out waiting for lock ${lock}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, rel: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
        throw err;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(path.join(dir, e.name), key);
        else if (!e.name.endsWith('.tmp') && !e.name.endsWith('.lock') && key.startsWith(prefix))
          out.push(key);
      }
    };
    // Walk from the deepest folder the prefix names, then filter by the full prefix.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(folder ? this.file(folder) : this.root, folder);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.file(key));
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw err;
    }
  }

  urlOf(key: string): string {
    return this.file(key);
  }
}
