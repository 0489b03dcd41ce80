import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The read-only design folder with the reference vectors: `../shared` next to the repo, or
 * wherever VIGIL_SHARED_DIR points (a clone placed elsewhere).
 */
export const SHARED_DATA = path.resolve(
  process.env.VIGIL_SHARED_DIR ?? path.join(import.meta.dirname, '../../../shared'),
);

/** A path inside the shared folder; fails with the fix when the folder is not where expected. */
export function sharedPath(...parts: string[]): string {
  const p = path.join(SHARED_DATA, ...parts);
  if (!existsSync(p))
    throw new Error(`${p} not found: put the repo next to ../shared or set VIGIL_SHARED_DIR to that folder`);
  return p;
}
