import { randomUUID } from 'node:crypto';
import {
  DetectorStateMismatchError,
  decodeState,
  encodeState,
  type StreamingDetector,
} from '../anomaly/index.js';
import type { ObjectStore, StoredObject } from '../ports/object-store.js';
import { type Slice, type SlicePair, sliceOf } from '../slices/slice.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import type { Grain } from '../time/window.js';
import type { DayWander } from './day-wander.js';
import type { DetectorStateRef } from './incident-book.js';
import type { SeriesState } from './pooled-band.js';
import type { DetectorStates, MetricState, SliceDetector } from './score-series.js';

/**
 * Detector state in the results store, so a scheduled tick pushes only the windows after the
 * state's watermark instead of re-learning the lookback:
 *   detector-state/grain=<g>/run-<id>/<metric>.bin   one object per metric: all its slices' detectors
 * A run's objects are written under a fresh id and become current only when the incident book
 * names them (IncidentBook.detectorState, written with the book's compare-and-swap). A crash at any
 * write therefore leaves the book naming the state that matches its processedThrough; objects no
 * book names are removed by a later run once older than ORPHAN_GRACE_MS (a live writer may still
 * be about to name them).
 */
export const ORPHAN_GRACE_MS = 60 * 60_000;

/** What one metric's object holds. */
interface StoredMetric {
  readonly fingerprint: string;
  readonly zeros: number[];
  readonly windows: number;
  /** [slice pairs, since, detector, band, day wander] per slice, in insertion order. */
  readonly slices: [
    SlicePair[],
    number,
    StreamingDetector | undefined,
    SeriesState | undefined,
    DayWander | undefined,
  ][];
}

export interface LoadedStates {
  readonly states: DetectorStates;
  readonly bytes: number;
}

function runTime(run: string): number | undefined {
  const m = /^([0-9a-z]+)-[0-9a-f]{8}$/.exec(run);
  return m ? Number.parseInt(m[1]!, 36) : undefined;
}

/** Whether a stored state holds exactly these metrics (a state of other metrics is not restored). */
export function holdsExactly(ref: DetectorStateRef, metrics: ReadonlyMap<string, unknown>): boolean {
  return ref.metrics.length === metrics.size && ref.metrics.every((m) => metrics.has(m));
}

export class DetectorStateStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string = STORAGE_LAYOUT.detectorState.prefix,
  ) {}

  private folder(grain: Grain): string {
    return `${this.prefix}/grain=${grain}/`;
  }

  private key(grain: Grain, run: string, metric: string): string {
    // Metric names are lower_snake_case (config schema): safe as a key segment.
    return `${this.folder(grain)}run-${run}/${metric}.bin`;
  }

  /** A fresh run id: the name a tick's new state objects are written under. */
  static newRun(now: Date): string {
    return `${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
  }

  /**
   * Writes every metric's detectors under a new run id; the caller makes it current by naming it in
   * the book. One metric at a time: each body is encoded, written and released before the next is
   * encoded, so the bytes held are one metric's, not the whole state's.
   */
  async save(grain: Grain, states: DetectorStates, now: Date): Promise<DetectorStateRef & { bytes: number }> {
    const run = DetectorStateStore.newRun(now);
    const metrics = [...states.keys()].sort();
    let bytes = 0;
    for (const metric of metrics) bytes += await this.saveMetric(grain, run, metric, states.get(metric)!);
    return { run, metrics, bytes };
  }

  /** Writes one metric's detectors under `run`; returns the bytes written. */
  async saveMetric(grain: Grain, run: string, metric: string, ms: MetricState): Promise<number> {
    return this.putMetric(grain, run, metric, DetectorStateStore.encodeMetric(ms));
  }

  /** saveMetric's body: encoded at once, so the detectors may go while it is written. */
  static encodeMetric(ms: MetricState): Uint8Array {
    const stored: StoredMetric = {
      fingerprint: ms.fingerprint,
      zeros: ms.zeros,
      windows: ms.windows,
      slices: [...ms.slices.values()].map((sd) => [
        [...sd.slice.pairs],
        sd.since,
        sd.detector,
        sd.band,
        sd.wander,
      ]),
    };
    return encodeState(stored);
  }

  /** Writes an encoded metric (encodeMetric) under `run`; returns the bytes written. */
  async putMetric(grain: Grain, run: string, metric: string, body: Uint8Array): Promise<number> {
    await this.store.put(this.key(grain, run, metric), body, {
      ifNoneMatch: '*',
      contentType: 'application/octet-stream',
    });
    return body.length;
  }

  /**
   * The state a book names, if every object is there and was built for the same metrics
   * (`fingerprints`: metric → fingerprintOf); undefined otherwise (the caller warms up instead).
   */
  async load(
    grain: Grain,
    ref: DetectorStateRef,
    fingerprints: ReadonlyMap<string, string>,
  ): Promise<LoadedStates | undefined> {
    if (!holdsExactly(ref, fingerprints)) return undefined;
    const states: DetectorStates = new Map();
    let bytes = 0;
    const loaded = await Promise.all(
      ref.metrics.map((metric) => this.loadMetric(grain, ref.run, metric, fingerprints.get(metric)!)),
    );
    for (const [i, entry] of loaded.entries()) {
      if (!entry) return undefined;
      states.set(ref.metrics[i]!, entry.state);
      bytes += entry.bytes;
    }
    return { states, bytes };
  }

  /**
   * One metric's detectors as `run` holds them, if its object is there and was built for the same
   * metric definition (`fingerprint`); undefined otherwise. The body is released once decoded.
   */
  async loadMetric(
    grain: Grain,
    run: string,
    metric: string,
    fingerprint: string,
  ): Promise<{ state: MetricState; bytes: number } | undefined> {
    return DetectorStateStore.decodeMetric(await this.fetchMetric(grain, run, metric), fingerprint);
  }

  /** One metric's object as stored (read ahead of its decode by a caller streaming metric by metric). */
  async fetchMetric(grain: Grain, run: string, metric: string): Promise<StoredObject | undefined> {
    return this.store.get(this.key(grain, run, metric));
  }

  /** loadMetric's decode of a fetched object. */
  static decodeMetric(
    obj: StoredObject | undefined,
    fingerprint: string,
  ): { state: MetricState; bytes: number } | undefined {
    if (!obj) return undefined;
    let stored: StoredMetric;
    try {
      stored = decodeState(obj.body) as StoredMetric;
    } catch (err) {
      // Written by other detector code: re-learned from the metric history, not an error.
      if (err instanceof DetectorStateMismatchError) return undefined;
      throw err;
    }
    if (stored.fingerprint !== fingerprint) return undefined;
    const slices = new Map<string, SliceDetector>();
    for (const [pairs, since, detector, band, wander] of stored.slices) {
      const slice: Slice = sliceOf(pairs);
      slices.set(slice.key, {
        slice,
        since,
        ...(detector ? { detector } : {}),
        ...(band ? { band } : {}),
        ...(wander ? { wander } : {}),
      });
    }
    const state: MetricState = {
      fingerprint: stored.fingerprint,
      zeros: stored.zeros,
      slices,
      windows: stored.windows,
    };
    return { state, bytes: obj.body.length };
  }

  /** Removes objects this process wrote under `run` that no book will name (an abandoned run). */
  async discard(grain: Grain, run: string, metrics: readonly string[]): Promise<void> {
    await Promise.all(metrics.map((m) => this.store.delete(this.key(grain, run, m)).catch(() => {})));
  }

  /**
   * Removes the objects of every run but `keep`: those of `previous` (the state the book named
   * before `keep` replaced it) at once, any other once older than the grace period.
   */
  async prune(
    grain: Grain,
    keep: DetectorStateRef,
    previous: DetectorStateRef | undefined,
    now: Date,
  ): Promise<void> {
    const keys = await this.store.list(this.folder(grain));
    const stale = keys.filter((k) => {
      const run = /\/run-([^/]+)\//.exec(k)?.[1];
      if (!run || run === keep.run) return false;
      if (run === previous?.run) return true;
      const t = runTime(run);
      return t !== undefined && t <= now.getTime() - ORPHAN_GRACE_MS;
    });
    await Promise.all(stale.map((k) => this.store.delete(k).catch(() => {})));
  }
}
