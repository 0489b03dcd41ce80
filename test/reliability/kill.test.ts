import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isObjectFile } from '../../shared/adapters/fs/fs-object-store.js';
import { uniformStream } from '../../shared/stats/random.js';
import { REPO_ROOT, TMP_ROOT } from '../helpers/lake.js';

/**
 * `kill -9` of the built CLI, as a user's crash or an OOM kill would do it: `vigil replay` (20
 * trials) and `vigil run hourly` (5 trials) are SIGKILLed at a seeded random moment of their run,
 * then the same command is run again, exactly as the user would (no flag, no clean-up: the rerun
 * takes over the dead process's leases itself). Each rerun must end with the same alerts as an
 * uninterrupted run — in the `--alerts` file and in the store's outbox — with none twice, no
 * lease, lock or temporary file left behind. Only the CLI's interface is used (flags, exit
 * status, the files a user sees), so the test holds whatever the ticks persist inside.
 */
const DIR = path.join(TMP_ROOT, 'reliability-kill');
const LAKE = path.join(DIR, 'lake');
const SEED_STORE = path.join(DIR, 'seed-store');
const BIN = path.join(REPO_ROOT, 'bin', 'vigil.mjs');
const TRIALS = 20;
const CONCURRENCY = 2;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Kill {
  /** SIGKILL this long after the start, or after `file` first holds a whole line. */
  readonly afterMs: number;
  readonly file?: string;
}

const hasLine = (file: string) => existsSync(file) && readFileSync(file, 'utf8').includes('\n');

/** Runs `vigil args`, SIGKILLed as `kill` says if it still runs then; `firstLineMs`: when `watch` got a line. */
function vigil(args: string[], kill?: Kill, watch = kill?.file): Promise<Exit & { firstLineMs?: number }> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  let timer: NodeJS.Timeout | undefined;
  let firstLineMs: number | undefined;
  const arm = () => {
    if (kill) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
  };
  const poll = watch
    ? setInterval(() => {
        if (firstLineMs !== undefined || !hasLine(watch)) return;
        firstLineMs = performance.now() - started;
        if (kill?.file) arm();
      }, 10)
    : undefined;
  if (!kill?.file) arm();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ms: performance.now() - started,
        ...(firstLineMs !== undefined ? { firstLineMs } : {}),
      });
    });
  });
}

async function ok(args: string[]): Promise<Exit> {
  const r = await vigil(args);
  if (r.code !== 0) throw new Error(`vigil ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}`);
  return r;
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Every file below `dir`, as paths relative to it. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** What a user (or the next run) sees of a store's alerts: the outbox's sent records, the rest left. */
function outboxOf(store: string) {
  const sentDir = path.join(store, 'alerts', 'outbox', 'sent');
  // As the store lists them: a killed writer's temporary file is no record (leftovers() checks that
  // the rerun swept it).
  const records = (dir: string) => files(dir).filter(isObjectFile);
  const sent = records(sentDir).map((f) => {
    const rec = JSON.parse(sameStore(readFileSync(path.join(sentDir, f), 'utf8'), store)) as {
      id: string;
      alert: unknown;
    };
    return { file: f, id: rec.id, alert: rec.alert };
  });
  return { sent, pending: records(path.join(store, 'alerts', 'outbox', 'pending')) };
}

/** Alerts link into their store's report: the store's own folder is named STORE for comparison. */
const sameStore = (text: string, store: string) =>
  text.replaceAll(pathToFileURL(store).href, 'file:///STORE');

const jsonLines = (file: string, store: string): unknown[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(sameStore(l, store)))
    : [];

/** What must hold after any run that ended: no lease held, no lock, no temporary file left. */
function leftovers(store: string): string[] {
  return files(store).filter((f) => f.startsWith(`leases${path.sep}`) || !isObjectFile(f));
}

let from: string;
let to: string;
let hourlyAt: string;

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  // A tiny lake with planted incidents (the generator CLI), and the metric history before the
  // replayed ticks backfilled once: every trial starts from a copy of that store.
  await ok([
    'generate',
    '--out',
    LAKE,
    '--seed',
    '7',
    '--impressions',
    '200000',
    '--start',
    '2026-01-05',
    '--days',
    '7',
    '--quiet',
  ]);
  const manifest = JSON.parse(readFileSync(path.join(LAKE, '_manifest.json'), 'utf8')) as {
    start: string;
    incidents: { id: string; start: string; end: string }[];
  };
  const first = Math.min(...manifest.incidents.map((i) => Date.parse(i.start)));
  const hour = 3_600_000;
  from = new Date(first - hour).toISOString();
  to = new Date(first + 9 * hour).toISOString();
  // The tick that closes the first incident hour.
  hourlyAt = new Date(first + hour + 15 * 60_000).toISOString();
  await ok([
    'backfill',
    '--lake',
    LAKE,
    '--store',
    SEED_STORE,
    '--grain',
    'hour',
    '--from',
    manifest.start,
    '--to',
    from,
    '--quiet',
  ]);
}, 300_000);

afterAll(() => {
  rmSync(DIR, { recursive: true, force: true });
});

function freshStore(name: string): { store: string; alerts: string } {
  const dir = path.join(DIR, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(SEED_STORE, path.join(dir, 'store'), { recursive: true });
  return { store: path.join(dir, 'store'), alerts: path.join(dir, 'alerts.jsonl') };
}

/** The reference: an uninterrupted run of `args(store, alerts)` into a fresh store. */
async function reference(name: string, args: (s: { store: string; alerts: string }) => string[]) {
  const s = freshStore(name);
  const r = await vigil(args(s), undefined, s.alerts);
  if (r.code !== 0) throw new Error(`reference ${name} exited ${r.code ?? r.signal}: ${r.stderr}`);
  return {
    ...s,
    ms: r.ms,
    firstAlertMs: r.firstLineMs ?? r.ms,
    alerts: jsonLines(s.alerts, s.store),
    outbox: outboxOf(s.store),
  };
}

/**
 * Kills `args` as `kill` says, reruns it to the end, and checks it against `ref`. A run that ended
 * before its kill (the machine ran faster than the reference) is tried again at half the delay.
 */
async function killAndRerun(
  name: string,
  args: JobArgs,
  kill: { afterMs: number; afterFirstAlert: boolean },
  ref: Awaited<ReturnType<typeof reference>>,
) {
  let s = freshStore(name);
  let afterMs = kill.afterMs;
  let killed = await vigil(args(s), { afterMs, ...(kill.afterFirstAlert ? { file: s.alerts } : {}) });
  for (let retry = 0; killed.signal !== 'SIGKILL' && retry < 5; retry++) {
    afterMs = Math.floor(afterMs / 2);
    s = freshStore(name);
    killed = await vigil(args(s), { afterMs, ...(kill.afterFirstAlert ? { file: s.alerts } : {}) });
  }
  const killAfterMs = `${afterMs}${kill.afterFirstAlert ? ' after the first alert' : ''}`;
  const alertsAtKill = jsonLines(s.alerts, s.store).length;
  const sentAtKill = outboxOf(s.store).sent.length;
  const rerun = await vigil(args(s));
  const what = `${name}: killed after ${killAfterMs} ms (${alertsAtKill} alert line(s), ${sentAtKill} sent by then)`;
  expect(rerun.code, `${what}; rerun: ${rerun.stderr}`).toBe(0);
  const alerts = jsonLines(s.alerts, s.store);
  const outbox = outboxOf(s.store);
  expect(alerts, what).toEqual(ref.alerts);
  expect(new Set(alerts.map((a) => JSON.stringify(a))).size, what).toBe(alerts.length);
  expect(outbox, what).toEqual(ref.outbox);
  expect(new Set(outbox.sent.map((r) => r.id)).size, what).toBe(outbox.sent.length);
  expect(leftovers(s.store), what).toEqual([]);
  rmSync(path.dirname(s.store), { recursive: true, force: true });
  return { signal: killed.signal, killAfterMs, alertsAtKill, sentAtKill, rerun };
}

type JobArgs = (s: { store: string; alerts: string }) => string[];

/** A job command of the CLI on the shared lake, into a trial's store and alerts file. */
const jobArgs =
  (command: string[], flags: string[]): JobArgs =>
  (s) => [...command, '--lake', LAKE, '--store', s.store, ...flags, '--alerts', s.alerts, '--json'];

/** Every kill of `kills` as its own trial (`name-i`), CONCURRENCY at a time. */
function killTrials(
  name: string,
  args: JobArgs,
  kills: readonly { afterMs: number; afterFirstAlert: boolean }[],
  ref: Awaited<ReturnType<typeof reference>>,
) {
  return pool(
    kills.map((k, i) => [k, i] as const),
    CONCURRENCY,
    ([k, i]) => killAndRerun(`${name}-${i}`, args, k, ref),
  );
}

describe('kill -9', () => {
  it(`of vigil replay at ${TRIALS} random moments, then a rerun: the same alerts, none twice`, async () => {
    const replay = jobArgs(['replay'], ['--grain', 'hour', '--from', from, '--to', to]);
    const ref = await reference('replay-reference', replay);
    // The planted incidents open, update and resolve in these ticks: something to lose or repeat.
    expect(ref.alerts.length).toBeGreaterThanOrEqual(3);
    expect(ref.outbox.sent).toHaveLength(ref.alerts.length);
    expect(ref.outbox.pending).toEqual([]);
    expect(leftovers(ref.store)).toEqual([]);

    // Kill moments spread over the whole run — start-up, prefetch, every tick, the last writes —
    // half of them timed from the first alert line, so that kills between alerts are sure to come.
    const rand = uniformStream(20261201);
    const kills = Array.from({ length: TRIALS }, (_, i) => {
      const afterFirstAlert = i % 2 === 1;
      const span = afterFirstAlert ? ref.ms - ref.firstAlertMs : ref.ms;
      return { afterMs: Math.round(rand() * 0.9 * span), afterFirstAlert };
    });
    const trials = await killTrials('replay', replay, kills, ref);
    const summary = trials.map((t) => ({
      ...t,
      resumed: (JSON.parse(t.rerun.stdout) as { resumed: number }).resumed,
    }));
    console.log(
      `replay: reference ${Math.round(ref.ms)} ms (first alert at ${Math.round(ref.firstAlertMs)} ms), ${ref.alerts.length} alerts; ` +
        'killed after ms / alert lines by then / ticks the rerun found done:\n' +
        summary.map((t) => `${t.killAfterMs}/${t.alertsAtKill}/${t.resumed}`).join('\n'),
    );
    // Every trial was really killed, not finished before the signal.
    expect(trials.map((t) => t.signal)).toEqual(Array(TRIALS).fill('SIGKILL'));
    // The kills fell before any tick was done and after some, before any alert and after some.
    expect(summary.some((t) => t.resumed === 0)).toBe(true);
    expect(summary.some((t) => t.resumed > 0)).toBe(true);
    expect(summary.some((t) => t.alertsAtKill === 0)).toBe(true);
    expect(summary.some((t) => t.alertsAtKill > 0)).toBe(true);
  }, 1_200_000);

  it('of vigil run hourly at 5 random moments, then a rerun: the same alerts, none twice', async () => {
    const hourly = jobArgs(['run', 'hourly'], ['--at', hourlyAt]);
    const ref = await reference('hourly-reference', hourly);
    expect(ref.alerts.length).toBeGreaterThan(0);
    const rand = uniformStream(20261202);
    const kills = Array.from({ length: 5 }, () => ({
      afterMs: Math.round((0.2 + rand() * 0.7) * ref.ms),
      afterFirstAlert: false,
    }));
    const trials = await killTrials('hourly', hourly, kills, ref);
    expect(trials.map((t) => t.signal)).toEqual(Array(5).fill('SIGKILL'));
  }, 600_000);
});
