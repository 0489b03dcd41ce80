import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { InputError } from '../../errors.js';
import {
  type ObjectStore,
  PreconditionFailedError,
  type PutOptions,
  type StoredObject,
} from '../../ports/object-store.js';
import { localProcessAlive, THIS_PROCESS } from './local-process.js';

export interface FsObjectStoreOptions {
  /** A lock older than this was left by a process that died holding it (see withLock); default 30 s. */
  readonly lockStaleMs?: number;
}

function etagOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/**
 * The etag of `body`, hashed when first read: most reads and writes never look at it (a detector
 * state's megabytes are read to be decoded), and hashing them was ~7% of bench/detect/tick.ts's tick.
 */
function lazyEtag<T extends object>(body: Uint8Array, rest: T): T & { readonly etag: string } {
  let etag: string | undefined;
  return Object.defineProperty(rest, 'etag', {
    enumerable: true,
    get: () => {
      etag ??= etagOf(body);
      return etag;
    },
  }) as T & { readonly etag: string };
}

/**
 * Whether a file in the store's folder is an object: a writer's temporary file (`.tmp`, renamed into
 * place when complete) and a lock (`.lock`) are not, and listings never show them.
 */
export function isObjectFile(name: string): boolean {
  return !name.endsWith('.tmp') && !name.endsWith('.lock');
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === code;
}

/**
 * ObjectStore on a local folder. Writes go to a temporary file then rename (atomic on POSIX);
 * conditional writes serialise through a lock file so compare-and-swap holds across processes.
 */
export class FsObjectStore implements ObjectStore {
  private readonly lockStaleMs: number;
  constructor(
    readonly root: string,
    options: FsObjectStoreOptions = {},
  ) {
    this.lockStaleMs = options.lockStaleMs ?? 30_000;
  }

  private file(key: string): string {
    const norm = path.posix.normalize(key);
    if (key.length === 0 || norm.startsWith('..') || path.posix.isAbsolute(norm) || key.includes('\0'))
      throw new InputError(`invalid object key '${key}'`);
    return path.join(this.root, ...norm.split('/'));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const body = await readFile(this.file(key));
      return lazyEtag(body, { body });
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'EISDIR')) return undefined;
      throw err;
    }
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<{ etag: string }> {
    const target = this.file(key);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = this.temporary(target);
    await writeFile(tmp, bytes);
    try {
      if (options.ifNoneMatch || options.ifMatch)
        await this.withLock(target, () => this.checkThenRename(tmp, target, options));
      else await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return lazyEtag(bytes, {});
  }

  /** A file to write before renaming it over `target`; its name says which process wrote it. */
  private temporary(target: string): string {
    return `${target}~${process.pid}@${hostname()}~${randomUUID()}.tmp`;
  }

  /**
   * Removes what killed writers left in the store: temporary files of a process that no longer runs
   * here (or, from another host, older than an hour) and locks whose holder is gone (withLock's
   * rule). Objects themselves are never touched. Returns how many files it removed.
   */
  async sweepLeftovers(): Promise<number> {
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) await walk(file);
        else if (e.name.endsWith('.lock')) {
          if (await this.breakIfStale(file)) removed++;
        } else if (e.name.endsWith('.tmp')) {
          const m = /~(\d+)@([^~/]+)~[0-9a-f-]{36}\.tmp$/.exec(e.name);
          const alive = m ? localProcessAlive(`${m[2]}:${m[1]}`) : undefined;
          const age = await stat(file).then(
            (st) => Date.now() - st.mtimeMs,
            () => 0,
          );
          if (alive === false || (alive === undefined && age > 3_600_000)) {
            await rm(file, { force: true });
            removed++;
          }
        }
      }
    };
    await walk(this.root);
    return removed;
  }

  private async checkThenRename(tmp: string, target: string, options: PutOptions): Promise<void> {
    const current = await this.get(path.relative(this.root, target).split(path.sep).join('/'));
    if (options.ifNoneMatch && current) throw new PreconditionFailedError(`object exists: ${target}`);
    if (options.ifMatch && current?.etag !== options.ifMatch)
      throw new PreconditionFailedError(`object changed since read: ${target}`);
    await rename(tmp, target);
  }

  /**
   * Runs `fn` holding `target.lock`. The lock file names its holder (`host:pid:nonce`) and is created
   * whole (a hard link of a written file), so a lock left by a killed process is recognised: one
   * whose holder no longer runs on this host is broken at once, any other once it is older than
   * lockStaleMs. Waiting outlasts that age, so a dead holder's lock never makes a write fail.
   */
  private async withLock<T>(target: string, fn: () => Promise<T>): Promise<T> {
    const lock = `${target}.lock`;
    const mine = `${THIS_PROCESS}:${randomUUID()}`;
    const draft = this.temporary(lock);
    await writeFile(draft, mine);
    const deadline = Date.now() + 2 * this.lockStaleMs;
    try {
      for (;;) {
        try {
          await link(draft, lock);
          break;
        } catch (err) {
          if (!isCode(err, 'EEXIST')) throw err;
        }
        await this.breakIfStale(lock);
        if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      await rm(draft, { force: true });
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** Removes `lock` if its holder is gone (see withLock); a lock that changed meanwhile is kept. */
  private async breakIfStale(lock: string): Promise<boolean> {
    const [holder, st] = await Promise.all([
      readFile(lock, 'utf8').catch(() => undefined),
      stat(lock).catch(() => undefined),
    ]);
    if (!st) return false;
    const hostPid = holder?.slice(0, holder.lastIndexOf(':'));
    // A lock is held for one read and one rename: older than lockStaleMs, it is stale whoever
    // holds it (a live holder that old is a reused pid). ctime: the link that took it.
    if (
      (hostPid ? localProcessAlive(hostPid) : undefined) !== false &&
      Date.now() - st.ctimeMs <= this.lockStaleMs
    )
      return false;
    // Move it aside, then make sure it was the one judged: a lock taken in between goes back.
    const aside = this.temporary(lock);
    try {
      await rename(lock, aside);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    const judged = moved === holder;
    if (!judged) await link(aside, lock).catch(() => undefined);
    await rm(aside, { force: true });
    return judged;
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
        else if (isObjectFile(e.name) && key.startsWith(prefix)) out.push(key);
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
