import { clamp } from './math.js';

/**
 * Two-sided CUSUM on standardised residuals. It accumulates small persistent deviations that
 * no single row shows, which is what a level shift or a change of trend looks like after the
 * baseline's first reaction. Inputs are clipped so one spike cannot look like a shift.
 */
export class Cusum {
  up = 0;
  down = 0;

  constructor(
    /** Allowance per row, in residual standard deviations. */
    private readonly k = 0.5,
    private readonly clip = 4,
  ) {}

  update(z: number): void {
    const zc = clamp(z, -this.clip, this.clip);
    this.up = Math.max(0, this.up + zc - this.k);
    this.down = Math.max(0, this.down - zc - this.k);
  }

  reset(): void {
    this.up = 0;
    this.down = 0;
  }
}
