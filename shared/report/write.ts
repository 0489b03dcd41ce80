import type { ObjectStore } from '../ports/object-store.js';
import type { ReportData } from './model.js';
import { renderReport } from './render.js';

export interface WrittenReport {
  readonly key: string;
  /** A link a person can open (a file path locally, an S3/https link on AWS). */
  readonly url: string;
  readonly bytes: number;
}

/** Object key of the report under a prefix (`report` → `report/index.html`; '' → `index.html`). */
export function reportKey(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/index.html` : 'index.html';
}

/** Renders the report and writes it as `<prefix>/index.html` in one atomic put. */
export async function writeReport(
  store: ObjectStore,
  prefix: string,
  data: ReportData,
): Promise<WrittenReport> {
  const key = reportKey(prefix);
  const body = new TextEncoder().encode(renderReport(data));
  await store.put(key, body, { contentType: 'text/html; charset=utf-8' });
  return { key, url: store.urlOf(key), bytes: body.byteLength };
}
