import { InputError } from '../errors.js';

export type Grain = 'hour' | 'day';
export const GRAINS: readonly Grain[] = ['hour', 'day'];
const GRAIN_MS: Record<Grain, number> = { hour: 3_600_000, day: 86_400_000 };

/** A half-open UTC window [start, end). */
export interface Window {
  readonly grain: Grain;
  readonly start: Date;
  readonly end: Date;
}

export function parseGrain(value: string, field = 'grain'): Grain {
  if (value === 'hour' || value === 'day') return value;
  throw new InputError(`${field} must be one of hour|day, got '${value}'`);
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?)?(Z|[+-]00:?00)?$/;

/**
 * Parses an ISO-8601 date or UTC date-time. Timestamps without a zone are read as UTC;
 * non-UTC offsets are refused so that windows are never silently shifted.
 */
export function parseUtc(value: string, field: string): Date {
  const m = ISO_RE.exec(value.trim());
  if (!m) throw new InputError(`${field} is not an ISO-8601 UTC date-time: '${value}'`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0'] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, Math.floor(+`0.${frac}` * 1000));
  const date = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March; refuse it instead.
  if (
    Number.isNaN(ms) ||
    date.getUTCMonth() !== +mo! - 1 ||
    date.getUTCDate() !== +d! ||
    +h > 23 ||
    +mi > 59 ||
    +s > 59
  )
    throw new InputError(`${field} is not a valid date: '${value}'`);
  return date;
}

export function isAligned(date: Date, grain: Grain): boolean {
  return date.getTime() % GRAIN_MS[grain] === 0;
}

export function addGrain(date: Date, grain: Grain, n = 1): Date {
  return new Date(date.getTime() + n * GRAIN_MS[grain]);
}

export function floorToGrain(date: Date, grain: Grain): Date {
  return new Date(date.getTime() - (date.getTime() % GRAIN_MS[grain]));
}

/** Validates a --from/--to range and returns its windows (start in [from, to)). */
export function windowsInRange(grain: Grain, from: Date, to: Date, maxWindows = 100_000): Window[] {
  if (!isAligned(from, grain))
    throw new InputError(`--from ${formatIso(from)} is not aligned to the ${grain}`);
  if (!isAligned(to, grain)) throw new InputError(`--to ${formatIso(to)} is not aligned to the ${grain}`);
  if (from.getTime() >= to.getTime())
    throw new InputError(`--from ${formatIso(from)} must be before --to ${formatIso(to)}`);
  const n = (to.getTime() - from.getTime()) / GRAIN_MS[grain];
  if (n > maxWindows)
    throw new InputError(`range holds ${n} ${grain} windows, more than the limit of ${maxWindows}`);
  return Array.from({ length: n }, (_, i) => ({
    grain,
    start: addGrain(from, grain, i),
    end: addGrain(from, grain, i + 1),
  }));
}

/** `2026-01-05T00:00:00Z` — the design's window_start format. */
export function formatIso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function formatDt(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function formatHour(date: Date): string {
  return date.toISOString().slice(11, 13);
}

/** The (dt, hour) partitions that can hold events of [start, end). */
export function partitionsOf(start: Date, end: Date): { dt: string; hours: string[] | 'all' }[] {
  const out: { dt: string; hours: string[] | 'all' }[] = [];
  for (let day = floorToGrain(start, 'day'); day < end; day = addGrain(day, 'day')) {
    const dayEnd = addGrain(day, 'day');
    if (start <= day && end >= dayEnd) out.push({ dt: formatDt(day), hours: 'all' });
    else {
      const hours: string[] = [];
      for (
        let h = start > day ? floorToGrain(start, 'hour') : day;
        h < end && h < dayEnd;
        h = addGrain(h, 'hour')
      )
        hours.push(formatHour(h));
      out.push({ dt: formatDt(day), hours });
    }
  }
  return out;
}
