import { escapeHtml, formatAxis, formatDate, formatDateTime, toMs } from './format.js';
import type { Grain, MetricUnit, ReportPoint } from './model.js';

/**
 * Hand-written inline SVG line charts: the metric's history, the detector's expected value and band,
 * anomalous windows marked, and optionally an incident period shaded. Coordinates are rounded to
 * 0.1 px so a 90-point chart stays around 3 KB of markup.
 */
export interface LineChartOptions {
  /** Unique among the page's charts (ids of the title and description). */
  readonly id: string;
  readonly title: string;
  readonly points: readonly ReportPoint[];
  readonly unit: MetricUnit;
  readonly grain: Grain;
  readonly width?: number;
  readonly height?: number;
  /** Shade the windows from this time on (an incident since). */
  readonly highlightFrom?: number;
  /** End (exclusive) of the shaded windows (the window that resolved the incident); open-ended if absent. */
  readonly highlightTo?: number;
  /** Label the x axis at whole hours (zoomed incident charts). */
  readonly hourTicks?: boolean;
  /** Decimals of path coordinates: 0 for the many small overview charts, 1 (default) for large ones. */
  readonly precision?: 0 | 1;
}

interface XY {
  readonly x: number;
  readonly y: number;
}

const M = { top: 8, right: 8, bottom: 22, left: 50 };

type Round = (n: number) => string;

/** 0.1 px precision, no trailing zeros. */
function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function r0(n: number): string {
  return String(Math.round(n));
}

function finite(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** Up to `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((s) => s * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

/** Polyline path of runs of defined points; a missing point breaks the line. */
function linePath(pts: readonly (XY | null)[], rp: Round): string {
  let d = '';
  let pen = false;
  for (const p of pts) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${rp(p.x)} ${rp(p.y)}`;
    pen = true;
  }
  return d;
}

/** Closed areas between upper and lower for each run of windows where both are defined. */
function bandPath(upper: readonly (XY | null)[], lower: readonly (XY | null)[], rp: Round): string {
  let d = '';
  let run: number[] = [];
  const flush = () => {
    if (run.length > 1) {
      d += `M${run.map((i) => `${rp(upper[i]!.x)} ${rp(upper[i]!.y)}`).join('L')}`;
      d += `L${[...run]
        .reverse()
        .map((i) => `${rp(lower[i]!.x)} ${rp(lower[i]!.y)}`)
        .join('L')}Z`;
    }
    run = [];
  };
  for (let i = 0; i < upper.length; i++) {
    if (upper[i] && lower[i]) run.push(i);
    else flush();
  }
  flush();
  return d;
}

/** One path of small circles (one DOM node however many anomalies). */
function markerPath(pts: readonly XY[], radius = 3.5): string {
  return pts
    .map(
      (p) =>
        `M${r(p.x - radius)} ${r(p.y)}a${radius} ${radius} 0 1 0 ${radius * 2} 0a${radius} ${radius} 0 1 0 ${-radius * 2} 0`,
    )
    .join('');
}

interface TimedPoint {
  readonly ms: number;
  readonly value: number | null;
  readonly expected: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

/**
 * Min/max decimation for long series (hourly over months): each bucket keeps the points of its
 * lowest and highest value (in time order), the mean expected value and the outer band, so spikes
 * survive and a 2,160-point series draws with ~2 points per pixel column pair. Anomaly markers are
 * drawn from the full series.
 */
export function downsample(pts: readonly TimedPoint[], maxBuckets: number): TimedPoint[] {
  if (pts.length <= maxBuckets * 2) return [...pts];
  const size = Math.ceil(pts.length / maxBuckets);
  const out: TimedPoint[] = [];
  for (let b = 0; b < pts.length; b += size) {
    const chunk = pts.slice(b, b + size);
    let exp = 0;
    let nExp = 0;
    let lower: number | null = null;
    let upper: number | null = null;
    let iMin = -1;
    let iMax = -1;
    chunk.forEach((p, i) => {
      if (finite(p.expected)) {
        exp += p.expected;
        nExp++;
      }
      if (finite(p.lower)) lower = lower === null ? p.lower : Math.min(lower, p.lower);
      if (finite(p.upper)) upper = upper === null ? p.upper : Math.max(upper, p.upper);
      if (finite(p.value)) {
        if (iMin < 0 || p.value < chunk[iMin]!.value!) iMin = i;
        if (iMax < 0 || p.value > chunk[iMax]!.value!) iMax = i;
      }
    });
    const shared = { expected: nExp ? exp / nExp : null, lower, upper };
    if (iMin < 0) {
      out.push({ ms: chunk[chunk.length >> 1]!.ms, value: null, ...shared });
      continue;
    }
    for (const i of iMin === iMax ? [iMin] : [Math.min(iMin, iMax), Math.max(iMin, iMax)])
      out.push({ ms: chunk[i]!.ms, value: chunk[i]!.value, ...shared });
  }
  return out;
}

/** The chart's SVG markup; `series` in `data-series` lists the drawn series (value, expected, band, anomalies). */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 400;
  const H = o.height ?? 150;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const pts = o.points
    .map((p) => ({
      ms: toMs(p.t),
      value: p.value,
      expected: p.expected ?? null,
      lower: p.lower ?? null,
      upper: p.upper ?? null,
      anomaly: p.anomaly === true,
    }))
    .filter((p) => Number.isFinite(p.ms))
    .sort((a, b) => a.ms - b.ms);

  const ys: number[] = [];
  for (const p of pts) for (const v of [p.value, p.lower, p.upper, p.expected]) if (finite(v)) ys.push(v);
  const titleId = `${o.id}-t`;
  const descId = `${o.id}-d`;
  const anomalyCount = pts.filter((p) => p.anomaly && finite(p.value)).length;
  const fmtT = o.grain === 'day' ? formatDate : formatDateTime;
  const desc =
    pts.length === 0
      ? 'No data in the window.'
      : `${pts.length} windows from ${fmtT(pts[0]!.ms)} to ${fmtT(pts[pts.length - 1]!.ms)}; ${anomalyCount} anomalous.`;
  const open = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId} ${descId}"`;
  const head = `<title id="${titleId}">${escapeHtml(o.title)}</title><desc id="${descId}">${escapeHtml(desc)}</desc>`;
  if (ys.length === 0) {
    return `${open} data-series=""><g>${head}</g><text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">No data</text></svg>`;
  }

  let lo = ys.reduce((a, b) => Math.min(a, b));
  let hi = ys.reduce((a, b) => Math.max(a, b));
  if (hi === lo) {
    const pad = Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const pad = (hi - lo) * 0.06;
  const allNonNegative = lo >= 0;
  lo -= pad;
  hi += pad;
  if (allNonNegative && lo < 0) lo = 0;
  const t0 = pts[0]!.ms;
  const t1 = pts[pts.length - 1]!.ms;
  const x = (ms: number) => M.left + (t1 === t0 ? pw / 2 : ((ms - t0) / (t1 - t0)) * pw);
  const y = (v: number) => M.top + ph - ((v - lo) / (hi - lo)) * ph;
  const at = (ms: number, v: number | null | undefined): XY | null =>
    finite(v) ? { x: x(ms), y: y(v) } : null;

  const parts: string[] = [head];
  // Axes and grid.
  const grid: string[] = [];
  for (const v of niceTicks(lo, hi)) {
    const yy = r(y(v));
    grid.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}"/>`);
    grid.push(
      `<text class="tick" x="${M.left - 6}" y="${yy}" dy="0.32em" text-anchor="end">${escapeHtml(formatAxis(v, o.unit))}</text>`,
    );
  }
  const xTicks = o.hourTicks ? 0 : Math.min(4, pts.length);
  if (o.hourTicks) {
    // Every hour gets a tick; labels every `step` hours so they never overlap (~40 px each).
    const hours = Math.floor((t1 - t0) / 3_600_000) + 1;
    const step = [1, 2, 3, 4, 6, 12, 24].find((s) => (hours / s) * 40 <= pw) ?? 24;
    for (let ms = Math.ceil(t0 / 3_600_000) * 3_600_000; ms <= t1; ms += 3_600_000) {
      const xx = r(x(ms));
      const h = new Date(ms).getUTCHours();
      grid.push(`<line class="hour-tick" x1="${xx}" x2="${xx}" y1="${M.top + ph}" y2="${M.top + ph + 3}"/>`);
      if (h % step !== 0) continue;
      const label = h === 0 ? formatDate(ms).slice(5) : `${String(h).padStart(2, '0')}:00`;
      grid.push(
        `<text class="tick hour" x="${xx}" y="${H - 6}" text-anchor="middle">${escapeHtml(label)}</text>`,
      );
    }
  }
  for (let i = 0; i < xTicks; i++) {
    const ms = xTicks === 1 ? t0 : t0 + ((t1 - t0) * i) / (xTicks - 1);
    const anchor = xTicks === 1 ? 'middle' : i === 0 ? 'start' : i === xTicks - 1 ? 'end' : 'middle';
    const label =
      o.grain === 'day' || t1 - t0 > 4 * 86_400_000
        ? formatDate(ms).slice(5)
        : formatDateTime(ms).slice(5, 16);
    grid.push(
      `<text class="tick" x="${r(x(ms))}" y="${H - 6}" text-anchor="${anchor}">${escapeHtml(label)}</text>`,
    );
  }
  parts.push(`<g aria-hidden="true">${grid.join('')}</g>`);

  const to = o.highlightTo ?? Number.POSITIVE_INFINITY;
  if (o.highlightFrom !== undefined && o.highlightFrom <= t1 && to > t0 && to > o.highlightFrom) {
    // Windows are drawn at their start: the shade covers half a step either side of [from, to).
    const half = pts.length > 1 ? pw / (pts.length - 1) / 2 : 0;
    const hx = Math.max(M.left, x(Math.max(o.highlightFrom, t0)) - half);
    const last = pts.filter((p) => p.ms < to).at(-1)?.ms ?? t1;
    const ex = Math.min(W - M.right, Number.isFinite(to) ? x(last) + half : W - M.right);
    parts.push(
      `<rect class="incident-window" x="${r(hx)}" y="${M.top}" width="${r(Math.max(0, ex - hx))}" height="${ph}" data-from="${o.highlightFrom}"${Number.isFinite(to) ? ` data-to="${to}"` : ''}><title>Incident period</title></rect>`,
    );
  }

  const rp = o.precision === 0 ? r0 : r;
  const series: string[] = [];
  const drawn = downsample(pts, Math.round(pw / 3));
  const band = bandPath(
    drawn.map((p) => at(p.ms, p.upper)),
    drawn.map((p) => at(p.ms, p.lower)),
    rp,
  );
  if (band) {
    series.push('band');
    parts.push(`<path class="band" d="${band}"/>`);
  }
  const expected = linePath(
    drawn.map((p) => at(p.ms, p.expected)),
    rp,
  );
  if (expected) {
    series.push('expected');
    parts.push(`<path class="expected" d="${expected}"/>`);
  }
  const value = linePath(
    drawn.map((p) => at(p.ms, p.value)),
    rp,
  );
  if (value) {
    series.push('value');
    parts.push(`<path class="value" d="${value}"/>`);
  }
  // A lone defined point between gaps has no line: mark it so it is visible.
  const lone = drawn
    .filter((p, i) => finite(p.value) && !finite(drawn[i - 1]?.value) && !finite(drawn[i + 1]?.value))
    .map((p) => at(p.ms, p.value)!);
  if (lone.length) parts.push(`<path class="value-dot" d="${markerPath(lone, 2)}"/>`);
  if (anomalyCount > 0) {
    series.push('anomalies');
    const marks = pts.filter((p) => p.anomaly && finite(p.value)).map((p) => at(p.ms, p.value)!);
    parts.push(
      `<path class="anomaly" d="${markerPath(marks)}"><title>${anomalyCount} anomalous windows</title></path>`,
    );
  }
  return `${open} data-series="${series.join(' ')}">${parts.join('')}</svg>`;
}
