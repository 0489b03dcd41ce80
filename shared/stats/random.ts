/**
 * Seeded pseudo-random numbers for simulations and resampling: mulberry32 (a 32-bit generator with a
 * full 2³² period, plenty for Monte Carlo checks) and Box–Muller normals. Not for anything secret.
 */
export interface Rng {
  /** Uniform on (0, 1), never exactly 0 or 1. */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

/** mulberry32: the next unsigned 32-bit integer of the stream seeded by `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform on [0, 1) from mulberry32: cheap seeded noise for synthetic series and fault patterns. */
export function uniformStream(seed: number): () => number {
  const next32 = mulberry32(seed);
  return () => next32() / 4294967296;
}

export function createRng(seed: number): Rng {
  const next32 = mulberry32(seed);
  // Half-step offset keeps log(u) finite in Box–Muller.
  const uniform = () => (next32() + 0.5) / 4294967296;
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const out = spare;
      spare = null;
      return out;
    }
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return { uniform, normal };
}

/** An exact Poisson draw by Knuth's product of uniforms (one draw more than the result; O(mean)). */
export function poissonExact(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let prod = rng.uniform();
  while (prod > limit) {
    k++;
    prod *= rng.uniform();
  }
  return k;
}

/**
 * A Poisson draw for simulations: exact up to mean 50, above it the rounded normal approximation
 * (Knuth's loop would cost O(mean) draws, and the approximation's error is far below the noise there).
 */
export function poissonDraw(rng: Rng, mean: number): number {
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  return poissonExact(rng, mean);
}
