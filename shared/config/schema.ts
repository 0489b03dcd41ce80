import * as z from 'zod';
import { metricDetectionSchema } from '../alerting/detection-config.js';
import { parseUtc } from '../time/window.js';

/**
 * The metric layer: sources, dimensions, filters, measures and metrics, declared in YAML and
 * validated here. Names that reach SQL as identifiers are restricted to a safe pattern; values
 * only ever reach SQL through `shared/sql/literals.ts`.
 */
/** Names that may reach SQL as (quoted) identifiers. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const IDENT = IDENTIFIER;
export const Identifier = z.string().regex(IDENT, 'must be a simple identifier (letters, digits, _; max 63)');
/** An instant of the config (a launch, an event's bounds): ISO-8601 UTC, a bare date is its midnight. */
export const UtcInstant = z
  .string()
  .refine((s) => {
    try {
      parseUtc(s, 'time');
      return true;
    } catch {
      return false;
    }
  }, 'must be an ISO-8601 UTC date or time (e.g. 2026-01-13 or 2026-01-13T00:00:00Z)')
  .transform((s) => parseUtc(s, 'time'));
const MetricName = z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be lower_snake_case (max 80)');

/** Adds an issue at `path(i)` for each of `values` that repeats an earlier one: `duplicate <what> '<value>'`. */
export function flagDuplicates(
  ctx: z.RefinementCtx,
  values: readonly string[],
  path: (i: number) => (string | number)[],
  what: string,
): void {
  values.forEach((v, i) => {
    if (values.indexOf(v) !== i)
      ctx.addIssue({ code: 'custom', path: path(i), message: `duplicate ${what} '${v}'` });
  });
}

export const Scalar = z.union([
  z.string().max(1000),
  z.number().refine(Number.isFinite, 'must be finite'),
  z.boolean(),
]);

/** One condition on a column; conditions in a list are AND-ed. */
export const Condition = z
  .object({
    column: Identifier,
    op: z.enum(['eq', 'ne', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'is_null', 'not_null']).default('eq'),
    value: z.union([Scalar, z.array(Scalar).min(1).max(1000)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const isList = Array.isArray(c.value);
    if ((c.op === 'is_null' || c.op === 'not_null') && c.value !== undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${c.op} takes no value` });
    else if ((c.op === 'in' || c.op === 'not_in') && !isList)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${c.op} needs a list value` });
    else if (
      c.op !== 'in' &&
      c.op !== 'not_in' &&
      c.op !== 'is_null' &&
      c.op !== 'not_null' &&
      (isList || c.value === undefined)
    )
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${c.op} needs a single value` });
  });
export type Condition = z.infer<typeof Condition>;
export const Filter = z.array(Condition).max(50).default([]);

/** An aggregate over one source. */
export const Measure = z
  .object({
    source: Identifier,
    agg: z.enum(['count', 'sum', 'count_distinct']),
    column: Identifier.optional(),
    filter: Filter,
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.agg !== 'count' && !m.column)
      ctx.addIssue({ code: 'custom', path: ['column'], message: `agg ${m.agg} needs a column` });
  });
export type Measure = z.infer<typeof Measure>;

/** How values are shown: `per10k` for 10000 × ratios, `rate`/`proportion` as percentages. */
export const MetricUnit = z.enum(['count', 'rate', 'per10k', 'seconds', 'proportion']);
export type MetricUnit = z.infer<typeof MetricUnit>;

/** Who is responsible for a metric: alert routes match on the team, messages name both. */
const Owner = z.string().min(1).max(200);

/** What every metric kind carries besides its measures: slices, unit, detection rules, ownership. */
const SliceSpec = {
  /** Single dimensions, each reported on its own (e.g. region=BR). */
  slices: z.array(Identifier).max(20).default([]),
  /** Combinations reported together (e.g. [region, surface] → region=BR;surface=live). */
  slice_combinations: z.array(z.array(Identifier).min(2).max(4)).max(20).default([]),
  description: z.string().max(2000).optional(),
  /** Default: from the kind (counts `count`, ratios `rate`, scale 10000 `per10k`, weighted `proportion`). */
  unit: MetricUnit.optional(),
  /** Detection and alerting rules of this metric; defaults apply to what is left out. */
  detection: metricDetectionSchema.optional(),
  /** A person or alias answerable for the metric (shown in alerts). */
  owner: Owner.optional(),
  /** The team alerts of this metric are routed to (see `alerting.routes`). */
  team: Owner.optional(),
};

const SimpleMetric = z
  .object({
    name: MetricName,
    kind: z.enum(['count', 'sum', 'distinct_count']),
    source: Identifier,
    column: Identifier.optional(),
    filter: Filter,
    ...SliceSpec,
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.kind !== 'count' && !m.column)
      ctx.addIssue({ code: 'custom', path: ['column'], message: `kind ${m.kind} needs a column` });
  });

const PercentileMetric = z
  .object({
    name: MetricName,
    kind: z.literal('percentile'),
    source: Identifier,
    column: Identifier,
    percentile: z.number().gt(0).lt(1),
    filter: Filter,
    ...SliceSpec,
  })
  .strict();

const RatioMetric = z
  .object({
    name: MetricName,
    kind: z.literal('ratio'),
    numerator: Measure,
    denominator: Measure,
    /** value = scale × numerator / denominator (e.g. 10000 for per-10k rates). */
    scale: z.number().positive().default(1),
    ...SliceSpec,
  })
  .strict();

const WeightedProportionMetric = z
  .object({
    name: MetricName,
    kind: z.literal('weighted_proportion'),
    source: Identifier,
    weight: Identifier,
    /** Rows counted in the numerator (among the filtered rows). */
    condition: z.array(Condition).min(1).max(50),
    filter: Filter,
    /** 1 − alpha confidence level of the interval. */
    confidence: z.number().gt(0.5).lt(1).default(0.95),
    ...SliceSpec,
  })
  .strict();

export const Metric = z.discriminatedUnion('kind', [
  SimpleMetric,
  PercentileMetric,
  RatioMetric,
  WeightedProportionMetric,
]);
export type Metric = z.infer<typeof Metric>;

/** Maps a logical source to its table (folder / Athena table) and columns. */
export const SourceMapping = z
  .object({
    table: Identifier.optional(),
    time_column: Identifier.default('event_time'),
    /** logical column → physical column */
    columns: z.record(Identifier, Identifier).default({}),
  })
  .strict();
export type SourceMapping = z.infer<typeof SourceMapping>;

export const MetricConfig = z
  .object({
    version: z.literal(1),
    sources: z.record(Identifier, SourceMapping).default({}),
    metrics: z.array(Metric).min(1).max(500),
  })
  .strict()
  .superRefine((cfg, ctx) =>
    flagDuplicates(
      ctx,
      cfg.metrics.map((m) => m.name),
      (i) => ['metrics', i, 'name'],
      'metric name',
    ),
  );
export type MetricConfig = z.infer<typeof MetricConfig>;
export type MetricConfigInput = z.input<typeof MetricConfig>;
