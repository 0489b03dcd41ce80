import type * as z from 'zod';
import { InputError } from '../errors.js';
import { isSourceName, SOURCE_COLUMNS } from '../lake/sources.js';
import { CORE_CATALOG } from './core-catalog.js';
import { type Condition, type Measure, type Metric, MetricConfig } from './schema.js';

/** Renders a zod issue path as `metrics[3].numerator.agg`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p as string];
  }
  return cur;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Formats the first zod issue as one line naming the path and the offending value; `prefix` is where
 * the parsed value sits in `input` (for a part validated on its own).
 */
export function zodErrorLine(
  error: z.ZodError,
  input: unknown,
  what: string,
  prefix: readonly PropertyKey[] = [],
): string {
  const first = error.issues[0]!;
  const issue = { ...first, path: [...prefix, ...first.path] };
  const path = formatPath(issue.path);
  const extra = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return `${what}: ${path || '(root)'}: ${issue.message} (got ${describe(valueAt(input, issue.path))})${extra}`;
}

/** Columns a source offers: the fixed schema, or what the config declares for an extra source. */
function sourceColumns(cfg: MetricConfig, source: string): Set<string> | undefined {
  if (isSourceName(source)) return new Set(Object.keys(SOURCE_COLUMNS[source]));
  // Own keys only: a source named `toString` must not find Object.prototype's.
  const mapping = Object.hasOwn(cfg.sources, source) ? cfg.sources[source] : undefined;
  return mapping ? new Set([mapping.time_column, ...Object.keys(mapping.columns)]) : undefined;
}

/**
 * Checks references that a schema cannot: sources, columns and slice dimensions exist. `pathOf`
 * names metric i in errors (its place in the file the user wrote).
 */
export function checkMetricReferences(
  cfg: MetricConfig,
  what: string,
  pathOf: (i: number) => string = (i) => `metrics[${i}]`,
): void {
  const fail = (path: string, message: string): never => {
    throw new InputError(`${what}: ${path}: ${message}`);
  };
  const checkColumn = (source: string, column: string | undefined, path: string) => {
    if (column === undefined) return;
    const cols = sourceColumns(cfg, source)!;
    if (!cols.has(column)) fail(path, `unknown column '${column}' in source ${source}`);
  };
  const checkSource = (source: string, path: string) => {
    if (!sourceColumns(cfg, source))
      fail(path, `unknown source '${source}' (declare it under sources: with its columns)`);
  };
  const checkFilter = (source: string, filter: Condition[], path: string) => {
    filter.forEach((c, i) => {
      checkColumn(source, c.column, `${path}[${i}].column`);
    });
  };
  const checkMeasure = (m: Measure, path: string) => {
    checkSource(m.source, `${path}.source`);
    checkColumn(m.source, m.column, `${path}.column`);
    checkFilter(m.source, m.filter, `${path}.filter`);
  };

  cfg.metrics.forEach((metric, i) => {
    const at = pathOf(i);
    const sources = metricSources(metric);
    if (metric.kind === 'ratio') {
      checkMeasure(metric.numerator, `${at}.numerator`);
      checkMeasure(metric.denominator, `${at}.denominator`);
    } else {
      checkSource(metric.source, `${at}.source`);
      checkFilter(metric.source, metric.filter, `${at}.filter`);
      if ('column' in metric) checkColumn(metric.source, metric.column, `${at}.column`);
      if (metric.kind === 'weighted_proportion') {
        checkColumn(metric.source, metric.weight, `${at}.weight`);
        checkFilter(metric.source, metric.condition, `${at}.condition`);
      }
    }
    const dims: [string, string][] = metric.slices.map((d, j) => [d, `${at}.slices[${j}]`]);
    metric.slice_combinations.forEach((combo, j) => {
      combo.forEach((d, k) => {
        dims.push([d, `${at}.slice_combinations[${j}][${k}]`]);
      });
      if (new Set(combo).size !== combo.length) fail(`${at}.slice_combinations[${j}]`, 'repeats a dimension');
    });
    for (const [dim, path] of dims)
      for (const s of sources)
        if (!sourceColumns(cfg, s)!.has(dim)) fail(path, `unknown dimension '${dim}' for source ${s}`);
  });
}

export function metricSources(metric: Metric): string[] {
  return metric.kind === 'ratio'
    ? [...new Set([metric.numerator.source, metric.denominator.source])]
    : [metric.source];
}

/** Validates a parsed config object (from YAML or JSON); `what` names the file in errors. */
export function validateMetricConfig(raw: unknown, what = 'config'): MetricConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(`${what}: must be a mapping with version and metrics`);
  const parsed = MetricConfig.safeParse(raw);
  if (!parsed.success) throw new InputError(zodErrorLine(parsed.error, raw, what), { cause: parsed.error });
  checkMetricReferences(parsed.data, what);
  return parsed.data;
}

let core: MetricConfig | undefined;
export function coreCatalog(): MetricConfig {
  core ??= validateMetricConfig(CORE_CATALOG, 'core catalog');
  return core;
}

/** Keeps only the named metrics, refusing unknown names. */
export function selectMetrics(cfg: MetricConfig, names: readonly string[] | undefined): MetricConfig {
  if (!names || names.length === 0) return cfg;
  const known = new Map(cfg.metrics.map((m) => [m.name, m]));
  const metrics = names.map((n) => {
    const m = known.get(n);
    if (!m) throw new InputError(`unknown metric '${n}' (known: ${[...known.keys()].join(', ')})`);
    return m;
  });
  return { ...cfg, metrics };
}
