import type { Metric, MetricConfig, MetricUnit } from './schema.js';

/** A metric's unit: the one it declares, else what its kind implies. */
export function unitOf(metric: Metric): MetricUnit {
  if (metric.unit) return metric.unit;
  switch (metric.kind) {
    case 'ratio':
      return metric.scale === 10000 ? 'per10k' : 'rate';
    case 'weighted_proportion':
      return 'proportion';
    default:
      return 'count';
  }
}

/** Unit by metric name for the metrics of a config (names it does not know read as counts). */
export function unitLookup(cfg: MetricConfig): (metric: string) => MetricUnit {
  const units = new Map(cfg.metrics.map((m) => [m.name, unitOf(m)]));
  return (metric) => units.get(metric) ?? 'count';
}
