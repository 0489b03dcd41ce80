import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { VigilError } from '../../shared/errors.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { formatIso, type Grain, type Window } from '../../shared/time/window.js';
import type { Container } from './container.js';
import type { RerunJob } from './events.js';
import { logger, metrics } from './powertools.js';

/** A job finished with failed windows: the invocation fails so Lambda retries and the DLQ see it. */
export class JobFailedError extends VigilError {}

export interface JobSummary {
  readonly job: RerunJob;
  readonly grain: Grain;
  readonly from: string;
  readonly to: string;
  readonly windows: number;
  readonly written: number;
  readonly rows: number;
  readonly queries: number;
  readonly bytesScanned: number;
  readonly failed: readonly { readonly window: string; readonly error: string }[];
  readonly ms: number;
}

/** Runs the named jobs over windows of one grain — the same use cases the CLI runs. */
export async function runJobs(
  c: Container,
  jobs: readonly RerunJob[],
  grain: Grain,
  windows: readonly Window[],
): Promise<JobSummary[]> {
  const out: JobSummary[] = [];
  for (const job of jobs) {
    c.queries.length = 0;
    const started = Date.now();
    const config = await c.config();
    const r = await runBackfill({
      engine: c.engine,
      store: c.store,
      config,
      grain,
      windows,
      clock: c.clock,
      concurrency: c.env.VIGIL_CONCURRENCY,
    });
    const bytesScanned = c.queries.reduce((s, q) => s + q.bytesScanned, 0);
    const summary: JobSummary = {
      job,
      grain,
      from: windows.length > 0 ? formatIso(windows[0]!.start) : '',
      to: windows.length > 0 ? formatIso(windows[windows.length - 1]!.end) : '',
      windows: r.windows,
      written: r.written,
      rows: r.rows,
      queries: c.queries.length,
      bytesScanned,
      failed: r.failed,
      ms: Date.now() - started,
    };
    metrics.addMetric('WindowsWritten', MetricUnit.Count, r.written);
    metrics.addMetric('WindowsFailed', MetricUnit.Count, r.failed.length);
    metrics.addMetric('AthenaQueries', MetricUnit.Count, c.queries.length);
    metrics.addMetric('AthenaBytesScanned', MetricUnit.Bytes, bytesScanned);
    logger.info('job summary', { summary });
    out.push(summary);
    if (r.failed.length > 0)
      throw new JobFailedError(
        `${job} job failed for ${r.failed.length} of ${r.windows} ${grain} windows; first: ${r.failed[0]!.window}: ${r.failed[0]!.error}`,
      );
  }
  return out;
}
