import type {
  Alert,
  AlertCause,
  AlertKind,
  AlertStatus,
  ContributingSlice,
  MetricEvidence,
  Severity,
} from '../ports/alert-sink.js';
import { compareSlices, dimensionValue, isTotal, type Slice, TOTAL } from '../slices/slice.js';
import { escapeControl } from '../text/escape.js';
import { formatIso, type Grain } from '../time/window.js';
import { type Finding, relativeChange, SEVERITY_RANK } from './findings.js';
import { OTHER, type SliceShare, shareKey } from './root-cause.js';

/**
 * The incident state machine, pure: one incident per (kind, metric, slice, direction) at a time. A first
 * anomalous window opens it (one message), growth sends an update (at most one per cooldown, unless
 * severity escalates), and `resolveAfter` quiet windows resolve it (a traffic notice: `cooldown` more,
 * see quietToResolve). A window is quiet only when the
 * incident has no finding AND its own slices are no longer off their expectation (`stillOff`): a
 * level that stays shifted keeps the incident open even when the detector stops flagging it.
 */
export interface IncidentPeak {
  readonly windowStart: string;
  readonly observed: number | null;
  readonly expected: number | null;
  readonly topSlices: readonly ContributingSlice[];
}

export interface OpenIncident {
  readonly dedupeKey: string;
  readonly kind: AlertKind;
  /** `traffic`: a notice about the exposure, not a T&S incident. */
  readonly cause?: AlertCause;
  /** The metric whose move the incident states (the rate of a family when it moved: its primary). */
  readonly metric: string;
  /** The count / rate family it belongs to (move-family.ts): its key names the family, not the metric. */
  readonly family?: string;
  /** Every metric of the family the incident has seen move, `metric` first. */
  readonly metrics?: readonly string[];
  /** The incident's own slice (structured; the state is internal and never shown as is). */
  readonly slice: Slice;
  /** Its slice has fewer than k people: messages name it `other`. */
  readonly suppressed: boolean;
  readonly since: string;
  readonly lastAnomalous: string;
  /** Quiet windows in a row since the last anomalous one. */
  readonly quiet: number;
  readonly severity: Severity;
  /** Every slice the incident has claimed so far, sorted. */
  readonly slices: readonly Slice[];
  readonly peakDeviation: number;
  /** The window of the largest deviation of the incident's slice, with its root-cause slices. */
  readonly peak: IncidentPeak;
  /** Root-cause slices of the opening message. */
  readonly openingTopSlices: readonly ContributingSlice[];
  readonly lastSentWindow: string;
  readonly direction: 'up' | 'down';
  /** Messages sent for this incident so far (orders them in the outbox). */
  readonly seq: number;
  /**
   * Regions of the opening message, kept for its updates and resolution: a subscriber filtering on a
   * region gets the whole incident, never an update or resolution without its opening.
   */
  readonly regions?: readonly string[];
}

export interface StepContext {
  readonly t: number;
  readonly grain: Grain;
  readonly resolveAfter: number;
  readonly cooldown: number;
  /** The incident slice's point at this window, for the numbers of an update or resolution. */
  readonly current?: { readonly observed: number | null; readonly expected: number | null };
  /** The incident's own slices are still off their expectation (never quiet, never resolved). */
  readonly stillOff?: boolean;
  readonly reportUrl: (dedupeKey: string) => string;
}

export interface StepResult {
  readonly open: OpenIncident | undefined;
  readonly alert?: Alert;
}

/**
 * The identity of an incident in the state: kind, subject, slice and, for a metric incident, its
 * direction. The subject is the metric, or for a metric of a count / rate family the family's id,
 * so the count and its rate share one incident; a move the other way on the slice of an open
 * incident is another cause, so it has an incident (and a key) of its own. A traffic notice is keyed
 * apart from an incident of the same move: a rate that moves while its count's notice is open is a
 * T&S incident of its own (judge.ts), opened as one for the subscribers that route notices apart.
 */
export function incidentKey(
  kind: AlertKind,
  subject: string,
  slice: Slice,
  direction?: 'up' | 'down',
  cause?: AlertCause,
): string {
  return JSON.stringify([
    kind,
    subject,
    slice.key,
    ...(kind === 'metric_incident' && direction ? [direction] : []),
    ...(cause ? [cause] : []),
  ]);
}

/** The key an open incident is kept under (incidentKey of its own fields). */
export function keyOfIncident(inc: OpenIncident): string {
  return incidentKey(inc.kind, subjectOf(inc), inc.slice, inc.direction, inc.cause);
}

/**
 * The slices whose being off holds an incident open: its own and every slice it named. An
 * exposure's own notice (traffic of a metric others are judged against, not a family count's
 * notice) is about the exposure as a whole, so its total holds it too: a day of traffic stays one
 * notice while the slices that showed it drift in and out of their bands.
 */
export function heldSlices(inc: Pick<OpenIncident, 'slice' | 'slices' | 'cause' | 'family'>): Slice[] {
  const own = [inc.slice, ...inc.slices];
  return inc.cause === 'traffic' && inc.family === undefined && !own.some(isTotal) ? [...own, TOTAL] : own;
}

/** What an open incident is keyed by: its family, else its metric. */
export function subjectOf(inc: Pick<OpenIncident, 'family' | 'metric'>): string {
  return inc.family ?? inc.metric;
}

/** The metrics of an incident, the head first, then the ones it has not named yet. */
function mergeMetrics(known: readonly string[] | undefined, seen: readonly string[] | undefined) {
  const out = [...(known ?? [])];
  for (const m of seen ?? []) if (!out.includes(m)) out.push(m);
  return out;
}

const GRAIN_MS = { hour: 3_600_000, day: 86_400_000 } as const;

export function renderShares(shares: readonly SliceShare[]): ContributingSlice[] {
  return shares.map((s) => ({
    slice: shareKey(s),
    observed: s.observed,
    expected: s.expected,
    contribution: s.contribution,
  }));
}

/** The slice as messages name it: its key, or `other` when it is too small to name. */
export function publicSlice(slice: Slice, suppressed: boolean | undefined): string {
  return suppressed ? OTHER : slice.key;
}

export function stepIncident(
  open: OpenIncident | undefined,
  finding: Finding | undefined,
  ctx: StepContext,
): StepResult {
  const at = formatIso(new Date(ctx.t));
  if (!open) {
    if (!finding) return { open: undefined };
    const dedupeKey = `${finding.kind}:${finding.metric}:${publicSlice(finding.slice, finding.suppressed)}:${at}`;
    const topSlices = renderShares(finding.topSlices);
    const opened: OpenIncident = {
      dedupeKey,
      kind: finding.kind,
      ...(finding.cause ? { cause: finding.cause } : {}),
      metric: finding.metric,
      ...(finding.family ? { family: finding.family } : {}),
      ...(finding.metrics ? { metrics: mergeMetrics([finding.metric], finding.metrics) } : {}),
      slice: finding.slice,
      suppressed: finding.suppressed ?? false,
      since: at,
      lastAnomalous: at,
      quiet: 0,
      severity: finding.severity,
      slices: [...finding.slices].sort(compareSlices),
      peakDeviation: deviationOf(finding.observed, finding.expected),
      peak: { windowStart: at, observed: finding.observed, expected: finding.expected, topSlices },
      openingTopSlices: topSlices,
      lastSentWindow: at,
      direction: finding.direction,
      seq: 1,
      regions: regionsOf([
        ...(finding.suppressed ? [] : [finding.slice]),
        ...finding.slices,
        ...finding.topSlices.flatMap((s) => (s.slice === OTHER ? [] : [s.slice])),
      ]),
    };
    return { open: opened, alert: buildAlert(opened, 'open', finding, ctx) };
  }
  const observed = ctx.current?.observed ?? finding?.observed ?? null;
  const expected = ctx.current?.expected ?? finding?.expected ?? null;
  const deviation = deviationOf(observed, expected);
  const peaked = deviation > open.peakDeviation;
  const peak: IncidentPeak = peaked
    ? {
        windowStart: at,
        observed,
        expected,
        topSlices: finding ? renderShares(finding.topSlices) : open.peak.topSlices,
      }
    : open.peak;
  if (!finding) {
    // Still off: the incident holds (not quiet), whatever the detector says about this window.
    if (ctx.stillOff)
      return { open: { ...open, quiet: 0, peak, peakDeviation: Math.max(open.peakDeviation, deviation) } };
    const quiet = open.quiet + 1;
    if (quiet < quietToResolve(open, ctx)) return { open: { ...open, quiet } };
    return { open: undefined, alert: buildAlert({ ...open, seq: open.seq + 1 }, 'resolved', undefined, ctx) };
  }
  const known = new Set(open.slices.map((s) => s.key));
  const newSlices = finding.slices.filter((s) => !known.has(s.key));
  const escalated = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[open.severity];
  const grew = newSlices.length > 0 || deviation >= 1.5 * open.peakDeviation;
  const sinceSent = (ctx.t - Date.parse(open.lastSentWindow)) / GRAIN_MS[ctx.grain];
  const metrics = finding.metrics
    ? mergeMetrics(open.metrics ?? [open.metric], finding.metrics)
    : open.metrics;
  const next: OpenIncident = {
    ...open,
    ...(metrics ? { metrics } : {}),
    lastAnomalous: at,
    quiet: 0,
    severity: escalated ? finding.severity : open.severity,
    slices: [...open.slices, ...newSlices].sort(compareSlices),
    peakDeviation: Math.max(open.peakDeviation, deviation),
    peak,
  };
  if (escalated || (grew && sinceSent >= ctx.cooldown)) {
    const sent = { ...next, lastSentWindow: at, seq: open.seq + 1 };
    return { open: sent, alert: buildAlert(sent, 'update', finding, ctx) };
  }
  return { open: next };
}

/**
 * Quiet windows that resolve an incident. A traffic notice waits `cooldown` more: exposure drifts
 * around the edge of its band for hours, and a notice that resolved and moved again the same way
 * within the cooldown would be a second notice about one move (issue #16); a late resolution of a
 * low notice costs nothing, a T&S incident's quick one says the harm stopped.
 */
function quietToResolve(open: OpenIncident, ctx: StepContext): number {
  return open.cause === 'traffic' ? ctx.resolveAfter + ctx.cooldown : ctx.resolveAfter;
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
  const topSlices = renderShares(finding?.topSlices ?? []);
  const named = [...(inc.suppressed ? [] : [inc.slice]), ...inc.slices];
  const alert: Omit<Alert, 'summary'> = {
    dedupeKey: inc.dedupeKey,
    kind: inc.kind,
    ...(inc.cause ? { cause: inc.cause } : {}),
    status,
    severity: inc.severity,
    metric: inc.metric,
    ...(inc.metrics ? { metrics: [...inc.metrics] } : {}),
    ...(status !== 'resolved' && finding?.evidence?.length ? { evidence: [...finding.evidence] } : {}),
    slice: publicSlice(inc.slice, inc.suppressed),
    ...(inc.suppressed ? { sliceSuppressed: true } : {}),
    grain: ctx.grain,
    since: inc.since,
    windowStart,
    observed,
    expected,
    score: finding?.score ?? 0,
    direction: status === 'resolved' ? 'none' : inc.direction,
    topSlices,
    peak: inc.peak,
    reportUrl: ctx.reportUrl(inc.dedupeKey),
    regions: inc.regions
      ? [...inc.regions]
      : regionsOf([
          ...named,
          ...(finding?.topSlices ?? []).flatMap((s) => (s.slice === OTHER ? [] : [s.slice])),
        ]),
  };
  // The summary is display text for every sink: data in it (slice values) is made safe once, here.
  return { ...alert, summary: escapeControl(summarize(alert, inc, finding?.note)) };
}

/** Region codes named by slices (NULL regions are not codes), for subscriber filter policies. */
export function regionsOf(slices: readonly Slice[]): string[] {
  const out = new Set<string>();
  for (const s of slices) {
    if (isTotal(s)) continue;
    const region = dimensionValue(s, 'region');
    if (typeof region === 'string') out.add(region);
  }
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

/** One metric's numbers as text: `removals 120 vs expected 60 (+100%)`. */
export function formatEvidence(e: MetricEvidence): string {
  const change =
    e.observed !== null && e.expected !== null
      ? ` (${formatPercent(relativeChange(e.observed, e.expected))})`
      : '';
  return `${e.metric} ${formatNumber(e.observed)} vs expected ${formatNumber(e.expected)}${change}`;
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
  const also = (a.evidence ?? []).map((e) => `; ${formatEvidence(e)}`).join('');
  const top = a.topSlices.length
    ? `; top slices: ${a.topSlices.map((s) => `${s.slice} (${formatPercent(s.contribution)} of the move)`).join(', ')}`
    : '';
  const verb =
    a.cause === 'traffic'
      ? a.status === 'open'
        ? 'Traffic notice'
        : 'Traffic update'
      : a.status === 'open'
        ? 'Incident'
        : 'Update';
  return `${verb} [${a.severity}]: ${what}${change}${also}, since ${a.since}${top}.${note ? ` ${note}` : ''}`;
}

function formatPercent(x: number): string {
  const p = x * 100;
  return `${p >= 0 ? '+' : ''}${Math.abs(p) >= 100 ? p.toFixed(0) : p.toFixed(1)}%`;
}
