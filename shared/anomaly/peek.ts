import type { PointScore, SeriesPoint, StreamingDetector } from './detector.js';

/**
 * Scores a point against what a detector has learned without teaching it the point: the point is
 * pushed into a deep copy, and the copy is dropped. For windows that must be judged but not learned
 * (known events of the calendar). The copy keeps prototypes, typed arrays, Maps and Sets, so it is
 * the same detector whatever state its parts hold.
 */
export function peek(detector: StreamingDetector, point: SeriesPoint): PointScore {
  return deepCopy(detector).push(point);
}

export function deepCopy<T>(value: T, seen = new Map<unknown, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known !== undefined) return known as T;
  if (ArrayBuffer.isView(value)) {
    const view = value as unknown as { slice(): unknown };
    const out = value instanceof DataView ? new DataView(value.buffer.slice(0)) : view.slice();
    seen.set(value, out);
    return out as T;
  }
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(deepCopy(k, seen), deepCopy(v, seen));
    return out as T;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(deepCopy(v, seen));
    return out as T;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = deepCopy(value[i], seen);
    return out as T;
  }
  const out = Object.create(Object.getPrototypeOf(value)) as Record<PropertyKey, unknown>;
  seen.set(value, out);
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in d) d.value = deepCopy(d.value, seen);
    Object.defineProperty(out, key, d);
  }
  if (Object.isFrozen(value)) Object.freeze(out);
  return out as T;
}
