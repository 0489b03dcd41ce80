import { stringify } from 'yaml';
import { SOURCE_NAMES } from '../../lake/sources.js';
import { coreCatalog, metricSources } from '../load.js';
import { IDENTIFIER } from '../schema.js';
import type { SourceMatch } from './match.js';
import type { FolderProfile } from './profile.js';

/** The first line of every file `vigil init` writes: how Vigil knows a file is its own. */
export const INIT_MARKER = '# vigil.yaml — written by `vigil init`';

const yamlValue = (v: string) => stringify(v, { lineWidth: 0 }).trimEnd();

/**
 * A starting vigil.yaml for a profiled lake: `sources:` mappings for the folders and columns that
 * are named differently (each commented with why it was guessed), `include_core` limited to the
 * metrics the lake can compute, and the value sets seen, as comments.
 */
export function renderInitConfig(
  lake: string,
  folders: readonly FolderProfile[],
  matches: readonly SourceMatch[],
  now: Date,
): string {
  const lines = [
    // A path is the user's text: in a comment, with no line break that could start YAML.
    `${INIT_MARKER} from ${/^[\x20-\x7e]*$/.test(lake) ? lake : JSON.stringify(lake)} on ${now.toISOString().slice(0, 10)}.`,
    '# Check the guesses (marked "guess:"), then `vigil config validate` this file. Every key is optional;',
    '# the reference is in README.md ("Config reference"). `vigil config schema` gives its JSON Schema.',
    'version: 1',
  ];
  const bySource = new Map(matches.map((m) => [m.source as string, m]));
  const mapped = matches.filter(
    (m) => m.folder !== m.source || m.columns.some((c) => c.physical !== c.logical),
  );
  if (mapped.length === 0)
    lines.push('', '# Every source is in its default folder with its default column names.', 'sources: {}');
  else {
    lines.push('', 'sources:');
    for (const m of mapped) {
      const folder = folders.find((f) => f.folder === m.folder)!;
      lines.push(`  ${m.source}:`);
      if (m.folder !== m.source)
        lines.push(
          `    # guess: folder ${m.folder} holds the ${m.source} columns (${m.columns.length} of ${m.columns.length + m.missing.length} matched by type, name and values; ${folder.partitions} partitions)`,
          `    table: ${yamlValue(m.folder)}`,
        );
      const time = m.columns.find((c) => c.logical === 'event_time');
      if (time && time.physical !== 'event_time')
        lines.push(
          `    # guess: ${time.physical} (${typeOfColumn(folder, time.physical)}) is event_time${time.reason ? `: ${time.reason}` : ''}`,
          `    time_column: ${yamlValue(time.physical)}`,
        );
      const renamed = m.columns.filter((c) => c.physical !== c.logical);
      if (renamed.length) {
        lines.push('    columns:');
        for (const c of renamed)
          lines.push(
            `      # guess: ${c.physical} is ${c.logical}${c.reason ? `: ${c.reason}` : ''}`,
            `      ${c.logical}: ${yamlValue(c.physical)}`,
          );
      }
      if (m.missing.length)
        lines.push(`    # not found in ${m.folder}: ${m.missing.join(', ')} (metrics using them will fail)`);
    }
  }

  const absent = SOURCE_NAMES.filter((s) => !bySource.has(s));
  if (absent.length) {
    const runnable = coreCatalog()
      .metrics.filter((m) => metricSources(m).every((s) => bySource.has(s)))
      .map((m) => m.name);
    lines.push(
      '',
      `# No folder holds ${absent.join(', ')}: only the core metrics the lake can compute are kept.`,
    );
    lines.push(`include_core: ${runnable.length ? `[${runnable.join(', ')}]` : 'false'}`);
  }

  const unused = folders.filter((f) => !matches.some((m) => m.folder === f.folder));
  if (unused.length) {
    lines.push(
      '',
      '# Folders not taken for a source (declare a source under sources: with its columns to use one):',
    );
    for (const f of unused) {
      const cols = f.columns.filter((c) => c.usable).map((c) => `${c.name} ${c.type}`);
      const name = IDENTIFIER.test(f.folder) ? f.folder : JSON.stringify(f.folder);
      lines.push(`#   ${name}: ${cols.slice(0, 12).join(', ')}${cols.length > 12 ? ', …' : ''}`);
    }
  }
  const skipped = folders.flatMap((f) =>
    f.columns.filter((c) => !c.usable).map((c) => `${f.folder}.${JSON.stringify(c.name)}`),
  );
  if (skipped.length)
    lines.push(
      '',
      `# Columns skipped (names Vigil does not put in SQL: letters, digits and _ only): ${skipped.slice(0, 20).join(', ')}`,
    );

  const valueLines: string[] = [];
  for (const m of matches) {
    const folder = folders.find((f) => f.folder === m.folder)!;
    for (const c of m.columns) {
      const p = folder.columns.find((x) => x.name === c.physical);
      if (p?.values?.length)
        valueLines.push(`#   ${m.source}.${c.logical}: ${p.values.map((v) => JSON.stringify(v)).join(', ')}`);
    }
  }
  if (valueLines.length)
    lines.push('', '# Value sets seen in a sample of each source (for filters and slices):', ...valueLines);

  lines.push(
    '',
    '# Your own metrics extend the core catalog; an entry without kind changes a core metric, e.g.:',
    '# metrics:',
    '#   - name: removals',
    '#     team: enforcement',
    '#     detection: { direction: up }',
    '# experiments: []   policies: []   alerting: { sinks: {}, routes: [] }   calendar: []',
  );
  return `${lines.join('\n')}\n`;
}

function typeOfColumn(folder: FolderProfile, name: string): string {
  return folder.columns.find((c) => c.name === name)?.rawType ?? '?';
}
