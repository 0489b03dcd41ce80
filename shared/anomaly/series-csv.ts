import { InputError } from '../errors.js';

/** A parsed `timestamp,value` CSV: the original cells are kept so output echoes them exactly. */
export interface SeriesCsv {
  readonly timestamps: string[];
  readonly values: string[];
  readonly t: number[];
  readonly x: number[];
}

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

/** Splits one CSV line, honouring double quotes (RFC 4180, no embedded newlines). */
function splitLine(line: string): string[] {
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
  out.push(cur);
  return out;
}

/**
 * Parses a `timestamp,value` CSV (header required, extra columns ignored). Every problem is an
 * InputError naming the file, the line and the offending cell, so a bad input fails before any
 * output is written.
 */
export interface ParseOptions {
  /**
   * Accept repeated timestamps (still refusing any that go backwards). Off for `vigil detect`;
   * the NAB benchmark needs it because two of its files repeat a stamp at a DST change.
   */
  readonly allowDuplicateTimestamps?: boolean;
}

export function parseSeriesCsv(text: string, source = 'input', options: ParseOptions = {}): SeriesCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new InputError(`${source}: empty file (expected a header 'timestamp,value')`);
  const header = splitLine(lines[0]!).map((h) => h.trim().toLowerCase());
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  const missing = [ti < 0 ? 'timestamp' : '', vi < 0 ? 'value' : ''].filter(Boolean);
  if (missing.length > 0)
    throw new InputError(
      `${source}: missing column ${missing.map((c) => `'${c}'`).join(' and ')} in header line 1`,
    );
  if (lines.length === 1) throw new InputError(`${source}: no data rows after the header`);

  const timestamps: string[] = [];
  const values: string[] = [];
  const t: number[] = [];
  const x: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!;
    if (line.trim() === '') throw new InputError(`${source}: line ${lineNo}: empty line`);
    const cells = splitLine(line);
    const ts = (cells[ti] ?? '').trim();
    const vs = (cells[vi] ?? '').trim();
    const ms = parseTimestamp(ts);
    if (Number.isNaN(ms)) throw new InputError(`${source}: line ${lineNo}: unparseable timestamp '${ts}'`);
    const v = vs === '' ? Number.NaN : Number(vs);
    if (!Number.isFinite(v)) throw new InputError(`${source}: line ${lineNo}: non-numeric value '${vs}'`);
    const prev = t[t.length - 1];
    if (prev !== undefined && ms === prev && !options.allowDuplicateTimestamps)
      throw new InputError(`${source}: line ${lineNo}: duplicate timestamp '${ts}'`);
    if (prev !== undefined && ms < prev)
      throw new InputError(
        `${source}: line ${lineNo}: timestamps not sorted ('${ts}' after '${timestamps[timestamps.length - 1]}')`,
      );
    timestamps.push(ts);
    values.push(vs);
    t.push(ms);
    x.push(v);
  }
  return { timestamps, values, t, x };
}

/** Shortest decimal that keeps enough precision for threshold sweeps (no exponent notation). */
export function formatScore(score: number): string {
  if (score <= 0) return '0';
  if (score >= 1) return '1';
  return score.toFixed(9).replace(/\.?0+$/, '');
}
