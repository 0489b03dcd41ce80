import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { isMethodName } from '../../shared/stats/index.js';
import { fixturePath } from '../helpers/fixtures.js';

/** The reference vectors (SciPy/statsmodels, R `did`), copied into test/fixtures/reference/stats. */
export const VECTOR_ROOT = fixturePath('reference', 'stats');

export interface Vector {
  file: string;
  method: string;
  description: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  tolerance: { abs: number; rel: number };
}

/** Every vector in the fixture folder, implemented method or not. */
export function loadAllVectors(): Vector[] {
  const out: Vector[] = [];
  for (const dir of fs.readdirSync(VECTOR_ROOT).sort()) {
    const full = path.join(VECTOR_ROOT, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const file of fs.readdirSync(full).sort()) {
      if (!/^case-.*\.json$/.test(file)) continue;
      const data = JSON.parse(fs.readFileSync(path.join(full, file), 'utf8')) as Omit<Vector, 'file'>;
      out.push({ file: `${dir}/${file}`, ...data });
    }
  }
  return out;
}

/**
 * The vectors of methods `vigil stats` implements. A vector whose method is not implemented yet
 * is reported by the vector suite as a todo, not silently dropped.
 */
export function loadVectors(): Vector[] {
  return loadAllVectors().filter((v) => isMethodName(v.method));
}

/**
 * The README pass rule: |a − e| ≤ max(abs, rel·|e|) element-wise, booleans exact, every expected
 * key — recursively, for methods whose output nests objects (staggered_did).
 */
export function expectMatches(
  actual: Record<string, unknown>,
  expected: Record<string, unknown>,
  tolerance: { abs: number; rel: number },
  at = '',
): void {
  const check = (g: unknown, w: unknown, path: string): void => {
    if (Array.isArray(w)) {
      expect(Array.isArray(g), `${path} should be an array`).toBe(true);
      expect((g as unknown[]).length, `${path} length`).toBe(w.length);
      w.forEach((x, i) => {
        check((g as unknown[])[i], x, `${path}[${i}]`);
      });
    } else if (w !== null && typeof w === 'object') {
      expect(g !== null && typeof g === 'object', `${path} should be an object`).toBe(true);
      expectMatches(g as Record<string, unknown>, w as Record<string, unknown>, tolerance, `${path}.`);
    } else if (typeof w === 'boolean') {
      expect(g, path).toBe(w);
    } else {
      expect(typeof g, `${path} type`).toBe('number');
      const e = w as number;
      const bound = Math.max(tolerance.abs, tolerance.rel * Math.abs(e));
      expect(Math.abs((g as number) - e), `${path}: got ${g}, expected ${e}`).toBeLessThanOrEqual(bound);
    }
  };
  for (const [key, want] of Object.entries(expected)) check(actual[key], want, `${at}${key}`);
}
