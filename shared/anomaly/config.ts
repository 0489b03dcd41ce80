import * as z from 'zod';

/**
 * Per-metric detector configuration. Every field has a default, so `{}` is a valid config and
 * the same defaults serve hourly, daily and minute-level series (the period is found from the
 * timestamps, the scale from the data).
 */
export const detectorConfigSchema = z
  .object({
    /** Which deviations count: `up` for spikes in bad things, `down` for drops, or both. */
    direction: z.enum(['up', 'down', 'both']).default('both'),
    /**
     * 0..1, higher flags more. It moves the `is_anomaly` cut on the score; the score itself
     * does not depend on it, so a threshold can be chosen later.
     */
    sensitivity: z.number().min(0).max(1).default(0.5),
    /** Rows whose denominator (or count) is below this are not scored and not learned from. */
    minVolume: z.number().min(0).default(0),
    /** Rows scored 0 at the start while the baseline and the score calibration learn. */
    warmup: z.number().int().min(0).default(48),
    /** `auto` picks hour-of-day / day-of-week / none from the data. */
    seasonality: z.enum(['auto', 'none', 'daily', 'weekly']).default('auto'),
    /**
     * Rows of repeat suppression: a score counts only as a new high over this many rows, and
     * after an alert in that span only as a clear escalation of it (hold-off).
     */
    cooldown: z.number().int().min(0).default(72),
    /**
     * Rows an anomalous level must persist before it is taken as the new normal. While a series
     * is anomalous its baseline, noise scale and score calibration are held (an incident is not
     * learned); if it comes back, the held rows are learned as a burst; if it stays for `hold`
     * rows, the baseline is re-based on it at once instead of drifting there.
     */
    hold: z.number().int().min(1).default(24),
    /**
     * What the score calibration does with an anomalous episode's CUSUM values. `learn` (default)
     * takes them in as they come, so the evidence of a long episode fades: right for a streaming
     * score read once per anomaly (NAB), where repeat suppression then keeps one detection.
     * `hold` keeps them out until the episode ends, so the evidence stays up for as long as it
     * lasts: right for incidents, which stay open while the series is anomalous and resolve when
     * it is back (the alerting path uses it). With `hold`, an episode's rows also never set a
     * seasonal profile's first visits: an incident is not next week's normal.
     */
    episodeCalibration: z.enum(['learn', 'hold']).default('learn'),
  })
  .strict();

export type DetectorConfigInput = z.input<typeof detectorConfigSchema>;
export type DetectorConfig = z.infer<typeof detectorConfigSchema>;

export function parseDetectorConfig(input: DetectorConfigInput = {}): DetectorConfig {
  return detectorConfigSchema.parse(input);
}

/** The score at and above which a row is an anomaly, for a given sensitivity. */
export function alertThreshold(sensitivity: number): number {
  // sensitivity 0.5 -> 0.5; the ends are kept off 0 and 1 so both extremes still mean something.
  return 0.95 - 0.9 * sensitivity;
}
