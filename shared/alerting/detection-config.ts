import * as z from 'zod';
import type { Grain } from '../time/window.js';

/**
 * The detection and alerting rules of one metric. They live in the metric's own definition
 * (`metrics[].detection` in vigil.yaml; the core catalog sets them inline), never in a table keyed
 * by metric name. Every field is optional: what a metric leaves out comes from the defaults below,
 * some of which depend on the grain (`detectionFor`).
 */
export const metricDetectionSchema = z
  .object({
    /** Which moves are incidents: `up` for spikes in bad things, `down` for drops, or both. */
    direction: z.enum(['up', 'down', 'both']).default('both'),
    /** 0..1, higher flags more; applies to the metric's total. */
    sensitivity: z.number().min(0).max(1).default(0.5),
    /** Slices are many, so they need a stronger signal than the total (fewer false alarms). */
    sliceSensitivity: z.number().min(0).max(1).default(0.3),
    /**
     * Ratios: windows whose denominator is below this are not scored or learned. Counts: a window
     * is an incident candidate only when observed or expected reaches it (a drop to 0 still counts).
     */
    minVolume: z.number().min(0).default(20),
    /** Rows scored 0 while the baseline learns (default 48 hourly windows, 7 daily). */
    warmup: z.number().int().min(0).optional(),
    /** Smallest relative change |observed − expected| / expected worth an alert (practical significance). */
    minRelativeChange: z.number().min(0).default(0.25),
    /** Quiet windows after which an incident is resolved (default 2 hourly, 1 daily). */
    resolveAfter: z.number().int().min(1).optional(),
    /** Windows between two updates of one incident (default 3 hourly, 1 daily; an escalation skips the wait). */
    cooldown: z.number().int().min(0).optional(),
    /**
     * A count that comes from traffic (removals, reports) is judged against its exposure: the named
     * count metric (e.g. `impressions`), same slice when it has one, else its total. The count's
     * expectation moves with the exposure's observed / expected ratio, so traffic +35% with flat
     * rates raises at most the exposure's own incident, not one per count metric.
     */
    exposure: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/)
      .optional(),
    /** Turns detection off for this metric (it is still computed and charted). */
    enabled: z.boolean().default(true),
    /** Grains the metric is watched at (a sampled metric can be too thin to read hourly). */
    grains: z
      .array(z.enum(['hour', 'day']))
      .min(1)
      .default(['hour', 'day']),
  })
  .strict();

/** Rules as declared (every field optional), the form a metric definition holds. */
export type MetricDetectionInput = z.input<typeof metricDetectionSchema>;

/** The effective rules of one metric at one grain: every field resolved. */
export type MetricDetection = Omit<z.infer<typeof metricDetectionSchema>, 'resolveAfter' | 'cooldown'> & {
  readonly resolveAfter: number;
  readonly cooldown: number;
};

/** Daily series are short: learn from a week, and a day's quiet is enough to resolve. */
const GRAIN_DEFAULTS: Record<Grain, { warmup: number; resolveAfter: number; cooldown: number }> = {
  hour: { warmup: 48, resolveAfter: 2, cooldown: 3 },
  day: { warmup: 7, resolveAfter: 1, cooldown: 1 },
};

/** The effective rules of a metric (its own `detection`, or none) at one grain. */
export function detectionFor(declared: MetricDetectionInput | undefined, grain: Grain): MetricDetection {
  const parsed = metricDetectionSchema.parse(declared ?? {});
  const d = GRAIN_DEFAULTS[grain];
  return {
    ...parsed,
    warmup: parsed.warmup ?? d.warmup,
    resolveAfter: parsed.resolveAfter ?? d.resolveAfter,
    cooldown: parsed.cooldown ?? d.cooldown,
  };
}
