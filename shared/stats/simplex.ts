/** Simplex projection into `out` (may alias nothing); `scratch` is a work buffer of the same length. */
function projectInto(v: Float64Array, out: Float64Array, scratch: Float64Array): void {
  scratch.set(v);
  scratch.sort();
  let cumulative = 0;
  let threshold = 0;
  // Descending order is the sorted buffer read backwards.
  for (let i = 0; i < scratch.length; i++) {
    const u = scratch[scratch.length - 1 - i] as number;
    cumulative += u;
    const t = (cumulative - 1) / (i + 1);
    if (u - t > 0) threshold = t;
  }
  for (let i = 0; i < v.length; i++) out[i] = Math.max(0, (v[i] as number) - threshold);
}

/**
 * Euclidean projection onto the probability simplex {w ≥ 0, Σw = 1} (Held et al. 1974; Duchi et al.
 * 2008): sort, find the largest ρ with u_ρ − (Σ_{j≤ρ} u_j − 1)/ρ > 0, shift by that threshold and clip.
 */
export function projectToSimplex(v: ArrayLike<number>): number[] {
  const values = Float64Array.from(v);
  const out = new Float64Array(values.length);
  projectInto(values, out, new Float64Array(values.length));
  return Array.from(out);
}

export interface SimplexLeastSquaresResult {
  weights: number[];
  iterations: number;
  /** Certified bound on objective − optimum at the returned weights (Frank–Wolfe gap). */
  gap: number;
}

/**
 * min f(w) = w'Gw − 2c'w + ‖a‖² = ‖a − Bw‖² over the simplex, given G = B'B, c = B'a and ‖a‖²,
 * by accelerated projected gradient (FISTA with adaptive restart, O'Donoghue & Candès 2015); an iteration costs
 * O(J²). The step is 1/L with L = 2·min(trace, Gershgorin bound), both upper bounds on λmax of the
 * positive semi-definite G, so it never over-steps. It stops on the Frank–Wolfe gap ∇f(w)'w − min_i ∇f(w)_i, an upper bound on
 * f(w) − f*, once that is below `relativeTolerance`·f(w): donors are often nearly collinear, so
 * the weights themselves may be poorly determined while the fit, which is what is reported, is not.
 */
export function simplexLeastSquares(
  gram: readonly (readonly number[])[],
  cross: readonly number[],
  targetNorm2: number,
  { maxIterations = 50_000, relativeTolerance = 1e-7 } = {},
): SimplexLeastSquaresResult {
  const j = cross.length;
  const g = Float64Array.from(gram.flat());
  let gershgorin = 0;
  let trace = 0;
  for (let r = 0; r < j; r++) {
    let s = 0;
    for (let c = 0; c < j; c++) s += Math.abs(g[r * j + c] as number);
    gershgorin = Math.max(gershgorin, s);
    trace += g[r * j + r] as number;
  }
  const bound = Math.min(gershgorin, trace);
  const step = bound > 0 ? 1 / (2 * bound) : 1;
  const gradientAt = (w: Float64Array, out: Float64Array) => {
    for (let r = 0; r < j; r++) {
      let s = 0;
      const offset = r * j;
      for (let c = 0; c < j; c++) s += (g[offset + c] as number) * (w[c] as number);
      out[r] = 2 * (s - (cross[r] as number));
    }
  };
  let gap = Number.POSITIVE_INFINITY;
  // Absolute floor for a (near-)perfect fit, where a relative criterion would never be met.
  const floor = 1e-14 * (targetNorm2 + bound) + Number.MIN_VALUE;
  /** Gap over the tolerance: ≤ 0 means converged. f(w) = ∇f·w/2 − c·w + ‖a‖². */
  const excessGap = (w: Float64Array, grad: Float64Array) => {
    let gw = 0;
    let cw = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < j; i++) {
      gw += (grad[i] as number) * (w[i] as number);
      cw += (cross[i] as number) * (w[i] as number);
      min = Math.min(min, grad[i] as number);
    }
    const objective = Math.max(0, gw / 2 - cw + targetNorm2);
    gap = gw - min;
    return gap - Math.max(relativeTolerance * objective, floor);
  };
  let w = new Float64Array(j).fill(1 / j);
  const z = Float64Array.from(w);
  const grad = new Float64Array(j);
  const trial = new Float64Array(j);
  const scratch = new Float64Array(j);
  let next = new Float64Array(j);
  let momentum = 1;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    if (iterations % 20 === 0) {
      gradientAt(w, grad);
      if (excessGap(w, grad) <= 0) break;
    }
    gradientAt(z, grad);
    for (let i = 0; i < j; i++) trial[i] = (z[i] as number) - step * (grad[i] as number);
    projectInto(trial, next, scratch);
    let uphill = 0;
    for (let i = 0; i < j; i++) uphill += (grad[i] as number) * ((next[i] as number) - (w[i] as number));
    const nextMomentum = (1 + Math.sqrt(1 + 4 * momentum * momentum)) / 2;
    if (uphill > 0) {
      // The momentum pointed uphill: restart from a plain projected-gradient step.
      momentum = 1;
      z.set(next);
    } else {
      const beta = (momentum - 1) / nextMomentum;
      for (let i = 0; i < j; i++)
        z[i] = (next[i] as number) + beta * ((next[i] as number) - (w[i] as number));
      momentum = nextMomentum;
    }
    [w, next] = [next, w];
  }
  if (iterations === maxIterations) {
    gradientAt(w, grad);
    excessGap(w, grad);
  }
  return { weights: Array.from(w), iterations, gap };
}
