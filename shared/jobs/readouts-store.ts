import { DataError } from '../errors.js';
import type { AllReadouts } from '../experiments/index.js';
import type { ObjectStore } from '../ports/object-store.js';
import { STORAGE_LAYOUT } from '../storage/layout.js';
import { formatIso } from '../time/window.js';

/** The daily job's readouts as stored: as of when, and every experiment and policy read out. */
export interface StoredReadouts extends AllReadouts {
  readonly asOf: string;
}

const ENC = new TextEncoder();
const DEC = new TextDecoder();
const LATEST = `${STORAGE_LAYOUT.readouts.prefix}/latest.json`;

/** Writes the readouts of a day (kept per day) and as the latest (what the report shows). */
export async function saveReadouts(store: ObjectStore, asOf: Date, r: AllReadouts): Promise<StoredReadouts> {
  const stored: StoredReadouts = { asOf: formatIso(asOf), ...r };
  const body = ENC.encode(`${JSON.stringify(stored)}\n`);
  const day = formatIso(asOf).slice(0, 10);
  await store.put(`${STORAGE_LAYOUT.readouts.prefix}/as-of=${day}.json`, body, {
    contentType: 'application/json',
  });
  await store.put(LATEST, body, { contentType: 'application/json' });
  return stored;
}

export async function loadReadouts(store: ObjectStore): Promise<StoredReadouts | undefined> {
  const obj = await store.get(LATEST);
  if (!obj) return undefined;
  try {
    return JSON.parse(DEC.decode(obj.body)) as StoredReadouts;
  } catch (err) {
    throw new DataError(`readouts ${store.urlOf(LATEST)} are not valid JSON`, { cause: err });
  }
}
