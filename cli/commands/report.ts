import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import type { MetricConfig } from '../../shared/config/schema.js';
import { InputError } from '../../shared/errors.js';
import { writeStoredReport } from '../../shared/jobs/report-job.js';
import type { ObjectStore } from '../../shared/ports/object-store.js';
import type { QueryEngine } from '../../shared/ports/query-engine.js';
import type { ReportAnalysis } from '../../shared/report/model.js';
import { looksLikeStore } from '../job-context.js';
import { loadConfig, printSummary } from '../options.js';
import { claimDir, readMarker } from '../ownership.js';

interface Opts {
  store: string;
  out: string;
  config?: string;
  json?: boolean;
}

/** Writes `<dir>/index.html` from what the store holds (the folder must be new, empty or a Vigil report folder). */
export async function writeReportDir(
  objects: ObjectStore,
  config: MetricConfig,
  dir: string,
  by: string,
  analyses?: readonly ReportAnalysis[],
  /** The lake, so slice series can be charted under k-anonymity (without it only totals are). */
  engine?: QueryEngine,
) {
  await claimDir(dir, 'report', by, '--report', (entries) => entries.every((e) => e === 'index.html'));
  return writeStoredReport({
    objectStore: objects,
    config,
    out: { store: new FsObjectStore(dir), prefix: '' },
    ...(analyses ? { analyses } : {}),
    ...(engine ? { engine } : {}),
    now: new Date(),
  });
}

/** `vigil report --store DIR --out DIR`: the HTML report from what the store holds. */
export async function run(o: Opts): Promise<void> {
  const st = await stat(o.store).catch(() => undefined);
  if (!st?.isDirectory()) throw new InputError(`--store ${o.store}: not a folder`);
  const marker = await readMarker(o.store);
  if (marker ? marker.kind !== 'store' : false)
    throw new InputError(`--store ${o.store}: is not a Vigil results store`);
  if (!marker) {
    const { readdir } = await import('node:fs/promises');
    if (!looksLikeStore(await readdir(o.store)))
      throw new InputError(`--store ${o.store}: is not a Vigil results store`);
  }
  const cfg = await loadConfig(o.config);
  const out = path.resolve(o.out);
  const written = await writeReportDir(new FsObjectStore(o.store), cfg, out, 'report');
  printSummary(
    o.json,
    {
      report: written.url,
      bytes: written.bytes,
      from: written.from.toISOString(),
      to: written.to.toISOString(),
      incidents: written.data.incidents.length,
      experiments: written.data.experiments.length,
      policies: written.data.policies.length,
    },
    [
      `Wrote ${written.url} (${Math.round(written.bytes / 1024)} KiB): ${written.data.incidents.length} incident(s), ${written.data.experiments.length} experiment(s), ${written.data.policies.length} polic(ies), [${written.from.toISOString()}, ${written.to.toISOString()})`,
    ],
  );
}
