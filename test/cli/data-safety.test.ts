import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { vigil } from '../helpers/cli.js';
import { REPO_ROOT, TMP_ROOT, tinyLake } from '../helpers/lake.js';

/** Users' data is safe: the real CLI on real files, one case per way Vigil could destroy something. */
const DIR = path.join(TMP_ROOT, 'cli-data-safety');
let lake: string;
const HOUR = ['--grain', 'hour', '--from', '2026-01-02T00:00:00Z', '--to', '2026-01-02T01:00:00Z'];

const oneLine = (stderr: string) => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  return stderr;
};

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  lake = (await tinyLake('data-safety')).dir;
}, 300_000);

describe('folders Vigil did not create', () => {
  it('vigil generate --out onto a real lake refuses and leaves its sources alone', () => {
    const real = path.join(DIR, 'real-lake');
    mkdirSync(path.join(real, 'impressions', 'dt=2026-01-01', 'hour=00'), { recursive: true });
    writeFileSync(path.join(real, 'impressions', 'dt=2026-01-01', 'hour=00', 'part.parquet'), 'user data');
    const r = vigil(['generate', '--out', real, '--scale', 'small', '--days', '7', '--quiet']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--out .*real-lake.*refusing/);
    expect(
      readFileSync(path.join(real, 'impressions', 'dt=2026-01-01', 'hour=00', 'part.parquet'), 'utf8'),
    ).toBe('user data');
  });

  it('vigil generate --out onto a folder it generated regenerates it', () => {
    const mine = path.join(DIR, 'generated');
    const args = ['generate', '--out', mine, '--days', '7', '--impressions', '20000', '--quiet'];
    expect(vigil(args).status).toBe(0);
    expect(vigil(args).status).toBe(0);
    expect(existsSync(path.join(mine, '_manifest.json'))).toBe(true);
  });

  it('vigil demo --dir never wipes a store that vigil backfill filled', () => {
    const dir = path.join(DIR, 'demo-over-backfill');
    const store = path.join(dir, 'store');
    expect(vigil(['backfill', '--lake', lake, '--store', store, ...HOUR, '--quiet']).status).toBe(0);
    const before = readdirSync(store, { recursive: true }).sort();
    const r = vigil(['demo', '--dir', dir, '--scale', 'tiny', '--quiet']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/refusing/);
    expect(readdirSync(store, { recursive: true }).sort()).toEqual(before);
    expect(existsSync(path.join(dir, 'lake'))).toBe(false);
  });

  it('a --store that is a user folder is refused', () => {
    const mine = path.join(DIR, 'user-folder');
    mkdirSync(mine, { recursive: true });
    writeFileSync(path.join(mine, 'notes.txt'), 'keep me');
    const r = vigil(['backfill', '--lake', lake, '--store', mine, ...HOUR, '--quiet']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--store .*not a Vigil results store/);
    expect(readdirSync(mine)).toEqual(['notes.txt']);
  });
});

describe('--out files', () => {
  const metrics = (out: string) =>
    vigil(['run', 'metrics', '--lake', lake, ...HOUR, '--out', out, '--quiet']);

  it('a full disk (/dev/full) is exit 1 with one line, and the device stays a device', () => {
    if (!existsSync('/dev/full')) return;
    const r = metrics('/dev/full');
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/no space left on device \(ENOSPC\)/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('a symbolic link is refused and its target untouched', () => {
    const target = path.join(DIR, 'target.txt');
    const link = path.join(DIR, 'link.csv');
    writeFileSync(target, 'precious');
    rmSync(link, { force: true });
    symlinkSync(target, link);
    const r = metrics(link);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/symbolic link/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });

  it('a FIFO is written through, never replaced by a file', async () => {
    const fifo = path.join(DIR, 'out.fifo');
    rmSync(fifo, { force: true });
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin', 'vigil.mjs'),
        'run',
        'metrics',
        '--lake',
        lake,
        ...HOUR,
        '--out',
        fifo,
        '--quiet',
      ],
      { stdio: 'ignore' },
    );
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      import('node:fs').then(({ createReadStream }) =>
        createReadStream(fifo, 'utf8')
          .on('data', (c) => {
            got += c;
          })
          .on('end', () => resolve(got))
          .on('error', reject),
      );
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(text.split('\n')[0]).toBe(
      'metric,grain,window_start,slice,value,numerator,denominator,ci_low,ci_high',
    );
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  }, 120_000);

  it("a file Vigil did not write is not overwritten; the command's own output is", () => {
    const user = path.join(DIR, 'user.csv');
    writeFileSync(user, 'name,amount\nalice,3\n');
    const r = metrics(user);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/refusing to overwrite/);
    expect(readFileSync(user, 'utf8')).toBe('name,amount\nalice,3\n');
    const own = path.join(DIR, 'own.csv');
    expect(metrics(own).status).toBe(0);
    expect(metrics(own).status).toBe(0);
  });
});

describe('leases', () => {
  const leaseFile = (store: string) =>
    path.join(store, 'leases', 'metrics', 'grain=hour', 'window=2026-01-02T000000Z.json');
  const hold = (store: string, owner: string) => {
    mkdirSync(path.dirname(leaseFile(store)), { recursive: true });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    writeFileSync(
      leaseFile(store),
      `${JSON.stringify({ owner, token: 't', acquiredAt: new Date().toISOString(), expiresAt })}\n`,
    );
    return expiresAt;
  };
  const backfill = (store: string, ...extra: string[]) =>
    vigil(['backfill', '--lake', lake, '--store', store, ...HOUR, '--quiet', ...extra]);

  it('a rerun blocked by a live lease says until when and exits non-zero having written nothing', () => {
    const store = path.join(DIR, 'lease-live');
    expect(backfill(store).status).toBe(0);
    // The test process itself is the live holder.
    const until = hold(store, `cli@${hostname()}:${process.pid}`);
    const r = backfill(store, '--force');
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toContain(`until ${until}`);
    expect(existsSync(leaseFile(store))).toBe(true);
  });

  it("a killed holder's lease is taken over; a remote holder's only with --force", () => {
    const store = path.join(DIR, 'lease-dead');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    hold(store, `cli@${hostname()}:${dead}`);
    expect(backfill(store).status).toBe(0);
    expect(existsSync(leaseFile(store))).toBe(false);
    hold(store, 'lambda-3f2a');
    const blocked = backfill(store);
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toMatch(/held by another run \(lambda-3f2a until/);
    expect(backfill(store, '--force').status).toBe(0);
    expect(existsSync(leaseFile(store))).toBe(false);
  });

  it('Ctrl-C releases the leases it holds', async () => {
    const store = path.join(DIR, 'lease-sigint');
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin', 'vigil.mjs'),
        'backfill',
        '--lake',
        lake,
        '--store',
        store,
        '--grain',
        'hour',
        '--from',
        '2026-01-01T00:00:00Z',
        '--to',
        '2026-01-15T00:00:00Z',
        '--quiet',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const leases = path.join(store, 'leases', 'metrics', 'grain=hour');
    const held = () => (existsSync(leases) ? readdirSync(leases).filter((f) => f.endsWith('.json')) : []);
    for (let i = 0; i < 600 && held().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(held().length).toBeGreaterThan(0);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(130);
    expect(stderr).toMatch(/leases released/);
    expect(held()).toEqual([]);
  }, 120_000);
});
