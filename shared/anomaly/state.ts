import { createHash } from 'node:crypto';
import { LevelBaseline, SeasonalBaseline } from './baseline.js';
import { Cusum } from './cusum.js';
import { StreamingDetector, TUNING } from './detector.js';
import { EvidenceTracker } from './evidence.js';
import { ContextNovelty } from './novelty.js';
import { RecurrenceContext } from './recurrence.js';
import { Repertoire } from './repertoire.js';
import { SeasonalitySelector, StepEstimator } from './seasonality.js';
import { RepeatSuppressor } from './suppress.js';
import { TailCalibrator } from './tail.js';

/**
 * Streaming detectors' whole state as bytes, and back: what a scheduled job keeps per series so
 * that a tick costs the new points only, not a replay of the lookback. Decoding gives detectors
 * that score every later point exactly as the encoded ones would have (test:
 * test/anomaly/state.test.ts), because every field is carried bit for bit: numbers as float64 (or
 * exact integers as varints), typed arrays as their bytes, sets in insertion order.
 *
 * Reflective, so detector code may add fields without touching this file; compact, because a
 * store holds one state per series: a binary tag format with interned field names, typed arrays
 * without their unused (all-zero) tail, integer arrays as deltas, and a tail calibrator's sorted
 * copy rebuilt from its ring.
 *
 * Versioned twice: DETECTOR_STATE_VERSION (bumped by hand when detector logic changes meaning
 * without changing fields) and detectorShape() (derived from the code: the classes, their field
 * names and the detector's TUNING). A state of another version or shape is refused, and the caller
 * warms its detectors up from the metric history instead.
 */
export const DETECTOR_STATE_VERSION = 2;

const CLASSES = {
  StreamingDetector,
  SeasonalitySelector,
  StepEstimator,
  LevelBaseline,
  SeasonalBaseline,
  EvidenceTracker,
  Cusum,
  TailCalibrator,
  RecurrenceContext,
  Repertoire,
  RepeatSuppressor,
  ContextNovelty,
} as const;
type ClassName = keyof typeof CLASSES;
type Ctor = abstract new (...args: never[]) => object;
const REGISTRY = new Map<string, Ctor>(Object.entries(CLASSES));
const NAMES = new Map<unknown, string>(Object.entries(CLASSES).map(([n, c]) => [c.prototype, n]));
/** Field names of registered classes (their part of the shape). */
const REGISTERED: [string, string[]][] = [];

/**
 * Lets a module outside the detector keep instances of its class in the same state (e.g. the
 * pooled rate bands of shared/alerting): encoded field for field, decoded onto its prototype. The
 * class must build with no arguments; its fresh instance's field names join detectorShape().
 */
export function registerStateClass(name: string, ctor: new () => object): void {
  if (REGISTRY.has(name) && REGISTRY.get(name) !== ctor)
    throw new Error(`state class ${name} registered twice`);
  REGISTRY.set(name, ctor);
  NAMES.set(ctor.prototype, name);
  REGISTERED.push([name, Object.keys(new ctor()).sort()]);
  shape = undefined;
}

const TYPED = [Float64Array, Uint32Array, Uint16Array, Uint8Array, Int32Array, Float32Array] as const;
type Typed = InstanceType<(typeof TYPED)[number]>;

enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  Uint = 4,
  NegInt = 5,
  Float = 6,
  Str = 7,
  StrRef = 8,
  Array = 9,
  Object = 10,
  Class = 11,
  Set = 12,
  Map = 13,
  TypedArray = 14,
  /** A TailCalibrator's `sorted`, equal to its ring sorted: rebuilt on decode. */
  DerivedSorted = 15,
  /** An array of exact integers: zigzag deltas as varints (timestamps, counters). */
  IntArray = 16,
  /** An array of other numbers: their float64 bytes. */
  FloatArray = 17,
  /** Format 3: a set of integers in [0, 2^32), in insertion order, as the bytes of the narrowest unsigned array that holds them. */
  IntSet = 18,
  /** Format 3: an array of exact integers as zigzag deltas of deltas (a regular clock costs a byte a row). */
  IntArray2 = 19,
}

/** Typed arrays are copied as their bytes: little-endian on every platform Vigil runs on (x64, arm64). */
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error('detector state needs a little-endian host');

const ENC = new TextEncoder();
const DEC = new TextDecoder();

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private n = 0;
  private readonly strings = new Map<string, number>();

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.n++] = b;
  }
  varint(x: number): void {
    this.room(8);
    while (x >= 128) {
      this.buf[this.n++] = (x % 128) | 128;
      x = Math.floor(x / 128);
    }
    this.buf[this.n++] = x;
  }
  float(x: number): void {
    this.room(8);
    this.view.setFloat64(this.n, x, true);
    this.n += 8;
  }
  floats(xs: readonly number[]): void {
    this.room(8 * xs.length);
    for (const x of xs) {
      this.view.setFloat64(this.n, x, true);
      this.n += 8;
    }
  }
  /** A set's `count` integers of `width` bytes each, little-endian, straight into the buffer (no array of them). */
  uints(xs: Set<number>, count: number, width: number): void {
    this.room(count * width);
    const buf = this.buf;
    let n = this.n;
    for (const x of xs) {
      buf[n++] = x & 0xff;
      if (width > 1) buf[n++] = (x >>> 8) & 0xff;
      if (width > 2) {
        buf[n++] = (x >>> 16) & 0xff;
        buf[n++] = x >>> 24;
      }
    }
    this.n = n;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  string(s: string): void {
    const ref = this.strings.get(s);
    if (ref !== undefined) {
      this.byte(Tag.StrRef);
      this.varint(ref);
      return;
    }
    this.strings.set(s, this.strings.size);
    const b = ENC.encode(s);
    this.byte(Tag.Str);
    this.varint(b.length);
    this.bytes(b);
  }
  /** The bytes written, in a buffer of their own size (not the grown one). */
  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

class Reader {
  private readonly view: DataView;
  private i = 0;
  readonly strings: string[] = [];
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  byte(): number {
    if (this.i >= this.buf.length) throw new Error('detector state: truncated');
    return this.buf[this.i++]!;
  }
  varint(): number {
    // One byte is the common case (deltas of a regular clock, small counts).
    const first = this.byte();
    if (first < 128) return first;
    let x = first & 127;
    let mul = 128;
    for (;;) {
      const b = this.byte();
      x += (b & 127) * mul;
      if (b < 128) return x;
      mul *= 128;
    }
  }
  float(): number {
    const x = this.view.getFloat64(this.i, true);
    this.i += 8;
    return x;
  }
  bytes(k: number): Uint8Array {
    if (this.i + k > this.buf.length) throw new Error('detector state: truncated');
    // A copy with its own buffer (a Node Buffer's slice would be a view into a shared pool).
    const out = new Uint8Array(k);
    out.set(this.buf.subarray(this.i, this.i + k));
    this.i += k;
    return out;
  }
  /** The next `k` bytes as a view (read at once, never kept). */
  span(k: number): Uint8Array {
    if (this.i + k > this.buf.length) throw new Error('detector state: truncated');
    const out = this.buf.subarray(this.i, this.i + k);
    this.i += k;
    return out;
  }
  /** Copies the next bytes into `out` (a typed array's own buffer: no intermediate copy). */
  into(out: Uint8Array): void {
    const k = out.length;
    if (this.i + k > this.buf.length) throw new Error('detector state: truncated');
    out.set(this.buf.subarray(this.i, this.i + k));
    this.i += k;
  }
  floats(n: number): number[] {
    if (this.i + 8 * n > this.buf.length) throw new Error('detector state: truncated');
    const out: number[] = [];
    for (let j = 0; j < n; j++, this.i += 8) out.push(this.view.getFloat64(this.i, true));
    return out;
  }
  peek(): number {
    if (this.i >= this.buf.length) throw new Error('detector state: truncated');
    return this.buf[this.i]!;
  }
  get atEnd(): boolean {
    return this.i === this.buf.length;
  }
}

const isExactInt = (v: number) => Number.isSafeInteger(v) && !Object.is(v, -0);

/** Bytes of a typed array's first `count` elements (a copy-free view). */
function viewBytes(v: Typed, count = v.length): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, count * v.BYTES_PER_ELEMENT);
}

/** Elements before the all-zero-bits tail (unused buffer space is zero-filled); -0 is not zero bits. */
function usedLength(v: Typed): number {
  let end = v.length;
  while (end > 0 && v[end - 1] === 0 && 1 / v[end - 1]! > 0) end--;
  return end;
}

const zigzag = (d: number) => (d >= 0 ? 2 * d : -2 * d - 1);
/** Below 2^31 with integer ops (the common case), else in doubles: the same value either way. */
const unzigzag = (z: number) => (z < 0x80000000 ? (z >>> 1) ^ -(z & 1) : z % 2 === 0 ? z / 2 : -(z + 1) / 2);

/** A calibrator's sorted array, rebuilt from its ring (the ring holds the same values, in arrival order). */
function sortedOf(ring: Float64Array, n: number): Float64Array {
  const out = new Float64Array(ring.length);
  out.set(ring.subarray(0, n));
  out.subarray(0, n).sort();
  return out;
}

/**
 * Classes whose parallel arrays are read only from index `head` on (a sliding window: rows before
 * it have left the window and are never read again; the class splices them off now and then). They
 * are encoded from `head`, with head 0: the restored instance reads the same rows, and since an
 * uninterrupted instance is encoded the same way, restored and uninterrupted ones still encode to
 * the same bytes (test/anomaly/state.test.ts). A RepeatSuppressor keeps ~all its rows dead (a
 * window of a few rows), a RecurrenceContext about a third of them: ~7 KB of a 14-day detector.
 */
const SLIDING = new Map<object, readonly string[]>([
  [RepeatSuppressor.prototype, ['rows', 'values']],
  [RecurrenceContext.prototype, ['times', 'values']],
]);

/** The sliding window's fields from `head` on (head 0), or undefined to encode the instance as it is. */
function liveOnly(proto: object, o: Record<string, unknown>): Record<string, unknown> | undefined {
  const arrays = SLIDING.get(proto);
  const head = o.head;
  if (!arrays || typeof head !== 'number' || head === 0) return undefined;
  const out: Record<string, unknown> = { head: 0 };
  for (const k of arrays) {
    const a = o[k];
    // Fields renamed or changed in meaning: encoded as they are (still exact, only larger).
    if (!Array.isArray(a) || !Number.isInteger(head) || head < 0 || head > a.length) return undefined;
    out[k] = a.slice(head);
  }
  return out;
}

const UINT = [undefined, Uint8Array, Uint16Array, undefined, Uint32Array] as const;

/** Byte width (1, 2 or 4) of the narrowest unsigned array holding every element, or 0 if some is not an integer in [0, 2^32). */
function intSetWidth(v: Set<unknown>): number {
  let max = 0;
  for (const x of v) {
    if (typeof x !== 'number' || !(x >= 0 && x <= 0xffffffff) || x % 1 !== 0 || (x === 0 && 1 / x < 0))
      return 0;
    if (x > max) max = x;
  }
  return max <= 0xff ? 1 : max <= 0xffff ? 2 : 4;
}

/** 'int' when every element is an exact integer whose deltas of deltas stay exact, 'float' for other numbers, else undefined. */
function numberArrayKind(xs: unknown[]): 'int' | 'float' | undefined {
  let ints = true;
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x !== 'number') return undefined;
    if (!ints) continue;
    if (!isExactInt(x)) {
      ints = false;
      continue;
    }
    const d = x - prev;
    // Deltas of deltas must stay exact integers too (no precision lost near 2^53).
    if (!Number.isSafeInteger(zigzag(d - prevDelta))) ints = false;
    prev = x;
    prevDelta = d;
  }
  return ints ? 'int' : 'float';
}

/**
 * Whether `sorted` can be left out: TailCalibrator keeps it equal to its ring's first n values in
 * ascending order (zeros beyond n), and with no NaN or -0 among them that order is unique, so the
 * rebuilt array has the very same bytes (test/anomaly/state.test.ts checks restored == uninterrupted).
 */
function derivable(o: Record<string, unknown>): boolean {
  const { ring, sorted, n } = o;
  if (!(ring instanceof Float64Array) || !(sorted instanceof Float64Array) || typeof n !== 'number')
    return false;
  if (sorted.length !== ring.length || n > ring.length) return false;
  for (let i = 0; i < n; i++) {
    const x = ring[i]!;
    if (Number.isNaN(x) || Object.is(x, -0)) return false;
  }
  for (let i = n; i < sorted.length; i++) if (!Object.is(sorted[i], 0)) return false;
  return true;
}

function write(w: Writer, v: unknown): void {
  if (v === undefined) {
    w.byte(Tag.Undefined);
    return;
  }
  if (v === null) {
    w.byte(Tag.Null);
    return;
  }
  if (v === false) {
    w.byte(Tag.False);
    return;
  }
  if (v === true) {
    w.byte(Tag.True);
    return;
  }
  if (typeof v === 'number') {
    if (isExactInt(v) && v >= 0) {
      w.byte(Tag.Uint);
      w.varint(v);
      return;
    }
    if (isExactInt(v)) {
      w.byte(Tag.NegInt);
      w.varint(-v);
      return;
    }
    w.byte(Tag.Float);
    w.float(v);
    return;
  }
  if (typeof v === 'string') {
    w.string(v);
    return;
  }
  const kind = Array.isArray(v) && v.length > 1 ? numberArrayKind(v) : undefined;
  if (kind === 'int') {
    const xs = v as number[];
    w.byte(Tag.IntArray2);
    w.varint(xs.length);
    let prev = 0;
    let prevDelta = 0;
    for (let i = 0; i < xs.length; i++) {
      const d = xs[i]! - prev;
      w.varint(zigzag(d - prevDelta));
      prev = xs[i]!;
      prevDelta = d;
    }
    return;
  }
  if (kind === 'float') {
    const xs = v as number[];
    w.byte(Tag.FloatArray);
    w.varint(xs.length);
    w.floats(xs);
    return;
  }
  if (Array.isArray(v)) {
    w.byte(Tag.Array);
    w.varint(v.length);
    for (const x of v) write(w, x);
    return;
  }
  if (v instanceof Set && v.size > 1) {
    const width = intSetWidth(v);
    if (width > 0) {
      w.byte(Tag.IntSet);
      w.byte(width);
      w.varint(v.size);
      w.uints(v as Set<number>, v.size, width);
      return;
    }
  }
  if (v instanceof Set) {
    w.byte(Tag.Set);
    w.varint(v.size);
    for (const x of v) write(w, x);
    return;
  }
  if (v instanceof Map) {
    w.byte(Tag.Map);
    w.varint(v.size);
    for (const [k, x] of v) {
      write(w, k);
      write(w, x);
    }
    return;
  }
  if (ArrayBuffer.isView(v)) {
    const kind = TYPED.findIndex((c) => v instanceof c);
    if (kind < 0) throw new Error(`detector state: cannot encode a ${v.constructor.name}`);
    const t = v as Typed;
    const used = usedLength(t);
    w.byte(Tag.TypedArray);
    w.byte(kind);
    w.varint(t.length);
    w.varint(used);
    w.bytes(viewBytes(t, used));
    return;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    const o = v as Record<string, unknown>;
    // Keys, not entries: an object's key list is cached by the engine, its entries are allocated.
    const keys = Object.keys(o);
    if (proto === Object.prototype) {
      w.byte(Tag.Object);
    } else {
      const name = NAMES.get(proto);
      if (!name) throw new Error(`detector state: cannot encode an instance of ${proto?.constructor?.name}`);
      w.byte(Tag.Class);
      w.string(name);
    }
    const dropSorted = proto === TailCalibrator.prototype && derivable(o);
    const live = liveOnly(proto, o);
    w.varint(keys.length);
    for (const k of keys) {
      w.string(k);
      if (dropSorted && k === 'sorted') w.byte(Tag.DerivedSorted);
      else if (live && k in live) write(w, live[k]);
      else write(w, o[k]);
    }
    return;
  }
  throw new Error(`detector state: cannot encode a ${typeof v}`);
}

function readString(r: Reader, tag: number): string {
  if (tag === Tag.StrRef) {
    const s = r.strings[r.varint()];
    if (s === undefined) throw new Error('detector state: bad string reference');
    return s;
  }
  if (tag !== Tag.Str) throw new Error(`detector state: expected a string, got tag ${tag}`);
  const s = DEC.decode(r.bytes(r.varint()));
  r.strings.push(s);
  return s;
}

function read(r: Reader): unknown {
  const tag = r.byte();
  switch (tag) {
    case Tag.Undefined:
      return undefined;
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Uint:
      return r.varint();
    case Tag.NegInt:
      return -r.varint();
    case Tag.Float:
      return r.float();
    case Tag.Str:
    case Tag.StrRef:
      return readString(r, tag);
    case Tag.Array: {
      const n = r.varint();
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(read(r));
      return out;
    }
    case Tag.IntArray: {
      const n = r.varint();
      const out: number[] = [];
      let prev = 0;
      for (let i = 0; i < n; i++) {
        prev += unzigzag(r.varint());
        out.push(prev);
      }
      return out;
    }
    case Tag.IntArray2: {
      const n = r.varint();
      const out: number[] = [];
      let prev = 0;
      let delta = 0;
      for (let i = 0; i < n; i++) {
        delta += unzigzag(r.varint());
        prev += delta;
        out.push(prev);
      }
      return out;
    }
    case Tag.FloatArray:
      return r.floats(r.varint());
    case Tag.IntSet: {
      const width = r.byte();
      if (!UINT[width]) throw new Error('detector state: unknown integer set width');
      // Read in place (little-endian), added one by one: new Set(typedArray) takes the iterator's slow path.
      const n = r.varint();
      const b = r.span(n * width);
      const out = new Set<number>();
      if (width === 1) for (let i = 0; i < n; i++) out.add(b[i]!);
      else if (width === 2) for (let i = 0; i < 2 * n; i += 2) out.add(b[i]! | (b[i + 1]! << 8));
      else
        for (let i = 0; i < 4 * n; i += 4)
          out.add((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
      return out;
    }
    case Tag.Set: {
      const n = r.varint();
      const out = new Set<unknown>();
      for (let i = 0; i < n; i++) out.add(read(r));
      return out;
    }
    case Tag.Map: {
      const n = r.varint();
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = read(r);
        out.set(k, read(r));
      }
      return out;
    }
    case Tag.TypedArray: {
      const ctor = TYPED[r.byte()];
      if (!ctor) throw new Error('detector state: unknown typed array kind');
      const length = r.varint();
      const used = r.varint();
      if (used > length) throw new Error('detector state: malformed typed array');
      const out = new ctor(length);
      r.into(new Uint8Array(out.buffer, 0, used * ctor.BYTES_PER_ELEMENT));
      return out;
    }
    case Tag.Object:
    case Tag.Class: {
      let target: Record<string, unknown> = {};
      let calibrator = false;
      if (tag === Tag.Class) {
        const name = readString(r, r.byte());
        const ctor = REGISTRY.get(name);
        if (!ctor) throw new Error(`detector state: unknown class ${name}`);
        target = Object.create(ctor.prototype) as Record<string, unknown>;
        calibrator = ctor === TailCalibrator;
      }
      const n = r.varint();
      let derived = false;
      for (let i = 0; i < n; i++) {
        const k = readString(r, r.byte());
        if (calibrator && k === 'sorted' && r.peek() === Tag.DerivedSorted) {
          r.byte();
          derived = true;
          target[k] = undefined;
        } else target[k] = read(r);
      }
      if (derived) target.sorted = sortedOf(target.ring as Float64Array, target.n as number);
      return target;
    }
    default:
      throw new Error(`detector state: malformed value (tag ${tag})`);
  }
}

let shape: string | undefined;

/**
 * The detector's shape, derived from the code: every class reachable from a detector that has
 * seen a few weeks of an hourly series with an incident (so lazily built parts exist), its field
 * names, and the detector's TUNING. A change to any of them makes stored states of the old code
 * refused (and re-learned) instead of read into the wrong fields.
 */
export function detectorShape(): string {
  if (shape) return shape;
  const d = new StreamingDetector({ cooldown: 0, episodeCalibration: 'hold' });
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < 24 * 30; i++) {
    const base = 100 + 30 * Math.sin((2 * Math.PI * (i % 24)) / 24) + 4 * (rand() - 0.5);
    d.push({
      t: Date.UTC(2026, 0, 5) + i * 3_600_000,
      value: i >= 24 * 20 && i < 24 * 21 ? base + 60 : base,
    });
  }
  const fields = new Map<string, Set<string>>();
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    if (Array.isArray(v) || v instanceof Set) {
      for (const x of v) walk(x);
      return;
    }
    const name = NAMES.get(Object.getPrototypeOf(v)) as ClassName | undefined;
    if (name && name in CLASSES) {
      const set = fields.get(name) ?? new Set<string>();
      for (const k of Object.keys(v)) set.add(k);
      fields.set(name, set);
    }
    for (const x of Object.values(v)) walk(x);
  };
  walk(d);
  const text = JSON.stringify({
    v: DETECTOR_STATE_VERSION,
    classes: [...fields].map(([n, s]) => [n, [...s].sort()]).sort(),
    registered: [...REGISTERED].sort(),
    tuning: TUNING,
  });
  shape = createHash('sha256').update(text).digest('hex').slice(0, 16);
  return shape;
}

/** "VDS" and the format byte ahead of the body. */
const MAGIC = [0x56, 0x44, 0x53] as const;
/**
 * 3: integer sets as bytes, integer arrays as deltas of deltas. Format 2 (the same tags without
 * those two) is still read: its objects decode to the same detectors, so a store written by the
 * previous build is restored, not re-learned (test/anomaly/state.test.ts).
 */
const FORMAT = 3;
const READABLE = new Set([2, 3]);
/** Writers start at the size of the last state written: one allocation for a store of like objects. */
let sizeHint = 4096;

/**
 * Any tree of plain objects, arrays, sets, maps, numbers, strings and detector parts (detectors
 * anywhere inside), as bytes stamped with the detector's shape. Not compressed: a detector's bulk
 * is float64 residual histories, which gzip shrinks by only a third (52 -> 33 KB for 14 days of
 * hours) at twice the encoding time, and encoding is what a tick spends on state.
 */
export function encodeState(value: unknown): Uint8Array {
  const w = new Writer(sizeHint);
  for (const b of MAGIC) w.byte(b);
  w.byte(FORMAT);
  w.string(detectorShape());
  write(w, value);
  const out = w.done();
  sizeHint = Math.max(4096, out.length);
  return out;
}

/** Thrown for a state written by other detector code (or not a state at all): warm up instead. */
export class DetectorStateMismatchError extends Error {}

/** The tree encodeState was given; throws DetectorStateMismatchError for another version or shape. */
export function decodeState(bytes: Uint8Array): unknown {
  if (
    bytes.length <= MAGIC.length ||
    MAGIC.some((b, i) => bytes[i] !== b) ||
    !READABLE.has(bytes[MAGIC.length]!)
  )
    throw new DetectorStateMismatchError('not a detector state of a readable format');
  const r = new Reader(bytes.subarray(MAGIC.length + 1));
  const stamp = readString(r, r.byte());
  if (stamp !== detectorShape())
    throw new DetectorStateMismatchError(
      `detector state of another detector version (shape ${stamp}, this build ${detectorShape()})`,
    );
  const value = read(r);
  if (!r.atEnd) throw new Error('detector state: trailing bytes');
  return value;
}

/** One detector's state. */
export function encodeDetectorState(detector: StreamingDetector): Uint8Array {
  return encodeState(detector);
}

/** A detector continuing exactly where the encoded one stopped; throws on another version. */
export function decodeDetectorState(bytes: Uint8Array): StreamingDetector {
  const d = decodeState(bytes);
  if (!(d instanceof StreamingDetector)) throw new Error('detector state does not hold a detector');
  return d;
}
