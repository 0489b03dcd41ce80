import { DataError } from '../errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import type { Grain } from '../time/window.js';
import type { OpenIncident } from './incidents.js';

/** Every open incident of a grain and the last window judged, stored as one object. */
export interface IncidentBook {
  /** Start of the last window judged (ISO); a rerun of it or an earlier window sends nothing new. */
  readonly processedThrough?: string;
  /** incidentKey (kind:metric) → its open incident */
  readonly open: Readonly<Record<string, OpenIncident>>;
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
      return { book: JSON.parse(DEC.decode(obj.body)) as IncidentBook, etag: obj.etag };
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
