import { SCHEDULE } from '../jobs/schedule.js';

/**
 * The results store's layout, declared once. Every key a job reads or writes lives under one of these
 * prefixes; the stores (metric windows, leases, incident state, outbox, report, config) take their
 * prefix from here, and the CDK grants and lifecycle rules are derived from the same table, so a new
 * prefix cannot be written without also being granted.
 *
 * `access` says who needs what on AWS: `read` (GetObject), `write` (PutObject), `delete`
 * (DeleteObject). The jobs get exactly the union of these on the prefixes they use.
 */
export type Access = 'read' | 'write' | 'delete';

export interface PrefixSpec {
  /** Key prefix inside the results bucket, without the trailing slash. */
  readonly prefix: string;
  /** What the scheduled jobs do with keys under it. */
  readonly access: readonly Access[];
  /** Why it exists (shown in docs). */
  readonly purpose: string;
  /** Days its objects are kept (a lifecycle rule deletes them after), when not forever. */
  readonly retentionDays?: number;
}

export const STORAGE_LAYOUT = {
  athenaResults: {
    prefix: 'athena-results',
    access: ['read', 'write'],
    purpose: 'Athena query results (expire after a few days)',
  },
  metrics: {
    prefix: 'metrics',
    access: ['read', 'write', 'delete'],
    purpose: 'metric windows: a data file per run and a manifest naming the current one',
  },
  intermediates: {
    prefix: 'intermediates',
    access: ['read', 'write', 'delete'],
    purpose:
      'distinct keys and value counts per slice of hourly windows, merged into days (expire once the daily runs are past them)',
    // Only the daily recomputes of the last days merge them (a rerun of an older day rescans its
    // events for distinct counts and percentiles instead). Kept longer they would cost more in S3
    // than the Athena scans they save: ~10 bytes a key a month at $0.023/GB against one read of
    // ~13 bytes a row at $5/TB (bench/RESULTS.md). Two days of slack for a failed daily run.
    retentionDays: SCHEDULE.day.recompute + 3,
  },
  leases: {
    prefix: 'leases',
    access: ['read', 'write', 'delete'],
    purpose: 'leases that keep two runs from computing one window at once',
  },
  alertState: {
    prefix: 'alerts/state',
    access: ['read', 'write'],
    purpose: 'incident state per grain (open incidents, last judged window)',
  },
  detectorState: {
    prefix: 'detector-state',
    access: ['read', 'write', 'delete'],
    purpose: 'detectors per grain and metric, named by the incident state',
  },
  alertOutbox: {
    prefix: 'alerts/outbox',
    access: ['read', 'write', 'delete'],
    purpose: 'alerts recorded before they are sent; moved to sent/ once delivered',
  },
  readouts: {
    prefix: 'readouts',
    access: ['read', 'write'],
    purpose: "the daily job's readouts of every experiment and policy (the report reads them)",
  },
  report: {
    prefix: 'report',
    access: ['read', 'write'],
    purpose: 'the HTML report every alert links to',
  },
  config: {
    prefix: 'config',
    access: ['read'],
    purpose: "the team's vigil.yaml as deployed with the stack",
  },
} as const satisfies Record<string, PrefixSpec>;

export type StorageArea = keyof typeof STORAGE_LAYOUT;

/** `prefix/` of an area, for listings and grants. */
export function prefixOf(area: StorageArea): string {
  return `${STORAGE_LAYOUT[area].prefix}/`;
}
