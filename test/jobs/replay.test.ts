import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_OWNER, takeOverRule } from '../../cli/job-context.js';
import type { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import type { LakeManifest } from '../../shared/generator/manifest.js';
import { runReplay } from '../../shared/jobs/replay.js';
import { firingsIn } from '../../shared/jobs/schedule.js';
import { runTick } from '../../shared/jobs/tick.js';
import { systemClock } from '../../shared/ports/clock.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import { uniformStream } from '../../shared/stats/random.js';
import { addGrain, windowsInRange } from '../../shared/time/window.js';
import { PassThroughStore, type StoreCall } from '../helpers/pass-through-store.js';
import { alertLines, seedStore, tickLake, tickOptions } from '../helpers/tick-lake.js';

/**
 * `vigil replay` is exactly that many `vigil run hourly --at` calls: the same alerts, in the same
 * order, on a generated lake with a planted incident; and a replay cut off at any write and run
 * again gives the same alerts, none twice.
 */
const DIR = path.resolve('test/.tmp/jobs-replay');
const SEED = path.join(DIR, 'seed-store');
let engine: DuckDbQueryEngine;
let manifest: LakeManifest;
let from: Date;
let to: Date;

/**
 * A store whose process "dies" at write number `budget`: that write and every operation after it
 * fail, as if the process were killed there (the writes before it are on disk).
 */
class CrashingStore extends PassThroughStore {
  puts = 0;
  dead = false;
  constructor(
    inner: ObjectStore,
    private readonly budget = Number.POSITIVE_INFINITY,
  ) {
    super(inner);
  }
  protected override before(call: StoreCall): void {
    if (this.dead) throw new Error('crashed');
    if (call === 'put' && ++this.puts >= this.budget) {
      this.dead = true;
      throw new Error(`crash at write ${this.puts}`);
    }
  }
}

const options = (store: ObjectStore, alerts: string) => tickOptions(engine, store, alerts, systemClock);

function fresh(name: string): { dir: string; alerts: string } {
  const dir = path.join(DIR, name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(SEED, path.join(dir, 'store'), { recursive: true });
  return { dir, alerts: path.join(dir, 'alerts.jsonl') };
}

const lines = alertLines;

beforeAll(async () => {
  ({ manifest, engine } = await tickLake(DIR));
  // Ticks around the planted classifier outage; the history before them is backfilled once.
  const outage = manifest.incidents.find((i) => i.id === 'classifier-outage')!;
  from = addGrain(new Date(outage.start), 'hour', 1);
  to = addGrain(from, 'hour', 4);
  await seedStore(
    engine,
    SEED,
    windowsInRange('hour', new Date(manifest.start), addGrain(from, 'hour', -4)),
    systemClock,
  );
}, 300_000);

afterAll(async () => {
  await engine?.close();
});

describe('vigil replay', () => {
  let reference: string[];
  let referencePuts: number;

  it('sends the same alerts, in order, as the same ticks run one by one', async () => {
    const one = fresh('one-by-one');
    const store = new FsObjectStore(path.join(one.dir, 'store'));
    for (const at of firingsIn('hour', from, to)) await runTick(options(store, one.alerts), 'hour', at);

    const rep = fresh('replay');
    const counted = new CrashingStore(new FsObjectStore(path.join(rep.dir, 'store')));
    const summary = await runReplay({ ...options(counted, rep.alerts), grain: 'hour', from, to });
    reference = lines(rep.alerts);
    referencePuts = counted.puts;

    expect(summary.ticks).toBe(4);
    expect(summary.ran).toBe(4);
    expect(reference.length).toBeGreaterThan(0);
    expect(reference.some((l) => JSON.parse(l).metric === 'automated_action_share')).toBe(true);
    expect(lines(one.alerts)).toEqual(reference);
  }, 300_000);

  it('killed at 20 random writes and run again, sends the same alerts with none twice', async () => {
    const rand = uniformStream(20260105);
    let crashes = 0;
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    for (let trial = 0; trial < 20; trial++) {
      const budget = 1 + Math.floor(rand() * (referencePuts - 1));
      const t = fresh(`crash-${trial}`);
      const root = path.join(t.dir, 'store');
      const crashing = new CrashingStore(new FsObjectStore(root), budget);
      // The killed run held its leases as a local CLI process that is gone now (kill -9).
      const killed = { owner: `cli@${hostname()}:${deadPid}` };
      const outcome = await runReplay({
        ...options(crashing, t.alerts),
        lease: killed,
        grain: 'hour',
        from,
        to,
      }).then(
        () => 'finished',
        (err: Error) => err.message,
      );
      // The process died at the chosen write; the run ended with an error, not a success.
      expect(
        crashing.dead,
        `trial ${trial}: crash at ${budget}, ${crashing.puts} writes (${referencePuts} in the reference)`,
      ).toBe(true);
      if (outcome !== 'finished') crashes++;
      // Run again as the CLI does: a dead local holder's lease is taken over.
      const resumed = await runReplay({
        ...options(new FsObjectStore(root), t.alerts),
        lease: { owner: LEASE_OWNER, takeOver: takeOverRule(false) },
        grain: 'hour',
        from,
        to,
      });
      const got = lines(t.alerts);
      expect(got, `trial ${trial} (crash at write ${budget})`).toEqual(reference);
      expect(new Set(got).size).toBe(got.length);
      expect(resumed.ran + resumed.resumed).toBe(4);
      rmSync(t.dir, { recursive: true, force: true });
    }
    expect(crashes).toBe(20);
  }, 900_000);
});
