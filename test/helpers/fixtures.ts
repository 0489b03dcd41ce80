import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The repo's own copies of external test data (see test/fixtures/README.md for each source and
 * license). Tests read only these, never a folder outside the clone.
 */
export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

/** A path inside test/fixtures; fails naming the missing file. */
export function fixturePath(...parts: string[]): string {
  const p = path.join(FIXTURES, ...parts);
  if (!existsSync(p)) throw new Error(`test fixture ${path.relative(process.cwd(), p)} not found`);
  return p;
}
