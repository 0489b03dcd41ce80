import { DataError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { parseSliceKey, type Slice, type SlicePair, sliceOf, TOTAL } from '../slices/slice.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import type { Grain } from '../time/window.js';
import { keyOfIncident, type OpenIncident } from './incidents.js';

/** Every open incident of a grain and the last window judged, stored as one object. */
export interface IncidentBook {
  /** Start of the last window judged (ISO); a rerun of it or an earlier window sends nothing new. */
  readonly processedThrough?: string;
  /** incidentKey (kind, metric or family, slice, direction) → its open incident */
  readonly open: Readonly<Record<string, OpenIncident>>;
  /**
   * The detector state that has seen exactly the windows through `processedThrough`
   * (shared/jobs/detector-state-store.ts). Written in the same compare-and-swap as the rest, so the
   * book and the state it names always match, whatever write a crash interrupted.
   */
  readonly detectorState?: DetectorStateRef;
}

/** Where a grain's detector state lives: one object per metric under one run's folder. */
export interface DetectorStateRef {
  readonly run: string;
  readonly metrics: readonly string[];
}

export interface LoadedBook {
  readonly book: IncidentBook;
  /** undefined when the book does not exist yet (first write uses ifNoneMatch). */
  readonly etag: string | undefined;
}

const ENC = new TextEncoder();
const DEC = new TextDecoder();

export class IncidentBookStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string = STORAGE_LAYOUT.alertState.prefix,
  ) {}

  private key(grain: Grain): string {
    return `${this.prefix}/${grain}.json`;
  }

  async load(grain: Grain): Promise<LoadedBook> {
    const obj = await this.store.get(this.key(grain));
    if (!obj) return { book: { open: {} }, etag: undefined };
    try {
      return { book: reviveBook(JSON.parse(DEC.decode(obj.body)) as IncidentBook), etag: obj.etag };
    } catch (err) {
      throw new DataError(`incident state ${this.key(grain)} is not valid JSON`, { cause: err });
    }
  }

  /**
   * Compare-and-swap: fails with PreconditionFailedError when another run wrote since `load`, so
   * two overlapping runs can never both advance the state (and both send).
   */
  async save(grain: Grain, book: IncidentBook, etag: string | undefined): Promise<string> {
    const body = ENC.encode(`${JSON.stringify(book, null, 1)}\n`);
    const put = await this.store.put(this.key(grain), body, {
      ...(etag === undefined ? { ifNoneMatch: '*' as const } : { ifMatch: etag }),
      contentType: 'application/json',
    });
    return put.etag;
  }
}

type StoredSlice = Slice | string | { readonly pairs: readonly SlicePair[] };

/** A slice as stored: structured (rebuilt, so its key is ours) or a key of an older book (read back exactly). */
function reviveSlice(s: StoredSlice, what: string): Slice {
  // `other` (a suppressed slice in older books) cannot be recovered: the incident continues on the total.
  if (s === 'other') return TOTAL;
  return typeof s === 'string' ? parseSliceKey(s, what) : sliceOf(s.pairs);
}

/** Rebuilds slices and keys; books written before incidents were keyed by slice are read too. */
function reviveBook(raw: IncidentBook): IncidentBook {
  const open: Record<string, OpenIncident> = {};
  for (const stored of Object.values(raw.open ?? {})) {
    const old = stored as OpenIncident & { slice: StoredSlice; slices: readonly StoredSlice[] };
    const slice = reviveSlice(old.slice, `incident ${old.dedupeKey} slice`);
    const inc: OpenIncident = {
      ...old,
      slice,
      suppressed: old.suppressed ?? old.slice === 'other',
      slices: (old.slices ?? []).map((x) => reviveSlice(x, `incident ${old.dedupeKey} slices`)),
      peak: old.peak ?? { windowStart: old.since, observed: null, expected: null, topSlices: [] },
      openingTopSlices: old.openingTopSlices ?? [],
    };
    // Keys are rebuilt from the incident, so a book keyed the older way (no direction) reads back.
    open[keyOfIncident(inc)] = inc;
  }
  return {
    ...(raw.processedThrough ? { processedThrough: raw.processedThrough } : {}),
    open,
    ...(raw.detectorState ? { detectorState: raw.detectorState } : {}),
  };
}
