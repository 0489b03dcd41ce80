import * as z from 'zod';
import type { Grain } from '../time/window.js';

/**
 * Per-metric detection and alerting rules, keyed by metric name. Every field has a default, and
 * the core catalog gets sensible ones (`CORE_DETECTION`), so `{}` is a valid config.
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
    /** Rows scored 0 while the baseline learns. */
    warmup: z.number().int().min(0).optional(),
    /** Smallest relative change |observed − expected| / expected worth an alert (practical significance). */
    minRelativeChange: z.number().min(0).default(0.25),
    /** Quiet windows after which an incident is resolved. */
    resolveAfter: z.number().int().min(1).default(2),
    /** Windows between two updates of one incident (an escalation of severity skips the wait). */
    cooldown: z.number().int().min(0).default(3),
    /** Turns detection off for this metric. */
    enabled: z.boolean().default(true),
    /** Grains the metric is watched at (a sampled metric can be too thin to read hourly). */
    grains: z
      .array(z.enum(['hour', 'day']))
      .min(1)
      .default(['hour', 'day']),
  })
  .strict();

export type MetricDetection = z.infer<typeof metricDetectionSchema>;
export type MetricDetectionInput = z.input<typeof metricDetectionSchema>;

export const detectionConfigSchema = z
  .object({
    /** Applied to every metric, under its own entry. */
    defaults: metricDetectionSchema.partial().default({}),
    metrics: z.record(z.string(), metricDetectionSchema.partial()).default({}),
  })
  .strict();
export type DetectionConfig = z.infer<typeof detectionConfigSchema>;
export type DetectionConfigInput = z.input<typeof detectionConfigSchema>;

/** Defaults for the design's core catalog: bad things alert up, good things down, counts both ways. */
export const CORE_DETECTION: DetectionConfigInput = {
  metrics: {
    // A few hundred sampled labels a day: hourly prevalence is mostly sampling noise.
    violation_prevalence: { direction: 'up', sensitivity: 0.3, grains: ['day'] },
    removals_per_10k_impressions: { direction: 'both' },
    automated_action_share: { direction: 'down' },
    appeal_overturn_rate: { direction: 'up', sensitivity: 0.3 },
    // A p90 of few decisions is heavy-tailed: only large, clear moves matter.
    decision_latency_p90_seconds: {
      direction: 'up',
      sensitivity: 0.2,
      sliceSensitivity: 0.1,
      minRelativeChange: 1,
    },
    reports_per_10k_impressions: { direction: 'up' },
    report_action_rate: { direction: 'both', sensitivity: 0.3 },
    login_failure_rate: { direction: 'up' },
    account_takeover_flags: { direction: 'up' },
    high_risk_signup_share: { direction: 'up' },
  },
};

export function parseDetectionConfig(input: DetectionConfigInput = CORE_DETECTION): DetectionConfig {
  return detectionConfigSchema.parse(input);
}

/** The effective rules of one metric at one grain. */
export function detectionFor(cfg: DetectionConfig, metric: string, grain: Grain): MetricDetection {
  const merged = metricDetectionSchema.parse({ ...cfg.defaults, ...(cfg.metrics[metric] ?? {}) });
  // Daily series are short: learn from a week, and a day's quiet is enough to resolve.
  const dayDefaults = grain === 'day' ? { warmup: 7, resolveAfter: 1, cooldown: 1 } : { warmup: 48 };
  const explicit = { ...cfg.defaults, ...(cfg.metrics[metric] ?? {}) };
  return {
    ...merged,
    warmup: explicit.warmup ?? dayDefaults.warmup,
    resolveAfter: explicit.resolveAfter ?? (grain === 'day' ? 1 : merged.resolveAfter),
    cooldown: explicit.cooldown ?? (grain === 'day' ? 1 : merged.cooldown),
  };
}
