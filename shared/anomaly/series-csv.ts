import { escapeControl } from '../text/escape.js';

const TS_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch milliseconds of an ISO-8601 date or date-time (`2026-01-05T00:00:00Z`) or of NAB's
 * `2014-04-01 00:00:00`. No zone means UTC. Returns NaN when it is not a real date-time.
 */
export function parseTimestamp(s: string): number {
  const m = TS_RE.exec(s.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +sec, Math.floor(Number(`0.${frac || '0'}`) * 1000));
  const date = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March: refuse instead of shifting.
  if (date.getUTCMonth() !== +mo! - 1 || date.getUTCDate() !== +d! || +h > 23 || +mi > 59 || +sec > 59)
    return Number.NaN;
  if (!zone || zone.toUpperCase() === 'Z') return ms;
  const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  const offset = (+zm[2]! * 60 + +(zm[3] ?? 0)) * 60_000;
  return zm[1] === '+' ? ms - offset : ms + offset;
}

/**
 * Splits one CSV line, honouring double quotes (RFC 4180 without embedded line breaks).
 * Returns undefined when a quoted field is not closed on the line.
 */
export function splitCsvLine(line: string): string[] | undefined {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) return undefined;
  out.push(cur);
  return out;
}

/** An output CSV cell: control characters made visible, quoted when it holds `,` or `"`. */
export function csvCell(s: string): string {
  const safe = escapeControl(s);
  return /[",]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Value cells that mean "no observation": empty, or the missing-value markers of pandas, R and SQL. */
const GAP_RE = /^(?:|nan|na|null)$/i;

export function isGapCell(s: string): boolean {
  return GAP_RE.test(s);
}

/** Shortest decimal that keeps enough precision for threshold sweeps (no exponent notation). */
export function formatScore(score: number): string {
  if (score <= 0) return '0';
  if (score >= 1) return '1';
  return score.toFixed(9).replace(/\.?0+$/, '');
}
