import { loadConfig, printSummary } from '../options.js';

/** `vigil config validate FILE`: the whole vigil.yaml, one line naming the path and value on error (exit 2). */
export async function run(file: string, o: { json?: boolean }): Promise<void> {
  const c = await loadConfig(file);
  const sinks = Object.keys(c.alerting.sinks);
  printSummary(
    o.json,
    {
      file,
      valid: true,
      metrics: c.metrics.map((m) => m.name),
      experiments: c.experiments.map((e) => e.id),
      policies: c.policies.map((p) => p.id),
      sinks,
      routes: c.alerting.routes.length,
      calendar: c.calendar.map((e) => e.id),
    },
    [
      `${file}: valid — ${c.metrics.length} metrics, ${c.experiments.length} experiments, ${c.policies.length} policies, ${sinks.length} sinks, ${c.alerting.routes.length} routes, ${c.calendar.length} known events`,
    ],
  );
}
