import { weightedWilson } from '../metrics/wilson.js';
import { quoteIdent } from '../sql/literals.js';
import { formatIso } from '../time/window.js';
import { type AnalysisContext, col, ratio, resolver, round, scanSql, sliceKey, strCol } from './common.js';

/**
 * Enforcement-gap mining. For each slice (region × surface × policy, and each single dimension):
 *   violating exposure = prevalence (weighted labels) × impressions, with the prevalence CI carried over;
 *   enforcement = removals, report action rate of reports with reason = policy, decision latency p90.
 * The platform norm is removals per violating impression over the whole range; a slice's shortfall is
 * the removals it would have at the norm minus the removals it has:
 *   shortfall = exposure × norm − removals        (in removals; CI from the exposure CI)
 * Slices rank by shortfall within their level, so high exposure and low enforcement rank first. A
 * slice whose prevalence rests on fewer than `minLabels` labels is marked instead of ranked.
 * One engine pass per source (four scans, run concurrently).
 */

export type GapLevel = 'region×surface×policy' | 'region' | 'surface' | 'policy';
export const GAP_LEVELS: readonly GapLevel[] = ['region×surface×policy', 'region', 'surface', 'policy'];

export interface GapOptions extends AnalysisContext {
  /** Labels (in the prevalence denominator) a slice needs to be ranked. Default 200. */
  readonly minLabels?: number;
  /** Confidence of the prevalence / exposure intervals. Default 0.95. */
  readonly confidence?: number;
}

export interface GapSlice {
  readonly level: GapLevel;
  readonly slice: string;
  readonly region: string | null;
  readonly surface: string | null;
  readonly policy: string | null;
  readonly status: 'ok' | 'insufficient_labels';
  /** Rank within the level (1 = largest shortfall); null when not ranked. */
  readonly rank: number | null;
  readonly labels: number;
  readonly violating_labels: number;
  readonly prevalence: number | null;
  readonly prevalence_ci_low: number | null;
  readonly prevalence_ci_high: number | null;
  readonly impressions: number;
  readonly violating_exposure: number | null;
  readonly exposure_ci_low: number | null;
  readonly exposure_ci_high: number | null;
  readonly removals: number;
  /** removals per violating impression (the norm for comparison is in the result header) */
  readonly removals_per_violating_impression: number | null;
  readonly expected_removals: number | null;
  readonly shortfall: number | null;
  readonly shortfall_ci_low: number | null;
  readonly shortfall_ci_high: number | null;
  readonly decisions: number;
  readonly decision_latency_p90_seconds: number | null;
  readonly reports: number;
  readonly report_action_rate: number | null;
}

export interface GapResult {
  readonly analysis: 'enforcement_gaps';
  readonly from: string;
  readonly to: string;
  readonly min_labels: number;
  readonly confidence: number;
  readonly norm_removals_per_violating_impression: number | null;
  readonly total: {
    readonly impressions: number;
    readonly violating_exposure: number | null;
    readonly removals: number;
    readonly labels: number;
  };
  /** The top slice of each level (null when nothing could be ranked). */
  readonly top: Readonly<Record<GapLevel, string | null>>;
  /** Every slice, by level then rank (unranked last). */
  readonly slices: readonly GapSlice[];
}

type Dims = { region?: string | null; surface?: string | null; policy?: string | null };
const NULL = '\u0000null';
const keyOf = (d: Dims) =>
  [d.region, d.surface, d.policy].map((v) => (v === undefined ? '*' : v === null ? NULL : v)).join('|');

/** Rows of a GROUPING SETS result keyed by their dims ('*' = rolled up). */
function grouped(
  result: Awaited<ReturnType<AnalysisContext['engine']['query']>>,
  dims: readonly ('region' | 'surface' | 'policy')[],
  metrics: readonly string[],
): Map<string, Record<string, number | null>> {
  const g = col(result, 'g');
  const dimCols = dims.map((d) => strCol(result, `d_${d}`));
  const metricCols = metrics.map((m) => col(result, m));
  const out = new Map<string, Record<string, number | null>>();
  for (let i = 0; i < result.rowCount; i++) {
    const key: Dims = {};
    dims.forEach((d, j) => {
      // GROUPING(): the first dimension is the most significant bit; 1 = rolled up.
      const rolled = ((g[i] ?? 0) >> (dims.length - 1 - j)) & 1;
      if (!rolled) key[d] = dimCols[j]![i] ?? null;
    });
    out.set(keyOf(key), Object.fromEntries(metrics.map((m, j) => [m, metricCols[j]![i] ?? null])));
  }
  return out;
}

export async function analyzeGaps(o: GapOptions): Promise<GapResult> {
  const minLabels = o.minLabels ?? 200;
  const confidence = o.confidence ?? 0.95;
  const d = o.engine.dialect;
  const r = resolver(o);
  const c = (source: string, name: string) => r.column(source, name);
  const sets = (a: string, b: string, p: string) =>
    `GROUPING SETS ((${a}, ${b}, ${p}), (${a}), (${b}), (${p}), ())`;
  const dimSelect = (names: string[]) => [
    ...names.map((n) => `CAST(${quoteIdent(n)} AS VARCHAR) AS ${quoteIdent(`d_${n}`)}`),
    `GROUPING(${names.map(quoteIdent).join(', ')}) AS g`,
  ];

  const L = 'prevalence_labels';
  const labelsSql = `SELECT ${[...dimSelect(['region', 'surface', 'policy']), 'CAST(count(*) AS DOUBLE) AS n', `coalesce(${d.sum('w')}, 0) AS sw`, `coalesce(${d.sum('w * w')}, 0) AS sw2`, 'CAST(count(*) FILTER (WHERE v) AS DOUBLE) AS nv', `coalesce(${d.sum('w', 'v')}, 0) AS swv`].join(', ')}
FROM (
  SELECT ${c(L, 'region')} AS region, ${c(L, 'surface')} AS surface,
    CASE WHEN ${c(L, 'is_violating')} THEN ${c(L, 'policy')} END AS policy,
    CAST(${c(L, 'sample_weight')} AS DOUBLE) AS w, coalesce(${c(L, 'is_violating')}, FALSE) AS v
  ${scanSql(d, r, L, o.from, o.to)}
) t
GROUP BY GROUPING SETS ((region, surface, policy), (region, surface), (region), (surface), (policy), ())`;

  const I = 'impressions';
  // The largest source is grouped at the finest level only; counts add up, so roll-ups happen here.
  const impressionsSql = `SELECT CAST(region AS VARCHAR) AS d_region, CAST(surface AS VARCHAR) AS d_surface, CAST(count(*) AS DOUBLE) AS n
FROM (SELECT ${c(I, 'region')} AS region, ${c(I, 'surface')} AS surface ${scanSql(d, r, I, o.from, o.to)}) t
GROUP BY 1, 2`;

  const M = 'moderation_decisions';
  const decisionsSql = `SELECT ${[
    ...dimSelect(['region', 'surface', 'policy']),
    'CAST(count(*) AS DOUBLE) AS decisions',
    `CAST(count(*) FILTER (WHERE action = 'remove') AS DOUBLE) AS removals`,
    `CAST(${d.quantile('latency', 0.9)} AS DOUBLE) AS latency_p90`,
  ].join(', ')}
FROM (SELECT ${c(M, 'region')} AS region, ${c(M, 'surface')} AS surface, ${c(M, 'policy')} AS policy,
        ${c(M, 'action')} AS action, CAST(${c(M, 'latency_seconds')} AS DOUBLE) AS latency
      ${scanSql(d, r, M, o.from, o.to)}) t
GROUP BY ${sets('region', 'surface', 'policy')}`;

  const R = 'user_reports';
  const reportsSql = `SELECT ${[
    ...dimSelect(['region', 'surface', 'policy']),
    'CAST(count(*) AS DOUBLE) AS reports',
    `CAST(count(*) FILTER (WHERE status = 'actioned') AS DOUBLE) AS actioned`,
    `CAST(count(*) FILTER (WHERE status IN ('actioned', 'dismissed')) AS DOUBLE) AS decided`,
  ].join(', ')}
FROM (SELECT ${c(R, 'region')} AS region, ${c(R, 'surface')} AS surface, ${c(R, 'reason')} AS policy,
        ${c(R, 'status')} AS status
      ${scanSql(d, r, R, o.from, o.to)}) t
GROUP BY ${sets('region', 'surface', 'policy')}`;

  const [labelsRes, impRes, decRes, repRes] = await Promise.all([
    o.engine.query(labelsSql, { label: 'gaps: prevalence_labels' }),
    o.engine.query(impressionsSql, { label: 'gaps: impressions' }),
    o.engine.query(decisionsSql, { label: 'gaps: moderation_decisions' }),
    o.engine.query(reportsSql, { label: 'gaps: user_reports' }),
  ]);
  const labels = grouped(labelsRes, ['region', 'surface', 'policy'], ['n', 'sw', 'sw2', 'nv', 'swv']);
  const imps = new Map<string, Record<string, number | null>>();
  {
    const [rg, sf, n] = [strCol(impRes, 'd_region'), strCol(impRes, 'd_surface'), col(impRes, 'n')];
    for (let i = 0; i < impRes.rowCount; i++)
      for (const k of [
        { region: rg[i]!, surface: sf[i]! },
        { region: rg[i]! },
        { surface: sf[i]! },
        {},
      ] as Dims[]) {
        const key = keyOf(k);
        imps.set(key, { n: (imps.get(key)?.n ?? 0) + (n[i] ?? 0) });
      }
  }
  const decs = grouped(decRes, ['region', 'surface', 'policy'], ['decisions', 'removals', 'latency_p90']);
  const reps = grouped(repRes, ['region', 'surface', 'policy'], ['reports', 'actioned', 'decided']);

  const get = (m: Map<string, Record<string, number | null>>, k: Dims, f: string) =>
    m.get(keyOf(k))?.[f] ?? 0;

  /** Prevalence of (numerator group) over (denominator group) of the labels. */
  const prevalence = (num: Dims, den: Dims) => {
    const n = get(labels, den, 'n');
    const sw = get(labels, den, 'sw');
    const sw2 = get(labels, den, 'sw2');
    const swv = get(labels, num, 'swv');
    const nv = get(labels, num, 'nv');
    const ci = weightedWilson(swv, sw, sw2, confidence);
    return { n, nv, p: ci?.p ?? null, low: ci?.low ?? null, high: ci?.high ?? null };
  };

  const total = prevalence({}, {});
  const totalImps = get(imps, {}, 'n');
  const totalRemovals = get(decs, {}, 'removals');
  const totalExposure = total.p === null ? null : total.p * totalImps;
  const norm = totalExposure ? totalRemovals / totalExposure : null;

  interface Candidate {
    level: GapLevel;
    dims: Dims;
    num: Dims;
    den: Dims;
    impDims: Dims;
  }
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const add = (cand: Candidate) => {
    const k = `${cand.level}|${keyOf(cand.dims)}`;
    if (seen.has(k)) return;
    seen.add(k);
    candidates.push(cand);
  };
  const parse = (k: string): Dims => {
    const [region, surface, policy] = k
      .split('|')
      .map((v) => (v === '*' ? undefined : v === NULL ? null : v));
    return { region, surface, policy } as Dims;
  };
  for (const source of [labels, decs]) {
    for (const k of source.keys()) {
      const dims = parse(k);
      const has = (x: keyof Dims) => dims[x] !== undefined;
      if (has('region') && has('surface') && has('policy')) {
        // Labels without a policy are the non-violating ones: no policy slice.
        if (source === labels && dims.policy === null) continue;
        const rs = { region: dims.region, surface: dims.surface };
        add({ level: 'region×surface×policy', dims, num: dims, den: rs, impDims: rs });
      } else if (has('region') && !has('surface') && !has('policy')) {
        add({ level: 'region', dims, num: dims, den: dims, impDims: dims });
      } else if (has('surface') && !has('region') && !has('policy')) {
        add({ level: 'surface', dims, num: dims, den: dims, impDims: dims });
      } else if (has('policy') && !has('region') && !has('surface')) {
        if (source === labels && dims.policy === null) continue;
        add({ level: 'policy', dims, num: dims, den: {}, impDims: {} });
      }
    }
  }

  const slices = candidates.map((cand): GapSlice => {
    const prev = prevalence(cand.num, cand.den);
    const impressions = get(imps, cand.impDims, 'n');
    const removals = get(decs, cand.dims, 'removals');
    const exposure = prev.p === null ? null : prev.p * impressions;
    const expLow = prev.low === null ? null : prev.low * impressions;
    const expHigh = prev.high === null ? null : prev.high * impressions;
    const expected = exposure !== null && norm !== null ? exposure * norm : null;
    const status = prev.n >= minLabels ? 'ok' : 'insufficient_labels';
    const dims = Object.fromEntries(Object.entries(cand.dims).filter(([, v]) => v !== undefined)) as Record<
      string,
      string | null
    >;
    const decided = get(reps, cand.dims, 'decided');
    return {
      level: cand.level,
      slice: sliceKey(dims),
      region: cand.dims.region ?? null,
      surface: cand.dims.surface ?? null,
      policy: cand.dims.policy ?? null,
      status,
      rank: null,
      labels: prev.n,
      violating_labels: prev.nv,
      prevalence: round(prev.p),
      prevalence_ci_low: round(prev.low),
      prevalence_ci_high: round(prev.high),
      impressions,
      violating_exposure: round(exposure),
      exposure_ci_low: round(expLow),
      exposure_ci_high: round(expHigh),
      removals,
      removals_per_violating_impression: round(exposure ? removals / exposure : null),
      expected_removals: round(expected),
      shortfall: round(expected === null ? null : expected - removals),
      shortfall_ci_low: round(expLow !== null && norm !== null ? expLow * norm - removals : null),
      shortfall_ci_high: round(expHigh !== null && norm !== null ? expHigh * norm - removals : null),
      decisions: get(decs, cand.dims, 'decisions'),
      decision_latency_p90_seconds: round(decs.get(keyOf(cand.dims))?.latency_p90 ?? null),
      reports: get(reps, cand.dims, 'reports'),
      report_action_rate: round(ratio(get(reps, cand.dims, 'actioned'), decided)),
    };
  });

  const ranked: GapSlice[] = [];
  const top = {} as Record<GapLevel, string | null>;
  for (const level of GAP_LEVELS) {
    const inLevel = slices.filter((s) => s.level === level);
    const ok = inLevel
      .filter((s) => s.status === 'ok' && s.shortfall !== null)
      .sort((a, b) => b.shortfall! - a.shortfall! || a.slice.localeCompare(b.slice));
    const rest = inLevel
      .filter((s) => !ok.includes(s))
      .sort((a, b) => b.labels - a.labels || a.slice.localeCompare(b.slice));
    ok.forEach((s, i) => {
      ranked.push({ ...s, rank: i + 1 });
    });
    ranked.push(...rest);
    top[level] = ok[0]?.slice ?? null;
  }
  return {
    analysis: 'enforcement_gaps',
    from: formatIso(o.from),
    to: formatIso(o.to),
    min_labels: minLabels,
    confidence,
    norm_removals_per_violating_impression: round(norm),
    total: {
      impressions: totalImps,
      violating_exposure: round(totalExposure),
      removals: totalRemovals,
      labels: total.n,
    },
    top,
    slices: ranked,
  };
}
