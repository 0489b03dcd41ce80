import * as z from 'zod';
import { coreCatalog, zodErrorLine } from '../config/load.js';
import {
  Condition,
  flagDuplicates,
  Identifier,
  Metric,
  type MetricConfig,
  SourceMapping,
  UtcInstant,
} from '../config/schema.js';
import { InputError } from '../errors.js';
import { isSourceName, SOURCE_COLUMNS } from '../lake/sources.js';

/**
 * Experiment and policy-launch config (YAML), validated with zod. Errors name the path and the
 * offending value, like the metric config (`zodErrorLine`). One file holds both lists:
 *
 *   version: 1
 *   sources: {}            # optional logical → physical mappings, as in the metric config
 *   experiments: [ ... ]   # A/B tests read out per unit from the raw sources
 *   policies: [ ... ]      # regional launches read out on a core catalog metric per region × day
 */

const Name = z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be lower_snake_case (max 80)');
const VariantName = z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/, 'must be 1..80 of letters, digits, _ . -');
const Filter = z.array(Condition).max(50).default([]);

/** A per-unit aggregate of one source: count of rows, or sum of a column, matching `filter`. */
export const UnitMeasure = z
  .object({
    agg: z.enum(['count', 'sum']).default('count'),
    source: Identifier,
    /** The source column holding the experiment unit id (viewer_id, reporter_id, account_id, creator_id). */
    unit_column: Identifier,
    column: Identifier.optional(),
    filter: Filter,
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.agg === 'sum' && !m.column)
      ctx.addIssue({ code: 'custom', path: ['column'], message: 'agg sum needs a column' });
    if (m.agg === 'count' && m.column)
      ctx.addIssue({ code: 'custom', path: ['column'], message: 'agg count takes no column' });
  });
export type UnitMeasure = z.infer<typeof UnitMeasure>;

const MetricCommon = {
  name: Name,
  role: z.enum(['primary', 'guardrail', 'secondary']),
  /** The desired direction: for a guardrail, a significant move the other way is harm. */
  direction: z.enum(['increase', 'decrease']).default('increase'),
  description: z.string().max(2000).optional(),
  /**
   * Guardrails only: the largest relative harm still acceptable (0.02 = 2% worse). The guardrail
   * then passes only when its CI excludes a harm that large (non-inferiority), not merely when no
   * significant harm is seen.
   */
  non_inferiority_margin: z.number().gt(0).lt(1).optional(),
};

const Cuped = z
  .object({ pre_days: z.number().int().min(1).max(365) })
  .strict()
  .optional();

const MeanMetric = z
  .object({
    ...MetricCommon,
    /** count: rows per unit; sum: Σ column per unit. The metric is the mean over assigned units. */
    kind: z.enum(['count', 'sum']),
    source: Identifier,
    unit_column: Identifier,
    column: Identifier.optional(),
    filter: Filter,
    /** CUPED: the same per-unit metric over the `pre_days` days before the experiment start. */
    cuped: Cuped,
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.kind === 'sum' && !m.column)
      ctx.addIssue({ code: 'custom', path: ['column'], message: 'kind sum needs a column' });
    if (m.kind === 'count' && m.column)
      ctx.addIssue({ code: 'custom', path: ['column'], message: 'kind count takes no column' });
  });

const RatioMetric = z
  .object({
    ...MetricCommon,
    /** Σ numerator / Σ denominator over units, compared by the delta method. */
    kind: z.literal('ratio'),
    numerator: UnitMeasure,
    denominator: UnitMeasure,
    /** CUPED on the linearised ratio: the same numerator and denominator over the pre-period. */
    cuped: Cuped,
  })
  .strict();

export const ExperimentMetric = z.discriminatedUnion('kind', [MeanMetric, RatioMetric]);
export type ExperimentMetric = z.infer<typeof ExperimentMetric>;

export const DecisionRule = z
  .object({
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** fixed_horizon: decide at the end; sequential: mSPRT always-valid p-values, decide any day. */
    method: z.enum(['fixed_horizon', 'sequential']).default('fixed_horizon'),
    /** The SRM chi-square p-value below which the experiment is invalid. */
    srm_alpha: z.number().gt(0).lt(0.5).default(0.001),
  })
  .strict();
export type DecisionRule = z.infer<typeof DecisionRule>;

export const Experiment = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,120}$/, 'must be 1..120 of letters, digits, _ . -'),
    description: z.string().max(2000).optional(),
    assignment_source: Identifier.default('experiment_assignments'),
    /** Planned allocation; weights need not sum to 1. The first variant is the control unless named. */
    variants: z
      .array(z.object({ name: VariantName, weight: z.number().positive() }).strict())
      .min(2)
      .max(20),
    control: VariantName.optional(),
    start: UtcInstant,
    end: UtcInstant,
    /** What a unit is (label only; ids come from the assignment source's unit_id). */
    unit: Identifier.default('user'),
    metrics: z.array(ExperimentMetric).min(1).max(100),
    /**
     * Unit attributes of the assignment source (region, platform, ...) to read the primary metrics
     * out per segment: heterogeneous effects with Benjamini–Hochberg FDR control.
     */
    segments: z.array(Identifier).max(5).default([]),
    rule: DecisionRule.default({ alpha: 0.05, method: 'fixed_horizon', srm_alpha: 0.001 }),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.end.getTime() <= e.start.getTime())
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    const names = e.variants.map((v) => v.name);
    flagDuplicates(ctx, names, (i) => ['variants', i, 'name'], 'variant');
    if (e.control !== undefined && !names.includes(e.control))
      ctx.addIssue({ code: 'custom', path: ['control'], message: 'is not one of the variants' });
    flagDuplicates(
      ctx,
      e.metrics.map((m) => m.name),
      (i) => ['metrics', i, 'name'],
      'metric',
    );
    e.metrics.forEach((m, i) => {
      if (m.non_inferiority_margin !== undefined && m.role !== 'guardrail')
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'non_inferiority_margin'],
          message: 'only guardrails take a non-inferiority margin',
        });
    });
    if (!e.metrics.some((m) => m.role === 'primary'))
      ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'needs at least one primary metric' });
  });
export type Experiment = z.infer<typeof Experiment>;

const RegionCode = z.string().regex(/^[A-Za-z0-9_-]{1,20}$/, 'must be a region code');

export const Policy = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,120}$/, 'must be 1..120 of letters, digits, _ . -'),
    description: z.string().max(2000).optional(),
    /** The treated regions (upper-case codes); `region: DE` is the one-region form. */
    regions: z.array(RegionCode).min(1).max(100).optional(),
    region: RegionCode.optional(),
    /**
     * One launch instant for every treated region, or one per region (a staggered roll-out). Each
     * must be midnight UTC (the panel is region × day).
     */
    launch: z.union([UtcInstant, z.record(RegionCode, UtcInstant)]),
    /** Regions left out of the comparison (spill-over, other launches); never treated, never donors. */
    exclude_regions: z.array(RegionCode).max(100).default([]),
    /** Comparison regions: never treated only, or also regions whose own launch comes later. */
    control_group: z.enum(['never_treated', 'not_yet_treated']).default('not_yet_treated'),
    /** Any metric of the config or the core catalog with a `region` slice, evaluated per region × day. */
    metric: Name,
    pre_days: z.number().int().min(2).max(365).default(7),
    post_days: z.number().int().min(1).max(365).default(7),
    alpha: z.number().gt(0).lt(0.5).default(0.05),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.regions === undefined && p.region === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['regions'],
        message: 'name the treated regions (regions: [..] or region: XX)',
      });
    if (p.regions !== undefined && p.region !== undefined)
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'use regions or region, not both' });
    const treated = p.regions ?? (p.region !== undefined ? [p.region] : []);
    treated.forEach((r, i) => {
      if (treated.indexOf(r) !== i)
        ctx.addIssue({ code: 'custom', path: ['regions', i], message: `duplicate region '${r}'` });
      if (p.exclude_regions.includes(r))
        ctx.addIssue({ code: 'custom', path: ['exclude_regions'], message: `'${r}' is also treated` });
    });
    const launches: [string[], Date][] =
      p.launch instanceof Date
        ? [[['launch'], p.launch]]
        : Object.entries(p.launch).map(([r, d]) => [['launch', r], d]);
    for (const [path, d] of launches)
      if (d.getTime() % 86_400_000 !== 0)
        ctx.addIssue({ code: 'custom', path, message: 'must be midnight UTC (a day boundary)' });
    if (!(p.launch instanceof Date)) {
      for (const r of treated)
        if (!Object.hasOwn(p.launch, r))
          ctx.addIssue({
            code: 'custom',
            path: ['launch'],
            message: `has no launch for treated region '${r}'`,
          });
      for (const r of Object.keys(p.launch))
        if (!treated.includes(r))
          ctx.addIssue({ code: 'custom', path: ['launch', r], message: `'${r}' is not a treated region` });
    }
  });
export type Policy = z.infer<typeof Policy>;

/** The treated regions of a policy and each one's launch, earliest first. */
export function policySchedule(p: Policy): { region: string; launch: Date }[] {
  const treated = p.regions ?? [p.region!];
  return treated
    .map((region) => ({
      region,
      launch: p.launch instanceof Date ? p.launch : (p.launch as Record<string, Date>)[region]!,
    }))
    .sort((a, b) => a.launch.getTime() - b.launch.getTime() || (a.region < b.region ? -1 : 1));
}

export const ExperimentConfig = z
  .object({
    version: z.literal(1),
    sources: z.record(Identifier, SourceMapping).default({}),
    /** Team metrics (as in the metric config): a policy may name any of them with a region slice. */
    metrics: z.array(Metric).max(500).default([]),
    experiments: z.array(Experiment).max(200).default([]),
    policies: z.array(Policy).max(200).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const key of ['experiments', 'policies'] as const)
      flagDuplicates(
        ctx,
        cfg[key].map((x) => x.id),
        (i) => [key, i, 'id'],
        'id',
      );
  });
export type ExperimentConfig = z.infer<typeof ExperimentConfig>;

function columnsOf(cfg: Pick<ExperimentConfig, 'sources'>, source: string): Set<string> | undefined {
  if (isSourceName(source)) return new Set(Object.keys(SOURCE_COLUMNS[source]));
  const mapping = cfg.sources[source];
  return mapping ? new Set([mapping.time_column, ...Object.keys(mapping.columns)]) : undefined;
}

/** The measures (sources) of the primary metrics: where an event-level segment column must exist. */
function primarySources(e: Experiment): string[] {
  const sources = e.metrics
    .filter((m) => m.role === 'primary')
    .flatMap((m) => (m.kind === 'ratio' ? [m.numerator.source, m.denominator.source] : [m.source]));
  return [...new Set(sources)];
}

/**
 * Where a segment dimension lives: a column of the assignment source is a unit attribute; any other
 * column (checkReferences guarantees every primary metric's sources have it) is an event attribute.
 */
export function segmentLevel(
  cfg: Pick<ExperimentConfig, 'sources'>,
  e: Experiment,
  column: string,
): 'unit' | 'event' {
  return columnsOf(cfg, e.assignment_source)?.has(column) ? 'unit' : 'event';
}

/** Checks what the schema cannot: sources and columns exist, policy metrics are in the catalog. */
export function checkReferences(cfg: ExperimentConfig, what: string): void {
  const fail = (path: string, message: string): never => {
    throw new InputError(`${what}: ${path}: ${message}`);
  };
  const checkMeasure = (
    m: { source: string; unit_column: string; column?: string | undefined; filter: Condition[] },
    at: string,
  ) => {
    const cols = columnsOf(cfg, m.source) ?? fail(`${at}.source`, `unknown source '${m.source}'`);
    if (!cols.has(m.unit_column))
      fail(`${at}.unit_column`, `unknown column '${m.unit_column}' in source ${m.source}`);
    if (m.column !== undefined && !cols.has(m.column))
      fail(`${at}.column`, `unknown column '${m.column}' in source ${m.source}`);
    m.filter.forEach((c, i) => {
      if (!cols.has(c.column))
        fail(`${at}.filter[${i}].column`, `unknown column '${c.column}' in source ${m.source}`);
    });
  };
  cfg.experiments.forEach((e, i) => {
    const at = `experiments[${i}]`;
    const cols = columnsOf(cfg, e.assignment_source);
    if (!cols) fail(`${at}.assignment_source`, `unknown source '${e.assignment_source}'`);
    for (const c of ['experiment_id', 'variant', 'unit_id'])
      if (!cols!.has(c)) fail(`${at}.assignment_source`, `source ${e.assignment_source} has no column ${c}`);
    e.segments.forEach((c, j) => {
      if (cols!.has(c)) return;
      const missing = primarySources(e).filter((s) => !columnsOf(cfg, s)?.has(c));
      if (missing.length > 0)
        fail(
          `${at}.segments[${j}]`,
          `unknown column '${c}': neither a unit attribute of ${e.assignment_source} nor an event attribute of every primary metric's source (missing in ${missing.join(', ')})`,
        );
    });
    e.metrics.forEach((m, j) => {
      const mat = `${at}.metrics[${j}]`;
      if (m.kind === 'ratio') {
        checkMeasure(m.numerator, `${mat}.numerator`);
        checkMeasure(m.denominator, `${mat}.denominator`);
      } else checkMeasure(m, mat);
    });
  });
  const catalog = new Map(policyMetrics(cfg).metrics.map((m) => [m.name, m]));
  cfg.policies.forEach((p, i) => {
    const m = catalog.get(p.metric);
    if (!m)
      fail(
        `policies[${i}].metric`,
        `unknown metric '${p.metric}' (not in the config's metrics or the core catalog)`,
      );
    if (
      !m!.slices.includes('region') &&
      !m!.slice_combinations.some((c) => c.length === 1 && c[0] === 'region')
    )
      fail(`policies[${i}].metric`, `metric '${p.metric}' has no region slice`);
  });
}

/**
 * The metrics a policy can name: the config's own metrics, then the core catalog's (a config metric
 * with a core name replaces it), with the config's source mappings.
 */
export function policyMetrics(cfg: Pick<ExperimentConfig, 'metrics' | 'sources'>): MetricConfig {
  const own = new Set(cfg.metrics.map((m) => m.name));
  return {
    version: 1,
    sources: cfg.sources,
    metrics: [...cfg.metrics, ...coreCatalog().metrics.filter((m) => !own.has(m.name))],
  };
}

/** Validates a parsed experiment/policy config object (from YAML or JSON). */
export function validateExperimentConfig(raw: unknown, what = 'experiment config'): ExperimentConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(`${what}: must be a YAML mapping with version, experiments and policies`);
  const parsed = ExperimentConfig.safeParse(raw);
  if (!parsed.success) throw new InputError(zodErrorLine(parsed.error, raw, what), { cause: parsed.error });
  checkReferences(parsed.data, what);
  return parsed.data;
}

export function findExperiment(cfg: ExperimentConfig, id: string): Experiment {
  const e = cfg.experiments.find((x) => x.id === id);
  if (!e)
    throw new InputError(
      `unknown experiment '${id}' (configured: ${cfg.experiments.map((x) => x.id).join(', ') || 'none'})`,
    );
  return e;
}

export function findPolicy(cfg: ExperimentConfig, id: string): Policy {
  const p = cfg.policies.find((x) => x.id === id);
  if (!p)
    throw new InputError(
      `unknown policy '${id}' (configured: ${cfg.policies.map((x) => x.id).join(', ') || 'none'})`,
    );
  return p;
}

/** The control variant: `control:` or the first listed. */
export function controlOf(e: Experiment): string {
  return e.control ?? e.variants[0]!.name;
}
