import * as z from 'zod';
import { InputError } from '../../shared/errors.js';

const Iso = z.iso.datetime({ offset: true });

/**
 * What a schedule sends. EventBridge Scheduler passes the Input the stack sets, with its
 * `<aws.scheduler.scheduled-time>` placeholder filled in; an EventBridge rule sends a
 * "Scheduled Event" with `time`; a manual `aws lambda invoke` may send `{}` (now).
 */
export const ScheduleEvent = z.union([
  z.strictObject({ job: z.enum(['hourly', 'daily']), scheduledTime: Iso }),
  z.object({ 'detail-type': z.literal('Scheduled Event'), time: Iso }),
  z.strictObject({}),
]);
export type ScheduleEvent = z.infer<typeof ScheduleEvent>;

export function scheduledTimeOf(event: ScheduleEvent, now: Date): Date {
  if ('scheduledTime' in event) return new Date(event.scheduledTime);
  if ('time' in event) return new Date(event.time);
  return now;
}

/**
 * Jobs a rerun may name, in the order they run. A payload names windows and jobs — never SQL.
 * `metrics` recomputes the windows; `detection` judges the windows of the range not judged yet
 * (incident state only moves forward) and delivers pending alerts.
 */
export const RERUN_JOBS = ['metrics', 'detection'] as const;
export type RerunJob = (typeof RERUN_JOBS)[number];

const RerunRange = {
  grain: z.enum(['hour', 'day']),
  from: Iso,
  to: Iso,
  jobs: z
    .array(z.enum(RERUN_JOBS))
    .min(1)
    .max(RERUN_JOBS.length)
    .refine((jobs) => new Set(jobs).size === jobs.length, 'a job is named twice')
    .default(['metrics']),
};

/** `run` computes the range now; `plan` splits it into chunks for the fan-out state machine. */
export const RerunPayload = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('run'), ...RerunRange }),
  z.strictObject({
    action: z.literal('plan'),
    ...RerunRange,
    /** Windows per chunk; default a day of hours or a week of days. */
    chunkWindows: z.number().int().min(1).max(168).optional(),
  }),
]);
export type RerunPayload = z.infer<typeof RerunPayload>;

/** Events are a few hundred bytes; anything larger is not one of ours. */
export const MAX_EVENT_BYTES = 4096;

/** Parses an event with a schema; a malformed event is an InputError naming the field. */
export function parseEvent<T>(schema: z.ZodType<T>, event: unknown, what: string): T {
  let bytes: number;
  try {
    bytes = new TextEncoder().encode(JSON.stringify(event ?? {})).length;
  } catch {
    throw new InputError(`${what}: (root): not JSON`);
  }
  if (bytes > MAX_EVENT_BYTES)
    throw new InputError(`${what}: (root): ${bytes} bytes is more than ${MAX_EVENT_BYTES}`);
  const parsed = schema.safeParse(event ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new InputError(`${what}: ${path}: ${issue.message}`);
}
