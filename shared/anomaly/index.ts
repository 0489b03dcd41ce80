/** Streaming anomaly detection for metric series (pure TypeScript, no engine or cloud imports). */
export {
  alertThreshold,
  type DetectorConfig,
  type DetectorConfigInput,
  detectorConfigSchema,
  parseDetectorConfig,
} from './config.js';
export { detectSeries, type PointScore, type SeriesPoint, StreamingDetector } from './detector.js';
export { type ScoredCsv, scoreSeriesCsv } from './score-csv.js';
export { formatScore, parseSeriesCsv, parseTimestamp, type SeriesCsv } from './series-csv.js';
export { DETECTOR_STATE_VERSION, decodeDetectorState, encodeDetectorState } from './state.js';
