import { type Access, STORAGE_LAYOUT, type StorageArea } from '../shared/storage/layout.js';
import type { FunctionName } from './bundling.js';

/**
 * Which job function uses which area of the results store. Typed over every StorageArea, so a new
 * area in STORAGE_LAYOUT does not compile until someone says which jobs use it — the grants, the
 * cdk-nag acknowledgements and the docs all follow from this table and the layout's `access`.
 */
export const AREA_USERS: Record<StorageArea, readonly FunctionName[]> = {
  // Athena writes query results with the caller's credentials, and GetQueryResults reads them back.
  athenaResults: ['hourly', 'daily', 'rerun'],
  metrics: ['hourly', 'daily', 'rerun'],
  // Hourly runs (and reruns) write them; daily runs merge them and refresh stale hours.
  intermediates: ['hourly', 'daily', 'rerun'],
  leases: ['hourly', 'daily', 'rerun'],
  // Detection (scheduled, or a rerun naming `detection`) moves incident state and the outbox.
  alertState: ['hourly', 'daily', 'rerun'],
  alertOutbox: ['hourly', 'daily', 'rerun'],
  // Detection keeps its detectors between runs next to the incident state that names them.
  detectorState: ['hourly', 'daily', 'rerun'],
  // Only the daily job reads out experiments and policies and renders the report; alerts link to it.
  readouts: ['daily'],
  report: ['daily'],
  config: ['hourly', 'daily', 'rerun'],
};

/** The S3 object actions each kind of access needs. */
export const OBJECT_ACTIONS: Record<Access, readonly string[]> = {
  read: ['s3:GetObject'],
  write: ['s3:PutObject'],
  delete: ['s3:DeleteObject'],
};

/** Athena's result writer may use multipart uploads for large results (as AWS documents for the output location). */
const EXTRA_ACTIONS: Partial<Record<StorageArea, readonly string[]>> = {
  athenaResults: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
};

export interface AreaGrant {
  readonly area: StorageArea;
  /** `prefix/` inside the results bucket. */
  readonly prefix: string;
  readonly actions: readonly string[];
}

/** The areas a function uses, in layout order. */
export function areasOf(fn: FunctionName): StorageArea[] {
  return (Object.keys(STORAGE_LAYOUT) as StorageArea[]).filter((a) => AREA_USERS[a].includes(fn));
}

/** One grant per area the function uses: the layout's access mapped to S3 actions. */
export function areaGrants(fn: FunctionName): AreaGrant[] {
  return areasOf(fn).map((area) => ({
    area,
    prefix: `${STORAGE_LAYOUT[area].prefix}/`,
    actions: [
      ...STORAGE_LAYOUT[area].access.flatMap((a) => OBJECT_ACTIONS[a]),
      ...(EXTRA_ACTIONS[area] ?? []),
    ],
  }));
}

/** Statement id of an area's grant, e.g. `ResultsAlertOutbox`. */
export function sidOf(area: StorageArea): string {
  return `Results${area.charAt(0).toUpperCase()}${area.slice(1)}`;
}

/** The results-store table of README "Deploy to AWS" (a test keeps the README in sync with it). */
export function storageLayoutMarkdown(): string {
  const rows = (Object.keys(STORAGE_LAYOUT) as StorageArea[]).map((area) => {
    const s = STORAGE_LAYOUT[area];
    return `| \`${s.prefix}/\` | ${s.purpose} | ${s.access.join(', ')} | ${AREA_USERS[area].join(', ')} |`;
  });
  return ['| prefix | what | access | jobs |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
