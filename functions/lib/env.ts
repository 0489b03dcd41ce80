import * as z from 'zod';
import { InputError } from '../../shared/errors.js';

/** The environment the stack gives every job function; validated once per container. */
export const JobEnv = z.object({
  VIGIL_WORKGROUP: z.string().min(1),
  VIGIL_DATABASE: z.string().min(1),
  VIGIL_RESULTS_BUCKET: z.string().min(1),
  /** Metric store and alert state live under this prefix of the results bucket ('' = bucket root). */
  VIGIL_STORE_PREFIX: z.string().default(''),
  VIGIL_TOPIC_ARN: z.string().min(1),
  /** Optional metric config YAML in the results bucket (key relative to the store prefix). */
  VIGIL_CONFIG_KEY: z.string().optional(),
  VIGIL_QUERY_TIMEOUT_MS: z.coerce.number().int().positive().default(240_000),
  VIGIL_POLL_MS: z.coerce.number().int().positive().default(250),
  /** Windows computed at once inside one invocation (each runs one Athena query per source). */
  VIGIL_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(1),
  /** The event lake's bucket and prefix: listed (never read) for partition fingerprints and completeness. */
  VIGIL_LAKE_BUCKET: z.string().optional(),
  VIGIL_LAKE_PREFIX: z.string().default(''),
  /** The lake's declared size per day: a run that would scan more than its share is refused before scanning. */
  VIGIL_LAKE_BYTES_PER_DAY: z.coerce.number().positive().optional(),
  /** Athena price per TB scanned, for the dollars in job summaries. */
  VIGIL_PRICE_PER_TB: z.coerce.number().nonnegative().default(5),
  /** Base URL of report links in alerts (e.g. a CloudFront distribution); default the S3 console. */
  VIGIL_LINK_BASE: z.string().optional(),
});
export type JobEnv = z.infer<typeof JobEnv>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): JobEnv {
  const parsed = JobEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`function environment: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
