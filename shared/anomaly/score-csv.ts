import type { DetectorConfigInput } from './config.js';
import { detectSeries } from './detector.js';
import { formatScore, type ParseOptions, parseSeriesCsv } from './series-csv.js';

export interface ScoredCsv {
  /** `timestamp,value,anomaly_score,is_anomaly`, one row per input row, same order. */
  readonly csv: string;
  readonly rows: number;
  readonly anomalies: number;
  /** Seasonal model in use at the last row. */
  readonly seasonality: string;
}

/**
 * `vigil detect` minus the file handling: parse a `timestamp,value` CSV, score every row with
 * the default (series-level) configuration, render the output CSV. The NAB benchmark calls
 * this too, so the benchmark measures exactly what the command does.
 */
export function scoreSeriesCsv(
  text: string,
  source = 'input',
  config: DetectorConfigInput = {},
  parse: ParseOptions = {},
): ScoredCsv {
  const series = parseSeriesCsv(text, source, parse);
  const scores = detectSeries(
    series.t.map((t, i) => ({ t, value: series.x[i]! })),
    config,
  );
  const out: string[] = ['timestamp,value,anomaly_score,is_anomaly'];
  let anomalies = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s.isAnomaly) anomalies++;
    out.push(`${csvCell(series.timestamps[i]!)},${series.values[i]},${formatScore(s.score)},${s.isAnomaly}`);
  }
  return {
    csv: `${out.join('\n')}\n`,
    rows: scores.length,
    anomalies,
    seasonality: scores[scores.length - 1]?.seasonality ?? 'none',
  };
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
