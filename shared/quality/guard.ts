import * as z from 'zod';
import { median } from '../anomaly/math.js';
import { metricSources } from '../config/load.js';
import type { MetricConfig } from '../config/schema.js';
import { poissonLowerTail } from '../stats/poisson-tails.js';
import { floorToGrain, type Grain } from '../time/window.js';
import type { PartitionCounts } from './partition-counts.js';

/**
 * The data-quality guard: an hour whose partition is missing, or whose volume collapsed against
 * the same hour of previous days, is a data problem, not a metric move. Its metrics are held back
 * (excluded from scoring and learning) and a data_quality alert is raised instead.
 */
export const qualityRulesSchema = z
  .object({
    /** Only sources expected to have at least this many rows in the hour are judged (Poisson noise). */
    minExpected: z.number().min(0).default(20),
    /**
     * Observed at or below this fraction of the partition's seasonal expectation is a collapse (0
     * rows: missing or late), provided the shortfall is also far outside the partition's own
     * same-hour variability (see findDataIssues). A partition with a quarter of its usual rows is
     * a data fault; a real incident that removes part of a source's events (a classifier outage
     * drops about half of the decisions) stays a metric incident.
     */
    collapseFraction: z.number().min(0).max(1).default(0.4),
    /** Days of same-hour history that set the expectation. */
    historyDays: z.number().int().min(1).max(28).default(7),
  })
  .strict();
export type QualityRules = z.infer<typeof qualityRulesSchema>;

export interface DataIssue {
  readonly source: string;
  /** Hour start, epoch ms. */
  readonly t: number;
  readonly observed: number;
  readonly expected: number;
  readonly reason: 'missing' | 'low_volume';
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
/**
 * The Poisson chance below which a shortfall is not luck: a month holds ~5,000 source-hours, so
 * about one chance alarm in 200 months (at 4 normal sd, 3e-5, an hour of 16 rows against 43 fired).
 */
const CHANCE = 1e-6;

/**
 * Judges every hour in [from, to) of each source. `counts` must cover `historyDays` before `from`
 * (`countedFrom`); hours before it are unknown, not zero.
 */
export function findDataIssues(
  counts: PartitionCounts,
  countedFrom: number,
  from: number,
  to: number,
  rules: QualityRules,
): DataIssue[] {
  const issues: DataIssue[] = [];
  for (const [source, bySource] of counts) {
    for (let t = from; t < to; t += HOUR) {
      const seasonal = expectedRows(bySource, countedFrom, t, rules.historyDays);
      if (seasonal === undefined || seasonal.expected < rules.minExpected) continue;
      const { expected, spread } = seasonal;
      const observed = bySource.get(t) ?? 0;
      if (observed > rules.collapseFraction * expected) continue;
      // Beyond the hour's own variability, both kinds: the Poisson chance of so few rows (exact, as a
      // thin hour's low tail is not normal) and the day-to-day spread, as a factor because volumes
      // move by factors (weekends, a traffic day in the history).
      if (observed > 0 && poissonLowerTail(observed, expected) > CHANCE) continue;
      if (observed > 0 && Math.log(expected / observed) < 4 * spread) continue;
      issues.push({ source, t, observed, expected, reason: observed === 0 ? 'missing' : 'low_volume' });
    }
  }
  return issues.sort((a, b) => a.t - b.t || a.source.localeCompare(b.source));
}

/**
 * The partition's seasonal expectation: the median of the same hour on previous days (without a
 * day of history, of the previous hours), and the robust spread of those counts' logs
 * (1.4826 x MAD of ln count, 0 with fewer than 3 days).
 */
function expectedRows(
  counts: Map<number, number>,
  countedFrom: number,
  t: number,
  days: number,
): { expected: number; spread: number } | undefined {
  const sameHour: number[] = [];
  for (let k = 1; k <= days && t - k * DAY >= countedFrom; k++) sameHour.push(counts.get(t - k * DAY) ?? 0);
  if (sameHour.length > 0) return withSpread(sameHour);
  const recent: number[] = [];
  for (let k = 1; k <= 24 && t - k * HOUR >= countedFrom; k++) recent.push(counts.get(t - k * HOUR) ?? 0);
  return recent.length >= 3 ? withSpread(recent) : undefined;
}

function withSpread(xs: number[]): { expected: number; spread: number } {
  const expected = median(xs);
  if (xs.length < 3 || !(expected > 0)) return { expected, spread: 0 };
  // An empty hour in the history (a past outage) is a factor too large to measure: ln(0.5) stands in.
  const logs = xs.map((x) => Math.log(Math.max(x, 0.5)));
  const centre = median(logs);
  return { expected, spread: 1.4826 * median(logs.map((l) => Math.abs(l - centre))) };
}

/** The sources each metric reads. */
export function sourcesByMetric(cfg: MetricConfig): Map<string, string[]> {
  return new Map(cfg.metrics.map((m) => [m.name, metricSources(m)]));
}

/** metric → window starts (of `grain`) to hold back, because a source it reads had an issue then. */
export function excludedWindows(
  cfg: MetricConfig,
  issues: readonly DataIssue[],
  grain: Grain,
): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [metric, sources] of sourcesByMetric(cfg)) {
    const set = new Set<number>();
    for (const issue of issues)
      if (sources.includes(issue.source)) set.add(floorToGrain(new Date(issue.t), grain).getTime());
    out.set(metric, set);
  }
  return out;
}
