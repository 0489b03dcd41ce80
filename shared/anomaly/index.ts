/** Streaming anomaly detection for metric series (pure TypeScript, no engine or cloud imports). */
export {
  alertThreshold,
  type DetectorConfig,
  type DetectorConfigInput,
  detectorConfigSchema,
  parseDetectorConfig,
} from './config.js';
export { detectSeries, type PointScore, type SeriesPoint, StreamingDetector } from './detector.js';
export {
  CsvSeriesScorer,
  type ScoreCsvOptions,
  type ScoredCsv,
  type ScoreSummary,
  scoreSeriesCsv,
} from './score-csv.js';
export { formatScore, parseTimestamp } from './series-csv.js';
export {
  DETECTOR_STATE_VERSION,
  DetectorStateMismatchError,
  decodeDetectorState,
  decodeState,
  detectorShape,
  encodeDetectorState,
  encodeState,
} from './state.js';
