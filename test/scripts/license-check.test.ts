import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkLicenses,
  formatFinding,
  type LockFile,
  permitsNonCopyleft,
} from '../../scripts/license-check.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(import.meta.dirname, 'fixtures/copyleft-lock.json');
const readLock = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as LockFile;

describe('license check of the runtime dependency tree', () => {
  it("the project's own package-lock.json ships no copyleft and no unlicensed package", () => {
    const lock = readLock(path.join(ROOT, 'package-lock.json'));
    expect(checkLicenses(lock).map(formatFinding)).toEqual([]);
    // The check really walks the tree: the runtime dependencies are in it.
    expect(Object.keys(lock.packages!['']!.dependencies ?? {}).length).toBeGreaterThan(5);
  });

  it('flags copyleft and unknown licenses that ship, and only those', () => {
    const findings = checkLicenses(readLock(FIXTURE));
    expect(findings.map((f) => [f.path, f.reason, f.via.join('>')])).toEqual([
      ['node_modules/no-license', 'unknown', 'no-license'],
      ['node_modules/peer-required', 'copyleft', 'permissive>weak-copyleft>peer-required'],
      // Node resolves the nested copy first: the hoisted ISC one is not what `permissive` loads.
      ['node_modules/permissive/node_modules/shadowed', 'copyleft', 'permissive>shadowed'],
      ['node_modules/weak-copyleft', 'copyleft', 'permissive>weak-copyleft'],
    ]);
    // The dual-licensed package, the dev-only AGPL tool and its SSPL dependency, the optional
    // peer and the uninstalled optional dependency are not shipped or not copyleft-bound.
  });

  it('reads SPDX expressions: OR needs one acceptable branch, AND needs all', () => {
    expect(permitsNonCopyleft('MIT')).toBe(true);
    expect(permitsNonCopyleft('Apache-2.0 AND BSL-1.0')).toBe(true);
    expect(permitsNonCopyleft('(MIT OR GPL-3.0-or-later)')).toBe(true);
    expect(permitsNonCopyleft('GPL-2.0-only WITH Classpath-exception-2.0')).toBe(false);
    expect(permitsNonCopyleft('MIT AND (LGPL-2.1-only OR MPL-2.0)')).toBe(false);
    expect(permitsNonCopyleft('AGPL-3.0')).toBe(false);
    expect(permitsNonCopyleft('SEE LICENSE IN LICENSE.txt')).toBeUndefined();
  });

  it('as a script: exit 1 and one line per finding on a copyleft lock, exit 0 on the real one', () => {
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const script = path.join(ROOT, 'scripts/license-check.ts');
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(tsx, [script, FIXTURE], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      failure = err as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toMatch(
      /permissive\/node_modules\/shadowed@2\.0\.0: copyleft license GPL-3\.0-only/,
    );
    expect(failure?.stderr).toMatch(/4 runtime dependencies are copyleft or unlicensed/);
    const ok = execFileSync(tsx, [script, path.join(ROOT, 'package-lock.json')], { encoding: 'utf8' });
    expect(ok).toMatch(/no copyleft/);
  });
});
