import { LevelBaseline, SeasonalBaseline } from './baseline.js';
import { Cusum } from './cusum.js';
import { StreamingDetector } from './detector.js';
import { EvidenceTracker } from './evidence.js';
import { ContextNovelty } from './novelty.js';
import { RecurrenceContext } from './recurrence.js';
import { SeasonalitySelector, StepEstimator } from './seasonality.js';
import { RepeatSuppressor } from './suppress.js';
import { TailCalibrator } from './tail.js';

/**
 * A streaming detector's whole state as text, and back: what a scheduled job keeps per series so
 * that a tick costs the new points only, not a replay of the lookback. Decoding gives a detector
 * that scores every later point exactly as the one that was encoded would have (test:
 * test/anomaly/state.test.ts), because every field is carried as is: numbers bit for bit (NaN and
 * infinities included), typed arrays as their bytes, sets in insertion order.
 *
 * The format is versioned; a state of another version (or of a detector whose code changed in a
 * way the version does not cover) is refused, and the caller replays from the metric history.
 */
export const DETECTOR_STATE_VERSION = 1;

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
  RepeatSuppressor,
  ContextNovelty,
} as const;
type ClassName = keyof typeof CLASSES;
const NAMES = new Map<unknown, ClassName>(
  Object.entries(CLASSES).map(([n, c]) => [c.prototype, n as ClassName]),
);

const TYPED = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array } as const;
type TypedName = keyof typeof TYPED;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): ArrayBuffer {
  const s = atob(text);
  const buffer = new ArrayBuffer(s.length);
  const out = new Uint8Array(buffer);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return buffer;
}

function encode(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return Object.is(v, -0) ? { $n: '-0' } : v;
    return { $n: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf' };
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v === undefined) return { $u: 1 };
  if (Array.isArray(v)) return v.map(encode);
  if (v instanceof Set) return { $set: [...v].map(encode) };
  for (const [name, ctor] of Object.entries(TYPED))
    if (v instanceof ctor) {
      // Plain numbers parse natively and fast; a float array with a non-finite value (rare) goes as bytes.
      const xs = Array.from(v as ArrayLike<number>);
      if (xs.every(Number.isFinite)) return { $ta: name, a: xs };
      return { $ta: name, d: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    const fields = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
    if (proto === Object.prototype) return { $o: fields };
    const name = NAMES.get(proto);
    if (!name) throw new Error(`detector state: cannot encode an instance of ${proto?.constructor?.name}`);
    return { $c: name, f: fields };
  }
  throw new Error(`detector state: cannot encode a ${typeof v}`);
}

function decode(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decode);
  const o = v as Record<string, unknown>;
  if ('$n' in o) return { NaN: Number.NaN, Inf: Infinity, '-Inf': -Infinity, '-0': -0 }[o.$n as string];
  if ('$u' in o) return undefined;
  if ('$set' in o) return new Set((o.$set as unknown[]).map(decode));
  if ('$ta' in o) {
    const ctor = TYPED[o.$ta as TypedName];
    if ('a' in o) return ctor.from(o.a as number[]);
    const bytes = fromBase64(o.d as string);
    return new ctor(bytes, 0, bytes.byteLength / ctor.BYTES_PER_ELEMENT);
  }
  const fields = (src: unknown) =>
    Object.fromEntries(Object.entries(src as Record<string, unknown>).map(([k, x]) => [k, decode(x)]));
  if ('$o' in o) return fields(o.$o);
  if ('$c' in o) {
    const ctor = CLASSES[o.$c as ClassName];
    if (!ctor) throw new Error(`detector state: unknown class ${String(o.$c)}`);
    return Object.assign(Object.create(ctor.prototype), fields(o.f));
  }
  throw new Error('detector state: malformed value');
}

/** The detector's state as JSON text. */
export function encodeDetectorState(detector: StreamingDetector): string {
  return JSON.stringify({ v: DETECTOR_STATE_VERSION, d: encode(detector) });
}

/** A detector continuing exactly where the encoded one stopped; throws on another version. */
export function decodeDetectorState(text: string): StreamingDetector {
  const parsed = JSON.parse(text) as { v?: unknown; d?: unknown };
  if (parsed.v !== DETECTOR_STATE_VERSION)
    throw new Error(
      `detector state version ${String(parsed.v)} (this build reads ${DETECTOR_STATE_VERSION})`,
    );
  const d = decode(parsed.d);
  if (!(d instanceof StreamingDetector)) throw new Error('detector state does not hold a detector');
  return d;
}
