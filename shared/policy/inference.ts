import { tCritical, tTwoSidedP } from '../stats/distributions.js';
import { mulberry32 } from '../stats/random.js';

/**
 * Inference for a policy ATT on a few regions. Regions are the clusters, and there are rarely more
 * than a dozen, so asymptotic cluster-robust errors do not apply. Two methods:
 *
 * - `randomization` (placebo in space): the launch schedules are reassigned to every possible set
 *   of regions (or 4,000 random ones when there are too many), the same estimator is recomputed,
 *   and p = share of assignments at least as extreme. Exact under random assignment of regions,
 *   whatever the counts; the CI inverts the test under a constant additive effect τ (an
 *   assignment's statistic moves by τ times the treated exposure it picks up). Used when there are
 *   at least 2/α assignments, so a p-value below α is reachable.
 * - `count_aware_t` (too few assignments, e.g. one treated region among 9): each region's contrast
 *   has its own sampling variance from its counts (day replicates) plus a between-region variance
 *   estimated from the controls (method of moments); a t with (controls − 1) degrees of freedom.
 */

export interface Design {
  /** Regions in the pool (treated and comparison), by index. */
  readonly regions: readonly string[];
  /** Per schedule k: the index of the region actually treated on it. */
  readonly treated: readonly number[];
  /** diff[c][k]: region c's post − pre contrast on schedule k's windows. */
  readonly diff: readonly Float64Array[];
  /** variance[c][k]: its sampling variance, and the degrees of freedom it was estimated with. */
  readonly variance: readonly Float64Array[];
  readonly varianceDf?: readonly Float64Array[];
  /** effect[c][k]: how much of an additive effect τ region c's actual treatment puts into diff[c][k]. */
  readonly effect: readonly Float64Array[];
  /** nyt[j][k]: schedule j's region may serve as a control of schedule k (launched after k's windows). */
  readonly nyt: readonly (readonly boolean[])[];
  /** All schedules share the same windows: assignments are sets, not orderings. */
  readonly sameWindows: boolean;
}

export type InferenceMethod = 'randomization' | 'count_aware_t';

export interface Inference {
  readonly estimate: number;
  readonly ciLow: number | null;
  readonly ciHigh: number | null;
  readonly pValue: number | null;
  readonly method: InferenceMethod;
  readonly detail: string;
  readonly reason?: string;
}

const MAX_ENUMERATED = 20_000;
const SAMPLED = 4_000;

function countAssignments(P: number, K: number, sets: boolean): number {
  let n = 1;
  for (let i = 0; i < K; i++) n = (n * (P - i)) / (sets ? i + 1 : 1);
  return Math.round(n);
}

/** All (or `SAMPLED` random) assignments of the K schedules to distinct regions; the observed one first. */
export function assignments(d: Design, seed: number): { list: Int32Array[]; exhaustive: boolean } {
  const P = d.regions.length;
  const K = d.treated.length;
  const total = countAssignments(P, K, d.sameWindows);
  const list: Int32Array[] = [Int32Array.from(d.treated)];
  const key = (a: Int32Array) => (d.sameWindows ? [...a].sort((x, y) => x - y) : [...a]).join(',');
  const obsKey = key(list[0]!);
  if (total <= MAX_ENUMERATED) {
    const cur = new Int32Array(K);
    const used = new Uint8Array(P);
    const rec = (k: number, from: number) => {
      if (k === K) {
        if (key(cur) !== obsKey) list.push(Int32Array.from(cur));
        return;
      }
      for (let c = d.sameWindows ? from : 0; c < P; c++) {
        if (used[c]) continue;
        used[c] = 1;
        cur[k] = c;
        rec(k + 1, c + 1);
        used[c] = 0;
      }
    };
    rec(0, 0);
    return { list, exhaustive: true };
  }
  const next = mulberry32(seed);
  for (let b = 0; b < SAMPLED; b++) {
    const perm = Array.from({ length: P }, (_, i) => i);
    for (let i = 0; i < K; i++) {
      const j = i + (next() % (P - i));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    list.push(Int32Array.from(perm.slice(0, K)));
  }
  return { list, exhaustive: false };
}

/** The estimator under assignment `a`: mean over schedules of (assigned − mean of its controls). */
export function statistic(d: Design, a: Int32Array, m: readonly Float64Array[] = d.diff): number {
  const K = a.length;
  const P = d.regions.length;
  let total = 0;
  for (let k = 0; k < K; k++) {
    let sum = 0;
    for (let c = 0; c < P; c++) sum += m[c]![k]!;
    let count = P;
    for (let j = 0; j < K; j++) {
      if (d.nyt[j]![k]) continue;
      sum -= m[a[j]!]![k]!;
      count--;
    }
    // a[k] itself is never its own control (nyt[k][k] is false), so it was removed above.
    total += m[a[k]!]![k]! - sum / count;
  }
  return total / K;
}

function randomization(d: Design, alpha: number, seed: number): Inference {
  const { list, exhaustive } = assignments(d, seed);
  const s = list.map((a) => statistic(d, a));
  const e = list.map((a) => statistic(d, a, d.effect));
  const obs = s[0]!;
  const eObs = e[0]!;
  const tol = 1e-12 * (1 + Math.abs(obs));
  const pAt = (tau: number) => {
    const t0 = Math.abs(obs - tau * eObs) - tol;
    let hits = 0;
    for (let i = 1; i < list.length; i++) if (Math.abs(s[i]! - tau * e[i]!) >= t0) hits++;
    return (1 + hits) / list.length;
  };
  const p = pAt(0);
  let spread = 0;
  for (const v of s) spread += (v - obs) ** 2;
  spread = Math.sqrt(spread / s.length) || Math.abs(obs) || 1;
  const bound = (dir: 1 | -1): number | null => {
    let inside = obs;
    let step = spread;
    let outside = obs + dir * step;
    let guard = 0;
    while (pAt(outside) > alpha) {
      inside = outside;
      step *= 2;
      outside = obs + dir * step;
      if (++guard > 60) return null;
    }
    for (let i = 0; i < 50; i++) {
      const mid = (inside + outside) / 2;
      if (pAt(mid) > alpha) inside = mid;
      else outside = mid;
    }
    return (inside + outside) / 2;
  };
  const K = d.treated.length;
  const detail = `placebo-in-space randomization over ${exhaustive ? 'all' : 'a seeded sample of'} ${list.length} assignments of ${K} launch schedule${K === 1 ? '' : 's'} to ${d.regions.length} regions; CI by test inversion under a constant additive effect`;
  return { estimate: obs, ciLow: bound(-1), ciHigh: bound(1), pValue: p, method: 'randomization', detail };
}

function countAwareT(d: Design, alpha: number): Inference {
  const K = d.treated.length;
  const P = d.regions.length;
  const a = Int32Array.from(d.treated);
  const estimate = statistic(d, a);
  let treatedVar = 0;
  let controlSd = 0;
  let df = Number.POSITIVE_INFINITY;
  // Satterthwaite: Σ component² / df of the variance components (between-region, own, control mean).
  let satter = 0;
  for (let k = 0; k < K; k++) {
    const controls: number[] = [];
    for (let c = 0; c < P; c++) {
      const j = d.treated.indexOf(c);
      if (j === -1 || (j !== k && d.nyt[j]![k])) controls.push(c);
    }
    const n = controls.length;
    const mean = controls.reduce((s, c) => s + d.diff[c]![k]!, 0) / n;
    const spread = controls.reduce((s, c) => s + (d.diff[c]![k]! - mean) ** 2, 0) / (n - 1);
    let sampling = controls.reduce((s, c) => s + d.variance[c]![k]!, 0) / n;
    let own = d.variance[d.treated[k]!]![k]!;
    // One-day windows have no day replicates: the controls' spread alone then measures the noise.
    if (!Number.isFinite(sampling) || !Number.isFinite(own)) {
      sampling = 0;
      own = 0;
    }
    // Between-region variance: what the controls' spread shows beyond their own sampling noise
    // (DerSimonian–Laird: inverse-variance weighted, so a few noisy small regions do not inflate it).
    let tau2 = Math.max(0, spread - sampling);
    const w = controls.map((c) => 1 / d.variance[c]![k]!);
    if (sampling > 0 && w.every((x) => Number.isFinite(x) && x > 0)) {
      const sw = w.reduce((a, b) => a + b, 0);
      const sw2 = w.reduce((a, b) => a + b * b, 0);
      const mw = controls.reduce((s, c, i) => s + w[i]! * d.diff[c]![k]!, 0) / sw;
      const q = controls.reduce((s, c, i) => s + w[i]! * (d.diff[c]![k]! - mw) ** 2, 0);
      tau2 = Math.max(0, (q - (n - 1)) / (sw - sw2 / sw));
    }
    treatedVar += tau2 + own;
    controlSd += Math.sqrt((tau2 + sampling) / n);
    const ownDf = d.varianceDf?.[d.treated[k]!]?.[k] ?? n - 1;
    satter += (tau2 * tau2) / (n - 1) + (own > 0 ? (own * own) / Math.max(1, ownDf) : 0);
    satter += ((tau2 + sampling) / n) ** 2 / (n - 1);
    df = Math.min(df, n - 1);
  }
  // Control means of different schedules share regions: counted as fully correlated (conservative).
  const se = Math.sqrt(treatedVar + controlSd * controlSd) / K;
  // The sampling variances are estimated from many day replicates: the t has more df than the
  // number of comparison regions alone would give (never fewer).
  if (satter > 0) df = Math.max(df, Math.floor((se * K) ** 4 / satter));
  const detail = `count-aware t: each region's sampling variance from its own counts (days as replicates) plus a between-region variance from the controls (DerSimonian–Laird); t with ${df} df (Satterthwaite)`;
  if (!(se > 0) || !Number.isFinite(se) || !(df >= 1))
    return {
      estimate,
      ciLow: null,
      ciHigh: null,
      pValue: null,
      method: 'count_aware_t',
      detail,
      reason: 'the counts give no sampling variance (every day identical or too few days)',
    };
  const q = tCritical(alpha, df);
  return {
    estimate,
    ciLow: estimate - q * se,
    ciHigh: estimate + q * se,
    pValue: tTwoSidedP(estimate / se, df),
    method: 'count_aware_t',
    detail,
  };
}

/** The number of distinct assignments a randomization test would use. */
export function assignmentCount(d: Pick<Design, 'regions' | 'treated' | 'sameWindows'>): number {
  return countAssignments(d.regions.length, d.treated.length, d.sameWindows);
}

/** Randomization when it can reach α (≥ 2/α assignments), else the count-aware t. */
export function infer(d: Design, alpha: number, seed: number, force?: InferenceMethod): Inference {
  const method = force ?? (assignmentCount(d) >= Math.ceil(2 / alpha) ? 'randomization' : 'count_aware_t');
  return method === 'randomization' ? randomization(d, alpha, seed) : countAwareT(d, alpha);
}

/**
 * Joint test that several contrasts (event-study leads) are all zero. Randomization: Σ_b (s_b/sd_b)²
 * ranked over the same assignments (sd_b its spread over assignments), valid with few clusters.
 * Count-aware t: Bonferroni over the leads' p-values (valid whatever their correlation).
 */
export function jointTest(
  designs: readonly Design[],
  method: InferenceMethod,
  alpha: number,
  seed: number,
): { pValue: number | null; method: string } {
  if (designs.length === 0) return { pValue: null, method };
  if (method === 'count_aware_t') {
    const ps = designs.map((d) => countAwareT(d, alpha).pValue);
    if (ps.some((p) => p === null)) return { pValue: null, method: 'bonferroni over count-aware t' };
    return {
      pValue: Math.min(1, designs.length * Math.min(...(ps as number[]))),
      method: 'bonferroni over count-aware t',
    };
  }
  const { list } = assignments(designs[0]!, seed);
  const s = designs.map((d) => list.map((a) => statistic(d, a)));
  const sd = s.map((col) => {
    const mean = col.reduce((x, y) => x + y, 0) / col.length;
    return Math.sqrt(col.reduce((x, y) => x + (y - mean) ** 2, 0) / col.length) || 1;
  });
  const w = list.map((_, i) => s.reduce((acc, col, b) => acc + (col[i]! / sd[b]!) ** 2, 0));
  const tol = 1e-12 * (1 + w[0]!);
  const hits = w.filter((v, i) => i > 0 && v >= w[0]! - tol).length;
  return { pValue: (1 + hits) / list.length, method: 'randomization (sum of squared standardized leads)' };
}
