import { InputError } from '../errors.js';

/**
 * Small dense linear algebra for regressions with at most a few hundred columns (aggregated panels,
 * not raw events). Matrices are row-major arrays of rows. Least squares goes through a Householder
 * QR of X rather than the normal equations: forming X'X squares the condition number, which matters
 * with fixed-effect dummies.
 */

export type Matrix = number[][];

export interface QrLeastSquares {
  /** Coefficients minimising ‖y − Xb‖². */
  coef: number[];
  /** (X'X)⁻¹ = R⁻¹R⁻ᵀ. */
  xtxInverse: Matrix;
}

/**
 * Least squares by Householder QR. Throws InputError naming the first column that is (numerically)
 * a linear combination of the ones before it.
 */
export function leastSquares(x: Matrix, y: readonly number[], names?: readonly string[]): QrLeastSquares {
  const n = x.length;
  const k = x[0]?.length ?? 0;
  if (n !== y.length) throw new InputError(`X has ${n} rows but y has ${y.length} values`);
  if (k === 0) throw new InputError('X has no columns');
  if (n <= k) throw new InputError(`need more rows than columns, got ${n} rows and ${k} columns`);
  // Column-major working copy: each Householder step touches whole columns.
  const a: Float64Array[] = [];
  const colNorm: number[] = [];
  for (let j = 0; j < k; j++) {
    const col = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const row = x[i] as number[];
      if (row.length !== k) throw new InputError(`X row ${i} has ${row.length} columns, expected ${k}`);
      const v = row[j] as number;
      col[i] = v;
      s += v * v;
    }
    a.push(col);
    colNorm.push(Math.sqrt(s));
  }
  const qty = Float64Array.from(y);
  const rDiag = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const col = a[j] as Float64Array;
    let norm = 0;
    for (let i = j; i < n; i++) norm += (col[i] as number) ** 2;
    norm = Math.sqrt(norm);
    // Relative to the column's own size, so a column of large-valued dummies is judged fairly.
    if (!(norm > 1e-10 * ((colNorm[j] as number) || 1))) {
      const name = names?.[j] ?? `column ${j}`;
      throw new InputError(`design matrix is rank deficient: ${name} is collinear with earlier columns`);
    }
    const alpha = (col[j] as number) > 0 ? -norm : norm;
    // v = col[j..] − alpha·e1, stored in place; H = I − 2vvᵀ/(vᵀv).
    col[j] = (col[j] as number) - alpha;
    let vtv = 0;
    for (let i = j; i < n; i++) vtv += (col[i] as number) ** 2;
    const apply = (target: Float64Array) => {
      let dot = 0;
      for (let i = j; i < n; i++) dot += (col[i] as number) * (target[i] as number);
      const f = (2 * dot) / vtv;
      for (let i = j; i < n; i++) target[i] = (target[i] as number) - f * (col[i] as number);
    };
    for (let c = j + 1; c < k; c++) apply(a[c] as Float64Array);
    apply(qty);
    rDiag[j] = alpha;
  }
  // R[i][j] for i < j sits in a[j][i]; the diagonal is in rDiag.
  const r = (i: number, j: number) =>
    i === j ? (rDiag[i] as number) : ((a[j] as Float64Array)[i] as number);
  const coef = new Array<number>(k).fill(0);
  for (let i = k - 1; i >= 0; i--) {
    let s = qty[i] as number;
    for (let j = i + 1; j < k; j++) s -= r(i, j) * (coef[j] as number);
    coef[i] = s / r(i, i);
  }
  // R⁻¹ (upper triangular), column by column.
  const rInv: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let c = 0; c < k; c++) {
    for (let i = c; i >= 0; i--) {
      let s = i === c ? 1 : 0;
      for (let j = i + 1; j <= c; j++) s -= r(i, j) * ((rInv[j] as number[])[c] as number);
      (rInv[i] as number[])[c] = s / r(i, i);
    }
  }
  const xtxInverse: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    const ri = rInv[i] as number[];
    for (let j = i; j < k; j++) {
      const rj = rInv[j] as number[];
      let s = 0;
      for (let m = j; m < k; m++) s += (ri[m] as number) * (rj[m] as number);
      (xtxInverse[i] as number[])[j] = s;
      (xtxInverse[j] as number[])[i] = s;
    }
  }
  return { coef, xtxInverse };
}

/** B·M·B for symmetric k×k B and M (the sandwich), scaled by `scale`. */
export function sandwich(bread: Matrix, meat: Matrix, scale: number): Matrix {
  const k = bread.length;
  const bm: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    const bi = bread[i] as number[];
    const out = bm[i] as number[];
    for (let m = 0; m < k; m++) {
      const v = bi[m] as number;
      if (v === 0) continue;
      const mm = meat[m] as number[];
      for (let j = 0; j < k; j++) out[j] = (out[j] as number) + v * (mm[j] as number);
    }
  }
  const result: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    const bmi = bm[i] as number[];
    for (let j = i; j < k; j++) {
      const bj = bread[j] as number[];
      let s = 0;
      for (let m = 0; m < k; m++) s += (bmi[m] as number) * (bj[m] as number);
      (result[i] as number[])[j] = scale * s;
      (result[j] as number[])[i] = scale * s;
    }
  }
  return result;
}

/**
 * Solves A·x = b for symmetric positive-definite A by Cholesky. Throws InputError when A is not
 * positive definite (e.g. a Wald test on more restrictions than clusters can identify).
 */
export function solveSpd(a: Matrix, b: readonly number[], what: string): number[] {
  const k = a.length;
  const l: Matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const scale = Math.max(...a.map((row, i) => Math.abs(row[i] as number)));
  for (let j = 0; j < k; j++) {
    const lj = l[j] as number[];
    let d = (a[j] as number[])[j] as number;
    for (let m = 0; m < j; m++) d -= (lj[m] as number) ** 2;
    if (!(d > 1e-12 * scale)) throw new InputError(`${what}: covariance matrix is singular`);
    lj[j] = Math.sqrt(d);
    for (let i = j + 1; i < k; i++) {
      const li = l[i] as number[];
      let s = (a[i] as number[])[j] as number;
      for (let m = 0; m < j; m++) s -= (li[m] as number) * (lj[m] as number);
      li[j] = s / (lj[j] as number);
    }
  }
  const z = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    const li = l[i] as number[];
    let s = b[i] as number;
    for (let m = 0; m < i; m++) s -= (li[m] as number) * (z[m] as number);
    z[i] = s / (li[i] as number);
  }
  const out = new Array<number>(k).fill(0);
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let m = i + 1; m < k; m++) s -= ((l[m] as number[])[i] as number) * (out[m] as number);
    out[i] = s / ((l[i] as number[])[i] as number);
  }
  return out;
}
