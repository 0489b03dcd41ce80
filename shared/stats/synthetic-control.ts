import * as z from 'zod';
import { InputError } from '../errors.js';
import {
  buildPanel,
  type Panel,
  type PanelRow,
  type Period,
  panelRowSchema,
  periodPosition,
  periodSchema,
  unitSchema,
} from './panel.js';
import { simplexLeastSquares } from './simplex.js';
import { checkFinite, parseInput } from './validate.js';

export const syntheticControlInputSchema = z.object({
  /** A balanced panel: one row per unit and period. */
  rows: z.array(panelRowSchema).min(6, { message: 'needs at least 6 rows' }),
  treatedUnit: unitSchema,
  /** First period in which the treated unit is treated; earlier periods fit the weights. */
  treatmentStart: periodSchema,
  /** Run the in-space placebo for every donor (default true). */
  placebo: z.boolean().default(true),
});
export type SyntheticControlInput = z.input<typeof syntheticControlInputSchema>;

export interface SyntheticPathPoint {
  period: Period;
  actual: number;
  synthetic: number;
  /** actual − synthetic. */
  gap: number;
  post: boolean;
}

export interface PlaceboRun {
  unit: string;
  preRmspe: number;
  postRmspe: number;
  rmspeRatio: number;
  estimate: number;
}

export interface SyntheticControlResult {
  /** Donor weights, ≥ 0, summing to 1, largest first. */
  weights: { unit: string; weight: number }[];
  /** Mean post-period gap (actual − synthetic): the effect estimate. */
  estimate: number;
  preRmspe: number;
  postRmspe: number;
  /** postRmspe / preRmspe, the statistic the placebo test ranks. */
  rmspeRatio: number;
  path: SyntheticPathPoint[];
  placebos: PlaceboRun[];
  /**
   * (1 + #placebos with ratio ≥ the treated ratio) / (1 + #placebos); null without placebos. Its
   * smallest possible value is 1/(J+1), so with few donors it cannot be small.
   */
  pValue: number | null;
}

interface Fit {
  weights: number[];
  synthetic: number[];
  preRmspe: number;
  postRmspe: number;
  rmspeRatio: number;
  estimate: number;
}

function fitUnit(
  outcomes: number[][],
  treated: number,
  donors: readonly number[],
  preLength: number,
  scale: number,
): Fit {
  const target = outcomes[treated] as number[];
  // On the simplex Σw = 1, so subtracting a common per-period series m from every unit leaves
  // ‖a − Bw‖ unchanged; removing the donors' period means takes out the shared level and trend
  // that otherwise make B'B badly conditioned and the gradient method slow.
  const centre = Array.from({ length: preLength }, (_, t) => {
    let s = 0;
    for (const d of donors) s += (outcomes[d] as number[])[t] as number;
    return s / donors.length;
  });
  const centred = (u: number) =>
    Array.from(
      { length: preLength },
      (_, t) => ((outcomes[u] as number[])[t] as number) - (centre[t] as number),
    );
  const donorSeries = donors.map(centred);
  const targetSeries = centred(treated);
  const gram = donorSeries.map((a) =>
    donorSeries.map((b) => {
      let s = 0;
      for (let t = 0; t < preLength; t++) s += (a[t] as number) * (b[t] as number);
      return s;
    }),
  );
  const cross = donorSeries.map((a) => {
    let s = 0;
    for (let t = 0; t < preLength; t++) s += (a[t] as number) * (targetSeries[t] as number);
    return s;
  });
  const targetNorm2 = targetSeries.reduce((s, v) => s + v * v, 0);
  const { weights } = simplexLeastSquares(gram, cross, targetNorm2);
  const synthetic = target.map((_, t) =>
    donors.reduce((s, d, i) => s + (weights[i] as number) * ((outcomes[d] as number[])[t] as number), 0),
  );
  let pre = 0;
  let post = 0;
  let postSum = 0;
  target.forEach((actual, t) => {
    const gap = actual - (synthetic[t] as number);
    if (t < preLength) pre += gap * gap;
    else {
      post += gap * gap;
      postSum += gap;
    }
  });
  const postLength = target.length - preLength;
  const preRmspe = Math.sqrt(pre / preLength);
  const postRmspe = Math.sqrt(post / postLength);
  // A perfect pre-period fit would make the ratio infinite; a floor far below any real fit keeps it ordered.
  return {
    weights,
    synthetic,
    preRmspe,
    postRmspe,
    rmspeRatio: postRmspe / Math.max(preRmspe, 1e-12 * scale),
    estimate: postSum / postLength,
  };
}

function outcomeMatrix(panel: Panel, rows: readonly PanelRow[], what: string): number[][] {
  const out = panel.units.map(() => new Array<number>(panel.periods.length).fill(Number.NaN));
  for (const r of rows) {
    (out[panel.unitIndex.get(r.unit) as number] as number[])[panel.periodIndex.get(r.period) as number] = r.y;
  }
  out.forEach((series, u) => {
    const missing = series.findIndex((v) => Number.isNaN(v));
    if (missing >= 0) {
      throw new InputError(
        `${what}: rows: the panel must be balanced; unit '${panel.units[u]}' has no row for period '${panel.periods[missing]}'`,
      );
    }
  });
  return out;
}

/**
 * Synthetic control (Abadie, Diamond & Hainmueller 2010): non-negative donor weights summing to 1
 * that best reproduce the treated unit's pre-period outcomes; the post-period gap is the effect.
 * Inference is the in-space placebo test: refit with each donor as if it were treated (donor pool =
 * the other donors, never the treated unit) and rank the post/pre RMSPE ratios, which discounts
 * placebos that were poorly fitted before the launch.
 */
export function syntheticControl(input: SyntheticControlInput): SyntheticControlResult {
  const what = 'synthetic_control';
  const { rows, treatedUnit, treatmentStart, placebo } = parseInput(syntheticControlInputSchema, input, what);
  const panel = buildPanel(rows, what);
  const treated = panel.unitIndex.get(treatedUnit);
  if (treated === undefined) throw new InputError(`${what}: treatedUnit '${treatedUnit}' has no rows`);
  const preLength = periodPosition(panel, treatmentStart, what, 'treatmentStart');
  if (preLength < 2)
    throw new InputError(
      `${what}: treatmentStart '${treatmentStart}' leaves ${preLength} pre-period(s); need at least 2`,
    );
  const donors = panel.units.map((_, i) => i).filter((i) => i !== treated);
  if (donors.length < 2)
    throw new InputError(`${what}: rows: need at least 2 donor units, got ${donors.length}`);
  const outcomes = outcomeMatrix(panel, rows, what);
  const scale = rows.reduce((m, r) => Math.max(m, Math.abs(r.y)), 1);

  const main = fitUnit(outcomes, treated, donors, preLength, scale);
  const placebos: PlaceboRun[] = placebo
    ? donors.map((d) => {
        const fit = fitUnit(
          outcomes,
          d,
          donors.filter((o) => o !== d),
          preLength,
          scale,
        );
        return {
          unit: panel.units[d] as string,
          preRmspe: fit.preRmspe,
          postRmspe: fit.postRmspe,
          rmspeRatio: fit.rmspeRatio,
          estimate: fit.estimate,
        };
      })
    : [];
  const asExtreme = placebos.filter((p) => p.rmspeRatio >= main.rmspeRatio).length;
  const actual = outcomes[treated] as number[];
  return checkFinite(what, {
    weights: donors
      .map((d, i) => ({ unit: panel.units[d] as string, weight: main.weights[i] as number }))
      .sort((a, b) => b.weight - a.weight),
    estimate: main.estimate,
    preRmspe: main.preRmspe,
    postRmspe: main.postRmspe,
    rmspeRatio: main.rmspeRatio,
    path: panel.periods.map((period, t) => ({
      period,
      actual: actual[t] as number,
      synthetic: main.synthetic[t] as number,
      gap: (actual[t] as number) - (main.synthetic[t] as number),
      post: t >= preLength,
    })),
    placebos,
    pValue: placebo ? (1 + asExtreme) / (1 + placebos.length) : null,
  });
}
