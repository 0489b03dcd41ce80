import { InputError } from '../errors.js';

/**
 * Input sizes refused before any parsing: past them a file is a mistake or an attack (a YAML or
 * JSON parser holds several times the text in memory). A vigil.yaml with hundreds of metrics and
 * experiments is tens of KB; 1 MiB leaves ample room.
 */
export const MAX_CONFIG_BYTES = 1 << 20;
/** JSON on stdin (`vigil stats`): raw samples of a few million numbers. */
export const MAX_JSON_INPUT_BYTES = 64 << 20;

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(bytes % (1 << 20) === 0 ? 0 : 1)} MiB`;
}

/** Refuses a text (config) longer than `limit` bytes of UTF-8, naming it and the limit. */
export function assertTextSize(text: string, what: string, limit = MAX_CONFIG_BYTES): void {
  // Cheap bound first: UTF-8 takes at least one byte per UTF-16 unit and at most three.
  if (text.length <= limit / 3) return;
  const bytes = text.length > limit ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > limit) throw tooLarge(what, limit, bytes);
}

export function tooLarge(what: string, limit: number, atLeast?: number): InputError {
  const size = atLeast === undefined ? '' : ` (${atLeast} bytes)`;
  return new InputError(`${what}: larger than ${mib(limit)}${size}; refused before parsing`);
}
