import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../shared/errors.js';

/**
 * What Vigil created, so it never deletes or overwrites what it did not. A folder Vigil creates
 * (a generated lake, a results store, a demo folder, a report folder) carries a `.vigil-owned`
 * marker naming its kind and the commands that wrote into it; a command writes into a folder only
 * when it is new, empty, or marked with the same kind, and wipes one only when every writer was
 * that command (`vigil demo` never wipes a store `vigil backfill` filled).
 */
export type OwnedKind = 'lake' | 'store' | 'demo' | 'report';

export interface OwnedMarker {
  readonly vigil: 1;
  readonly kind: OwnedKind;
  /** Commands that wrote into the folder, first one first. */
  readonly by: readonly string[];
  readonly createdAt: string;
}

export const MARKER = '.vigil-owned';

const WHAT: Record<OwnedKind, string> = {
  lake: 'a lake Vigil generated',
  store: 'a Vigil results store',
  demo: 'a Vigil demo folder',
  report: 'a Vigil report folder',
};

export async function readMarker(dir: string): Promise<OwnedMarker | undefined> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, MARKER), 'utf8')) as Partial<OwnedMarker>;
    return m.vigil === 1 && typeof m.kind === 'string' && Array.isArray(m.by)
      ? (m as OwnedMarker)
      : undefined;
  } catch {
    return undefined;
  }
}

async function writeMarker(dir: string, m: OwnedMarker): Promise<void> {
  await writeFile(path.join(dir, MARKER), `${JSON.stringify(m)}\n`);
}

/**
 * Makes `dir` a folder of `kind` that `by` may write into, or refuses with one line. `legacy`
 * recognises folders of that kind written before markers existed (adopted, then marked).
 * `flag` names the option in the error (`--store`, `--out`, ...).
 */
export async function claimDir(
  dir: string,
  kind: OwnedKind,
  by: string,
  flag: string,
  legacy?: (entries: string[]) => boolean | Promise<boolean>,
): Promise<OwnedMarker> {
  const st = await lstat(dir).catch(() => undefined);
  if (st && !st.isDirectory())
    throw new InputError(
      `${flag} ${dir}: exists and is not a folder (${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}); refusing to write there`,
    );
  const now = new Date().toISOString();
  if (!st) {
    await mkdir(dir, { recursive: true });
    const m: OwnedMarker = { vigil: 1, kind, by: [by], createdAt: now };
    await writeMarker(dir, m);
    return m;
  }
  const marker = await readMarker(dir);
  if (marker) {
    if (marker.kind !== kind)
      throw new InputError(
        `${flag} ${dir}: is ${WHAT[marker.kind]}, not ${WHAT[kind]}; refusing to write there`,
      );
    if (marker.by.includes(by)) return marker;
    const m: OwnedMarker = { ...marker, by: [...marker.by, by] };
    await writeMarker(dir, m);
    return m;
  }
  const entries = (await readdir(dir)).filter((e) => e !== MARKER);
  if (entries.length > 0 && !(await legacy?.(entries)))
    throw new InputError(
      `${flag} ${dir}: exists, is not empty and is not ${WHAT[kind]} (no ${MARKER}); refusing to write there — use a new or empty folder`,
    );
  const m: OwnedMarker = { vigil: 1, kind, by: [by], createdAt: now };
  await writeMarker(dir, m);
  return m;
}

/** True when only `by` ever wrote into `dir` (a marked folder of `kind`): it may wipe it. */
export async function onlyWrittenBy(dir: string, kind: OwnedKind, by: string): Promise<boolean> {
  const m = await readMarker(dir);
  return m?.kind === kind && m.by.every((b) => b === by);
}
