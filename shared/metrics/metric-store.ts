import { randomUUID } from 'node:crypto';
import { DataError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import { formatIso, type Grain } from '../time/window.js';
import { metricRowsFromCsv, metricRowsToCsv } from './csv.js';
import type { MetricRow } from './metric-row.js';

/**
 * Metric windows in an ObjectStore. Each window has a data file per run and a manifest naming the
 * current one, written last: readers only follow the manifest, so a partial or failed write is never
 * visible, and a rerun replaces the window exactly.
 *   metrics/grain=<g>/window=<ISO>/run-<id>.csv
 *   metrics/grain=<g>/window=<ISO>/_manifest.json
 */
export interface WindowManifest {
  readonly grain: Grain;
  readonly window_start: string;
  readonly run_id: string;
  readonly data: string;
  readonly rows: number;
  readonly written_at: string;
}

const ENC = new TextEncoder();
const DEC = new TextDecoder();

export class MetricStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string = STORAGE_LAYOUT.metrics.prefix,
  ) {}

  private folder(grain: Grain, start: Date): string {
    // ':' is awkward in S3 console links and Windows paths; the ISO hour stays readable.
    return `${this.prefix}/grain=${grain}/window=${formatIso(start).replaceAll(':', '')}`;
  }

  async readManifest(grain: Grain, start: Date): Promise<WindowManifest | undefined> {
    const obj = await this.store.get(`${this.folder(grain, start)}/_manifest.json`);
    if (!obj) return undefined;
    try {
      return JSON.parse(DEC.decode(obj.body)) as WindowManifest;
    } catch (err) {
      throw new DataError(`metric store manifest for ${grain} ${formatIso(start)} is not valid JSON`, {
        cause: err,
      });
    }
  }

  /** Replaces one window's rows (all rows must belong to it). */
  async writeWindow(
    grain: Grain,
    start: Date,
    rows: readonly MetricRow[],
    now: Date,
  ): Promise<WindowManifest> {
    const folder = this.folder(grain, start);
    const previous = await this.readManifest(grain, start);
    const runId = `${now.getTime().toString(36)}-${randomUUID().slice(0, 8)}`;
    const data = `${folder}/run-${runId}.csv`;
    await this.store.put(data, ENC.encode(metricRowsToCsv(rows)), { contentType: 'text/csv' });
    const manifest: WindowManifest = {
      grain,
      window_start: formatIso(start),
      run_id: runId,
      data,
      rows: rows.length,
      written_at: now.toISOString(),
    };
    await this.store.put(`${folder}/_manifest.json`, ENC.encode(`${JSON.stringify(manifest)}\n`), {
      contentType: 'application/json',
    });
    // Best effort: a leftover file is invisible to readers and removed by the next write.
    const stale = (await this.store.list(`${folder}/run-`)).filter((k) => k !== data);
    if (previous && !stale.includes(previous.data) && previous.data !== data) stale.push(previous.data);
    await Promise.all(stale.map((k) => this.store.delete(k)));
    return manifest;
  }

  async readWindow(grain: Grain, start: Date): Promise<MetricRow[] | undefined> {
    const manifest = await this.readManifest(grain, start);
    if (!manifest) return undefined;
    const obj = await this.store.get(manifest.data);
    if (!obj) throw new DataError(`metric store data ${manifest.data} named by its manifest is missing`);
    return metricRowsFromCsv(DEC.decode(obj.body), manifest.data);
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

  /** Reads every stored window of a grain in [from, to). */
  async readRange(grain: Grain, from: Date, to: Date): Promise<MetricRow[]> {
    const keys = await this.store.list(`${this.prefix}/grain=${grain}/`);
    const out: MetricRow[] = [];
    for (const key of keys.filter((k) => k.endsWith('/_manifest.json'))) {
      const obj = await this.store.get(key);
      if (!obj) continue;
      const m = JSON.parse(DEC.decode(obj.body)) as WindowManifest;
      const start = new Date(m.window_start);
      if (start < from || start >= to) continue;
      const rows = await this.readWindow(grain, start);
      if (rows) out.push(...rows);
    }
    return out;
  }
}

export function encodeUtf8(text: string): Uint8Array {
  return ENC.encode(text);
}
