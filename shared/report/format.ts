import type { Grain, MetricUnit, TimeValue } from './model.js';

/** Shown for a number that is missing (null, NaN, ±Infinity). */
export const MISSING = '—';
/** Typographic minus: reads as "minus" to screen readers and aligns with "+". */
const MINUS = '\u2212';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * The one way data reaches the page: escapes text for HTML element content and for quoted
 * attribute values (also inside inline SVG, which the HTML parser reads the same way).
 */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function finite(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

function withSign(text: string, n: number, signed: boolean): string {
  if (text.startsWith('-')) return MINUS + text.slice(1);
  return signed && n > 0 ? `+${text}` : text;
}

const nf = new Map<string, Intl.NumberFormat>();
function numberFormat(min: number, max: number): Intl.NumberFormat {
  const key = `${min}:${max}`;
  let f = nf.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: min, maximumFractionDigits: max });
    nf.set(key, f);
  }
  return f;
}

/** Decimals that keep about three significant digits for small magnitudes. */
function decimalsFor(abs: number, maxDecimals = 4): number {
  if (abs === 0 || abs >= 100) return 0;
  if (abs >= 10) return 1;
  if (abs >= 1) return 2;
  return Math.min(maxDecimals, 1 - Math.floor(Math.log10(abs)) + 1);
}

/** Counts: thousands separators, a decimal only below 100 (`1,234,567`, `17.5`). */
export function formatCount(n: number | null | undefined, signed = false): string {
  if (!finite(n)) return MISSING;
  const abs = Math.abs(n);
  const digits = Number.isInteger(n) || abs >= 100 ? 0 : 1;
  const text = numberFormat(0, digits).format(n);
  return withSign(text === '-0' ? '0' : text, n, signed);
}

/** A fraction as a percentage: `12.3%`, `0.12%` (two significant digits below 1%), `0%`. */
export function formatPercent(fraction: number | null | undefined, signed = false): string {
  if (!finite(fraction)) return MISSING;
  const pct = fraction * 100;
  const abs = Math.abs(pct);
  let text: string;
  if (abs === 0) text = '0';
  else if (abs >= 1) text = numberFormat(1, 1).format(pct);
  else if (abs >= 0.0001) text = numberFormat(0, Math.min(4, 1 - Math.floor(Math.log10(abs)))).format(pct);
  else text = pct > 0 ? '0.0001' : '-0.0001';
  if (Number(text.replace(/,/g, '')) === 0) text = '0';
  return `${withSign(text, pct, signed)}%`;
}

/**
 * A relative change or lift, always signed, one decimal so an estimate and its CI line up:
 * `+12.3%`, `−4.0%`, `+0.8%`; below 0.1% two significant digits (`+0.048%`).
 */
export function formatLift(fraction: number | null | undefined): string {
  if (!finite(fraction)) return MISSING;
  const pct = fraction * 100;
  const abs = Math.abs(pct);
  if (abs === 0) return '0.0%';
  if (abs >= 0.095) return `${withSign(numberFormat(1, 1).format(pct), pct, true)}%`;
  return formatPercent(fraction, true);
}

/** Plain number with about three significant digits and thousands separators. */
export function formatDecimal(n: number | null | undefined, signed = false): string {
  if (!finite(n)) return MISSING;
  const text = numberFormat(0, decimalsFor(Math.abs(n))).format(n);
  return withSign(text === '-0' ? '0' : text, n, signed);
}

/** Seconds, switching to minutes and hours where that reads better (`42.5 s`, `12.4 min`, `3.2 h`). */
export function formatSeconds(s: number | null | undefined, signed = false): string {
  if (!finite(s)) return MISSING;
  const abs = Math.abs(s);
  if (abs >= 7200) return `${formatDecimal(s / 3600, signed)} h`;
  if (abs >= 120) return `${formatDecimal(s / 60, signed)} min`;
  return `${formatDecimal(s, signed)} s`;
}

/** A metric value without its unit where a label names it (per-10k rates): `4.25`, `12.3%`, `42 s`. */
export function formatValueBare(v: number | null | undefined, unit: MetricUnit, signed = false): string {
  return unit === 'per10k' ? formatDecimal(v, signed) : formatValue(v, unit, signed);
}

/** A metric value in its unit, for text. */
export function formatValue(v: number | null | undefined, unit: MetricUnit, signed = false): string {
  switch (unit) {
    case 'count':
      return formatCount(v, signed);
    case 'rate':
    case 'proportion':
      return formatPercent(v, signed);
    case 'per10k':
      return finite(v) ? `${formatDecimal(v, signed)} per 10k` : MISSING;
    case 'seconds':
      return formatSeconds(v, signed);
  }
}

/** Short labels for chart axes: `12k`, `1.2M`, `4.5%`, `30 s`. */
export function formatAxis(v: number, unit: MetricUnit): string {
  if (!Number.isFinite(v)) return MISSING;
  if (unit === 'rate' || unit === 'proportion') return formatPercent(v);
  if (unit === 'seconds') return formatSeconds(v);
  const suffix = '';
  const abs = Math.abs(v);
  for (const [size, s] of [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const) {
    if (abs >= size)
      return withSign(`${numberFormat(0, abs >= size * 10 ? 0 : 1).format(v / size)}${s}`, v, false) + suffix;
  }
  return formatDecimal(v) + suffix;
}

/** An estimate and its confidence interval: `+12.3% [+4.1%, +20.5%]`. */
export function formatCi(
  estimate: number | null | undefined,
  low: number | null | undefined,
  high: number | null | undefined,
  format: (n: number | null | undefined) => string = formatLift,
): string {
  const est = format(estimate);
  if (!finite(low) || !finite(high)) return est;
  return `${est} [${format(low)}, ${format(high)}]`;
}

/** `p = 0.042`, `p < 0.001`. */
export function formatPEquals(p: number | null | undefined): string {
  const text = formatPValue(p);
  return text.startsWith('<') ? `p < ${text.slice(1)}` : `p = ${text}`;
}

/** p-values: three decimals, `<0.001` below that. */
export function formatPValue(p: number | null | undefined): string {
  if (!finite(p)) return MISSING;
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}

/** (observed − expected) / |expected|, null when it is undefined. */
export function relativeChange(
  observed: number | null | undefined,
  expected: number | null | undefined,
): number | null {
  if (!finite(observed) || !finite(expected) || expected === 0) return null;
  return (observed - expected) / Math.abs(expected);
}

/** Epoch milliseconds of an ISO string or a number; NaN when it is not a time. */
export function toMs(t: TimeValue): number {
  return typeof t === 'number' ? t : Date.parse(t);
}

/** `2026-01-05` (UTC). */
export function formatDate(t: TimeValue): string {
  const ms = toMs(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : MISSING;
}

/** `2026-01-05 14:00 UTC`. */
export function formatDateTime(t: TimeValue): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return MISSING;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A window start at its grain: a date for days, a date and hour for hours. */
export function formatWindow(t: TimeValue, grain: Grain): string {
  return grain === 'day' ? formatDate(t) : formatDateTime(t);
}

/**
 * A slice for people: its label when the producer gave one (structured slices render their own,
 * see slices/slice.ts sliceLabel), else the key as written; `total` for the empty slice. A key is
 * never split here: a value may hold `;` or `=`.
 */
export function formatSlice(slice: string | undefined, label?: string): string {
  return label ?? (slice ? slice : 'total');
}

/** A safe id fragment from any text (for anchors of metrics and sections). */
export function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}
