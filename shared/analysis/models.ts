import { InputError } from '../errors.js';
import type { SourceResolver } from '../metrics/sql-render.js';
import type { QueryResult } from '../ports/query-engine.js';
import type { Dialect } from '../sql/dialect.js';
import { addGrain, formatIso } from '../time/window.js';
import { type AnalysisContext, checkDayRange, col, DAY_SECONDS, resolver, round, scanSql } from './common.js';

/**
 * Model health for the two scores in the lake:
 *   model_score — moderation_decisions with decision_source = 'automated';
 *   risk_score  — account_events other than the outcome events (ban, account_takeover_flag).
 * Drift: each day's score distribution against a reference window, by PSI (10 bins at the reference
 * deciles) and the two-sample Kolmogorov–Smirnov statistic (on 100 fixed bins of width 0.01, so D is
 * exact to the bin resolution). Outcomes, where the lake has them:
 *   model_score → the first later human or appeal decision on the same content within `outcomeDays`
 *                 (violating = action ≠ no_violation, and for appeals not overturned); decisions never
 *                 reviewed in that horizon are unlabelled;
 *   risk_score  → the account is banned or flagged for takeover within `outcomeDays` (else negative).
 * Only scores at least `outcomeDays` before `to` are labelled (mature outcomes).
 * Everything comes from one engine pass per source: a histogram grouped by (day, bin) and (bin, label).
 */

export type ModelName = 'model_score' | 'risk_score';
export const MODELS: readonly ModelName[] = ['model_score', 'risk_score'];
const BINS = 100;
const OUTCOME_EVENTS = ['ban', 'account_takeover_flag'];

export interface DriftThresholds {
  /** PSI at or above which a day is 'drift' (default 0.25); 'warn' from psiWarn (default 0.1). */
  readonly psi: number;
  readonly psiWarn: number;
  /** KS D at or above which, with p < ksAlpha, a day is 'drift' (default 0.1, 0.01). */
  readonly ks: number;
  readonly ksAlpha: number;
  /** Days with fewer scores are 'insufficient' (default 100). */
  readonly minCount: number;
}
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = {
  psi: 0.25,
  psiWarn: 0.1,
  ks: 0.1,
  ksAlpha: 0.01,
  minCount: 100,
};

export interface DriftDay {
  readonly model: ModelName;
  readonly day: string;
  readonly n: number;
  readonly mean_score: number | null;
  readonly psi: number | null;
  readonly ks: number | null;
  readonly ks_p_value: number | null;
  readonly status: 'stable' | 'warn' | 'drift' | 'insufficient';
}

export interface DriftOptions extends AnalysisContext {
  /** Reference window [from, to), day-aligned. Default: the first 7 days of the range. */
  readonly reference?: { readonly from: Date; readonly to: Date };
  readonly models?: readonly ModelName[];
  readonly thresholds?: Partial<DriftThresholds>;
}

export interface ModelHealthOptions extends DriftOptions {
  readonly outcomeDays?: number;
}

export interface ThresholdRow {
  readonly threshold: number;
  /** share of all scores in range at or above the threshold */
  readonly flagged_share: number | null;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly true_positives: number;
  readonly false_positives: number;
  readonly false_negatives: number;
}

export interface CalibrationBin {
  readonly bin_low: number;
  readonly bin_high: number;
  readonly n: number;
  readonly mean_score: number | null;
  readonly observed_rate: number | null;
}

export interface ModelReport {
  readonly model: ModelName;
  readonly outcome: string;
  readonly scores: number;
  readonly reference: { readonly from: string; readonly to: string; readonly n: number };
  readonly drift: readonly DriftDay[];
  readonly first_drift_day: string | null;
  readonly labelled: number;
  readonly positive_rate: number | null;
  /** Expected calibration error over 10 score bins (labelled scores only). */
  readonly ece: number | null;
  readonly calibration: readonly CalibrationBin[];
  readonly thresholds: readonly ThresholdRow[];
}

export interface ModelHealthResult {
  readonly analysis: 'model_health';
  readonly from: string;
  readonly to: string;
  readonly outcome_days: number;
  readonly thresholds: DriftThresholds;
  readonly models: readonly ModelReport[];
}

/** Kolmogorov's limiting distribution: P(sup|B| > λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²). */
export function kolmogorovSf(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** Two-sample KS statistic and asymptotic p-value from two histograms on the same bins. */
export function ksFromHistograms(
  a: readonly number[],
  b: readonly number[],
): { d: number; p: number } | undefined {
  const na = a.reduce((s, x) => s + x, 0);
  const nb = b.reduce((s, x) => s + x, 0);
  if (!(na > 0 && nb > 0)) return undefined;
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    ca += a[i]!;
    cb += b[i]! ?? 0;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  const ne = (na * nb) / (na + nb);
  const sq = Math.sqrt(ne);
  // Stephens' small-sample correction of the asymptotic statistic (as in Numerical Recipes).
  return { d, p: kolmogorovSf((sq + 0.12 + 0.11 / sq) * d) };
}

/**
 * PSI of `actual` against `reference` on bins formed by merging the fine bins at the reference's
 * deciles. Empty bins get a 1e-4 floor so the log stays finite.
 */
export function psiFromHistograms(
  reference: readonly number[],
  actual: readonly number[],
  groups = 10,
): number {
  const nr = reference.reduce((s, x) => s + x, 0);
  const na = actual.reduce((s, x) => s + x, 0);
  if (!(nr > 0 && na > 0)) return Number.NaN;
  const edges: number[] = [];
  let acc = 0;
  let next = 1;
  for (let i = 0; i < reference.length; i++) {
    acc += reference[i]!;
    if (acc / nr >= next / groups - 1e-12 && i < reference.length - 1) {
      edges.push(i + 1);
      while (acc / nr >= next / groups - 1e-12) next++;
    }
  }
  edges.push(reference.length);
  let psi = 0;
  let start = 0;
  for (const end of edges) {
    let r = 0;
    let a = 0;
    for (let i = start; i < end; i++) {
      r += reference[i]!;
      a += actual[i] ?? 0;
    }
    start = end;
    const e = Math.max(r / nr, 1e-4);
    const o = Math.max(a / na, 1e-4);
    psi += (o - e) * Math.log(o / e);
  }
  return psi;
}

interface ModelSql {
  readonly model: ModelName;
  readonly outcome: string;
  readonly sql: string;
}

/** The per-source histogram statement: (day, bin) counts, and (bin, y) counts when outcomes are asked. */
function modelSql(
  model: ModelName,
  d: Dialect,
  r: SourceResolver,
  read: { from: Date; to: Date },
  range: { from: Date; to: Date },
  outcomeDays: number | null,
): ModelSql {
  const horizon = (outcomeDays ?? 0) * DAY_SECONDS;
  const cutoff = (range.to.getTime() - horizon * 1000) / 1000;
  const fromEpoch = range.from.getTime() / 1000;
  const bin = (s: string) => `least(greatest(CAST(floor(${s} * ${BINS}) AS INTEGER), 0), ${BINS - 1})`;
  // `scored` has et (epoch seconds), s (score) and y (label or NULL); day and bin are computed once.
  const agg = (labelled: boolean) => `SELECT day, bin, y, ${labelled ? 'GROUPING(day, bin, y)' : '0'} AS g,
  CAST(count(*) AS DOUBLE) AS n, coalesce(${d.sum('s')}, 0) AS ss
FROM (SELECT CAST(floor(et / ${DAY_SECONDS}) AS BIGINT) AS day, ${bin('s')} AS bin, y, s FROM scored) h
GROUP BY ${labelled ? 'GROUPING SETS ((day, bin), (bin, y))' : 'day, bin, y'}`;
  if (model === 'model_score') {
    const M = 'moderation_decisions';
    const c = (n: string) => r.column(M, n);
    const t = d.epochSeconds(r.timeColumn(M));
    if (outcomeDays === null) {
      return {
        model,
        outcome: 'none',
        sql: `WITH scored AS (
  SELECT ${t} AS et, CAST(${c('model_score')} AS DOUBLE) AS s, CAST(NULL AS INTEGER) AS y
  ${scanSql(d, r, M, read.from, read.to)}
    AND ${c('decision_source')} = 'automated' AND ${c('model_score')} IS NOT NULL
)
${agg(false)}`,
      };
    }
    // The first later review is found with a running min over an encoded (second, verdict) pair:
    // floor(epoch)·4 + verdict, so min() picks the earliest review and carries its verdict.
    return {
      model,
      outcome: `first human/appeal decision on the same content within ${outcomeDays} days`,
      sql: `WITH base AS (
  SELECT ${t} AS et, ${c('content_id')} AS k, ${c('decision_source')} AS src, CAST(${c('model_score')} AS DOUBLE) AS s,
    CASE WHEN ${c('decision_source')} IN ('human', 'appeal')
      THEN floor(${t}) * 4 + CASE WHEN coalesce(${c('action')}, 'no_violation') <> 'no_violation'
                                  AND NOT coalesce(${c('appeal_overturned')}, FALSE) THEN 1 ELSE 0 END END AS review
  ${scanSql(d, r, M, read.from, read.to)}
), nexts AS (
  SELECT et, src, s, min(review) OVER (PARTITION BY k ORDER BY et ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS nxt
  FROM base
), scored AS (
  SELECT et, s,
    CASE WHEN et >= ${fromEpoch} AND et < ${cutoff} AND nxt IS NOT NULL AND floor(nxt / 4) <= et + ${horizon}
      THEN CAST(nxt - 4 * floor(nxt / 4) AS INTEGER) END AS y
  FROM nexts WHERE src = 'automated' AND s IS NOT NULL
)
${agg(true)}`,
    };
  }
  const A = 'account_events';
  const c = (n: string) => r.column(A, n);
  const t = d.epochSeconds(r.timeColumn(A));
  const outcomeList = OUTCOME_EVENTS.map((e) => `'${e}'`).join(', ');
  if (outcomeDays === null) {
    return {
      model,
      outcome: 'none',
      sql: `WITH scored AS (
  SELECT ${t} AS et, CAST(${c('risk_score')} AS DOUBLE) AS s, CAST(NULL AS INTEGER) AS y
  ${scanSql(d, r, A, read.from, read.to)}
    AND ${c('risk_score')} IS NOT NULL AND coalesce(${c('event_type')}, '') NOT IN (${outcomeList})
)
${agg(false)}`,
    };
  }
  return {
    model,
    outcome: `account banned or flagged for takeover within ${outcomeDays} days`,
    sql: `WITH base AS (
  SELECT ${t} AS et, ${c('account_id')} AS k, coalesce(${c('event_type')}, '') AS e, CAST(${c('risk_score')} AS DOUBLE) AS s
  ${scanSql(d, r, A, read.from, read.to)}
), nexts AS (
  SELECT et, e, s,
    min(CASE WHEN e IN (${outcomeList}) THEN et END) OVER (PARTITION BY k ORDER BY et ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS nxt
  FROM base
), scored AS (
  SELECT et, s,
    CASE WHEN et >= ${fromEpoch} AND et < ${cutoff}
      THEN CASE WHEN nxt IS NOT NULL AND nxt <= et + ${horizon} THEN 1 ELSE 0 END END AS y
  FROM nexts WHERE s IS NOT NULL AND e NOT IN (${outcomeList})
)
${agg(true)}`,
  };
}

interface Histograms {
  /** day number (epoch days) → fine histogram and score sum */
  readonly days: Map<number, { hist: number[]; sum: number }>;
  /** label (0/1) → fine histogram of labelled scores, and their score sums per bin */
  readonly labelled: Record<0 | 1, number[]>;
  readonly labelledSum: number[];
}

function readHistograms(res: QueryResult): Histograms {
  const day = col(res, 'day');
  const bin = col(res, 'bin');
  const y = col(res, 'y');
  const g = col(res, 'g');
  const n = col(res, 'n');
  const ss = col(res, 'ss');
  const days = new Map<number, { hist: number[]; sum: number }>();
  const labelled: Record<0 | 1, number[]> = { 0: new Array(BINS).fill(0), 1: new Array(BINS).fill(0) };
  const labelledSum = new Array<number>(BINS).fill(0);
  for (let i = 0; i < res.rowCount; i++) {
    const b = bin[i] ?? 0;
    // g bits: day (4), bin (2), y (1); 1 = rolled up.
    if (((g[i] ?? 0) & 4) === 0) {
      const k = day[i]!;
      let e = days.get(k);
      if (!e) {
        e = { hist: new Array<number>(BINS).fill(0), sum: 0 };
        days.set(k, e);
      }
      e.hist[b] = e.hist[b]! + (n[i] ?? 0);
      e.sum += ss[i] ?? 0;
    } else if (y[i] === 0 || y[i] === 1) {
      const h = labelled[y[i] as 0 | 1];
      h[b] = h[b]! + (n[i] ?? 0);
      labelledSum[b] = labelledSum[b]! + (ss[i] ?? 0);
    }
  }
  return { days, labelled, labelledSum };
}

/** The fine histogram of every score on the days of `[from, to)`. */
function histogramOver(h: Histograms, range: { from: Date; to: Date }): number[] {
  const out = new Array<number>(BINS).fill(0);
  const from = range.from.getTime() / 86_400_000;
  const to = range.to.getTime() / 86_400_000;
  for (const [k, e] of h.days)
    if (k >= from && k < to)
      e.hist.forEach((x, i) => {
        out[i]! += x;
      });
  return out;
}

function resolveReference(o: DriftOptions): { from: Date; to: Date } {
  const ref = o.reference ?? {
    from: o.from,
    to: new Date(Math.min(o.to.getTime(), addGrain(o.from, 'day', 7).getTime())),
  };
  try {
    checkDayRange(ref.from, ref.to);
  } catch (err) {
    throw new InputError(`--reference-from/--reference-to: ${(err as Error).message}`);
  }
  return ref;
}

function driftDays(
  model: ModelName,
  h: Histograms,
  ref: { from: Date; to: Date },
  range: { from: Date; to: Date },
  t: DriftThresholds,
): { drift: DriftDay[]; refN: number } {
  const reference = histogramOver(h, ref);
  const refN = reference.reduce((s, x) => s + x, 0);
  const drift: DriftDay[] = [];
  for (let day = range.from; day < range.to; day = addGrain(day, 'day')) {
    const e = h.days.get(day.getTime() / 86_400_000);
    const n = e ? e.hist.reduce((s, x) => s + x, 0) : 0;
    const base = { model, day: formatIso(day), n, mean_score: round(e && n > 0 ? e.sum / n : null) };
    if (!e || n < t.minCount || refN < t.minCount) {
      drift.push({ ...base, psi: null, ks: null, ks_p_value: null, status: 'insufficient' });
      continue;
    }
    const psi = psiFromHistograms(reference, e.hist);
    const ks = ksFromHistograms(reference, e.hist)!;
    const status =
      psi >= t.psi || (ks.d >= t.ks && ks.p < t.ksAlpha) ? 'drift' : psi >= t.psiWarn ? 'warn' : 'stable';
    drift.push({ ...base, psi: round(psi), ks: round(ks.d), ks_p_value: round(ks.p), status });
  }
  return { drift, refN };
}

/**
 * Drift results per day and model — the entry point of the alerting job. Reads only the score
 * columns of [min(from, reference.from), max(to, reference.to)), one pass per source.
 */
export async function modelDriftByDay(o: DriftOptions): Promise<DriftDay[]> {
  checkDayRange(o.from, o.to);
  const ref = resolveReference(o);
  const t = { ...DEFAULT_DRIFT_THRESHOLDS, ...o.thresholds };
  const read = readRange(o, ref);
  const r = resolver(o);
  const out: DriftDay[] = [];
  const models = o.models ?? MODELS;
  const results = await Promise.all(
    models.map((m) => {
      const q = modelSql(m, o.engine.dialect, r, read, o, null);
      return o.engine.query(q.sql, { label: `drift: ${m}` });
    }),
  );
  models.forEach((m, i) => {
    out.push(...driftDays(m, readHistograms(results[i]!), ref, o, t).drift);
  });
  return out;
}

function readRange(o: { from: Date; to: Date }, ref: { from: Date; to: Date }) {
  return {
    from: new Date(Math.min(o.from.getTime(), ref.from.getTime())),
    to: new Date(Math.max(o.to.getTime(), ref.to.getTime())),
  };
}

export async function analyzeModels(o: ModelHealthOptions): Promise<ModelHealthResult> {
  checkDayRange(o.from, o.to);
  const outcomeDays = o.outcomeDays ?? 7;
  if (!Number.isInteger(outcomeDays) || outcomeDays < 1 || outcomeDays > 90)
    throw new InputError(`--outcome-days must be an integer 1..90, got ${outcomeDays}`);
  const ref = resolveReference(o);
  const t = { ...DEFAULT_DRIFT_THRESHOLDS, ...o.thresholds };
  const read = readRange(o, ref);
  const r = resolver(o);
  const models = o.models ?? MODELS;
  const queries = models.map((m) => modelSql(m, o.engine.dialect, r, read, o, outcomeDays));
  const results = await Promise.all(
    queries.map((q) => o.engine.query(q.sql, { label: `models: ${q.model}` })),
  );

  const reports = queries.map((q, i): ModelReport => {
    const h = readHistograms(results[i]!);
    const { drift, refN } = driftDays(q.model, h, ref, o, t);
    const pos = h.labelled[1];
    const neg = h.labelled[0];
    const totalPos = pos.reduce((s, x) => s + x, 0);
    const labelled = totalPos + neg.reduce((s, x) => s + x, 0);
    // all scores in range, for the flagged share
    const inRange = histogramOver(h, o);
    const scores = inRange.reduce((s, x) => s + x, 0);

    const calibration: CalibrationBin[] = [];
    let ece = 0;
    for (let b = 0; b < 10; b++) {
      let n = 0;
      let p = 0;
      let ss = 0;
      for (let j = b * 10; j < b * 10 + 10; j++) {
        n += pos[j]! + neg[j]!;
        p += pos[j]!;
        ss += h.labelledSum[j]!;
      }
      const mean = n > 0 ? ss / n : null;
      const obs = n > 0 ? p / n : null;
      if (n > 0) ece += (n / labelled) * Math.abs(obs! - mean!);
      calibration.push({
        bin_low: b / 10,
        bin_high: (b + 1) / 10,
        n,
        mean_score: round(mean),
        observed_rate: round(obs),
      });
    }
    const thresholds: ThresholdRow[] = [];
    for (let k = 1; k <= 19; k++) {
      const th = k / 20;
      const from = Math.round(th * BINS);
      let tp = 0;
      let fp = 0;
      let flagged = 0;
      for (let j = from; j < BINS; j++) {
        tp += pos[j]!;
        fp += neg[j]!;
        flagged += inRange[j]!;
      }
      const precision = tp + fp > 0 ? tp / (tp + fp) : null;
      const recall = totalPos > 0 ? tp / totalPos : null;
      thresholds.push({
        threshold: th,
        flagged_share: round(scores > 0 ? flagged / scores : null),
        precision: round(precision),
        recall: round(recall),
        f1: round(
          precision !== null && recall !== null && precision + recall > 0
            ? (2 * precision * recall) / (precision + recall)
            : null,
        ),
        true_positives: tp,
        false_positives: fp,
        false_negatives: totalPos - tp,
      });
    }
    return {
      model: q.model,
      outcome: q.outcome,
      scores,
      reference: { from: formatIso(ref.from), to: formatIso(ref.to), n: refN },
      drift,
      first_drift_day: drift.find((x) => x.status === 'drift')?.day ?? null,
      labelled,
      positive_rate: round(labelled > 0 ? totalPos / labelled : null),
      ece: round(labelled > 0 ? ece : null),
      calibration,
      thresholds,
    };
  });
  return {
    analysis: 'model_health',
    from: formatIso(o.from),
    to: formatIso(o.to),
    outcome_days: outcomeDays,
    thresholds: t,
    models: reports,
  };
}
