import { escapeHtml } from './format.js';
import { niceTicks } from './svg-chart.js';

/**
 * good / bad: the CI excludes zero, in the metric's good or bad direction; significant: it excludes
 * zero and no direction is known; neutral: it does not exclude zero; unknown: not estimated.
 */
export type Verdict = 'good' | 'bad' | 'significant' | 'neutral' | 'unknown';

export interface ForestRow {
  readonly label: string;
  readonly estimate: number | null;
  readonly low: number | null;
  readonly high: number | null;
  readonly verdict: Verdict;
}

export interface ForestOptions {
  readonly id: string;
  readonly title: string;
  readonly rows: readonly ForestRow[];
  /** Axis labels and the values in each row's tooltip. */
  readonly format: (n: number) => string;
  readonly width?: number;
}

function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function finite(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** The axis range over `values`, widened by `pad` of its span at each end (by ±1 first when they are all equal). */
function paddedRange(values: readonly number[], pad: number): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const margin = (hi - lo) * pad;
  return [lo - margin, hi + margin];
}

const LABEL_CHARS = 24;

function truncate(s: string): string {
  return s.length > LABEL_CHARS ? `${s.slice(0, LABEL_CHARS - 1)}…` : s;
}

/**
 * A forest plot: one row per effect, its point estimate and confidence interval on a shared axis
 * with a zero line. Significant effects are filled markers (blue good, vermillion bad); the rest
 * hollow grey, so the reading never rests on colour alone.
 */
export function forestPlot(o: ForestOptions): string {
  const W = o.width ?? 460;
  const rowH = 26;
  const left = 170;
  const right = 16;
  const top = 6;
  const axisH = 26;
  const H = top + o.rows.length * rowH + axisH;
  const vals: number[] = [0];
  for (const row of o.rows) for (const v of [row.estimate, row.low, row.high]) if (finite(v)) vals.push(v);
  const [lo, hi] = paddedRange(vals, 0.08);
  const pw = W - left - right;
  const x = (v: number) => left + ((v - lo) / (hi - lo)) * pw;
  const titleId = `${o.id}-t`;
  const parts: string[] = [`<title id="${titleId}">${escapeHtml(o.title)}</title>`];
  const axis: string[] = [];
  const plotBottom = top + o.rows.length * rowH;
  for (const v of niceTicks(lo, hi, 5)) {
    const xx = r(x(v));
    axis.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${top}" y2="${plotBottom}"/>`);
    axis.push(
      `<text class="tick" x="${xx}" y="${plotBottom + 17}" text-anchor="middle">${escapeHtml(o.format(v))}</text>`,
    );
  }
  axis.push(`<line class="zero" x1="${r(x(0))}" x2="${r(x(0))}" y1="${top}" y2="${plotBottom}"/>`);
  parts.push(`<g aria-hidden="true">${axis.join('')}</g>`);
  o.rows.forEach((row, i) => {
    const cy = top + i * rowH + rowH / 2;
    const label = `<text class="label" x="${left - 10}" y="${r(cy)}" dy="0.32em" text-anchor="end">${escapeHtml(truncate(row.label))}</text>`;
    const tip =
      finite(row.estimate) && finite(row.low) && finite(row.high)
        ? `${row.label}: ${o.format(row.estimate)} [${o.format(row.low)}, ${o.format(row.high)}]`
        : finite(row.estimate)
          ? `${row.label}: ${o.format(row.estimate)}`
          : `${row.label}: not estimated`;
    let mark = '';
    if (finite(row.low) && finite(row.high))
      mark += `<line class="ci" x1="${r(x(row.low))}" x2="${r(x(row.high))}" y1="${r(cy)}" y2="${r(cy)}"/>`;
    if (finite(row.estimate))
      mark += `<rect class="est" x="${r(x(row.estimate) - 5)}" y="${r(cy - 5)}" width="10" height="10"/>`;
    else mark += `<text class="tick" x="${left + 4}" y="${r(cy)}" dy="0.32em">not estimated</text>`;
    parts.push(`<g class="row ${row.verdict}"><title>${escapeHtml(tip)}</title>${label}${mark}</g>`);
  });
  return `<svg class="forest" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId}" data-rows="${o.rows.length}">${parts.join('')}</svg>`;
}

export interface EventStudyOptions {
  readonly id: string;
  readonly title: string;
  readonly points: readonly { relDay: number; coef: number; ciLow: number; ciHigh: number }[];
  readonly format: (n: number) => string;
  readonly width?: number;
  readonly height?: number;
}

/** Event-study coefficients by day relative to launch, with CIs; the launch is a dashed line. */
export function eventStudyChart(o: EventStudyOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 200;
  const m = { top: 10, right: 12, bottom: 28, left: 56 };
  const pts = o.points.filter((p) => [p.relDay, p.coef, p.ciLow, p.ciHigh].every(Number.isFinite));
  const titleId = `${o.id}-t`;
  const head = `<title id="${titleId}">${escapeHtml(o.title)}</title>`;
  if (pts.length === 0)
    return `<svg class="event-study" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId}">${head}<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">No event study</text></svg>`;
  const days = pts.map((p) => p.relDay);
  const d0 = Math.min(...days, -1) - 0.5;
  const d1 = Math.max(...days, 0) + 0.5;
  const ys = [0, ...pts.flatMap((p) => [p.ciLow, p.ciHigh])];
  const [lo, hi] = paddedRange(ys, 0.06);
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const x = (d: number) => m.left + ((d - d0) / (d1 - d0)) * pw;
  const y = (v: number) => m.top + ph - ((v - lo) / (hi - lo)) * ph;
  const grid: string[] = [];
  for (const v of niceTicks(lo, hi)) {
    grid.push(`<line class="grid" x1="${m.left}" x2="${W - m.right}" y1="${r(y(v))}" y2="${r(y(v))}"/>`);
    grid.push(
      `<text class="tick" x="${m.left - 6}" y="${r(y(v))}" dy="0.32em" text-anchor="end">${escapeHtml(o.format(v))}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil((d1 - d0) / 8));
  for (let d = Math.ceil(d0 / step) * step; d <= d1; d += step)
    grid.push(`<text class="tick" x="${r(x(d))}" y="${H - 8}" text-anchor="middle">${d}</text>`);
  grid.push(`<line class="zero" x1="${m.left}" x2="${W - m.right}" y1="${r(y(0))}" y2="${r(y(0))}"/>`);
  grid.push(`<line class="launch" x1="${r(x(-0.5))}" x2="${r(x(-0.5))}" y1="${m.top}" y2="${m.top + ph}"/>`);
  grid.push(`<text class="tick" x="${r(x(-0.5) + 4)}" y="${m.top + 10}">launch</text>`);
  const marks = pts.map((p) => {
    const cx = r(x(p.relDay));
    const tip = `day ${p.relDay}: ${o.format(p.coef)} [${o.format(p.ciLow)}, ${o.format(p.ciHigh)}]`;
    return `<g class="${p.relDay < 0 ? 'pre' : 'post'}"><title>${escapeHtml(tip)}</title><line class="ci" x1="${cx}" x2="${cx}" y1="${r(y(p.ciLow))}" y2="${r(y(p.ciHigh))}"/><circle cx="${cx}" cy="${r(y(p.coef))}" r="3.5"/></g>`;
  });
  return `<svg class="event-study" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId}" data-points="${pts.length}">${head}<g aria-hidden="true">${grid.join('')}</g>${marks.join('')}</svg>`;
}
