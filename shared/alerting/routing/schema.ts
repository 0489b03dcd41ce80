import * as z from 'zod';

/**
 * Alert routing (vigil.yaml `alerting:`): named sinks, and routes that send an alert to some of them
 * by severity, team, metric, kind or status. Every route that matches adds its sinks (in order) until
 * one with `stop: true` matched; an alert no route matches goes to the command's own sink (the
 * stack's SNS topic on AWS). With sinks and no routes, every alert goes to every sink.
 */
export const SinkName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, _ or - (max 63)');

/** Attribute names Vigil sets itself on every SNS message. */
export const RESERVED_SNS_ATTRIBUTES = [
  'severity',
  'metric',
  'region',
  'status',
  'kind',
  'grain',
  'team',
  'owner',
] as const;
/** SNS takes at most 10 message attributes; Vigil's own use 8. */
export const MAX_STATIC_SNS_ATTRIBUTES = 2;

const SnsTopicArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, 'must be an SNS topic ARN');

export const SinkConfig = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('file'),
      /** JSON lines appended (relative paths from the working directory). */
      path: z.string().min(1).max(4096),
    })
    .strict(),
  z.object({ type: z.literal('stdout') }).strict(),
  z
    .object({
      type: z.literal('webhook'),
      /** A Slack-compatible incoming webhook (https; http only for localhost). */
      url: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .refine((u) => {
          const url = new URL(u);
          return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
        }, 'must be https (http only for localhost)'),
      timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
    })
    .strict(),
  z
    .object({
      type: z.literal('sns'),
      /** Default: the topic of the deployed stack. */
      topic_arn: SnsTopicArn.optional(),
      /** Extra String attributes on every message of this sink (e.g. environment: prod), for filter policies. */
      attributes: z
        .record(
          z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or - (max 64)'),
          z.string().min(1).max(256),
        )
        .superRefine((a, ctx) => {
          for (const name of Object.keys(a))
            if ((RESERVED_SNS_ATTRIBUTES as readonly string[]).includes(name))
              ctx.addIssue({
                code: 'custom',
                path: [name],
                message: `is set by Vigil itself (${RESERVED_SNS_ATTRIBUTES.join(', ')})`,
              });
          if (Object.keys(a).length > MAX_STATIC_SNS_ATTRIBUTES)
            ctx.addIssue({
              code: 'custom',
              message: `at most ${MAX_STATIC_SNS_ATTRIBUTES} (SNS takes 10 attributes; Vigil sets 8)`,
            });
        })
        .default({}),
    })
    .strict(),
]);
export type SinkConfig = z.infer<typeof SinkConfig>;

export const Severity = z.enum(['low', 'medium', 'high', 'critical']);

/** One value or a list of them (a list matches any of its values). */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z
    .union([item, z.array(item).min(1).max(500)])
    .transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

export const Route = z
  .object({
    /** Match: the alert's severity is one of these. */
    severity: oneOrMany(Severity).optional(),
    /** Match: the alert's severity is at least this. */
    min_severity: Severity.optional(),
    /** Match: the metric's team (`metrics[].team`). */
    team: oneOrMany(z.string().min(1).max(200)).optional(),
    /** Match: a metric the incident covers (its head, or the count / rate of its family), or a data_quality alert's source. */
    metric: oneOrMany(z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a metric name')).optional(),
    kind: oneOrMany(z.enum(['metric_incident', 'data_quality'])).optional(),
    /** Match: the alert's cause (`traffic` notices); `none` matches alerts without one. */
    cause: oneOrMany(z.enum(['traffic', 'none'])).optional(),
    status: oneOrMany(z.enum(['open', 'update', 'resolved'])).optional(),
    /** Where a matching alert goes: names under `alerting.sinks`. */
    sinks: z.array(SinkName).min(1).max(20),
    /** No later route is tried after this one matched. */
    stop: z.boolean().default(false),
  })
  .strict();
export type Route = z.infer<typeof Route>;

export const Alerting = z
  .object({
    sinks: z.record(SinkName, SinkConfig).default({}),
    routes: z.array(Route).max(200).default([]),
  })
  .strict();
export type Alerting = z.infer<typeof Alerting>;
