import * as z from 'zod';
import type { Metric } from '../config/schema.js';
import type { Grain } from '../time/window.js';

/**
 * The detection and alerting rules of one metric. They live in the metric's own definition
 * (`metrics[].detection` in vigil.yaml; the core catalog sets them inline), never in a table keyed
 * by metric name. Every field is optional: what a metric leaves out comes from the defaults below,
 * some of which depend on the grain (`detectionFor`). A metric's `detection` holds only what it
 * declares, so a change to a core metric can merge field by field.
 */
export const metricDetectionSchema = z
  .object({
    /** Which moves are incidents: `up` for spikes in bad things, `down` for drops, or `both` (default). */
    direction: z.enum(['up', 'down', 'both']).optional(),
    /**
     * 0..1, higher flags more; applies to the metric's total (default 0.5; 0.3 for a metric judged by
     * its rate band, see BANDED_SENSITIVITY).
     */
    sensitivity: z.number().min(0).max(1).optional(),
    /** Slices are many, so they need a stronger signal than the total (default 0.3: fewer false alarms). */
    sliceSensitivity: z.number().min(0).max(1).optional(),
    /**
     * Ratios: windows whose denominator is below this are not scored or learned; percentiles: windows
     * of fewer values (MetricRow.samples). Counts: a window is an incident candidate only when
     * observed or expected reaches it (a drop to 0 still counts) — for a count judged against its
     * exposure, summed over the span its evidence was judged on (the window, or its last 4 or 16).
     * Default 20.
     */
    minVolume: z.number().min(0).optional(),
    /** Rows scored 0 while the baseline learns (default 48 hourly windows, 7 daily). */
    warmup: z.number().int().min(0).optional(),
    /** Smallest relative change |observed − expected| / expected worth an alert (default 0.25). */
    minRelativeChange: z.number().min(0).optional(),
    /** Quiet windows after which an incident is resolved (default 2 hourly, 1 daily). */
    resolveAfter: z.number().int().min(1).optional(),
    /** Windows between two updates of one incident (default 3 hourly, 1 daily; an escalation skips the wait). */
    cooldown: z.number().int().min(0).optional(),
    /**
     * A count that comes from traffic (removals, reports) is judged against its exposure: the named
     * count metric (e.g. `impressions`), same slice when it has one, else its total. When the
     * exposure moves, the count's expectation moves with the exposure's observed / expected ratio,
     * so traffic +35% with flat rates raises at most the exposure's own incident, not one per count.
     */
    exposure: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/)
      .optional(),
    /** false turns detection off for this metric (it is still computed and charted). */
    enabled: z.boolean().optional(),
    /** Grains the metric is watched at (default both; a sampled metric can be too thin to read hourly). */
    grains: z
      .array(z.enum(['hour', 'day']))
      .min(1)
      .optional(),
  })
  .strict();

/** Rules as declared (every field optional), the form a metric definition holds. */
export type MetricDetectionInput = z.input<typeof metricDetectionSchema>;

/** The effective rules of one metric at one grain: every field resolved. */
export type MetricDetection = Required<Omit<MetricDetectionInput, 'exposure'>> & {
  readonly exposure?: string;
};

/** What a metric that declares nothing gets. */
const DEFAULTS = {
  direction: 'both',
  sensitivity: 0.5,
  sliceSensitivity: 0.3,
  minVolume: 20,
  minRelativeChange: 0.25,
  enabled: true,
  grains: ['hour', 'day'],
} as const satisfies Omit<MetricDetection, 'warmup' | 'resolveAfter' | 'cooldown' | 'exposure'>;

/**
 * The total's default level for a metric judged by its pooled rate band (bandJudged): the band's
 * tails are exact (Poisson), so it spends the level as charged, ~1e-3 of a window at 0.5 — about
 * one false alarm of the total per month of hours from sampling noise alone (a signup share's
 * 13 risky of 49 where 4.6 were expected). The slices' level, which the count families' totals
 * already had. A series judged by its own history (StreamingDetector) keeps 0.5: its tails are
 * calibrated on its past, floored by the rate its excursions occurred at.
 */
const BANDED_SENSITIVITY = 0.3;

/** Daily series are short: learn from a week, and a day's quiet is enough to resolve. */
const GRAIN_DEFAULTS: Record<Grain, { warmup: number; resolveAfter: number; cooldown: number }> = {
  hour: { warmup: 48, resolveAfter: 2, cooldown: 3 },
  day: { warmup: 7, resolveAfter: 1, cooldown: 1 },
};

/** Whether a metric is judged at a grain (enabled, and the grain among its grains). */
export function watchedAt(declared: MetricDetectionInput | undefined, grain: Grain): boolean {
  const rules = detectionFor(declared, grain);
  return rules.enabled && rules.grains.includes(grain);
}

/**
 * Whether a metric is judged by its pooled rate band (shared/alerting/pooled-band.ts): a ratio of
 * counts, a weighted proportion, or a count that declares an exposure. Other metrics are judged by
 * their own series' history.
 */
export function bandJudged(metric: Metric): boolean {
  if (metric.kind === 'ratio' || metric.kind === 'weighted_proportion') return true;
  return metric.kind !== 'percentile' && metric.detection?.exposure !== undefined;
}

/**
 * The effective rules of a metric (its own `detection`, or none) at one grain; `banded`: the metric
 * is judged by its rate band (bandJudged), whose total defaults to BANDED_SENSITIVITY.
 */
export function detectionFor(
  declared: MetricDetectionInput | undefined,
  grain: Grain,
  banded = false,
): MetricDetection {
  const own = Object.fromEntries(
    Object.entries(metricDetectionSchema.parse(declared ?? {})).filter(([, v]) => v !== undefined),
  );
  return {
    ...DEFAULTS,
    grains: [...DEFAULTS.grains],
    ...GRAIN_DEFAULTS[grain],
    ...(banded ? { sensitivity: BANDED_SENSITIVITY } : {}),
    ...own,
  } as MetricDetection;
}

/** The effective rules of a metric at one grain, with the defaults of how it is judged. */
export function detectionOf(metric: Metric, grain: Grain): MetricDetection {
  return detectionFor(metric.detection, grain, bandJudged(metric));
}
