import * as z from 'zod';
import { metricDetectionSchema } from '../alerting/detection-config.js';
import { Alerting } from '../alerting/routing/schema.js';
import { Calendar } from '../calendar/schema.js';
import { InputError } from '../errors.js';
import { checkReferences as checkExperimentReferences, Experiment, Policy } from '../experiments/config.js';
import { SOURCE_NAMES } from '../lake/sources.js';
import { checkMetricReferences, coreCatalog, zodErrorLine } from './load.js';
import { Identifier, Metric, type MetricConfig, MetricUnit, SourceMapping } from './schema.js';

/**
 * vigil.yaml: everything a team declares, in one file, every key optional. Without a file (or with
 * an empty one) the built-in core catalog runs alone.
 *
 * Metrics extend the core catalog (`include_core: true`, the default): an entry with a `kind` is a
 * metric of its own, or replaces the core metric of the same name; an entry without a `kind` names a
 * core metric and changes only what it lists (detection rules merged field by field, the rest
 * replaced). `include_core: false` runs only the file's metrics; a list keeps just those core metrics.
 */
const MetricName = z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be lower_snake_case (max 80)');

/** Changes to a core metric, named by `name` (no `kind`). */
export const MetricOverride = z
  .object({
    name: MetricName,
    description: z.string().max(2000).optional(),
    unit: MetricUnit.optional(),
    /** Merged field by field over the core metric's own rules. */
    detection: metricDetectionSchema.optional(),
    owner: z.string().min(1).max(200).optional(),
    team: z.string().min(1).max(200).optional(),
    slices: z.array(Identifier).max(20).optional(),
    slice_combinations: z.array(z.array(Identifier).min(2).max(4)).max(20).optional(),
  })
  .strict();
export type MetricOverride = z.infer<typeof MetricOverride>;

const fileShape = {
  version: z.literal(1).default(1),
  /** true: the core catalog plus the file's metrics; false: the file's only; a list: those core metrics. */
  include_core: z.union([z.boolean(), z.array(MetricName).max(100)]).default(true),
  sources: z.record(Identifier, SourceMapping).default({}),
  experiments: z.array(Experiment).max(200).default([]),
  policies: z.array(Policy).max(200).default([]),
  alerting: Alerting.default({ sinks: {}, routes: [] }),
  calendar: Calendar,
};

/** The whole file as users write it (the JSON Schema of `vigil config schema`). */
export const ConfigFile = z
  .object({
    ...fileShape,
    metrics: z
      .array(z.union([Metric, MetricOverride]))
      .max(500)
      .default([]),
  })
  .strict();
export type ConfigFileInput = z.input<typeof ConfigFile>;

/** Validation form: metric entries are told apart by `kind` and each validated on its own (clear errors). */
const FileFrame = z
  .object({ ...fileShape, metrics: z.array(z.record(z.string(), z.unknown())).max(500).default([]) })
  .strict();

/**
 * The config every job runs on: the metric catalog in effect (core + file), and the rest of the file.
 * A MetricConfig, so code that only needs metrics takes it as one.
 */
export interface VigilConfig extends MetricConfig {
  readonly experiments: Experiment[];
  readonly policies: Policy[];
  readonly alerting: Alerting;
  readonly calendar: Calendar;
}

const fail = (what: string, path: string, message: string): never => {
  throw new InputError(`${what}: ${path}: ${message}`);
};

function checkUnique(what: string, items: readonly { id: string }[], key: string): void {
  const seen = new Set<string>();
  items.forEach((x, i) => {
    if (seen.has(x.id)) fail(what, `${key}[${i}].id`, `duplicate id '${x.id}'`);
    seen.add(x.id);
  });
}

function overrideCore(core: Metric, o: MetricOverride): Metric {
  const { detection, ...rest } = o;
  const merged = { ...core, ...rest } as Metric;
  return detection
    ? ({ ...merged, detection: { ...(core.detection ?? {}), ...detection } } as Metric)
    : merged;
}

/** Validates a parsed vigil.yaml (or its JSON export) and resolves the catalog in effect. */
export function validateConfig(raw: unknown, what = 'config'): VigilConfig {
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(`${what}: must be a mapping (version, sources, metrics, experiments, policies, …)`);
  const frame = FileFrame.safeParse(raw);
  if (!frame.success) throw new InputError(zodErrorLine(frame.error, raw, what), { cause: frame.error });
  const file = frame.data;

  // The core metrics kept, by name, in catalog order.
  const core = coreCatalog().metrics;
  const coreNames = new Set(core.map((m) => m.name));
  let kept: Metric[];
  if (file.include_core === true) kept = [...core];
  else if (file.include_core === false) kept = [];
  else {
    file.include_core.forEach((n, i) => {
      if (!coreNames.has(n)) fail(what, `include_core[${i}]`, `'${n}' is not a core catalog metric`);
    });
    kept = core.filter((m) => (file.include_core as string[]).includes(m.name));
  }

  // Each entry: where it sits in the file, so errors name the user's path.
  const metrics = new Map<string, { metric: Metric; path: string }>(
    kept.map((m) => [m.name, { metric: m, path: `core catalog metric '${m.name}'` }]),
  );
  const named = new Set<string>();
  file.metrics.forEach((entry, i) => {
    const at = ['metrics', i];
    const isOverride = !('kind' in entry);
    const parsed = (isOverride ? MetricOverride : Metric).safeParse(entry);
    if (!parsed.success)
      throw new InputError(zodErrorLine(parsed.error, raw, what, at), { cause: parsed.error });
    const m = parsed.data as Metric | MetricOverride;
    if (named.has(m.name)) fail(what, `metrics[${i}].name`, `duplicate metric name '${m.name}'`);
    named.add(m.name);
    if (isOverride) {
      const base = metrics.get(m.name);
      if (!base || !coreNames.has(m.name))
        fail(
          what,
          `metrics[${i}]`,
          `'${m.name}' is not a core metric in effect: a new metric needs a kind (count, sum, distinct_count, percentile, ratio, weighted_proportion)`,
        );
      metrics.set(m.name, { metric: overrideCore(base!.metric, m as MetricOverride), path: `metrics[${i}]` });
    } else metrics.set(m.name, { metric: m as Metric, path: `metrics[${i}]` });
  });

  const entries = [...metrics.values()];
  const resolved: MetricConfig = { version: 1, sources: file.sources, metrics: entries.map((e) => e.metric) };
  checkMetricReferences(resolved, what, (i) => entries[i]!.path);
  if (resolved.metrics.length === 0 && (file.policies.length > 0 || file.calendar.length > 0))
    fail(what, 'include_core', 'no metric is left (include_core: false and no metrics of the file)');

  checkUnique(what, file.experiments, 'experiments');
  checkUnique(what, file.policies, 'policies');
  // Policies may name any metric in effect (the file's or the core catalog's).
  const experimentPart = { ...file, metrics: resolved.metrics };
  checkExperimentReferences(experimentPart, what);

  const known = new Set(resolved.metrics.map((m) => m.name));
  checkUnique(what, file.calendar, 'calendar');
  file.calendar.forEach((e, i) => {
    e.metrics?.forEach((m, j) => {
      if (!known.has(m)) fail(what, `calendar[${i}].metrics[${j}]`, `unknown metric '${m}'`);
    });
  });
  // Data-quality alerts carry the source as their metric.
  const sources = new Set([...SOURCE_NAMES, ...Object.keys(file.sources)]);
  file.alerting.routes.forEach((r, i) => {
    r.sinks.forEach((s, j) => {
      if (!Object.hasOwn(file.alerting.sinks, s))
        fail(
          what,
          `alerting.routes[${i}].sinks[${j}]`,
          `unknown sink '${s}' (declare it under alerting.sinks)`,
        );
    });
    const dq = !r.kind || r.kind.includes('data_quality');
    r.metric?.forEach((m, j) => {
      if (!known.has(m) && !(dq && sources.has(m)))
        fail(what, `alerting.routes[${i}].metric[${j}]`, `unknown metric '${m}'`);
    });
  });

  return {
    ...resolved,
    experiments: file.experiments,
    policies: file.policies,
    alerting: file.alerting,
    calendar: file.calendar,
  };
}

/** The config without a file: the core catalog alone. */
export function defaultConfig(): VigilConfig {
  return validateConfig({}, 'core catalog');
}

/**
 * The resolved config as a file that resolves to itself: every metric in effect spelled out
 * (`include_core: false`), every default filled in. What `vigil config export` writes for the AWS jobs.
 */
export function exportConfig(cfg: VigilConfig): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      version: 1,
      include_core: false,
      sources: cfg.sources,
      metrics: cfg.metrics,
      experiments: cfg.experiments,
      policies: cfg.policies,
      alerting: cfg.alerting,
      calendar: cfg.calendar,
    }),
  );
}
