import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkDayRange } from '../../shared/analysis/common.js';
import { InputError } from '../../shared/errors.js';
import { MANIFEST_FILE } from '../../shared/generator/manifest.js';
import type { QueryEngine } from '../../shared/ports/query-engine.js';
import { parseUtc } from '../../shared/time/window.js';
import { openLakeEngine } from '../engine.js';
import { loadConfig, printSummary, requireLake, writeFileAtomic } from '../options.js';

/**
 * Shared plumbing of the `vigil analyze …` and `vigil design …` commands (not a command itself):
 * flag parsing, the lake range default, the engine's lifetime, and writing/printing the result.
 */
export interface AnalysisFlags {
  lake: string;
  config?: string;
  from?: string;
  to?: string;
  out?: string;
  json?: boolean;
}

/** --from/--to, defaulting to the lake's generated range (its _manifest.json) when absent. */
export async function resolveRange(o: AnalysisFlags): Promise<{ from: Date; to: Date }> {
  let from = o.from;
  let to = o.to;
  if (from === undefined || to === undefined) {
    const text = await readFile(path.join(o.lake, MANIFEST_FILE), 'utf8').catch(() => undefined);
    const manifest = text ? (JSON.parse(text) as { start?: string; end?: string }) : undefined;
    from ??= manifest?.start;
    to ??= manifest?.end;
    if (from === undefined) throw new InputError('--from ISO is required (the lake has no _manifest.json)');
    if (to === undefined) throw new InputError('--to ISO is required (the lake has no _manifest.json)');
  }
  const range = { from: parseUtc(from, '--from'), to: parseUtc(to, '--to') };
  checkDayRange(range.from, range.to);
  return range;
}

export function parseNumber(
  value: string | undefined,
  flag: string,
  check: (n: number) => boolean,
  what: string,
) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new InputError(`${flag} must be ${what}, got '${value}'`);
  return n;
}

export const isInt = (lo: number, hi: number) => (n: number) => Number.isInteger(n) && n >= lo && n <= hi;
export const inOpenUnit = (n: number) => n > 0 && n < 1;

/** Validates flags first, then opens the engine, runs, closes, writes --out atomically, prints. */
export async function runAnalysis<T extends object>(
  o: AnalysisFlags,
  compute: (
    engine: QueryEngine,
    range: { from: Date; to: Date },
    sources: Record<string, never> | undefined,
  ) => Promise<T>,
  summarize: (result: T) => string[],
): Promise<void> {
  const range = await resolveRange(o);
  const config = o.config ? await loadConfig(o.config) : undefined;
  await requireLake(o.lake);
  const started = performance.now();
  const engine = await openLakeEngine(o.lake, config?.sources);
  let result: T;
  try {
    result = await compute(engine, range, config?.sources as Record<string, never> | undefined);
  } finally {
    await engine.close();
  }
  if (o.out) await writeFileAtomic(o.out, `${JSON.stringify(result, null, 2)}\n`);
  const seconds = (performance.now() - started) / 1000;
  // --json prints the whole result (the same object as --out), with the run's timing.
  printSummary(o.json, { ...result, ...(o.out ? { out: o.out } : {}), seconds: Number(seconds.toFixed(3)) }, [
    ...summarize(result),
    `${o.out ? `Wrote ${o.out}` : 'Done'} in ${seconds.toFixed(2)}s`,
  ]);
}

export const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? '—' : `${(100 * x).toFixed(digits)}%`;
export const fmt = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits });
