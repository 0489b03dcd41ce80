import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { DetectorStateStore } from '../../shared/alerting/detector-state-store.js';
import type { MetricState, SliceDetector } from '../../shared/alerting/score-series.js';
import { StreamingDetector } from '../../shared/anomaly/detector.js';
import { encodeState } from '../../shared/anomaly/state.js';
import type { PutOptions } from '../../shared/ports/object-store.js';
import { sliceOf } from '../../shared/slices/slice.js';
import { PassThroughStore } from '../helpers/pass-through-store.js';

const DIR = path.resolve('test/.tmp/alerting-detector-state-store');
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** The real folder store, counting the writes in flight and the largest number at once. */
class Counting extends PassThroughStore {
  inFlight = 0;
  most = 0;
  override async put(
    key: string,
    body: Uint8Array | string,
    options?: PutOptions,
  ): Promise<{ etag: string }> {
    this.most = Math.max(this.most, ++this.inFlight);
    try {
      return await super.put(key, body, options);
    } finally {
      this.inFlight--;
    }
  }
}

function metricState(seed: number): MetricState {
  const slices = new Map<string, SliceDetector>();
  for (let s = 0; s < 3; s++) {
    const d = new StreamingDetector({ cooldown: 0 });
    for (let i = 0; i < 60; i++)
      d.push({ t: Date.UTC(2026, 0, 5) + i * 3_600_000, value: 100 + ((i * (seed + s + 7)) % 13) });
    const slice = sliceOf([['region', `r${s}`]]);
    slices.set(slice.key, { slice, since: Date.UTC(2026, 0, 5), detector: d });
  }
  return { fingerprint: `f${seed}`, zeros: [seed], slices, windows: 60 };
}

describe('DetectorStateStore', () => {
  it('writes one metric at a time (one encoded body held) and loads every metric back as it was', async () => {
    const root = path.join(DIR, 'save');
    rmSync(root, { recursive: true, force: true });
    const store = new Counting(new FsObjectStore(root));
    const states = new DetectorStateStore(store);
    const saved = new Map(Array.from({ length: 5 }, (_, i) => [`metric_${i}`, metricState(i)] as const));
    const ref = await states.save('hour', saved, new Date('2026-01-08T00:00:00Z'));
    expect(ref.metrics).toEqual([...saved.keys()]);
    expect(store.most).toBe(1);
    const fingerprints = new Map([...saved].map(([m, ms]) => [m, ms.fingerprint]));
    const loaded = await states.load('hour', ref, fingerprints);
    expect(loaded?.bytes).toBe(ref.bytes);
    for (const [m, ms] of saved) {
      const back = loaded!.states.get(m)!;
      expect([back.fingerprint, back.zeros, back.windows, [...back.slices.keys()]]).toEqual([
        ms.fingerprint,
        ms.zeros,
        ms.windows,
        [...ms.slices.keys()],
      ]);
      for (const [k, sd] of ms.slices)
        expect(
          Buffer.from(encodeState(back.slices.get(k)!.detector)).equals(
            Buffer.from(encodeState(sd.detector)),
          ),
        ).toBe(true);
    }
  });

  it('loads one metric by itself, and none for another metric definition or a missing object', async () => {
    const root = path.join(DIR, 'one');
    rmSync(root, { recursive: true, force: true });
    const states = new DetectorStateStore(new FsObjectStore(root));
    const run = DetectorStateStore.newRun(new Date('2026-01-08T00:00:00Z'));
    const bytes = await states.saveMetric('hour', run, 'removals', metricState(1));
    const one = await states.loadMetric('hour', run, 'removals', 'f1');
    expect(one?.bytes).toBe(bytes);
    expect(one?.state.slices.size).toBe(3);
    expect(await states.loadMetric('hour', run, 'removals', 'f2')).toBeUndefined();
    expect(await states.loadMetric('hour', run, 'reports', 'f1')).toBeUndefined();
  });
});
