/**
 * The experiment readout written by `vigil experiment analyze` (documented in
 * README, Experiments and policy launches). Every number is finite or null: never NaN or Infinity.
 */
export type Decision = 'ship' | 'dont_ship' | 'keep_running' | 'invalid_srm';

export interface CupedInfo {
  readonly applied: boolean;
  readonly pre_days: number;
  readonly theta: number | null;
  /** 1 − Var(adjusted diff) / Var(raw diff). */
  readonly variance_reduction: number | null;
  /** Why CUPED was not applied (e.g. no pre-period variation). */
  readonly reason?: string;
}

export interface MetricReadout {
  readonly metric: string;
  readonly role: 'primary' | 'guardrail' | 'secondary';
  readonly kind: 'count' | 'sum' | 'ratio';
  readonly direction: 'increase' | 'decrease';
  readonly variant: string;
  readonly control: string;
  readonly status: 'ok' | 'not_enough_data';
  readonly reason?: string;
  readonly method: 'welch' | 'cuped' | 'delta_method' | 'ratio_cuped';
  readonly n_control: number;
  readonly n_treatment: number;
  readonly control_mean: number | null;
  readonly treatment_mean: number | null;
  readonly abs_diff: number | null;
  readonly abs_ci_low: number | null;
  readonly abs_ci_high: number | null;
  readonly rel_lift: number | null;
  readonly rel_ci_low: number | null;
  readonly rel_ci_high: number | null;
  readonly p_value: number | null;
  readonly p_value_adjusted: number | null;
  readonly significant: boolean;
  readonly cuped: CupedInfo | null;
  /** Guardrails with a margin: the relative harm accepted, and whether the CI excludes a larger one. */
  readonly non_inferiority_margin?: number;
  readonly non_inferior?: boolean | null;
}

/** A primary metric's effect within one segment (heterogeneous effects), FDR-controlled. */
export interface SegmentEffect {
  readonly dimension: string;
  /** The segment value; null = units whose attribute is missing or varies across their assignments. */
  readonly value: string | null;
  readonly metric: string;
  readonly variant: string;
  readonly status: 'ok' | 'not_enough_data';
  readonly reason?: string;
  readonly n_control: number;
  readonly n_treatment: number;
  readonly rel_lift: number | null;
  readonly rel_ci_low: number | null;
  readonly rel_ci_high: number | null;
  readonly p_value: number | null;
  /** Benjamini–Hochberg adjusted over every segment cell of the readout. */
  readonly q_value: number | null;
  readonly significant: boolean;
}

export interface SrmReadout {
  readonly observed: Record<string, number>;
  readonly expected_share: Record<string, number>;
  readonly chi2: number;
  readonly df: number;
  readonly p_value: number;
  readonly srm_alpha: number;
  readonly passed: boolean;
}

export interface VariantDecision {
  readonly variant: string;
  readonly decision: Decision;
  readonly reasons: string[];
}

export interface ExperimentReadout {
  readonly schema: 'vigil.experiment_readout/2';
  readonly experiment: string;
  readonly as_of: string;
  readonly analysis_window: { readonly start: string; readonly end: string };
  readonly experiment_end: string;
  readonly horizon_reached: boolean;
  readonly rule: {
    readonly alpha: number;
    readonly method: 'fixed_horizon' | 'sequential';
    readonly srm_alpha: number;
    readonly correction: {
      readonly primary: 'holm';
      readonly guardrail: 'none';
      readonly secondary: 'bh';
    };
    readonly correction_family: string;
  };
  readonly units: Record<string, number>;
  /** Units assigned to more than one variant: excluded from every metric. */
  readonly units_in_several_variants: number;
  readonly srm: SrmReadout;
  readonly metrics: MetricReadout[];
  readonly decisions: VariantDecision[];
  /** The headline: the experiment's decision and, for ship, the variant to ship. */
  readonly decision: Decision;
  readonly decision_variant: string | null;
  /** The decision in words, naming the variant ("ship B"). */
  readonly summary: string;
  readonly segments: SegmentEffect[];
}

/** Throws if any number in a readout is not finite (the output contract forbids NaN/Infinity). */
export function assertFinite(value: unknown, path = '$'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`readout ${path} is ${value}`);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) assertFinite(v, `${path}[${i}]`);
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) assertFinite(v, `${path}.${k}`);
}
