import * as z from 'zod';
import { getOrInsert } from '../collections.js';
import { InputError } from '../errors.js';
import { comparePeriods, type Period, periodSchema, unitSchema } from './panel.js';
import { alphaSchema, checkFinite, parseInput } from './validate.js';

/**
 * Callaway & Sant'Anna (2021) staggered-adoption difference in differences without covariates,
 * matching R `did` (att_gt + aggte, analytical standard errors): ATT(g,t) for every cohort g (first
 * treated period) and period t with the "varying" base period (t ≥ g: g−1 vs t; t < g: t−1 vs t),
 * never-treated or not-yet-treated comparison units, and the simple, group, dynamic and calendar
 * aggregations. Standard errors come from unit-level influence functions (so clustered by unit),
 * including the estimation error of the aggregation weights (P(G = g) estimated from the sample).
 * Like R: units treated in the first period are dropped, cohorts first treated after the last
 * period count as never treated, and with not-yet-treated controls and no never-treated units the
 * last cohort becomes the comparison group (periods from its launch on are dropped).
 */

export const staggeredRowSchema = z.object({
  unit: unitSchema,
  period: periodSchema,
  /** First treated period; 0 (or null) = never treated. */
  group: z.union([periodSchema, z.null()]),
  y: z.number(),
});

export const staggeredDidInputSchema = z.object({
  rows: z.array(staggeredRowSchema).min(4, { message: 'needs at least 4 rows' }),
  control_group: z.enum(['never_treated', 'not_yet_treated']).default('never_treated'),
  alpha: alphaSchema,
});
export type StaggeredDidInput = z.input<typeof staggeredDidInputSchema>;

export interface AttGt {
  group: number | string;
  t: number | string;
  att: number;
  se: number;
}
export interface Aggregate<E> {
  att: number;
  se: number;
  effects: E[];
}
export interface StaggeredDidResult {
  attGt: AttGt[];
  simple: { att: number; se: number };
  group: Aggregate<{ group: number | string; att: number; se: number }>;
  dynamic: Aggregate<{ e: number; att: number; se: number }>;
  calendar: Aggregate<{ t: number | string; att: number; se: number }>;
}

const WHAT = 'staggered_did';

/** √(mean(ψ²)/n): R did's analytical standard error of an estimator with influence function ψ. */
function seOf(psi: Float64Array): number {
  let s = 0;
  for (const v of psi) s += v * v;
  return Math.sqrt(s / psi.length / psi.length);
}

/** The per-unit influence function of Σ_k w_k·att_k with w_k = pg_k / Σ pg (R did's wif + get_agg_inf_func). */
function aggregate(
  keep: readonly number[],
  att: readonly number[],
  inf: readonly Float64Array[],
  pg: readonly number[],
  unitIs: (unit: number, k: number) => boolean,
  n: number,
  withWeightError: boolean,
): { att: number; psi: Float64Array } {
  const total = keep.reduce((s, k) => s + pg[k]!, 0);
  const psi = new Float64Array(n);
  let est = 0;
  for (const k of keep) {
    const w = pg[k]! / total;
    est += w * att[k]!;
    const f = inf[k]!;
    for (let i = 0; i < n; i++) psi[i]! += w * f[i]!;
  }
  if (withWeightError) {
    // wif: numerator term (1{G=g_k} − pg_k)/Σpg, minus the denominator term Σ_j(1{G=g_j} − pg_j)·pg_k/(Σpg)².
    for (let i = 0; i < n; i++) {
      let sumDev = 0;
      let num = 0;
      for (const k of keep) {
        const dev = (unitIs(i, k) ? 1 : 0) - pg[k]!;
        sumDev += dev;
        num += (dev / total) * att[k]!;
      }
      let den = 0;
      for (const k of keep) den += (pg[k]! / (total * total)) * att[k]!;
      psi[i]! += num - sumDev * den;
    }
  }
  return { att: est, psi };
}

/** Equal-weight mean of aggregated effects (the overall dynamic and calendar ATT; no weight error). */
function meanOf(items: readonly { att: number; psi: Float64Array }[], n: number) {
  const psi = new Float64Array(n);
  let att = 0;
  for (const it of items) {
    att += it.att / items.length;
    for (let i = 0; i < n; i++) psi[i]! += it.psi[i]! / items.length;
  }
  return { att, se: seOf(psi) };
}

export function staggeredDid(input: StaggeredDidInput): StaggeredDidResult {
  const parsed = parseInput(staggeredDidInputSchema, input, WHAT);
  const kinds = new Set(parsed.rows.map((r) => typeof r.period));
  if (kinds.size > 1) throw new InputError(`${WHAT}: rows[].period mixes numbers and strings`);
  const never = (g: Period | null) => g === null || g === 0 || g === '0' || g === '';
  let periods = [...new Set(parsed.rows.map((r) => r.period))].sort(comparePeriods);
  const lastPeriod = periods.at(-1)!;
  // Per unit: its group (constant), and y by period.
  const unitGroup = new Map<string, Period>();
  const unitY = new Map<string, Map<Period, number>>();
  parsed.rows.forEach((r, i) => {
    const g: Period = never(r.group) || comparePeriods(r.group!, lastPeriod) > 0 ? 0 : r.group!;
    if (g !== 0 && typeof g !== typeof r.period)
      throw new InputError(
        `${WHAT}: rows[${i}].group must be a period value like rows[].period, got ${JSON.stringify(r.group)}`,
      );
    const prev = unitGroup.get(r.unit);
    if (prev !== undefined && prev !== g)
      throw new InputError(`${WHAT}: rows[${i}].group: unit '${r.unit}' has more than one group`);
    unitGroup.set(r.unit, g);
    const ys = getOrInsert(unitY, r.unit, () => new Map<Period, number>());
    if (ys.has(r.period))
      throw new InputError(`${WHAT}: rows[${i}]: duplicate row for unit '${r.unit}', period '${r.period}'`);
    ys.set(r.period, r.y);
  });
  for (const [u, ys] of unitY)
    if (ys.size !== periods.length)
      throw new InputError(
        `${WHAT}: the panel is not balanced: unit '${u}' has ${ys.size} of ${periods.length} periods`,
      );
  // Units already treated in the first period have no pre-period: dropped (as R did).
  let units = [...unitY.keys()].filter((u) => {
    const g = unitGroup.get(u)!;
    return g === 0 || comparePeriods(g, periods[0]!) > 0;
  });
  const groupOf = new Map(units.map((u) => [u, unitGroup.get(u)!]));
  const hasNever = units.some((u) => groupOf.get(u) === 0);
  if (!hasNever) {
    if (parsed.control_group === 'never_treated')
      throw new InputError(
        `${WHAT}: control_group never_treated needs never-treated units (group 0), found none`,
      );
    const gMax = [...new Set(groupOf.values())].sort(comparePeriods).at(-1)!;
    periods = periods.filter((p) => comparePeriods(p, gMax) < 0);
    for (const u of units) if (groupOf.get(u) === gMax) groupOf.set(u, 0);
  }
  units = units.sort();
  const n = units.length;
  if (periods.length < 2) throw new InputError(`${WHAT}: needs at least 2 periods`);
  const glist = [...new Set(units.map((u) => groupOf.get(u)!))].filter((g) => g !== 0).sort(comparePeriods);
  if (glist.length === 0) throw new InputError(`${WHAT}: no treated group with a pre-treatment period`);
  const G = units.map((u) => groupOf.get(u)!);
  const Y = units.map((u) => periods.map((p) => unitY.get(u)!.get(p)!));
  const pgOf = new Map(glist.map((g) => [g, G.filter((x) => x === g).length / n]));

  // ATT(g,t) and its influence function over all n units.
  const attGt: { group: Period; t: Period; att: number; psi: Float64Array }[] = [];
  for (const g of glist) {
    let lastPre = -1;
    for (let j = 0; j < periods.length; j++) if (comparePeriods(periods[j]!, g) < 0) lastPre = j;
    for (let ti = 1; ti < periods.length; ti++) {
      const t = periods[ti]!;
      const post = comparePeriods(g, t) <= 0;
      const base = post ? lastPre : ti - 1;
      if (base < 0) continue;
      const isControl = (x: Period) =>
        x === 0 || (parsed.control_group === 'not_yet_treated' && x !== g && comparePeriods(x, t) > 0);
      const treatedIdx: number[] = [];
      const controlIdx: number[] = [];
      for (let i = 0; i < n; i++) {
        if (G[i] === g) treatedIdx.push(i);
        else if (isControl(G[i]!)) controlIdx.push(i);
      }
      if (controlIdx.length === 0)
        throw new InputError(`${WHAT}: group ${g} at period ${t} has no comparison units`);
      const dy = (i: number) => Y[i]![ti]! - Y[i]![base]!;
      const meanT = treatedIdx.reduce((s, i) => s + dy(i), 0) / treatedIdx.length;
      const meanC = controlIdx.reduce((s, i) => s + dy(i), 0) / controlIdx.length;
      const n1 = treatedIdx.length + controlIdx.length;
      const p = treatedIdx.length / n1;
      const psi = new Float64Array(n);
      // Difference in means of ΔY: what the doubly robust estimator reduces to with no covariates.
      for (const i of treatedIdx) psi[i] = (n / n1) * ((dy(i) - meanT) / p);
      for (const i of controlIdx) psi[i] = (n / n1) * (-(dy(i) - meanC) / (1 - p));
      attGt.push({ group: g, t, att: meanT - meanC, psi });
    }
  }
  // Aggregations work on positions along the union of periods and groups (R's orig2t).
  const pos = new Map(
    [...new Set<Period>([...periods, ...glist])].sort(comparePeriods).map((v, i) => [v, i]),
  );
  const gPos = attGt.map((a) => pos.get(a.group)!);
  const tPos = attGt.map((a) => pos.get(a.t)!);
  const att = attGt.map((a) => a.att);
  const inf = attGt.map((a) => a.psi);
  const pg = attGt.map((a) => pgOf.get(a.group)!);
  const unitIs = (i: number, k: number) => G[i] === attGt[k]!.group;
  const idx = (f: (k: number) => boolean) => attGt.map((_, k) => k).filter(f);

  const simple = aggregate(
    idx((k) => gPos[k]! <= tPos[k]!),
    att,
    inf,
    pg,
    unitIs,
    n,
    true,
  );

  const groupParts = glist.map((g) => {
    const keep = idx((k) => attGt[k]!.group === g && gPos[k]! <= tPos[k]!);
    const a = aggregate(keep, att, inf, pg, unitIs, n, false);
    return { group: g, ...a };
  });
  const groupOverall = aggregate(
    groupParts.map((_, k) => k),
    groupParts.map((x) => x.att),
    groupParts.map((x) => x.psi),
    glist.map((g) => pgOf.get(g)!),
    (i, k) => G[i] === glist[k],
    n,
    true,
  );

  const eseq = [...new Set(attGt.map((_, k) => tPos[k]! - gPos[k]!))].sort((a, b) => a - b);
  const dynParts = eseq.map((e) => ({
    e,
    ...aggregate(
      idx((k) => tPos[k]! - gPos[k]! === e),
      att,
      inf,
      pg,
      unitIs,
      n,
      true,
    ),
  }));
  const minG = Math.min(...gPos);
  const calT = [...new Set(tPos)].filter((t) => t >= minG).sort((a, b) => a - b);
  const calParts = calT.map((tp) => ({
    t: attGt[tPos.indexOf(tp)]!.t,
    ...aggregate(
      idx((k) => tPos[k] === tp && gPos[k]! <= tp),
      att,
      inf,
      pg,
      unitIs,
      n,
      true,
    ),
  }));
  const dynPost = dynParts.filter((d) => d.e >= 0);
  if (dynPost.length === 0) throw new InputError(`${WHAT}: no post-treatment period`);
  return checkFinite(WHAT, {
    attGt: attGt.map((a) => ({ group: a.group, t: a.t, att: a.att, se: seOf(a.psi) })),
    simple: { att: simple.att, se: seOf(simple.psi) },
    group: {
      att: groupOverall.att,
      se: seOf(groupOverall.psi),
      effects: groupParts.map((x) => ({ group: x.group, att: x.att, se: seOf(x.psi) })),
    },
    dynamic: {
      ...meanOf(dynPost, n),
      effects: dynParts.map((x) => ({ e: x.e, att: x.att, se: seOf(x.psi) })),
    },
    calendar: {
      ...meanOf(calParts, n),
      effects: calParts.map((x) => ({ t: x.t, att: x.att, se: seOf(x.psi) })),
    },
  });
}
