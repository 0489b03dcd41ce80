import { type ColumnType, SOURCE_COLUMNS, SOURCE_NAMES, type SourceName } from '../../lake/sources.js';
import { IDENTIFIER } from '../schema.js';
import type { ColumnProfile, FolderProfile } from './profile.js';

/**
 * Matches the folders of an existing lake to the design's six sources, and their columns to the
 * logical columns, by schema similarity: types must agree; names (exact, known synonyms, shared
 * words) and value sets (a `platform` column holds ios/android/web) decide among candidates. Every
 * match carries the reason it was made, so the written config can say what was guessed.
 */

/** The design's value sets: a column holding mostly these values is that column. */
export const VALUE_SETS: Readonly<Record<string, readonly string[]>> = {
  surface: ['video', 'live', 'comment', 'message'],
  platform: ['ios', 'android', 'web'],
  policy: [
    'violent_graphic',
    'hate_speech',
    'harassment',
    'nudity',
    'minor_safety',
    'spam',
    'scam_fraud',
    'dangerous_acts',
    'misinformation',
  ],
  action: ['remove', 'age_restrict', 'limit_reach', 'warn', 'no_violation'],
  decision_source: ['automated', 'human', 'appeal'],
  target_type: ['content', 'account', 'live'],
  status: ['actioned', 'dismissed', 'pending'],
  event_type: ['signup', 'login_success', 'login_failure', 'password_reset', 'account_takeover_flag', 'ban'],
};
const REASONS = VALUE_SETS.policy!;

/** Other names teams give these columns. */
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  event_time: [
    'ts',
    'timestamp',
    'time',
    'event_ts',
    'event_timestamp',
    'occurred_at',
    'created_at',
    'event_at',
  ],
  region: ['country', 'country_code', 'geo', 'market', 'region_code'],
  platform: ['os', 'device_os', 'client_platform', 'client'],
  surface: ['product_surface', 'placement', 'product'],
  reason: ['report_reason', 'category'],
  policy: ['policy_name', 'violation_type', 'policy_area'],
  viewer_id: ['user_id', 'viewer'],
  reporter_id: ['user_id', 'reporter'],
  account_id: ['user_id', 'account'],
  risk_score: ['risk'],
  model_score: ['score', 'classifier_score'],
  latency_seconds: ['latency_s', 'latency', 'time_to_decision_seconds'],
  resolved_time: ['resolved_at', 'resolution_time'],
  sample_weight: ['weight'],
  is_violating: ['violating'],
  unit_id: ['user_id', 'unit'],
};

export interface ColumnMatch {
  readonly logical: string;
  readonly physical: string;
  readonly score: number;
  /** Why: 'same name', 'synonym', 'values', … (empty for an exact name). */
  readonly reason: string;
}

export interface SourceMatch {
  readonly source: SourceName;
  readonly folder: string;
  /** Share of the source's columns found (0..1). */
  readonly coverage: number;
  readonly columns: readonly ColumnMatch[];
  /** Logical columns with no physical column. */
  readonly missing: readonly string[];
}

const words = (name: string) =>
  new Set(
    name
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean),
  );

function valueShare(values: readonly string[], expected: readonly string[]): number {
  if (values.length === 0) return 0;
  return values.filter((v) => expected.includes(v.toLowerCase())).length / values.length;
}

/** How well a physical column fits a logical one (0 = not at all); types must agree. */
export function columnScore(
  logical: string,
  type: ColumnType,
  p: ColumnProfile,
): { score: number; reason: string } {
  if (!p.usable || p.type !== type) return { score: 0, reason: '' };
  let score = 0;
  const reasons: string[] = [];
  const name = p.name.toLowerCase();
  if (name === logical) score += 10;
  else if (SYNONYMS[logical]?.includes(name)) {
    score += 6;
    reasons.push(`a usual name for ${logical}`);
  } else {
    const a = words(logical);
    const b = words(name);
    const shared = [...a].filter((w) => b.has(w) && w !== 'id').length;
    if (shared > 0) {
      score += 3 * (shared / Math.max(a.size, b.size));
      reasons.push(`shares the word${shared > 1 ? 's' : ''} ${[...a].filter((w) => b.has(w)).join(', ')}`);
    }
  }
  const expected = logical === 'reason' ? REASONS : VALUE_SETS[logical];
  if (expected && p.values) {
    const share = valueShare(p.values, expected);
    if (share >= 0.5) {
      score += 8 * share;
      reasons.push(
        `its values are ${logical} values (${p.values.slice(0, 4).join(', ')}${p.values.length > 4 ? ', …' : ''})`,
      );
    } else if (name !== logical) score -= 4;
  }
  if (logical === 'region' && p.values?.length && p.values.every((v) => /^[A-Z]{2,3}$/.test(v))) {
    score += 5;
    reasons.push(
      `its values are region codes (${p.values.slice(0, 4).join(', ')}${p.values.length > 4 ? ', …' : ''})`,
    );
  }
  return { score: Math.max(0, score), reason: score >= 10 && name === logical ? '' : reasons.join('; ') };
}

/** The best one-to-one assignment of a folder's columns to a source's logical columns (greedy by score). */
export function matchColumns(source: SourceName, folder: FolderProfile): SourceMatch {
  const logical = Object.entries(SOURCE_COLUMNS[source]) as [string, ColumnType][];
  const pairs: ColumnMatch[] = [];
  for (const [l, type] of logical)
    for (const p of folder.columns) {
      const { score, reason } = columnScore(l, type, p);
      // A bare type match is not evidence; a name or a value set must speak for it.
      if (score >= 2) pairs.push({ logical: l, physical: p.name, score, reason });
    }
  pairs.sort(
    (a, b) => b.score - a.score || a.logical.localeCompare(b.logical) || a.physical.localeCompare(b.physical),
  );
  const usedL = new Set<string>();
  const usedP = new Set<string>();
  const columns: ColumnMatch[] = [];
  for (const m of pairs) {
    if (usedL.has(m.logical) || usedP.has(m.physical)) continue;
    usedL.add(m.logical);
    usedP.add(m.physical);
    columns.push(m);
  }
  const order = new Map(logical.map(([l], i) => [l, i]));
  columns.sort((a, b) => order.get(a.logical)! - order.get(b.logical)!);
  const missing = logical.map(([l]) => l).filter((l) => !usedL.has(l));
  return { source, folder: folder.folder, coverage: columns.length / logical.length, columns, missing };
}

/** Below this share of its columns found, a folder is not taken for a source. */
export const MIN_COVERAGE = 0.6;

/**
 * Which folder holds which source: every (folder, source) pair is scored by the columns it matches
 * (a folder named like the source gets a bonus), and pairs are taken best first, one each.
 */
export function matchSources(folders: readonly FolderProfile[]): SourceMatch[] {
  const candidates: { m: SourceMatch; rank: number }[] = [];
  // Only a folder named like an identifier can be a table (it is named in SQL and in the config).
  for (const folder of folders.filter((f) => IDENTIFIER.test(f.folder)))
    for (const source of SOURCE_NAMES) {
      const m = matchColumns(source, folder);
      if (m.coverage < MIN_COVERAGE) continue;
      const quality =
        m.columns.reduce((s, c) => s + c.score, 0) / (10 * Object.keys(SOURCE_COLUMNS[source]).length);
      candidates.push({ m, rank: quality + (folder.folder === source ? 1 : 0) });
    }
  candidates.sort((a, b) => b.rank - a.rank || a.m.source.localeCompare(b.m.source));
  const sources = new Set<string>();
  const taken = new Set<string>();
  const out: SourceMatch[] = [];
  for (const { m } of candidates) {
    if (sources.has(m.source) || taken.has(m.folder)) continue;
    sources.add(m.source);
    taken.add(m.folder);
    out.push(m);
  }
  return out.sort((a, b) => SOURCE_NAMES.indexOf(a.source) - SOURCE_NAMES.indexOf(b.source));
}
