import { gunzipSync, gzipSync } from 'node:zlib';
import { getOrInsert } from '../collections.js';
import type { Cell, QueryResult } from '../ports/query-engine.js';
import { numberColumn, stringColumn } from '../ports/query-engine.js';
import { kindOf } from './aggregates/index.js';
import type { Intermediate } from './aggregates/kind.js';
import type { MetricPlan, PlannedAggregate, SourceScan } from './plan.js';

/**
 * Intermediates of non-additive aggregates (distinct counts, percentiles): per window, per slice
 * of the aggregate's finest dimensions (`PlannedAggregate.dims`), the keys of its rows and how many
 * rows had each. The window's own scan computes them as extra grouping sets — (window, dims…, key)
 * — so they cost no extra read of the lake; a day is then merged from its 24 hours' intermediates
 * instead of rescanning raw events, with the value each kind's module computes from the merged
 * keys (shared/metrics/aggregates). What a kind stores and how it merges lives in its module.
 *
 * Result columns added to the scan: `k<i>` (the key of intermediate set i, null when rolled up),
 * `gk` (GROUPING over the keys: all ones on ordinary rows), `n_<alias>` (rows of the group that
 * match the aggregate's filter).
 */
export interface IntermediateSet {
  /** Output column of the key, `k<i>`. */
  readonly column: string;
  /** Column of the key in the scan's inner query (never a name of the lake's tables). */
  readonly inner: string;
  readonly dims: readonly string[];
  /** The logical column the key is built from. */
  readonly source: string;
  readonly intermediate: Intermediate;
  /** Aggregates kept at this set (same kind of key, same column, same dimensions). */
  readonly aggregates: readonly PlannedAggregate[];
}

/** The intermediate sets of a scan: one per (key kind, column, dimensions) of its non-additive aggregates. */
export function intermediateSets(scan: SourceScan): IntermediateSet[] {
  const sets = new Map<
    string,
    { first: PlannedAggregate; intermediate: Intermediate; aggs: PlannedAggregate[] }
  >();
  for (const a of scan.aggregates) {
    const intermediate = kindOf(a).intermediate;
    if (!intermediate) continue;
    const id = JSON.stringify([a.kind, a.column, a.dims]);
    getOrInsert(sets, id, () => ({ first: a, intermediate, aggs: [] })).aggs.push(a);
  }
  return [...sets.values()].map((s, i) => ({
    column: `k${i}`,
    inner: `__vigil_k${i}`,
    dims: s.first.dims,
    source: s.first.column!,
    intermediate: s.intermediate,
    aggregates: s.aggs,
  }));
}

export const countColumn = (a: PlannedAggregate) => `n_${a.alias}`;

/** One aggregate's intermediate of one window: rows `[...dims values, key, rows with it]`. */
export interface AggregateIntermediate {
  readonly dims: readonly string[];
  readonly keys: readonly (readonly (string | number | null)[])[];
}

/** A source's intermediates of one window, by aggregate alias. */
export type SourceIntermediates = Readonly<Record<string, AggregateIntermediate>>;

/**
 * Splits a scan's result into its ordinary rows (what `evaluatePlan` reads, exactly as a scan
 * without intermediates returns) and its intermediate rows.
 */
export function splitResult(
  plan: MetricPlan,
  scan: SourceScan,
  result: QueryResult,
): { rows: QueryResult; keys?: QueryResult } {
  const sets = plan.intermediates ? intermediateSets(scan) : [];
  if (sets.length === 0) return { rows: result };
  const gk = numberColumn(result, 'gk');
  const all = (1 << sets.length) - 1;
  const pick = (keep: (i: number) => boolean, columns: readonly string[]): QueryResult => {
    const idx: number[] = [];
    for (let i = 0; i < result.rowCount; i++) if (keep(i)) idx.push(i);
    const data: Record<string, Cell[]> = {};
    for (const c of columns) {
      const col = result.data[c]!;
      data[c] = idx.map((i) => col[i] ?? null);
    }
    return {
      columns,
      data,
      rowCount: idx.length,
      ...(result.bytesScanned !== undefined ? { bytesScanned: result.bytesScanned } : {}),
    };
  };
  const extra = new Set([
    'gk',
    ...sets.map((s) => s.column),
    ...sets.flatMap((s) => s.aggregates.map(countColumn)),
  ]);
  return {
    rows: pick(
      (i) => gk[i] === all,
      result.columns.filter((c) => !extra.has(c)),
    ),
    keys: pick((i) => gk[i] !== all, result.columns),
  };
}

function storedKey(v: Cell, intermediate: Intermediate): string | number | null {
  if (v === null) return null;
  if (intermediate.keyType === 'text') return String(v);
  const x = Number(v);
  // JSON has no NaN or infinities: kept as their text, read back by Number().
  return Number.isFinite(x) ? x : String(x);
}

/** The intermediates of the window starting at `windowStartMs`, from a scan's intermediate rows. */
export function windowIntermediates(
  scan: SourceScan,
  keys: QueryResult,
  windowStartMs: number,
): Record<string, AggregateIntermediate> {
  const sets = intermediateSets(scan);
  const w = numberColumn(keys, 'w');
  const gk = numberColumn(keys, 'gk');
  const dimValues = new Map(scan.dimensions.map((d) => [d, stringColumn(keys, `d_${d}`)]));
  const out: Record<string, AggregateIntermediate> = {};
  sets.forEach((set, i) => {
    const mask = ((1 << sets.length) - 1) ^ (1 << (sets.length - 1 - i));
    const key = keys.data[set.column]!;
    const rows: number[] = [];
    for (let r = 0; r < keys.rowCount; r++)
      // A null key is no key: distinct counts and percentiles skip nulls.
      if (gk[r] === mask && Math.round((w[r] ?? 0) * 1000) === windowStartMs && key[r] !== null) rows.push(r);
    for (const a of set.aggregates) {
      const n = numberColumn(keys, countColumn(a));
      out[a.alias] = {
        dims: set.dims,
        keys: rows
          .filter((r) => (n[r] ?? 0) > 0)
          .map((r) => [
            ...set.dims.map((d) => dimValues.get(d)![r] ?? null),
            storedKey(key[r]!, set.intermediate),
            n[r]!,
          ]),
      };
    }
  });
  return out;
}

const FORMAT = 1;

interface StoredIntermediates {
  readonly format: number;
  readonly plan: string;
  readonly sources: Readonly<Record<string, SourceIntermediates>>;
}

/** A window's intermediates as stored: gzipped JSON (ids and values compress several-fold). */
export function encodeIntermediates(
  signature: string,
  sources: Record<string, SourceIntermediates>,
): Uint8Array {
  const body: StoredIntermediates = { format: FORMAT, plan: signature, sources };
  return gzipSync(JSON.stringify(body));
}

/** Parses stored intermediates; undefined when of another plan or format (then: rescan). */
export function decodeIntermediates(
  bytes: Uint8Array,
  signature: string,
): Readonly<Record<string, SourceIntermediates>> | undefined {
  try {
    const s = JSON.parse(gunzipSync(bytes).toString('utf8')) as StoredIntermediates;
    return s.format === FORMAT && s.plan === signature ? s.sources : undefined;
  } catch {
    return undefined;
  }
}

/** The source's intermediates cover every non-additive aggregate of the scan at the planned grain. */
export function covers(scan: SourceScan, src: SourceIntermediates | undefined): boolean {
  return scan.aggregates
    .filter((a) => kindOf(a).intermediate)
    .every((a) => {
      const x = src && Object.hasOwn(src, a.alias) ? src[a.alias] : undefined;
      return x !== undefined && JSON.stringify(x.dims) === JSON.stringify(a.dims);
    });
}

/** Non-additive values of a coarser window, by grouping bitmask, slice and alias. */
export interface MergedValues {
  value(g: number, dims: readonly (string | null)[], alias: string): Cell;
}

/**
 * Merges windows' intermediates of one source into the values of their union window: for each
 * grouping set of the scan inside an aggregate's dimensions, the keys of each slice are added up
 * and handed to the kind's module. Groups of such a set with no key get the kind's empty value
 * (0 distinct, no percentile), as the engine gives them; sets outside the aggregate's dimensions
 * are read by no metric and stay null.
 */
export function mergeIntermediates(scan: SourceScan, parts: readonly SourceIntermediates[]): MergedValues {
  const k = scan.dimensions.length;
  const gOf = (set: readonly string[]) =>
    scan.dimensions.reduce((g, d, j) => (set.includes(d) ? g : g | (1 << (k - 1 - j))), 0);
  const slot = (g: number, dims: readonly (string | null)[]) => JSON.stringify([g, ...dims]);
  const values = new Map<string, Map<string, Cell>>(); // alias → slot → value
  const aggs = new Map<string, { a: PlannedAggregate; intermediate: Intermediate; sets: Set<number> }>();
  for (const a of scan.aggregates) {
    const intermediate = kindOf(a).intermediate;
    if (!intermediate) continue;
    const sets = scan.groupingSets.filter((s) => s.every((d) => a.dims.includes(d)));
    aggs.set(a.alias, { a, intermediate, sets: new Set(sets.map(gOf)) });
    const bySlot = new Map<string, Map<string | number, number>>();
    for (const part of parts) {
      const x = part[a.alias];
      if (!x) continue;
      const at = scan.dimensions.map((d) => x.dims.indexOf(d));
      for (const row of x.keys) {
        const key = row[x.dims.length]!;
        const n = Number(row[x.dims.length + 1]);
        for (const set of sets) {
          const dims = at.map((i, j) =>
            set.includes(scan.dimensions[j]!) ? ((row[i] as string | null) ?? null) : null,
          );
          const keys = getOrInsert(bySlot, slot(gOf(set), dims), () => new Map());
          const kk = intermediate.keyType === 'double' ? Number(key) : key;
          keys.set(kk, (keys.get(kk) ?? 0) + n);
        }
      }
    }
    const out = new Map<string, Cell>();
    for (const [s, keys] of bySlot) out.set(s, intermediate.value(keys, a));
    values.set(a.alias, out);
  }
  return {
    value(g, dims, alias) {
      const agg = aggs.get(alias);
      if (!agg?.sets.has(g)) return null;
      const v = values.get(alias)!.get(slot(g, dims));
      return v !== undefined ? v : agg.intermediate.value(new Map(), agg.a);
    },
  };
}
