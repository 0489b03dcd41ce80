import { InputError } from '../errors.js';
import { timestampLiteral } from '../sql/literals.js';
import { normalCdf, normalCritical, normalQuantile } from '../stats/distributions.js';
import { powerSampleSize } from '../stats/power.js';
import { addGrain, formatIso } from '../time/window.js';
import { type AnalysisContext, checkDayRange, col, resolver, round, scanSql, strCol } from './common.js';

/**
 * Measurement design from the lake's own history.
 *
 * Experiments: for a per-unit metric, the units exposed over 7, 14, 21, … days (a unit is exposed
 * from its first impression in the experiment period), the metric's mean and variance per unit, and
 * its correlation with the same metric in a pre-period (the CUPED covariate; variance × (1 − ρ²)).
 * Sample size per arm for a two-sided test with equal arms:
 *   proportion metrics — the two-proportion formula of `powerSampleSize` (pooled under H0, unpooled
 *                        under H1), the one checked against the reference vectors;
 *   mean metrics       — n = (z_{1−α/2} + z_power)² · 2σ² / δ², δ = mde · mean (normal approximation).
 * CUPED multiplies the required n by (1 − ρ²).
 *
 * Sampling: Neyman allocation of a labelling budget over region × surface strata to minimise the
 * variance of the impression-weighted prevalence, n_h ∝ W_h·S_h with S_h = √(p_h(1 − p_h)).
 */

// ---------------------------------------------------------------- sample-size core (pure)

export interface SampleSizeInput {
  readonly kind: 'proportion' | 'mean';
  /** proportion: the baseline rate; mean: the baseline mean */
  readonly baseline: number;
  /** per-unit variance (mean metrics; ignored for proportions) */
  readonly variance?: number;
  /** relative minimum detectable effect, e.g. 0.05 = +5% */
  readonly mde: number;
  readonly alpha: number;
  readonly power: number;
  /** CUPED variance reduction ρ² in [0, 1) */
  readonly varianceReduction?: number;
}

/** Units per arm needed to detect `mde` (exact, before rounding up). */
export function unitsPerArm(i: SampleSizeInput): number {
  const vr = i.varianceReduction ?? 0;
  if (i.kind === 'proportion') {
    const r = powerSampleSize({
      baseline_rate: i.baseline,
      mde_relative: i.mde,
      alpha: i.alpha,
      power: i.power,
    });
    return r.nPerArmExact * (1 - vr);
  }
  const delta = i.mde * i.baseline;
  if (!(Math.abs(delta) > 0)) throw new InputError(`mde × baseline must be non-zero, got ${delta}`);
  const z = normalCritical(i.alpha) + normalQuantile(i.power);
  return (z * z * 2 * (i.variance ?? 0) * (1 - vr)) / (delta * delta);
}

/** Power of the two-sided test with n units per arm (normal approximation, both tails). */
export function powerAt(i: Omit<SampleSizeInput, 'power'>, nPerArm: number): number {
  const vr = i.varianceReduction ?? 0;
  const zq = normalCritical(i.alpha);
  if (i.kind === 'proportion') {
    const p1 = i.baseline;
    const p2 = p1 * (1 + i.mde);
    const delta = p2 - p1;
    const pBar = (p1 + p2) / 2;
    const se0 = Math.sqrt(((2 * pBar * (1 - pBar)) / nPerArm) * (1 - vr));
    const se1 = Math.sqrt(((p1 * (1 - p1) + p2 * (1 - p2)) / nPerArm) * (1 - vr));
    const shift = Math.abs(delta);
    return normalCdf((shift - zq * se0) / se1) + normalCdf((-shift - zq * se0) / se1);
  }
  const delta = i.mde * i.baseline;
  const se = Math.sqrt((2 * (i.variance ?? 0) * (1 - vr)) / nPerArm);
  return normalCdf(Math.abs(delta) / se - zq) + normalCdf(-Math.abs(delta) / se - zq);
}

/** Smallest relative MDE detectable with n units per arm (bisection on the sample-size formula). */
export function mdeAt(i: Omit<SampleSizeInput, 'mde'>, nPerArm: number): number | null {
  if (!(nPerArm > 0)) return null;
  let lo = 1e-6;
  let hi = i.kind === 'proportion' ? Math.min(10, 1 / i.baseline - 1 - 1e-9) : 100;
  const need = (m: number) => unitsPerArm({ ...i, mde: m });
  if (need(hi) > nPerArm) return null;
  for (let k = 0; k < 200 && hi - lo > 1e-9 * hi; k++) {
    const mid = (lo + hi) / 2;
    if (need(mid) > nPerArm) lo = mid;
    else hi = mid;
  }
  return hi;
}

// ---------------------------------------------------------------- experiment design (lake)

export interface UnitMetric {
  readonly description: string;
  readonly kind: 'mean' | 'proportion';
  /** units exposed: distinct values of this column of impressions */
  readonly populationColumn: string;
  readonly source: string;
  readonly unitColumn: string;
  /** SQL condition over the metric source's logical columns (fixed text, no user values) */
  readonly where?: (c: (name: string) => string) => string;
}

/** Built-in per-unit metrics (units join to viewer_id, reporter_id or creator_id as in the design). */
export const UNIT_METRICS: Readonly<Record<string, UnitMetric>> = {
  reports_per_user: {
    description: 'user reports filed per exposed user (viewer_id = reporter_id)',
    kind: 'mean',
    populationColumn: 'viewer_id',
    source: 'user_reports',
    unitColumn: 'reporter_id',
  },
  reporting_user_share: {
    description: 'share of exposed users who file at least one report',
    kind: 'proportion',
    populationColumn: 'viewer_id',
    source: 'user_reports',
    unitColumn: 'reporter_id',
  },
  impressions_per_user: {
    description: 'impressions per exposed user',
    kind: 'mean',
    populationColumn: 'viewer_id',
    source: 'impressions',
    unitColumn: 'viewer_id',
  },
  removals_per_creator: {
    description: 'removals per creator with an impression (creator_id)',
    kind: 'mean',
    populationColumn: 'creator_id',
    source: 'moderation_decisions',
    unitColumn: 'creator_id',
    where: (c) => `${c('action')} = 'remove'`,
  },
};

export interface ExperimentDesignOptions extends AnalysisContext {
  readonly metric: string;
  /** Pre-period length for the CUPED covariate (days at the start of the range). Default 7. */
  readonly preDays?: number;
  readonly mde?: number;
  readonly alpha?: number;
  readonly power?: number;
  /** Share of exposed units in the experiment (both arms together). Default 1. */
  readonly traffic?: number;
}

export interface DurationRow {
  readonly days: number;
  readonly units: number;
  readonly units_per_arm: number;
  readonly mean: number | null;
  readonly variance: number | null;
  /** correlation with the pre-period value; ρ² is CUPED's variance reduction */
  readonly pre_correlation: number | null;
  readonly cuped_variance_reduction: number | null;
  readonly mde: number | null;
  readonly mde_cuped: number | null;
  readonly required_units_per_arm: number | null;
  readonly required_units_per_arm_cuped: number | null;
  readonly power_at_mde: number | null;
  readonly power_at_mde_cuped: number | null;
}

export interface ExperimentDesignResult {
  readonly analysis: 'experiment_design';
  readonly metric: string;
  readonly description: string;
  readonly kind: 'mean' | 'proportion';
  readonly pre_period: { readonly from: string; readonly to: string };
  readonly experiment_start: string;
  readonly alpha: number;
  readonly power: number;
  readonly mde: number;
  readonly traffic: number;
  readonly durations: readonly DurationRow[];
  /** Shortest duration (days) whose units reach the required sample, without and with CUPED. */
  readonly recommended_days: number | null;
  readonly recommended_days_cuped: number | null;
}

function checkUnit(v: number, flag: string, { open = true } = {}): void {
  if (!Number.isFinite(v) || v <= 0 || v > 1 || (open && v >= 1))
    throw new InputError(`${flag} must be in (0, 1${open ? ')' : ']'}, got ${v}`);
}

export async function designExperiment(o: ExperimentDesignOptions): Promise<ExperimentDesignResult> {
  const m = UNIT_METRICS[o.metric];
  if (!m)
    throw new InputError(
      `--metric: unknown metric '${o.metric}' (one of ${Object.keys(UNIT_METRICS).join(', ')})`,
    );
  checkDayRange(o.from, o.to);
  const preDays = o.preDays ?? 7;
  const alpha = o.alpha ?? 0.05;
  const power = o.power ?? 0.8;
  const mde = o.mde ?? 0.05;
  const traffic = o.traffic ?? 1;
  checkUnit(alpha, '--alpha');
  checkUnit(power, '--power');
  checkUnit(traffic, '--traffic', { open: false });
  if (!(power > alpha)) throw new InputError(`--power must exceed --alpha, got ${power}`);
  if (!Number.isFinite(mde) || mde === 0 || mde <= -1 || mde > 10)
    throw new InputError(`--mde must be a relative effect in (-1, 10] other than 0, got ${mde}`);
  const totalDays = (o.to.getTime() - o.from.getTime()) / 86_400_000;
  if (!Number.isInteger(preDays) || preDays < 1 || preDays > totalDays - 7)
    throw new InputError(`--pre-days must be an integer 1..${totalDays - 7} for this range, got ${preDays}`);
  const start = addGrain(o.from, 'day', preDays);
  const durations: number[] = [];
  for (let dd = 7; dd <= totalDays - preDays; dd += 7) durations.push(dd);

  const d = o.engine.dialect;
  const r = resolver(o);
  const t = (source: string) => r.timeColumn(source);
  const c = (name: string) => r.column(m.source, name);
  const ends = durations.map((dd) => addGrain(start, 'day', dd));
  const proportion = m.kind === 'proportion';
  const value = (expr: string) => (proportion ? `CASE WHEN ${expr} > 0 THEN 1 ELSE 0 END` : expr);
  const sql = `WITH pop AS (
  SELECT ${r.column('impressions', m.populationColumn)} AS u, min(${t('impressions')}) AS first_seen
  ${scanSql(d, r, 'impressions', start, o.to)}
  GROUP BY 1
), m AS (
  SELECT ${c(m.unitColumn)} AS u,
    CAST(count(*) FILTER (WHERE ${t(m.source)} < ${timestampLiteral(start)}) AS DOUBLE) AS x,
    ${ends.map((e, i) => `CAST(count(*) FILTER (WHERE ${t(m.source)} >= ${timestampLiteral(start)} AND ${t(m.source)} < ${timestampLiteral(e)}) AS DOUBLE) AS y${i}`).join(',\n    ')}
  ${scanSql(d, r, m.source, o.from, o.to)}${m.where ? ` AND (${m.where(c)})` : ''}
  GROUP BY 1
), j AS (
  SELECT pop.first_seen, ${value('coalesce(m.x, 0)')} AS x,
    ${ends.map((_, i) => `${value(`coalesce(m.y${i}, 0)`)} AS y${i}`).join(', ')}
  FROM pop LEFT JOIN m ON pop.u = m.u
)
SELECT ${ends
    .map((e, i) => {
      const when = `first_seen < ${timestampLiteral(e)}`;
      const sum = (expr: string) => `coalesce(${d.sum(expr, when)}, 0)`;
      return [
        `CAST(count(*) FILTER (WHERE ${when}) AS DOUBLE) AS n${i}`,
        `${sum(`y${i}`)} AS sy${i}`,
        `${sum(`y${i} * y${i}`)} AS syy${i}`,
        `${sum('x')} AS sx${i}`,
        `${sum('x * x')} AS sxx${i}`,
        `${sum(`x * y${i}`)} AS sxy${i}`,
      ].join(', ');
    })
    .join(',\n  ')}
FROM j`;
  const res = await o.engine.query(sql, { label: `design experiment: ${o.metric}` });
  const v = (name: string) => col(res, name)[0] ?? 0;

  const rows = durations.map((days, i): DurationRow => {
    const n = v(`n${i}`);
    const perArm = (n * traffic) / 2;
    if (n < 3)
      return {
        days,
        units: n,
        units_per_arm: perArm,
        mean: null,
        variance: null,
        pre_correlation: null,
        cuped_variance_reduction: null,
        mde: null,
        mde_cuped: null,
        required_units_per_arm: null,
        required_units_per_arm_cuped: null,
        power_at_mde: null,
        power_at_mde_cuped: null,
      };
    const my = v(`sy${i}`) / n;
    const mx = v(`sx${i}`) / n;
    const vy = (v(`syy${i}`) - n * my * my) / (n - 1);
    const vx = (v(`sxx${i}`) - n * mx * mx) / (n - 1);
    const cxy = (v(`sxy${i}`) - n * mx * my) / (n - 1);
    const rho = vx > 0 && vy > 0 ? cxy / Math.sqrt(vx * vy) : 0;
    const vr = Math.min(0.999, rho * rho);
    const base = { kind: m.kind, baseline: my, variance: vy, alpha } as const;
    const feasible = my > 0 && vy > 0 && (!proportion || my < 1);
    const need = (red: number) =>
      feasible ? Math.ceil(unitsPerArm({ ...base, mde, power, varianceReduction: red })) : null;
    const pw = (red: number) => (feasible ? powerAt({ ...base, mde, varianceReduction: red }, perArm) : null);
    return {
      days,
      units: n,
      units_per_arm: Math.floor(perArm),
      mean: round(my),
      variance: round(vy),
      pre_correlation: round(rho),
      cuped_variance_reduction: round(vr),
      mde: feasible ? round(mdeAt({ ...base, power }, perArm)) : null,
      mde_cuped: feasible ? round(mdeAt({ ...base, power, varianceReduction: vr }, perArm)) : null,
      required_units_per_arm: need(0),
      required_units_per_arm_cuped: need(vr),
      power_at_mde: round(pw(0)),
      power_at_mde_cuped: round(pw(vr)),
    };
  });
  const firstEnough = (f: (x: DurationRow) => number | null) =>
    rows.find((x) => f(x) !== null && x.units_per_arm >= f(x)!)?.days ?? null;
  return {
    analysis: 'experiment_design',
    metric: o.metric,
    description: m.description,
    kind: m.kind,
    pre_period: { from: formatIso(o.from), to: formatIso(start) },
    experiment_start: formatIso(start),
    alpha,
    power,
    mde,
    traffic,
    durations: rows,
    recommended_days: firstEnough((x) => x.required_units_per_arm),
    recommended_days_cuped: firstEnough((x) => x.required_units_per_arm_cuped),
  };
}

// ---------------------------------------------------------------- Neyman allocation

export interface Stratum {
  readonly key: string;
  /** impressions in the stratum (its population size) */
  readonly size: number;
  /** prevalence used for planning */
  readonly p: number;
}

export interface Allocation {
  readonly n: number[];
  readonly variance: number;
}

/** Variance of the stratified estimator Σ W_h p̂_h under allocation n_h (no fpc: N_h ≫ n_h). */
export function stratifiedVariance(strata: readonly Stratum[], n: readonly number[]): number {
  const total = strata.reduce((s, x) => s + x.size, 0);
  let v = 0;
  strata.forEach((s, i) => {
    const w = s.size / total;
    const nh = n[i]!;
    if (w > 0 && s.p > 0 && s.p < 1) v += nh > 0 ? (w * w * s.p * (1 - s.p)) / nh : Number.POSITIVE_INFINITY;
  });
  return v;
}

/** Integer allocation of `budget` in proportion to `score`, with at least `min` per stratum. */
export function allocate(score: readonly number[], budget: number, min = 0): number[] {
  const k = score.length;
  if (budget < min * k) throw new InputError(`--budget ${budget} is below ${min} per stratum × ${k} strata`);
  const fixed = new Array<boolean>(k).fill(false);
  let exact = new Array<number>(k).fill(0);
  // Strata whose share would fall below the minimum are fixed at it, and the rest re-shared.
  for (;;) {
    const free = budget - fixed.filter(Boolean).length * min;
    const s = score.reduce((acc, x, i) => acc + (fixed[i] ? 0 : x), 0);
    exact = score.map((x, i) =>
      fixed[i] ? min : s > 0 ? (free * x) / s : free / (k - fixed.filter(Boolean).length),
    );
    const low = exact.findIndex((x, i) => !fixed[i] && x < min);
    if (low < 0) break;
    exact.forEach((x, i) => {
      if (!fixed[i] && x < min) fixed[i] = true;
    });
  }
  // Largest remainder rounding keeps the total at the budget.
  const out = exact.map(Math.floor);
  let left = budget - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

export function neymanAllocation(strata: readonly Stratum[], budget: number, min = 0): Allocation {
  const n = allocate(
    strata.map((s) => s.size * Math.sqrt(s.p * (1 - s.p))),
    budget,
    min,
  );
  return { n, variance: stratifiedVariance(strata, n) };
}

export function proportionalAllocation(strata: readonly Stratum[], budget: number, min = 0): Allocation {
  const n = allocate(
    strata.map((s) => s.size),
    budget,
    min,
  );
  return { n, variance: stratifiedVariance(strata, n) };
}

export interface SamplingDesignOptions extends AnalysisContext {
  /** Labels to allocate. Default: the labels per day in the range (today's budget). */
  readonly budget?: number;
  readonly minPerStratum?: number;
  readonly confidence?: number;
  /** Prior strength (in labels) shrinking each stratum's prevalence toward the overall one. Default 20. */
  readonly priorLabels?: number;
}

export interface SamplingStratum {
  readonly region: string | null;
  readonly surface: string | null;
  readonly impressions: number;
  readonly impression_share: number;
  readonly labels: number;
  readonly prevalence: number | null;
  readonly planning_prevalence: number;
  readonly current_share: number;
  readonly neyman: number;
  readonly uniform: number;
}

export interface SamplingDesignResult {
  readonly analysis: 'sampling_design';
  readonly from: string;
  readonly to: string;
  readonly budget: number;
  readonly confidence: number;
  readonly prevalence: number | null;
  /** CI width (high − low) of the overall prevalence for each design at the budget. */
  readonly ci_width: {
    readonly neyman: number;
    readonly uniform: number;
    readonly uniform_poststratified: number;
    readonly current: number | null;
  };
  /** uniform width / Neyman width */
  readonly width_ratio_uniform_to_neyman: number;
  /** Labels uniform sampling needs to match Neyman's CI width. */
  readonly uniform_budget_for_neyman_width: number;
  readonly strata: readonly SamplingStratum[];
}

export async function designSampling(o: SamplingDesignOptions): Promise<SamplingDesignResult> {
  checkDayRange(o.from, o.to);
  const confidence = o.confidence ?? 0.95;
  const minPer = o.minPerStratum ?? 10;
  const prior = o.priorLabels ?? 20;
  const d = o.engine.dialect;
  const r = resolver(o);
  const L = 'prevalence_labels';
  const I = 'impressions';
  const [lab, imp] = await Promise.all([
    o.engine.query(
      `SELECT CAST(region AS VARCHAR) AS region, CAST(surface AS VARCHAR) AS surface,
  CAST(count(*) AS DOUBLE) AS n, coalesce(${d.sum('w')}, 0) AS sw, coalesce(${d.sum('w * w')}, 0) AS sw2,
  coalesce(${d.sum('w', 'v')}, 0) AS swv
FROM (SELECT ${r.column(L, 'region')} AS region, ${r.column(L, 'surface')} AS surface,
        CAST(${r.column(L, 'sample_weight')} AS DOUBLE) AS w, coalesce(${r.column(L, 'is_violating')}, FALSE) AS v
      ${scanSql(d, r, L, o.from, o.to)}) t
GROUP BY 1, 2`,
      { label: 'design sampling: prevalence_labels' },
    ),
    o.engine.query(
      `SELECT CAST(region AS VARCHAR) AS region, CAST(surface AS VARCHAR) AS surface, CAST(count(*) AS DOUBLE) AS n
FROM (SELECT ${r.column(I, 'region')} AS region, ${r.column(I, 'surface')} AS surface ${scanSql(d, r, I, o.from, o.to)}) t
GROUP BY 1, 2`,
      { label: 'design sampling: impressions' },
    ),
  ]);
  const key = (a: string | null, b: string | null) => `${a ?? '\u0000'}|${b ?? '\u0000'}`;
  const labels = new Map<string, { n: number; sw: number; sw2: number; swv: number }>();
  {
    const [rg, sf, n, sw, sw2, swv] = [
      strCol(lab, 'region'),
      strCol(lab, 'surface'),
      col(lab, 'n'),
      col(lab, 'sw'),
      col(lab, 'sw2'),
      col(lab, 'swv'),
    ];
    for (let i = 0; i < lab.rowCount; i++)
      labels.set(key(rg[i]!, sf[i]!), { n: n[i] ?? 0, sw: sw[i] ?? 0, sw2: sw2[i] ?? 0, swv: swv[i] ?? 0 });
  }
  const strataRaw: { region: string | null; surface: string | null; size: number }[] = [];
  {
    const [rg, sf, n] = [strCol(imp, 'region'), strCol(imp, 'surface'), col(imp, 'n')];
    for (let i = 0; i < imp.rowCount; i++)
      strataRaw.push({ region: rg[i]!, surface: sf[i]!, size: n[i] ?? 0 });
  }
  strataRaw.sort(
    (a, b) => b.size - a.size || key(a.region, a.surface).localeCompare(key(b.region, b.surface)),
  );
  if (strataRaw.length === 0)
    throw new InputError('--from/--to: the range holds no impressions to design for');
  const totalImps = strataRaw.reduce((s, x) => s + x.size, 0);
  const totalLabels = [...labels.values()].reduce((s, x) => s + x.n, 0);
  const days = (o.to.getTime() - o.from.getTime()) / 86_400_000;
  const budget = o.budget ?? Math.max(1, Math.round(totalLabels / days));
  if (!Number.isInteger(budget) || budget < 1)
    throw new InputError(`--budget must be a positive integer, got ${budget}`);

  // Overall prevalence: impression-weighted stratum prevalences (post-stratified).
  const stratumP = strataRaw.map((s) => {
    const l = labels.get(key(s.region, s.surface));
    return l && l.sw > 0
      ? { p: l.swv / l.sw, nEff: (l.sw * l.sw) / l.sw2, n: l.n }
      : { p: null, nEff: 0, n: 0 };
  });
  const covered = strataRaw.reduce((s, x, i) => s + (stratumP[i]!.p === null ? 0 : x.size), 0);
  const overall =
    covered > 0
      ? strataRaw.reduce((s, x, i) => s + (stratumP[i]!.p === null ? 0 : x.size * stratumP[i]!.p!), 0) /
        covered
      : null;
  const pOverall = overall ?? 0.01;
  // Shrink toward the overall prevalence: a stratum with few labels is not planned at p = 0.
  const strata: Stratum[] = strataRaw.map((s, i) => {
    const sp = stratumP[i]!;
    const p = ((sp.p ?? 0) * sp.nEff + prior * pOverall) / (sp.nEff + prior);
    return { key: key(s.region, s.surface), size: s.size, p: Math.min(1 - 1e-9, Math.max(1e-9, p)) };
  });
  const min = Math.min(minPer, Math.floor(budget / strata.length));
  const neyman = neymanAllocation(strata, budget, min);
  const prop = proportionalAllocation(strata, budget, 0);
  const z = normalCritical(1 - confidence);
  const width = (v: number) => 2 * z * Math.sqrt(v);
  const pPlan = strata.reduce((s, x) => s + x.size * x.p, 0) / totalImps;
  const uniformVar = (pPlan * (1 - pPlan)) / budget;
  const currentShares = strataRaw.map(
    (s) => (labels.get(key(s.region, s.surface))?.n ?? 0) / Math.max(1, totalLabels),
  );
  const currentVar = stratifiedVariance(
    strata,
    currentShares.map((sh) => sh * budget),
  );
  const ciNeyman = width(neyman.variance);
  const ciUniform = width(uniformVar);
  return {
    analysis: 'sampling_design',
    from: formatIso(o.from),
    to: formatIso(o.to),
    budget,
    confidence,
    prevalence: round(overall),
    ci_width: {
      neyman: round(ciNeyman)!,
      uniform: round(ciUniform)!,
      uniform_poststratified: round(width(prop.variance))!,
      current: round(Number.isFinite(currentVar) ? width(currentVar) : null),
    },
    width_ratio_uniform_to_neyman: round(ciUniform / ciNeyman)!,
    uniform_budget_for_neyman_width: Math.ceil((budget * uniformVar) / neyman.variance),
    strata: strataRaw.map((s, i) => ({
      region: s.region,
      surface: s.surface,
      impressions: s.size,
      impression_share: round(s.size / totalImps)!,
      labels: stratumP[i]!.n,
      prevalence: round(stratumP[i]!.p),
      planning_prevalence: round(strata[i]!.p)!,
      current_share: round(currentShares[i]!)!,
      neyman: neyman.n[i]!,
      uniform: prop.n[i]!,
    })),
  };
}
