import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/lake.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory())
      return e.name === 'fixtures' || e.name === '.tmp' || e.name === '__snapshots__' ? [] : files(p);
    return /\.(ts|mjs|js)$/.test(e.name) ? [p] : [];
  });
}

describe('the suite reads nothing outside the repo', () => {
  it('no test names the design folder, its env var, or a path that climbs out of the clone', () => {
    const offenders: string[] = [];
    for (const file of files(path.join(REPO_ROOT, 'test'))) {
      if (file === import.meta.filename) continue; // this file spells the patterns out
      const text = readFileSync(file, 'utf8');
      if (/VIGIL_SHARED_DIR|\/work\/shared|shared\/(reference|bench\/nab|hooks)|DESIGN\.md['"`]/.test(text))
        offenders.push(path.relative(REPO_ROOT, file));
      // A relative path literal that leaves the repo from where the file sits (imports of the
      // repo's own shared/ folder stay inside).
      for (const m of text.matchAll(/['"`]((?:\.\.\/)+)([^'"`]*)['"`]/g)) {
        const target = path.resolve(path.dirname(file), `${m[1]}${m[2]}`);
        if (target !== REPO_ROOT && !target.startsWith(REPO_ROOT + path.sep))
          offenders.push(`${path.relative(REPO_ROOT, file)}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
