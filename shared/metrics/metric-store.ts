import { randomUUID } from 'node:crypto';
import { DataError, VigilError } from '../errors.js';
import { type ObjectStore, PreconditionFailedError } from '../ports/object-store.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import { formatIso, type Grain } from '../time/window.js';
import { metricRowsFromCsv, metricRowsToCsv } from './csv.js';
import type { MetricRow } from './metric-row.js';

/**
 * Metric windows in an ObjectStore. Each window has files per run (the metric rows, and optionally
 * the scan's additive aggregates) and a manifest naming the current run, written last with a
 * conditional write (If-None-Match for the first, If-Match on the manifest it read for a
 * replacement). Readers only follow the manifest, so a partial or failed write is never visible.
 *   metrics/grain=<g>/window=<ISO>/run-<id>.csv
 *   metrics/grain=<g>/window=<ISO>/_run-<id>.agg.json  (optional, see shared/jobs/rollup.ts; the `_`
 *                                                      keeps it out of Athena's metric_history table)
 *   metrics/grain=<g>/window=<ISO>/_manifest.json
 *   intermediates/grain=<g>/window=<ISO>/run-<id>.json.gz  (optional: the window's distinct keys and
 *                                                          value counts, shared/metrics/intermediates.ts)
 *
 * Deletion rule: a writer deletes only the files of the manifest its own conditional write
 * replaced (no other manifest can name them: each run names only its own files), its own files
 * when it lost the race, and crash leftovers older than ORPHAN_GRACE_MS, which no live writer can
 * still be about to name (a Lambda lives 15 minutes at most).
 */
export interface WindowManifest {
  readonly grain: Grain;
  readonly window_start: string;
  readonly run_id: string;
  readonly data: string;
  readonly rows: number;
  readonly written_at: string;
  /** When the scan that produced the rows started: of two writers, the later scan wins. */
  readonly computed_at?: string;
  /** Fingerprints of the lake partitions the rows were computed from, per source. */
  readonly inputs?: Readonly<Record<string, PartitionFingerprint>>;
  /** Key of the scan's additive aggregates, for rolling up coarser windows. */
  readonly aggregates?: string;
  /** Key of the intermediates of its non-additive aggregates, for merging coarser windows. */
  readonly intermediates?: string;
  /** Signature of the plan that computed the rows (shared/jobs/rollup.ts: planSignature). */
  readonly plan?: string;
}

/** What a window's rows were computed from: the objects of its partitions in one source. */
export interface PartitionFingerprint {
  readonly objects: number;
  readonly bytes: number;
  /** Hash of the sorted (key, size, etag or mtime) list. */
  readonly hash: string;
}

export interface WriteExtras {
  readonly computedAt?: Date;
  readonly inputs?: Readonly<Record<string, PartitionFingerprint>>;
  /** Serialized additive aggregates, stored beside the rows. */
  readonly aggregates?: string;
  /** Encoded intermediates (shared/metrics/intermediates.ts), stored in their own area. */
  readonly intermediates?: Uint8Array;
  readonly plan?: string;
}

export type WriteOutcome =
  | { readonly written: true; readonly manifest: WindowManifest; readonly replaced?: WindowManifest }
  /** A run with a later scan wrote the window first; ours was dropped (its files deleted). */
  | { readonly written: false; readonly manifest: WindowManifest };

/** The manifest kept changing under us: several writers of one window without leases. */
export class WindowContendedError extends VigilError {}

/** Crash leftovers (files no manifest names) older than this are removed by the next writer. */
export const ORPHAN_GRACE_MS = 60 * 60_000;

const ENC = new TextEncoder();
const DEC = new TextDecoder();
const MANIFEST = '_manifest.json';

function runTimeOf(key: string): number | undefined {
  const m = /\/_?run-([0-9a-z]+)-[0-9a-f]{8}\.[a-z.]+$/.exec(key);
  return m ? Number.parseInt(m[1]!, 36) : undefined;
}

/** Windows whose parsed rows one MetricStore keeps (a replay re-reads each window for every tick). */
const PARSED_CACHE = 4096;

export class MetricStore {
  private readonly parsed = new Map<string, MetricRow[]>();
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string = STORAGE_LAYOUT.metrics.prefix,
    private readonly intermediatesPrefix: string = STORAGE_LAYOUT.intermediates.prefix,
  ) {}

  private folder(grain: Grain, start: Date, prefix = this.prefix): string {
    // ':' is awkward in S3 console links and Windows paths; the ISO hour stays readable.
    return `${prefix}/grain=${grain}/window=${formatIso(start).replaceAll(':', '')}`;
  }

  private parse(body: Uint8Array, grain: Grain, start: Date): WindowManifest {
    try {
      return JSON.parse(DEC.decode(body)) as WindowManifest;
    } catch (err) {
      throw new DataError(`metric store manifest for ${grain} ${formatIso(start)} is not valid JSON`, {
        cause: err,
      });
    }
  }

  async readManifest(grain: Grain, start: Date): Promise<WindowManifest | undefined> {
    const obj = await this.store.get(`${this.folder(grain, start)}/${MANIFEST}`);
    return obj ? this.parse(obj.body, grain, start) : undefined;
  }

  /** Replaces one window's rows (all rows must belong to it). */
  async writeWindow(
    grain: Grain,
    start: Date,
    rows: readonly MetricRow[],
    now: Date,
    extras: WriteExtras = {},
  ): Promise<WriteOutcome> {
    const folder = this.folder(grain, start);
    const manifestKey = `${folder}/${MANIFEST}`;
    const runId = `${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
    const data = `${folder}/run-${runId}.csv`;
    const aggregates = extras.aggregates !== undefined ? `${folder}/_run-${runId}.agg.json` : undefined;
    const intermediates =
      extras.intermediates !== undefined
        ? `${this.folder(grain, start, this.intermediatesPrefix)}/run-${runId}.json.gz`
        : undefined;
    const ours = [data, ...(aggregates ? [aggregates] : []), ...(intermediates ? [intermediates] : [])];
    const computedAt = (extras.computedAt ?? now).toISOString();
    // Our files first, under names no other run uses: invisible until the manifest names them.
    await this.store.put(data, ENC.encode(metricRowsToCsv(rows, { lossless: true, samples: true })), {
      contentType: 'text/csv',
      ifNoneMatch: '*',
    });
    if (aggregates)
      await this.store.put(aggregates, ENC.encode(extras.aggregates!), {
        contentType: 'application/json',
        ifNoneMatch: '*',
      });
    if (intermediates)
      await this.store.put(intermediates, extras.intermediates!, {
        contentType: 'application/gzip',
        ifNoneMatch: '*',
      });
    const manifest: WindowManifest = {
      grain,
      window_start: formatIso(start),
      run_id: runId,
      data,
      rows: rows.length,
      written_at: now.toISOString(),
      computed_at: computedAt,
      ...(extras.inputs ? { inputs: extras.inputs } : {}),
      ...(aggregates ? { aggregates } : {}),
      ...(intermediates ? { intermediates } : {}),
      ...(extras.plan ? { plan: extras.plan } : {}),
    };
    const body = ENC.encode(`${JSON.stringify(manifest)}\n`);
    for (let attempt = 0; attempt < 8; attempt++) {
      const current = await this.store.get(manifestKey);
      const previous = current ? this.parse(current.body, grain, start) : undefined;
      if (previous && (previous.computed_at ?? previous.written_at) > computedAt) {
        // A later scan already stored this window: keep it, drop ours (no manifest names ours).
        await Promise.all(ours.map((k) => this.store.delete(k)));
        return { written: false, manifest: previous };
      }
      try {
        await this.store.put(manifestKey, body, {
          contentType: 'application/json',
          ...(current ? { ifMatch: current.etag } : { ifNoneMatch: '*' }),
        });
      } catch (err) {
        if (err instanceof PreconditionFailedError) continue; // another writer won: re-read
        throw err;
      }
      // Ours replaced exactly `previous`: its files are named by no manifest any more.
      const replaced = previous ? filesOf(previous).filter((k) => !ours.includes(k)) : [];
      await Promise.all(replaced.map((k) => this.store.delete(k)));
      await this.sweepOrphans(grain, start, now, [...ours, ...replaced]);
      return { written: true, manifest, ...(previous ? { replaced: previous } : {}) };
    }
    await Promise.all(ours.map((k) => this.store.delete(k)));
    throw new WindowContendedError(
      `metric window ${grain} ${formatIso(start)}: the manifest changed 8 times while writing it; run writers of one window under a lease`,
    );
  }

  /** Best effort: files of runs that died before writing their manifest, once surely dead. */
  private async sweepOrphans(grain: Grain, start: Date, now: Date, keep: readonly string[]): Promise<void> {
    const cutoff = now.getTime() - ORPHAN_GRACE_MS;
    const folder = this.folder(grain, start);
    const listed = [
      ...(await this.store.list(`${folder}/`)),
      ...(await this.store.list(`${this.folder(grain, start, this.intermediatesPrefix)}/`)),
    ];
    const old = listed.filter((k) => {
      const t = runTimeOf(k);
      return !keep.includes(k) && t !== undefined && t <= cutoff;
    });
    if (old.length === 0) return;
    // Re-read: never delete what the current manifest names.
    const current = await this.store.get(`${folder}/${MANIFEST}`);
    const named = current ? filesOf(JSON.parse(DEC.decode(current.body)) as WindowManifest) : [];
    await Promise.all(old.filter((k) => !named.includes(k)).map((k) => this.store.delete(k).catch(() => {})));
  }

  async readWindow(grain: Grain, start: Date): Promise<MetricRow[] | undefined> {
    // A writer may replace the window (and delete the old file) between our two reads: re-read once.
    for (let attempt = 0; ; attempt++) {
      const manifest = await this.readManifest(grain, start);
      if (!manifest) return undefined;
      // A run's data file is written once under a unique name: its parsed rows never change.
      const cached = this.parsed.get(manifest.data);
      if (cached) return cached;
      const obj = await this.store.get(manifest.data);
      if (obj) {
        const rows = metricRowsFromCsv(DEC.decode(obj.body), manifest.data);
        if (this.parsed.size >= PARSED_CACHE) this.parsed.delete(this.parsed.keys().next().value!);
        this.parsed.set(manifest.data, rows);
        return rows;
      }
      const now = await this.readManifest(grain, start);
      if (attempt < 2 && now && now.run_id !== manifest.run_id) continue;
      throw new DataError(`metric store data ${manifest.data} named by its manifest is missing`);
    }
  }

  /** Starts of every window of a grain the store holds (with a manifest), ascending. */
  async listWindows(grain: Grain): Promise<Date[]> {
    const keys = await this.store.list(`${this.prefix}/grain=${grain}/`);
    const out: Date[] = [];
    for (const key of keys) {
      const m = /\/window=(\d{4}-\d{2}-\d{2}T\d{2})(\d{2})(\d{2})Z\/_manifest\.json$/.exec(key);
      if (m) out.push(new Date(`${m[1]}:${m[2]}:${m[3]}Z`));
    }
    return out.sort((a, b) => a.getTime() - b.getTime());
  }

  /** The additive aggregates stored with a window, if its run stored them. */
  async readAggregates(manifest: WindowManifest): Promise<string | undefined> {
    if (!manifest.aggregates) return undefined;
    const obj = await this.store.get(manifest.aggregates);
    return obj ? DEC.decode(obj.body) : undefined;
  }

  /** The intermediates stored with a window, if its run stored them (and they have not expired). */
  async readIntermediates(manifest: WindowManifest): Promise<Uint8Array | undefined> {
    if (!manifest.intermediates) return undefined;
    return (await this.store.get(manifest.intermediates))?.body;
  }

  /** Manifests of every stored window of a grain in [from, to), by window start (ms). */
  async manifests(grain: Grain, from: Date, to: Date): Promise<Map<number, WindowManifest>> {
    const keys = await this.store.list(`${this.prefix}/grain=${grain}/`);
    const out = new Map<number, WindowManifest>();
    for (const key of keys.filter((k) => k.endsWith(`/${MANIFEST}`))) {
      const obj = await this.store.get(key);
      if (!obj) continue;
      const m = JSON.parse(DEC.decode(obj.body)) as WindowManifest;
      const start = new Date(m.window_start);
      if (start < from || start >= to) continue;
      out.set(start.getTime(), m);
    }
    return out;
  }

  /** Reads every stored window of a grain in [from, to). */
  async readRange(grain: Grain, from: Date, to: Date): Promise<MetricRow[]> {
    const out: MetricRow[] = [];
    for (const start of [...(await this.manifests(grain, from, to)).keys()].sort((a, b) => a - b)) {
      const rows = await this.readWindow(grain, new Date(start));
      if (rows) out.push(...rows);
    }
    return out;
  }
}

function filesOf(m: WindowManifest): string[] {
  return [m.data, ...(m.aggregates ? [m.aggregates] : []), ...(m.intermediates ? [m.intermediates] : [])];
}

export function encodeUtf8(text: string): Uint8Array {
  return ENC.encode(text);
}
