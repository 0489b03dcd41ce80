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

/** Jobs a rerun may name. A payload names windows and jobs — never SQL. */
export const RERUN_JOBS = ['metrics'] as const;
export type RerunJob = (typeof RERUN_JOBS)[number];

const RerunRange = {
  grain: z.enum(['hour', 'day']),
  from: Iso,
  to: Iso,
  jobs: z.array(z.enum(RERUN_JOBS)).min(1).max(RERUN_JOBS.length).default(['metrics']),
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

/** Parses an event with a schema; a malformed event is an InputError naming the field. */
export function parseEvent<T>(schema: z.ZodType<T>, event: unknown, what: string): T {
  const parsed = schema.safeParse(event ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new InputError(`${what}: ${path}: ${issue.message}`);
}
