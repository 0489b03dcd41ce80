import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../shared/adapters/fs/fs-object-store.js';
import { PreconditionFailedError } from '../../../shared/ports/object-store.js';
import { TMP_ROOT } from '../../helpers/lake.js';

/**
 * Conditional writes serialise through `<key>.lock`. A process killed while holding it (kill -9,
 * OOM) leaves the file behind: the next writer must not fail on it, and must not break the lock of
 * a holder that is still running.
 */
const ROOT = path.join(TMP_ROOT, 'fs-object-store');
const KEY = 'alerts/outbox/sent/x.json';
const LOCK = path.join(ROOT, 'alerts/outbox/sent/x.json.lock');

let sleeper: ChildProcess | undefined;

beforeEach(() => {
  rmSync(ROOT, { recursive: true, force: true });
  mkdirSync(path.dirname(LOCK), { recursive: true });
});
afterEach(() => {
  sleeper?.kill('SIGKILL');
  sleeper = undefined;
});

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const dirEntries = () => readdirSync(path.dirname(LOCK)).sort();

async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await p;
  return { value, ms: performance.now() - t0 };
}

describe('FsObjectStore locks', () => {
  it('breaks at once a lock whose holder is a process that no longer runs here', async () => {
    writeFileSync(LOCK, `${hostname()}:${deadPid()}:killed`);
    const store = new FsObjectStore(ROOT);
    const { ms } = await timed(store.put(KEY, '{}', { ifNoneMatch: '*' }));
    expect(ms).toBeLessThan(5_000);
    expect(new TextDecoder().decode((await store.get(KEY))!.body)).toBe('{}');
    // The compare-and-swap still holds after the takeover, and nothing is left beside the object.
    await expect(store.put(KEY, '{}', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(dirEntries()).toEqual(['x.json']);
  });

  it('waits for a running holder, and writes once it lets go', async () => {
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    writeFileSync(LOCK, `${hostname()}:${sleeper.pid}:live`);
    const store = new FsObjectStore(ROOT);
    setTimeout(() => rmSync(LOCK), 400);
    const { ms } = await timed(store.put(KEY, '{}', { ifNoneMatch: '*' }));
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(existsSync(path.join(ROOT, KEY))).toBe(true);
    expect(dirEntries()).toEqual(['x.json']);
  });

  it('breaks a lock it cannot judge (an empty file, another host) once it is older than the stale age', async () => {
    for (const holder of ['', 'elsewhere.example:1234:x']) {
      rmSync(path.join(ROOT, KEY), { force: true });
      writeFileSync(LOCK, holder);
      const store = new FsObjectStore(ROOT, { lockStaleMs: 300 });
      const { ms } = await timed(store.put(KEY, '{}', { ifNoneMatch: '*' }));
      expect(ms, holder).toBeGreaterThanOrEqual(250);
      expect(ms, holder).toBeLessThan(5_000);
      expect(dirEntries()).toEqual(['x.json']);
    }
  });

  it('gives way to other writers of the same key, one at a time (compare-and-swap across them)', async () => {
    const stores = Array.from({ length: 8 }, () => new FsObjectStore(ROOT));
    const results = await Promise.allSettled(stores.map((s, i) => s.put(KEY, `${i}`, { ifNoneMatch: '*' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(PreconditionFailedError);
    expect(dirEntries()).toEqual(['x.json']);
  });

  it('sweeps what killed writers left (temporary files, locks), and nothing of a live writer or any object', async () => {
    const dir = path.dirname(LOCK);
    const dead = deadPid();
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const uuid = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    writeFileSync(path.join(dir, 'x.json'), '{}');
    writeFileSync(path.join(dir, `y.json~${dead}@${hostname()}~${uuid}.tmp`), '{"half');
    writeFileSync(path.join(dir, `z.json~${sleeper.pid}@${hostname()}~${uuid}.tmp`), '{"writing');
    writeFileSync(path.join(dir, `w.json~1@elsewhere.example~${uuid}.tmp`), '{"young');
    writeFileSync(LOCK, `${hostname()}:${dead}:killed`);
    writeFileSync(path.join(dir, 'v.json.lock'), `${hostname()}:${sleeper.pid}:live`);
    expect(await new FsObjectStore(ROOT).sweepLeftovers()).toBe(2);
    expect(dirEntries()).toEqual([
      'v.json.lock',
      `w.json~1@elsewhere.example~${uuid}.tmp`,
      'x.json',
      `z.json~${sleeper.pid}@${hostname()}~${uuid}.tmp`,
    ]);
  });
});
