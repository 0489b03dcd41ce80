import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inspectLake } from '../../shared/adapters/duckdb/inspect-lake.js';
import { matchSources } from '../../shared/config/init/match.js';
import { INIT_MARKER, renderInitConfig } from '../../shared/config/init/render.js';
import { parseConfig } from '../../shared/config/read.js';
import { InputError } from '../../shared/errors.js';
import { printSummary, requireLake, writeFileAtomic } from '../options.js';

interface Opts {
  lake: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

/** An existing --out is replaced only when Vigil wrote it, and then only with --force. */
async function checkOut(out: string, force: boolean | undefined): Promise<void> {
  const st = await lstat(out).catch(() => undefined);
  if (!st) return;
  if (!st.isFile())
    throw new InputError(
      `--out ${out}: exists and is not a regular file (symlink, device or folder); refusing`,
    );
  const head = (await readFile(out, 'utf8').catch(() => '')).split('\n', 1)[0] ?? '';
  if (!head.startsWith(INIT_MARKER))
    throw new InputError(`--out ${out}: exists and was not written by vigil init; refusing to overwrite it`);
  if (!force)
    throw new InputError(`--out ${out}: exists (written by vigil init); pass --force to replace it`);
}

/** `vigil init --lake DIR`: inspects an existing lake and writes a starting vigil.yaml. */
export async function run(o: Opts): Promise<void> {
  await requireLake(o.lake);
  await checkOut(o.out, o.force);
  const folders = await inspectLake(o.lake);
  if (folders.length === 0)
    throw new InputError(
      `--lake ${o.lake}: no folder holds Parquet files in the layout <source>/dt=YYYY-MM-DD/hour=HH/*.parquet`,
    );
  const matches = matchSources(folders);
  if (matches.length === 0)
    throw new InputError(
      `--lake ${o.lake}: no folder looks like one of the event sources (see README "The event lake")`,
    );
  const text = renderInitConfig(path.resolve(o.lake), folders, matches, new Date());
  // What init writes must validate: a guess that cannot is a bug, not a file to hand over.
  parseConfig(text, `${o.out} (as written)`);
  await writeFileAtomic(o.out, text);
  const summary = {
    out: o.out,
    sources: Object.fromEntries(
      matches.map((m) => [
        m.source,
        {
          folder: m.folder,
          columns: Object.fromEntries(
            m.columns.filter((c) => c.physical !== c.logical).map((c) => [c.logical, c.physical]),
          ),
          missing: m.missing,
        },
      ]),
    ),
    unused_folders: folders.filter((f) => !matches.some((m) => m.folder === f.folder)).map((f) => f.folder),
  };
  const renamed = matches.filter(
    (m) => m.folder !== m.source || m.columns.some((c) => c.physical !== c.logical),
  );
  printSummary(o.json, summary, [
    `${o.out}: ${matches.length} sources found in ${o.lake}${renamed.length ? `, ${renamed.length} mapped (${renamed.map((m) => (m.folder === m.source ? m.source : `${m.folder} → ${m.source}`)).join(', ')})` : ''}`,
    ...(summary.unused_folders.length ? [`  not used: ${summary.unused_folders.join(', ')}`] : []),
    `  next: vigil config validate ${o.out}`,
  ]);
}
