import type { Alert, AlertSink, Severity } from '../../ports/alert-sink.js';
import { type ObjectStore, PreconditionFailedError } from '../../ports/object-store.js';
import { STORAGE_LAYOUT } from '../../storage/layout.js';
import { SEVERITY_RANK } from '../findings.js';
import { metricsOf } from '../message.js';
import { AlertOutbox } from '../outbox.js';
import type { Alerting, Route } from './schema.js';

function matches(route: Route, alert: Alert): boolean {
  if (route.severity && !route.severity.includes(alert.severity)) return false;
  if (route.min_severity && SEVERITY_RANK[alert.severity] < SEVERITY_RANK[route.min_severity as Severity])
    return false;
  if (route.team && (alert.team === undefined || !route.team.includes(alert.team))) return false;
  // An incident that covers a count and its own rate matches a route of either.
  if (route.metric && !metricsOf(alert).some((m) => route.metric!.includes(m))) return false;
  if (route.kind && !route.kind.includes(alert.kind)) return false;
  if (route.cause && !route.cause.includes(alert.cause ?? 'none')) return false;
  if (route.status && !route.status.includes(alert.status)) return false;
  return true;
}

/**
 * The sinks an alert goes to, in order and without repeats; [] when no route matches (the caller's
 * fallback applies). With sinks declared and no routes, every sink.
 */
export function routeAlert(cfg: Alerting, alert: Alert): string[] {
  if (cfg.routes.length === 0) return Object.keys(cfg.sinks);
  const out: string[] = [];
  for (const route of cfg.routes) {
    if (!matches(route, alert)) continue;
    for (const s of route.sinks) if (!out.includes(s)) out.push(s);
    if (route.stop) break;
  }
  return out;
}

export interface RoutingSinkOptions {
  readonly alerting: Alerting;
  /** The configured sinks by name, built by the entry point from `alerting.sinks`. */
  readonly sinks: ReadonlyMap<string, AlertSink>;
  /** Where an alert no route matches goes (e.g. the stack's topic); none: nowhere. */
  readonly fallback?: readonly AlertSink[];
  /** Sinks every alert goes to besides its routes (e.g. `--alerts FILE.jsonl`). */
  readonly always?: readonly AlertSink[];
  /**
   * Remembers per sink which messages it took, so that a retry after one sink failed does not repeat
   * the message on the sinks that took it (conditional writes, like the outbox).
   */
  readonly objectStore?: ObjectStore;
}

/**
 * An AlertSink that fans each alert out to its routed sinks. It throws when any of them failed (the
 * outbox keeps the alert pending); on the retry, sinks that already took it are skipped.
 */
export class RoutingSink implements AlertSink {
  constructor(private readonly o: RoutingSinkOptions) {}

  /** Names of the targets of an alert: `always:<i>`, routed sink names, or `fallback:<i>`. */
  targetsOf(alert: Alert): [string, AlertSink][] {
    const named = routeAlert(this.o.alerting, alert);
    const out: [string, AlertSink][] = (this.o.always ?? []).map((s, i) => [`always-${i}`, s]);
    if (named.length === 0)
      (this.o.fallback ?? []).forEach((s, i) => {
        out.push([`fallback-${i}`, s]);
      });
    for (const name of named) {
      const sink = this.o.sinks.get(name);
      if (!sink) throw new Error(`alert route names sink '${name}', which was not built`);
      out.push([name, sink]);
    }
    return out;
  }

  async send(alert: Alert): Promise<void> {
    const id = AlertOutbox.idOf(alert);
    const errors: string[] = [];
    for (const [name, sink] of this.targetsOf(alert)) {
      const mark = `${STORAGE_LAYOUT.alertOutbox.prefix}/routed/${id}/${name}.json`;
      if (this.o.objectStore && (await this.o.objectStore.get(mark))) continue;
      try {
        await sink.send(alert);
      } catch (err) {
        errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      await this.o.objectStore
        ?.put(mark, new TextEncoder().encode('{}\n'), { ifNoneMatch: '*', contentType: 'application/json' })
        .catch((e: unknown) => {
          if (!(e instanceof PreconditionFailedError)) throw e;
        });
    }
    if (errors.length) throw new Error(`alert ${alert.dedupeKey} not delivered to ${errors.join('; ')}`);
  }
}
