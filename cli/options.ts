import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultConfig, type VigilConfig } from '../shared/config/file.js';
import { MAX_CONFIG_BYTES } from '../shared/config/limits.js';
import { parseConfig } from '../shared/config/read.js';
import { InputError } from '../shared/errors.js';
import { type Grain, parseGrain, parseUtc, type Window, windowsInRange } from '../shared/time/window.js';
import { readFileBounded } from './bounded-read.js';

/** Shared parsing of CLI flags into validated values (bad input → InputError, exit 2). */

/** The `--config` file (vigil.yaml) resolved, or the core catalog alone without one. */
export async function loadConfig(file: string | undefined): Promise<VigilConfig> {
  if (!file) return defaultConfig();
  return parseConfig(await readConfigFile(file), file);
}

/**
 * The text of a `--config` file; an unreadable file is an InputError naming it and why, and one
 * over MAX_CONFIG_BYTES is refused before it is read.
 */
export async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFileBounded(file, MAX_CONFIG_BYTES, `--config ${file}`);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(
      `--config ${file}: cannot read file (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
}

export function parseRange(o: { grain: string; from: string; to: string }): {
  grain: Grain;
  windows: Window[];
} {
  const grain = parseGrain(o.grain, '--grain');
  const from = parseUtc(o.from, '--from');
  const to = parseUtc(o.to, '--to');
  return { grain, windows: windowsInRange(grain, from, to) };
}

export function parsePositiveInt(value: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new InputError(`${flag} must be an integer between 1 and ${max}, got '${value}'`);
  return n;
}

/** Writes a file atomically: temp file in the same folder, then rename. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write ${file}${code ? ` (${code})` : ''}`, { cause: err });
  }
}

export async function requireLake(dir: string): Promise<void> {
  const { stat } = await import('node:fs/promises');
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new InputError(`--lake ${dir}: not a directory`);
}

export function printSummary(json: boolean | undefined, summary: object, lines: string[]): void {
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(`${lines.join('\n')}\n`);
}
