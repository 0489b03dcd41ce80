import * as z from 'zod';
import { UtcInstant } from '../config/schema.js';

/**
 * Known events (vigil.yaml `calendar:`): holidays, launches, planned outages. Over an event's
 * windows, and within its scope, detection does not learn (the baseline is not bent by a known
 * one-off), alerts and the report name the event, and `suppress: true` keeps alerts from being
 * raised at all.
 */
/** Kept as ISO text: the calendar travels in alerts and the report as it was declared. */
export const Instant = UtcInstant.transform((d) => d.toISOString());

export const EventKind = z.enum(['holiday', 'launch', 'outage', 'other']);
export type EventKind = z.infer<typeof EventKind>;

export const KnownEvent = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,120}$/, 'must be 1..120 of letters, digits, _ . -'),
    kind: EventKind.default('other'),
    /** Shown in alerts and the report (default: the id). */
    title: z.string().min(1).max(200).optional(),
    /** Half-open [start, end), UTC; a bare date is its midnight. */
    start: Instant,
    end: Instant,
    /** Scope: only series of these region values (slices with region=…); default every series. */
    regions: z.array(z.string().min(1).max(100)).min(1).max(200).optional(),
    /** Scope: only these metrics; default every metric. */
    metrics: z
      .array(z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a metric name'))
      .min(1)
      .max(500)
      .optional(),
    /** Raise no alert in scope while the event lasts (it is still charted and annotated). */
    suppress: z.boolean().default(false),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (Date.parse(e.end) <= Date.parse(e.start))
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  });
export type KnownEvent = z.infer<typeof KnownEvent>;

export const Calendar = z.array(KnownEvent).max(2000).default([]);
export type Calendar = z.infer<typeof Calendar>;
