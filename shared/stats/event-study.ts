import * as z from 'zod';
import { InputError } from '../errors.js';
import { chiSquareSf, fSf, tCritical, tTwoSidedP } from './distributions.js';
import { solveSpd } from './linalg.js';
import { clusterCovariance, fitOls } from './ols.js';
import { buildPanel, panelRowSchema, periodPosition, periodSchema } from './panel.js';
import { alphaSchema, checkFinite, parseInput } from './validate.js';

export const eventStudyInputSchema = z.object({
  /** One row per unit and period (e.g. a region-day aggregate). */
  rows: z.array(panelRowSchema).min(4, { message: 'needs at least 4 rows' }),
  /** First treated period of each treated unit; units not listed are never treated (controls). */
  treatedAt: z.record(z.string(), periodSchema),
  /** Pre-period coefficients to estimate (event times −2 … −(leads+1)); default: every one observed. */
  leads: z.number().int().nonnegative().optional(),
  /** Post-period coefficients beyond event time 0 (0 … lags); default: every one observed. */
  lags: z.number().int().nonnegative().optional(),
  alpha: alphaSchema,
});
export type EventStudyInput = z.input<typeof eventStudyInputSchema>;

export interface EventTimeEffect {
  /** Periods since treatment start (0 = first treated period). */
  eventTime: number;
  estimate: number;
  se: number;
  ciLow: number;
  ciHigh: number;
  pValue: number;
}

export interface PreTrendTest {
  /** Wald statistic b'V⁻¹b over the lead coefficients. */
  statistic: number;
  /** Number of lead coefficients tested. */
  df: number;
  /** Chi-square(df) upper tail. */
  pValue: number;
  /** F(df, G − 1) version (W/df), less liberal with few clusters. */
  pValueF: number;
}

export interface EventStudyResult {
  /** Omitted event time every effect is relative to. */
  referenceEventTime: -1;
  effects: EventTimeEffect[];
  /** Joint test that every lead is 0; null without leads. */
  preTrend: PreTrendTest | null;
  nObs: number;
  nUnits: number;
  nTreatedUnits: number;
  nPeriods: number;
  nClusters: number;
}

/**
 * Event study: OLS of y on unit and period fixed effects plus event-time dummies (reference −1),
 * errors clustered by unit. The window's end bins absorb event times beyond it (Schmidheiny &
 * Siegloch), so leads/lags can be narrowed without leaving distant periods in the baseline.
 * Per-coefficient inference uses t(G − 1): regions are few, and the normal is too liberal there.
 * The unit dummies are nested within the clusters, so they are not counted in K for the
 * small-sample factor (reghdfe's convention).
 *
 * Identification: with every unit treated at the same period and no never-treated units, event time
 * and period are collinear; that design is rejected as rank deficient.
 */
export function eventStudy(input: EventStudyInput): EventStudyResult {
  const what = 'event_study';
  const { rows, treatedAt, leads, lags, alpha } = parseInput(eventStudyInputSchema, input, what);
  const panel = buildPanel(rows, what);
  const start = new Map<string, number>();
  for (const [unit, period] of Object.entries(treatedAt)) {
    if (!panel.unitIndex.has(unit)) throw new InputError(`${what}: treatedAt.${unit}: unit has no rows`);
    start.set(unit, periodPosition(panel, period, what, `treatedAt.${unit}`));
  }
  if (start.size === 0) throw new InputError(`${what}: treatedAt: no treated units`);
  const eventTimes = rows.flatMap((r) => {
    const s = start.get(r.unit);
    return s === undefined ? [] : [(panel.periodIndex.get(r.period) as number) - s];
  });
  const minObserved = eventTimes.reduce((a, b) => Math.min(a, b), 0);
  const maxObserved = eventTimes.reduce((a, b) => Math.max(a, b), 0);
  const low = leads === undefined ? Math.min(minObserved, -1) : -(leads + 1);
  const high = lags === undefined ? Math.max(maxObserved, 0) : lags;
  // Only event times that occur after binning get a dummy (an all-zero column is not identified).
  const occurring = new Set(eventTimes.map((e) => Math.min(high, Math.max(low, e))));
  const estimated = [...occurring].filter((e) => e !== -1).sort((a, b) => a - b);

  const names = [
    'intercept',
    ...panel.units.slice(1).map((u) => `unit=${u}`),
    ...panel.periods.slice(1).map((p) => `period=${p}`),
    ...estimated.map((e) => `event_time=${e}`),
  ];
  const nUnitDummies = panel.units.length - 1;
  const nPeriodDummies = panel.periods.length - 1;
  const eventColumn = new Map(estimated.map((e, i) => [e, 1 + nUnitDummies + nPeriodDummies + i]));
  const x = rows.map((r) => {
    const row = new Array<number>(names.length).fill(0);
    row[0] = 1;
    const u = panel.unitIndex.get(r.unit) as number;
    const p = panel.periodIndex.get(r.period) as number;
    if (u > 0) row[u] = 1;
    if (p > 0) row[nUnitDummies + p] = 1;
    const s = start.get(r.unit);
    if (s !== undefined) {
      const e = Math.min(high, Math.max(low, p - s));
      const column = eventColumn.get(e);
      if (column !== undefined) row[column] = 1;
    }
    return row;
  });
  const y = rows.map((r) => r.y);
  const fit = fitOls(x, y, names);
  const { cov, nClusters } = clusterCovariance(
    fit,
    x,
    rows.map((r) => r.unit),
    nUnitDummies,
  );
  const df = nClusters - 1;
  const q = tCritical(alpha, df);
  const effects = estimated.map((e) => {
    const j = eventColumn.get(e) as number;
    const estimate = fit.coef[j] as number;
    const se = Math.sqrt((cov[j] as number[])[j] as number);
    if (!(se > 0)) throw new InputError(`${what}: event time ${e} has zero standard error`);
    return {
      eventTime: e,
      estimate,
      se,
      ciLow: estimate - q * se,
      ciHigh: estimate + q * se,
      pValue: tTwoSidedP(estimate / se, df),
    };
  });

  const leadColumns = estimated.filter((e) => e < -1).map((e) => eventColumn.get(e) as number);
  let preTrend: PreTrendTest | null = null;
  if (leadColumns.length > 0) {
    const b = leadColumns.map((j) => fit.coef[j] as number);
    const v = leadColumns.map((i) => leadColumns.map((j) => (cov[i] as number[])[j] as number));
    const solved = solveSpd(
      v,
      b,
      `${what}: pre-trend test (${leadColumns.length} leads, ${nClusters} clusters)`,
    );
    const statistic = b.reduce((s, bi, i) => s + bi * (solved[i] as number), 0);
    const m = leadColumns.length;
    preTrend = { statistic, df: m, pValue: chiSquareSf(statistic, m), pValueF: fSf(statistic / m, m, df) };
  }
  return checkFinite(what, {
    referenceEventTime: -1 as const,
    effects,
    preTrend,
    nObs: rows.length,
    nUnits: panel.units.length,
    nTreatedUnits: start.size,
    nPeriods: panel.periods.length,
    nClusters,
  });
}
