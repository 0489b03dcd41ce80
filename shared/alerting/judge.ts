import type { Alert } from '../ports/alert-sink.js';
import { protectFinding, type SliceGuard } from '../privacy/k-anonymity.js';
import type { Grain } from '../time/window.js';
import { type Finding, groupFindings, isStillOff, type OpenView } from './findings.js';
import { incidentKey, type OpenIncident, stepIncident } from './incidents.js';
import type { MetricScores, ScoredPoint } from './score-series.js';

export interface JudgeWindowInput {
  readonly scores: readonly MetricScores[];
  /** Index of the window in the scored series, and its start. */
  readonly i: number;
  readonly t: number;
  readonly grain: Grain;
  /** Data-quality findings of this window, by incident key. */
  readonly dataFindings?: ReadonlyMap<string, Finding>;
  readonly guard: SliceGuard;
  readonly reportUrl: (dedupeKey: string) => string;
  /**
   * Pre-incident references (see preIncidentReference) by referenceKey, computed by the caller from
   * windows it may not hold in `scores` (older than the scored windows). Absent: taken from `scores`.
   */
  readonly references?: ReadonlyMap<string, number | null>;
}

/** Key of one series' pre-incident reference for an incident that started at `since` (ISO). */
export function referenceKey(metric: string, sliceKey: string, since: string): string {
  return JSON.stringify([metric, sliceKey, since]);
}

/**
 * Judges one window, pure: every metric's candidates are split into incidents (open ones keep their
 * own, the rest open new ones, see groupFindings), each incident steps once, and the messages are
 * returned. `open` (incident key → incident) is updated in place.
 */
export function judgeWindow(o: JudgeWindowInput, open: Map<string, OpenIncident>): Alert[] {
  const alerts: Alert[] = [];
  const apply = (
    key: string,
    current: OpenIncident | undefined,
    finding: Finding | undefined,
    ms?: MetricScores,
  ) => {
    const rules = ms?.rules ?? { resolveAfter: 1, cooldown: 3 };
    const point = current && ms ? ms.slices.get(current.slice.key)?.[o.i] : undefined;
    const step = stepIncident(current, finding, {
      t: o.t,
      grain: o.grain,
      resolveAfter: rules.resolveAfter,
      cooldown: rules.cooldown,
      ...(point ? { current: { observed: point.observed, expected: point.expected } } : {}),
      ...(current && ms ? { stillOff: stillOff(ms, o.i, current, o.grain, o.t, o.references) } : {}),
      reportUrl: o.reportUrl,
    });
    if (step.open) open.set(key, step.open);
    else open.delete(key);
    if (step.alert) alerts.push(step.alert);
  };
  const stepped = new Set<string>();
  for (const ms of o.scores) {
    const mine = [...open]
      .filter(([, inc]) => inc.kind === 'metric_incident' && inc.metric === ms.metric)
      .sort(([, a], [, b]) => a.since.localeCompare(b.since) || a.dedupeKey.localeCompare(b.dedupeKey));
    const views: OpenView[] = mine.map(([key, inc]) => ({
      key,
      slice: inc.slice,
      slices: inc.slices,
      direction: inc.direction,
    }));
    const { claimed, fresh } = groupFindings(ms, o.i, views);
    for (const [key, inc] of mine) {
      stepped.add(key);
      // A known event that suppresses alerts covers the incident's series: it holds still.
      if (ms.slices.get(inc.slice.key)?.[o.i]?.suppressed) continue;
      const f = claimed.get(key);
      apply(key, inc, f && protectFinding(f, o.guard), ms);
    }
    for (const f of fresh) {
      const key = incidentKey('metric_incident', ms.metric, f.slice);
      stepped.add(key);
      apply(key, open.get(key), protectFinding(f, o.guard), ms);
    }
  }
  const data = o.dataFindings ?? new Map<string, Finding>();
  // Incidents of metrics no longer scored, and data issues, step on their own findings only.
  const rest = new Set([...data.keys(), ...[...open.keys()].filter((k) => !stepped.has(k))]);
  for (const key of [...rest].sort()) apply(key, open.get(key), data.get(key));
  return alerts;
}

/** Seasonal period in windows: the same hour of earlier days, the same weekday of earlier weeks. */
export const PERIOD = { hour: 24, day: 7 } as const;
const GRAIN_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/**
 * The windows a pre-incident reference of window t reads, newest first: the same point of each
 * earlier period before the incident started, back to `fromMs` (the detector's lookback). The
 * caller takes the median of the first three with a value (preIncidentReference's rule).
 */
export function referenceWindows(t: number, sinceMs: number, grain: Grain, fromMs: number): number[] {
  const step = PERIOD[grain] * GRAIN_MS[grain];
  const out: number[] = [];
  for (let j = t - step; j >= fromMs; j -= step) if (j < sinceMs) out.push(j);
  return out;
}

/** Median of the first three finite values (the reference), or null. */
export function medianOfFirstThree(values: Iterable<number | null | undefined>): number | null {
  const xs: number[] = [];
  for (const v of values) {
    if (typeof v === 'number' && Number.isFinite(v)) xs.push(v);
    if (xs.length === 3) break;
  }
  if (xs.length === 0) return null;
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1]!;
}

/**
 * What the series looked like before the incident at this point of the cycle: the median of the
 * same window of up to three earlier periods that lie before `since`. The detector's own expectation
 * adapts to a level that stays shifted; this reference does not, so a wave that persists for hours
 * keeps its incident open.
 */
export function preIncidentReference(
  series: readonly ScoredPoint[],
  i: number,
  sinceIndex: number,
  period: number,
): number | null {
  const values: number[] = [];
  for (let j = i - period; j >= 0 && values.length < 3; j -= period) {
    if (j >= sinceIndex) continue;
    const v = series[j]?.observed;
    if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return values[values.length >> 1]!;
}

/** Still off the pre-incident reference in the incident's direction, beyond size and noise. */
function offReference(
  p: ScoredPoint,
  ref: number,
  rules: MetricScores['rules'],
  shape: MetricScores['shape'],
  dir: 'up' | 'down',
): boolean {
  if (p.observed === null) return false;
  const dev = (dir === 'up' ? 1 : -1) * (p.observed - ref);
  if (dev <= 0 || dev < rules.minRelativeChange * Math.abs(ref)) return false;
  if (shape === 'count')
    return Math.max(p.observed, ref) >= rules.minVolume && dev >= 3 * Math.sqrt(Math.max(ref, 1));
  if (shape === 'ratio') return p.denominator === null || p.denominator >= rules.minVolume;
  return true;
}

/**
 * The incident's own slice, or a slice it named, is still off in its direction: by the detector's
 * judgement (isStillOff) or against what the same windows looked like before the incident.
 */
export function stillOff(
  ms: MetricScores,
  i: number,
  inc: OpenIncident,
  grain: Grain,
  t: number,
  references?: ReadonlyMap<string, number | null>,
): boolean {
  const sinceIndex = i - Math.round((t - Date.parse(inc.since)) / GRAIN_MS[grain]);
  return [inc.slice, ...inc.slices].some((s) => {
    const series = ms.slices.get(s.key);
    const p = series?.[i];
    if (!series || !p || p.excluded) return false;
    if (isStillOff(p, ms.rules, ms.shape === 'count', inc.direction)) return true;
    const ref = references
      ? (references.get(referenceKey(ms.metric, s.key, inc.since)) ?? null)
      : preIncidentReference(series, i, sinceIndex, PERIOD[grain]);
    return ref !== null && offReference(p, ref, ms.rules, ms.shape, inc.direction);
  });
}
