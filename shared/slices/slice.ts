import { InputError } from '../errors.js';

/**
 * Slice identity (DESIGN.md "Slice keys"). Inside the code a slice is structured: dimension → value
 * pairs, sorted by dimension, where a SQL NULL is `null` (never the text "(null)"). The key format
 * `dim=value;dim=value` is rendered once, when the slice is made, and is what edges write (CSV,
 * alerts, report). It escapes `\`, `;` and `=` and writes a literal "(null)" as `\(null)`, so it is
 * injective: two different slices never share a key, and `parseSliceKey` (for edges that read keys
 * back, e.g. a stored CSV) returns exactly the slice that was written. Code never splits a key to
 * find dimensions or values; it reads `pairs`.
 */
export type SliceValue = string | null;
export type SlicePair = readonly [dimension: string, value: SliceValue];

export interface Slice {
  /** Sorted by dimension (code-unit order), one pair per dimension; [] is the total. */
  readonly pairs: readonly SlicePair[];
  /** The DESIGN.md key of `pairs` ('' for the total): the slice's identity in maps and files. */
  readonly key: string;
}

export const NULL_TEXT = '(null)';

export const TOTAL: Slice = Object.freeze({ pairs: Object.freeze([]) as readonly SlicePair[], key: '' });

function escapePart(text: string): string {
  return text.replace(/[\\;=]/g, (c) => `\\${c}`);
}

function renderValue(value: SliceValue): string {
  if (value === null) return NULL_TEXT;
  return value === NULL_TEXT ? `\\${NULL_TEXT}` : escapePart(value);
}

function byDimension(a: SlicePair, b: SlicePair): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The key of sorted pairs (DESIGN.md format). */
export function renderSliceKey(pairs: readonly SlicePair[]): string {
  return pairs.map(([d, v]) => `${escapePart(d)}=${renderValue(v)}`).join(';');
}

/** Makes a slice from pairs in any order; a dimension named twice is a programming error. */
export function sliceOf(pairs: readonly SlicePair[]): Slice {
  if (pairs.length === 0) return TOTAL;
  const sorted = [...pairs].sort(byDimension).map(([d, v]) => Object.freeze([d, v] as const));
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]![0] === sorted[i - 1]![0]) throw new Error(`slice names dimension ${sorted[i]![0]} twice`);
  return Object.freeze({ pairs: Object.freeze(sorted), key: renderSliceKey(sorted) });
}

/** `{region: 'BR'}` → the slice region=BR (a null value is the NULL slice). */
export function sliceFrom(values: Readonly<Record<string, SliceValue>>): Slice {
  return sliceOf(Object.entries(values));
}

export function isTotal(slice: Slice): boolean {
  return slice.pairs.length === 0;
}

export function dimensionsOf(slice: Slice): readonly string[] {
  return slice.pairs.map((p) => p[0]);
}

/** The value of one dimension: undefined when the slice does not cut on it, null for the NULL slice. */
export function dimensionValue(slice: Slice, dimension: string): SliceValue | undefined {
  return slice.pairs.find((p) => p[0] === dimension)?.[1];
}

/** An identity for the set of dimensions a slice cuts on (its grouping set), e.g. for per-dimension sums. */
export function dimensionSetKey(slice: Slice): string {
  return JSON.stringify(dimensionsOf(slice));
}

/** Same dimensions, some value differs: the two slices hold disjoint rows. */
export function areSiblings(a: Slice, b: Slice): boolean {
  if (a.pairs.length !== b.pairs.length || a.key === b.key) return false;
  return a.pairs.every((p, i) => p[0] === b.pairs[i]![0]);
}

/** One slice is the other or refines it (every pair of `outer` is in `inner`). */
export function contains(outer: Slice, inner: Slice): boolean {
  return outer.pairs.every(([d, v]) => inner.pairs.some(([d2, v2]) => d2 === d && v2 === v));
}

/** Sorts slices by key (stable, locale-free). */
export function compareSlices(a: Slice, b: Slice): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Reads a key back (edges only: a stored CSV, an alert log). The exact inverse of the rendering:
 * `\x` is x, an unescaped `;` ends a pair, the first unescaped `=` ends its dimension, and a value
 * written `(null)` is NULL while `\(null)` is the text. Anything else is an InputError.
 */
export function parseSliceKey(key: string, what = 'slice'): Slice {
  if (key === '') return TOTAL;
  const pairs: [string, SliceValue][] = [];
  let dim: string | undefined;
  let part = '';
  let raw = '';
  const end = () => {
    if (dim === undefined) throw new InputError(`${what}: pair ${JSON.stringify(raw)} has no unescaped '='`);
    if (dim === '') throw new InputError(`${what}: a pair has an empty dimension`);
    pairs.push([dim, raw === NULL_TEXT ? null : part]);
    dim = undefined;
    part = '';
    raw = '';
  };
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (ch === '\\') {
      const next = key[i + 1];
      if (next === undefined) throw new InputError(`${what}: key ends inside an escape`);
      part += next;
      raw += ch + next;
      i++;
    } else if (ch === ';') end();
    else if (ch === '=' && dim === undefined) {
      dim = part;
      part = '';
      raw = '';
    } else if (ch === '=') throw new InputError(`${what}: a value holds an unescaped '='`);
    else {
      part += ch;
      raw += ch;
    }
  }
  end();
  if (new Set(pairs.map((p) => p[0])).size !== pairs.length)
    throw new InputError(`${what}: ${JSON.stringify(key)} names a dimension twice`);
  const slice = sliceOf(pairs);
  if (slice.key !== key) throw new InputError(`${what}: ${JSON.stringify(key)} is not in canonical form`);
  return slice;
}

const PLAIN = /^[\p{L}\p{N}_.:/@+-]{1,200}$/u;

/**
 * A slice for people (not an identity): `region=BR · surface=live`. A value that could be misread
 * (separators, quotes, spaces, "NULL", empty, very long) is shown quoted; NULL is shown as NULL.
 */
export function sliceLabel(slice: Slice): string {
  if (isTotal(slice)) return 'total';
  const show = (v: SliceValue) =>
    v === null ? 'NULL' : PLAIN.test(v) && v !== 'NULL' ? v : JSON.stringify(v);
  return slice.pairs.map(([d, v]) => `${PLAIN.test(d) ? d : JSON.stringify(d)}=${show(v)}`).join(' · ');
}
