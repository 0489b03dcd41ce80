import { lstat, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultConfig, type VigilConfig } from '../shared/config/file.js';
import { MAX_CONFIG_BYTES } from '../shared/config/limits.js';
import { parseConfig } from '../shared/config/read.js';
import { InputError, VigilError } from '../shared/errors.js';
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

/** Errors of a full or failing disk: a failure (exit 1), not bad input. */
const DISK_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'I/O error',
};

function writeError(file: string, err: unknown): VigilError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code && DISK_ERRORS[code])
    return new VigilError(`cannot write ${file}: ${DISK_ERRORS[code]} (${code})`, { cause: err });
  return new InputError(`cannot write ${file}${code ? ` (${code})` : ''}`, { cause: err });
}

/** First line, and for JSON the first key, of a text: what identifies the kind of file Vigil writes. */
function signature(text: string): string {
  const lines = text.split('\n', 3);
  const first = lines[0] ?? '';
  return first === '{' || first === '[' ? `${first}\n${(lines[1] ?? '').split(':')[0]}` : first;
}

/**
 * Writes a file atomically: temp file in the same folder, then rename. Never replaces what Vigil did
 * not write: a symbolic link is refused, a device or FIFO is written through (never renamed over),
 * and an existing file is overwritten only when it is the same kind of output (same header line).
 * A full disk is exit 1 with one line.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const st = await lstat(file).catch(() => undefined);
  if (st?.isSymbolicLink())
    throw new InputError(`${file}: is a symbolic link; refusing to replace it (write to its target instead)`);
  if (st?.isDirectory()) throw new InputError(`${file}: is a folder, not a file`);
  if (st && !st.isFile()) {
    try {
      await writeFile(file, content);
    } catch (err) {
      throw writeError(file, err);
    }
    return;
  }
  if (st && st.size > 0) {
    const head = await readHead(file);
    if (signature(head) !== signature(content))
      throw new InputError(
        `${file}: exists and is not output of this command (its first line differs); refusing to overwrite it — remove it or choose another path`,
      );
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw writeError(file, err);
  }
}

async function readHead(file: string): Promise<string> {
  const h = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await h.close();
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
