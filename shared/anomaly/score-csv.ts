import { InputError } from '../errors.js';
import { escapeControl } from '../text/escape.js';
import type { DetectorConfigInput } from './config.js';
import { StreamingDetector } from './detector.js';
import { csvCell, formatScore, isGapCell, parseTimestamp, splitCsvLine } from './series-csv.js';

export const DETECT_HEADER = 'timestamp,value,anomaly_score,is_anomaly';

export interface ScoreCsvOptions {
  /**
   * Columns that name the series a row belongs to (e.g. `metric`, `slice`): each distinct
   * combination gets its own detector. They are echoed after the four fixed output columns.
   */
  readonly seriesColumns?: readonly string[];
  readonly config?: DetectorConfigInput;
  /** Distinct series allowed in one input (each holds a detector's bounded state). */
  readonly maxSeries?: number;
}

/** The default cap on distinct series: each holds 1–3.5 MiB of detector state (bench/RESULTS.md). */
export const DEFAULT_MAX_SERIES = 1000;

export interface ScoreSummary {
  /** Data rows read and written. */
  readonly rows: number;
  readonly series: number;
  readonly anomalies: number;
  /** Rows with an empty (or NaN/NA/null) value: written with score 0, not learned from. */
  readonly gaps: number;
  /** Rows whose timestamp equals the latest one seen before in their series. */
  readonly duplicateTimestamps: number;
  /** Rows whose timestamp is earlier than the latest one seen before in their series. */
  readonly outOfOrder: number;
  /** Seasonal model in use at the last scored row. */
  readonly seasonality: string;
}

interface SeriesState {
  readonly detector: StreamingDetector;
  latest: number;
}

/**
 * `vigil detect` minus the I/O: fed one input line at a time, returns the output line for it.
 * Rows are scored in arrival order, as a stream sees them — a repeated or earlier timestamp is
 * scored where it arrives and counted, never reordered — so memory is one detector state per
 * series, whatever the number of rows. Every problem is an InputError naming the source, the
 * line and the offending cell.
 */
export class CsvSeriesScorer {
  private readonly seriesColumns: readonly string[];
  private readonly config: DetectorConfigInput;
  private readonly maxSeries: number;
  private readonly states = new Map<string, SeriesState>();
  private lineNo = 0;
  private headerSeen = false;
  private blankAt = 0;
  private ti = -1;
  private vi = -1;
  private si: number[] = [];
  private counts = { rows: 0, anomalies: 0, gaps: 0, duplicateTimestamps: 0, outOfOrder: 0 };
  private lastSeasonality = 'none';

  constructor(
    private readonly source = 'input',
    options: ScoreCsvOptions = {},
  ) {
    this.seriesColumns = [...new Set(options.seriesColumns ?? [])];
    this.config = options.config ?? {};
    this.maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  }

  /** Feeds one line (without its line break). Returns the output line, or undefined for a blank line. */
  line(raw: string): string | undefined {
    const lineNo = ++this.lineNo;
    const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') {
      // Blank lines are fine at the end of a file only.
      if (this.blankAt === 0) this.blankAt = lineNo;
      return undefined;
    }
    if (this.blankAt !== 0) throw new InputError(`${this.source}: line ${this.blankAt}: empty line`);
    const cells = splitCsvLine(text);
    if (!cells) throw new InputError(`${this.source}: line ${lineNo}: unterminated quoted field`);
    if (!this.headerSeen) return this.header(cells, lineNo);
    return this.row(cells, lineNo);
  }

  /** Call after the last line: refuses an input without header or rows, returns the counts. */
  end(): ScoreSummary {
    if (!this.headerSeen)
      throw new InputError(`${this.source}: empty file (expected a header 'timestamp,value')`);
    if (this.counts.rows === 0) throw new InputError(`${this.source}: no data rows after the header`);
    return { ...this.counts, series: this.states.size, seasonality: this.lastSeasonality };
  }

  private header(cells: string[], lineNo: number): string {
    const names = cells.map((h) => h.trim().toLowerCase());
    this.ti = names.indexOf('timestamp');
    this.vi = names.indexOf('value');
    const missing = [this.ti < 0 ? 'timestamp' : '', this.vi < 0 ? 'value' : ''].filter(Boolean);
    if (missing.length > 0)
      throw new InputError(
        `${this.source}: missing column ${missing.map((c) => `'${c}'`).join(' and ')} in header line ${lineNo}`,
      );
    this.si = this.seriesColumns.map((col) => {
      const i = names.indexOf(col.trim().toLowerCase());
      if (i < 0)
        throw new InputError(
          `${this.source}: --series-column '${escapeControl(col)}' is not a column of header line ${lineNo}`,
        );
      if (i === this.ti || i === this.vi)
        throw new InputError(`--series-column '${escapeControl(col)}': that is the ${names[i]} column`);
      return i;
    });
    this.headerSeen = true;
    return this.seriesColumns.length === 0
      ? DETECT_HEADER
      : `${DETECT_HEADER},${this.si.map((i) => csvCell(cells[i]!.trim())).join(',')}`;
  }

  private row(cells: string[], lineNo: number): string {
    const ts = (cells[this.ti] ?? '').trim();
    const vs = (cells[this.vi] ?? '').trim();
    const t = parseTimestamp(ts);
    if (Number.isNaN(t))
      throw new InputError(`${this.source}: line ${lineNo}: unparseable timestamp '${escapeControl(ts)}'`);
    const gap = isGapCell(vs);
    const value = gap ? Number.NaN : Number(vs);
    if (!gap && !Number.isFinite(value))
      throw new InputError(`${this.source}: line ${lineNo}: non-numeric value '${escapeControl(vs)}'`);

    let key = '';
    if (this.si.length > 0) {
      const parts = this.si.map((i, k) => {
        const cell = cells[i];
        if (cell === undefined)
          throw new InputError(`${this.source}: line ${lineNo}: no '${this.seriesColumns[k]}' field`);
        return cell;
      });
      key = parts.length === 1 ? parts[0]! : JSON.stringify(parts);
    }
    let state = this.states.get(key);
    if (!state) {
      if (this.states.size >= this.maxSeries)
        throw new InputError(
          `${this.source}: line ${lineNo}: more than ${this.maxSeries} distinct series (--max-series)`,
        );
      state = { detector: new StreamingDetector(this.config), latest: Number.NEGATIVE_INFINITY };
      this.states.set(key, state);
    }
    if (t === state.latest) this.counts.duplicateTimestamps++;
    else if (t < state.latest) this.counts.outOfOrder++;
    else state.latest = t;

    const s = state.detector.push({ t, value });
    this.counts.rows++;
    if (gap) this.counts.gaps++;
    if (s.isAnomaly) this.counts.anomalies++;
    if (!gap) this.lastSeasonality = s.seasonality;
    let out = `${csvCell(ts)},${csvCell(vs)},${formatScore(s.score)},${s.isAnomaly}`;
    if (this.si.length > 0) for (const i of this.si) out += `,${csvCell(cells[i]!)}`;
    return out;
  }
}

export interface ScoredCsv extends ScoreSummary {
  /** `timestamp,value,anomaly_score,is_anomaly` (+ series columns), one row per input row, same order. */
  readonly csv: string;
}

/**
 * A whole CSV text through the same scorer `vigil detect` streams files through (the NAB
 * benchmark and tests use it, so they measure exactly what the command does).
 */
export function scoreSeriesCsv(text: string, source = 'input', options: ScoreCsvOptions = {}): ScoredCsv {
  const scorer = new CsvSeriesScorer(source, options);
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const o = scorer.line(line);
    if (o !== undefined) out.push(o);
  }
  const summary = scorer.end();
  return { ...summary, csv: `${out.join('\n')}\n` };
}
