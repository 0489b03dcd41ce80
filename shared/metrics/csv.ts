import { InputError } from '../errors.js';
import { parseSliceKey } from '../slices/slice.js';
import { escapeControl } from '../text/escape.js';
import { formatIso, parseGrain, parseUtc } from '../time/window.js';
import type { MetricRow } from './metric-row.js';

export const METRIC_CSV_HEADER = 'metric,grain,window_start,slice,value,numerator,denominator,ci_low,ci_high';
/** The metric store's files: the output columns and each row's `samples` (MetricRow.samples). */
export const METRIC_STORE_CSV_HEADER = `${METRIC_CSV_HEADER},samples`;

/** RFC 4180 quoting: only when the field holds a comma, quote or line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export interface MetricCsvOptions {
  /**
   * Write text cells exactly (the metric store, which reads them back). Off by default: an
   * output CSV shows control characters as `\uXXXX` (escapeControl). In a slice key a real
   * backslash is `\\`, so an escaped control character cannot be confused with slice text.
   */
  readonly lossless?: boolean;
  /** Add the `samples` column (the metric store: what the detectors read back). */
  readonly samples?: boolean;
}

function num(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '' : String(x);
}

export function metricRowsToCsv(rows: readonly MetricRow[], options: MetricCsvOptions = {}): string {
  const text = options.lossless ? csvField : (s: string) => csvField(escapeControl(s));
  const lines = [options.samples ? METRIC_STORE_CSV_HEADER : METRIC_CSV_HEADER];
  for (const r of rows)
    lines.push(
      [
        text(r.metric),
        r.grain,
        formatIso(r.windowStart),
        text(r.slice.key),
        num(r.value),
        num(r.numerator),
        num(r.denominator),
        num(r.ciLow),
        num(r.ciHigh),
        ...(options.samples ? [num(r.samples ?? null)] : []),
      ].join(','),
    );
  return `${lines.join('\n')}\n`;
}

/** Splits CSV text into records, honouring quoted fields. */
export function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

export function metricRowsFromCsv(text: string, what = 'metric CSV'): MetricRow[] {
  const records = parseCsvRecords(text);
  const header = records[0]?.join(',');
  // The store's files carry `samples`; those written before it did, and the output CSV, do not.
  if (header !== METRIC_CSV_HEADER && header !== METRIC_STORE_CSV_HEADER)
    throw new InputError(`${what}: header must be ${METRIC_CSV_HEADER}`);
  const fields = header === METRIC_STORE_CSV_HEADER ? 10 : 9;
  const opt = (s: string | undefined) => (s === undefined || s === '' ? null : Number(s));
  return records.slice(1).map((f, i) => {
    if (f.length !== fields)
      throw new InputError(`${what}: line ${i + 2} has ${f.length} fields, expected ${fields}`);
    const samples = opt(f[9]);
    return {
      metric: f[0]!,
      grain: parseGrain(f[1]!, `${what} line ${i + 2} grain`),
      windowStart: parseUtc(f[2]!, `${what} line ${i + 2} window_start`),
      slice: parseSliceKey(f[3]!, `${what} line ${i + 2} slice`),
      value: opt(f[4]),
      numerator: opt(f[5]),
      denominator: opt(f[6]),
      ciLow: opt(f[7]),
      ciHigh: opt(f[8]),
      ...(samples !== null ? { samples } : {}),
    };
  });
}
