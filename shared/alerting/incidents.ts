import type { Alert, AlertKind, AlertStatus, ContributingSlice, Severity } from '../ports/alert-sink.js';
import { formatIso, type Grain } from '../time/window.js';
import { type Finding, relativeChange, SEVERITY_RANK } from './findings.js';

/**
 * The incident state machine, pure: one incident per (kind, metric) at a time. A first anomalous
 * window opens it (one message), growth sends an update (at most one per cooldown, unless severity
 * escalates), and `resolveAfter` quiet windows resolve it.
 */
export interface OpenIncident {
  readonly dedupeKey: string;
  readonly kind: AlertKind;
  readonly metric: string;
  readonly slice: string;
  readonly since: string;
  readonly lastAnomalous: string;
  /** Quiet windows in a row since the last anomalous one. */
  readonly quiet: number;
  readonly severity: Severity;
  readonly slices: readonly string[];
  readonly peakDeviation: number;
  readonly lastSentWindow: string;
  readonly direction: 'up' | 'down';
  /** Messages sent for this incident so far (orders them in the outbox). */
  readonly seq: number;
}

export interface StepContext {
  readonly t: number;
  readonly grain: Grain;
  readonly resolveAfter: number;
  readonly cooldown: number;
  /** The incident slice's point at this window, for the numbers of an update or resolution. */
  readonly current?: { readonly observed: number | null; readonly expected: number | null };
  readonly reportUrl: (dedupeKey: string) => string;
}

export interface StepResult {
  readonly open: OpenIncident | undefined;
  readonly alert?: Alert;
}

export function incidentKey(kind: AlertKind, metric: string): string {
  return `${kind}:${metric}`;
}

const GRAIN_MS = { hour: 3_600_000, day: 86_400_000 } as const;

export function stepIncident(
  open: OpenIncident | undefined,
  finding: Finding | undefined,
  ctx: StepContext,
): StepResult {
  const at = formatIso(new Date(ctx.t));
  if (!open) {
    if (!finding) return { open: undefined };
    const dedupeKey = `${finding.kind}:${finding.metric}:${finding.slice}:${at}`;
    const opened: OpenIncident = {
      dedupeKey,
      kind: finding.kind,
      metric: finding.metric,
      slice: finding.slice,
      since: at,
      lastAnomalous: at,
      quiet: 0,
      severity: finding.severity,
      slices: finding.slices,
      peakDeviation: deviationOf(finding.observed, finding.expected),
      lastSentWindow: at,
      direction: finding.direction,
      seq: 1,
    };
    return { open: opened, alert: buildAlert(opened, 'open', finding, ctx) };
  }
  if (!finding) {
    const quiet = open.quiet + 1;
    if (quiet < ctx.resolveAfter) return { open: { ...open, quiet } };
    return { open: undefined, alert: buildAlert({ ...open, seq: open.seq + 1 }, 'resolved', undefined, ctx) };
  }
  const newSlices = finding.slices.filter((s) => !open.slices.includes(s));
  const deviation = deviationOf(
    ctx.current?.observed ?? finding.observed,
    ctx.current?.expected ?? finding.expected,
  );
  const escalated = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[open.severity];
  const grew = newSlices.length > 0 || deviation >= 1.5 * open.peakDeviation;
  const sinceSent = (ctx.t - Date.parse(open.lastSentWindow)) / GRAIN_MS[ctx.grain];
  const next: OpenIncident = {
    ...open,
    lastAnomalous: at,
    quiet: 0,
    severity: escalated ? finding.severity : open.severity,
    slices: [...open.slices, ...newSlices].sort(),
    peakDeviation: Math.max(open.peakDeviation, deviation),
  };
  if (escalated || (grew && sinceSent >= ctx.cooldown)) {
    const sent = { ...next, lastSentWindow: at, seq: open.seq + 1 };
    return { open: sent, alert: buildAlert(sent, 'update', finding, ctx) };
  }
  return { open: next };
}

function deviationOf(observed: number | null, expected: number | null): number {
  return observed === null || expected === null ? 0 : Math.abs(observed - expected);
}

function buildAlert(
  inc: OpenIncident,
  status: AlertStatus,
  finding: Finding | undefined,
  ctx: StepContext,
): Alert {
  const windowStart = formatIso(new Date(ctx.t));
  const observed = ctx.current?.observed ?? finding?.observed ?? null;
  const expected = ctx.current?.expected ?? finding?.expected ?? null;
  const topSlices: readonly ContributingSlice[] = finding?.topSlices ?? [];
  const alert: Omit<Alert, 'summary'> = {
    dedupeKey: inc.dedupeKey,
    kind: inc.kind,
    status,
    severity: inc.severity,
    metric: inc.metric,
    slice: inc.slice,
    grain: ctx.grain,
    since: inc.since,
    windowStart,
    observed,
    expected,
    score: finding?.score ?? 0,
    direction: status === 'resolved' ? 'none' : inc.direction,
    topSlices,
    reportUrl: ctx.reportUrl(inc.dedupeKey),
    regions: regionsOf([inc.slice, ...inc.slices, ...topSlices.map((s) => s.slice)]),
  };
  return { ...alert, summary: summarize(alert, inc, finding?.note) };
}

/** Region codes named by slices, for subscriber filter policies. */
export function regionsOf(slices: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of slices)
    for (const pair of s.split(';')) if (pair.startsWith('region=')) out.add(pair.slice('region='.length));
  return [...out].sort();
}

export function formatNumber(x: number | null): string {
  if (x === null) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 0.01 || a === 0) return x.toFixed(3).replace(/\.?0+$/, '') || '0';
  return x.toPrecision(2);
}

function summarize(a: Omit<Alert, 'summary'>, inc: OpenIncident, note: string | undefined): string {
  const where = a.slice === '' ? 'total' : a.slice;
  const what =
    a.kind === 'data_quality' ? `data missing/late for source ${a.metric}` : `${a.metric} (${where})`;
  if (a.status === 'resolved')
    return `Resolved: ${what}, back to normal at ${a.windowStart} (incident since ${a.since}, last anomalous ${inc.lastAnomalous}).`;
  const change =
    a.observed !== null && a.expected !== null
      ? ` ${a.direction} ${formatPercent(relativeChange(a.observed, a.expected))}: observed ${formatNumber(a.observed)} vs expected ${formatNumber(a.expected)}`
      : '';
  const top = a.topSlices.length
    ? `; top slices: ${a.topSlices.map((s) => `${s.slice} (${formatPercent(s.contribution)} of the move)`).join(', ')}`
    : '';
  const verb = a.status === 'open' ? 'Incident' : 'Update';
  return `${verb} [${a.severity}]: ${what}${change}, since ${a.since}${top}.${note ? ` ${note}` : ''}`;
}

function formatPercent(x: number): string {
  const p = x * 100;
  return `${p >= 0 ? '+' : ''}${Math.abs(p) >= 100 ? p.toFixed(0) : p.toFixed(1)}%`;
}
