import type { Alert } from '../ports/alert-sink.js';
import { protectFinding, type SliceGuard } from '../privacy/k-anonymity.js';
import { compareSlices, type Slice, TOTAL } from '../slices/slice.js';
import { formatIso, type Grain } from '../time/window.js';
import {
  type Finding,
  groupFindings,
  isStillOff,
  type OpenView,
  SEVERITY_RANK,
  topSlicesAt,
} from './findings.js';
import { heldSlices, incidentKey, type OpenIncident, stepIncident, subjectOf } from './incidents.js';
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

/** One pre-incident reference the judge reads in a window (its key: referenceKey). */
export interface ReferenceNeed {
  readonly metric: string;
  readonly slice: Slice;
  /** ISO start of the incident: the reference reads the windows before it. */
  readonly since: string;
}

/**
 * Every reference judgeWindow reads at window t (the caller computes them from windows it may not
 * hold): each open metric incident's held slices (heldSlices), for every metric of its family (a
 * family's incident is still off while any of them is); and each exposure's total as a notice
 * opening at t would read it.
 */
export function referencesNeeded(
  open: Iterable<OpenIncident>,
  scores: readonly MetricScores[],
  t: number,
): ReferenceNeed[] {
  const out: ReferenceNeed[] = [];
  for (const inc of open) {
    if (inc.kind !== 'metric_incident') continue;
    const family =
      inc.family === undefined ? undefined : scores.find((m) => m.family?.id === inc.family)?.family;
    const metrics = family ? [family.rate, family.count] : [inc.metric];
    for (const metric of metrics)
      for (const slice of heldSlices(inc)) out.push({ metric, slice, since: inc.since });
  }
  const now = formatIso(new Date(t));
  for (const ms of scores)
    if (ms.cause === 'traffic') out.push({ metric: ms.metric, slice: TOTAL, since: now });
  return out;
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
    group?: Subject,
    held = false,
  ) => {
    const rules = ms?.rules ?? { resolveAfter: 1, cooldown: 3 };
    const point = current && ms ? ms.slices.get(current.slice.key)?.[o.i] : undefined;
    const off =
      current && group
        ? held || group.members.some((m) => stillOff(m, o.i, current, o.grain, o.t, o.references))
        : undefined;
    const step = stepIncident(current, finding, {
      t: o.t,
      grain: o.grain,
      resolveAfter: rules.resolveAfter,
      cooldown: rules.cooldown,
      ...(point ? { current: { observed: point.observed, expected: point.expected } } : {}),
      ...(off !== undefined ? { stillOff: off } : {}),
      reportUrl: o.reportUrl,
    });
    if (step.open) open.set(key, step.open);
    else open.delete(key);
    if (step.alert) alerts.push(step.alert);
  };
  const stepped = new Set<string>();
  for (const group of subjects(o.scores)) {
    const mine = [...open]
      .filter(([, inc]) => inc.kind === 'metric_incident' && subjectOf(inc) === group.subject)
      .sort(([, a], [, b]) => a.since.localeCompare(b.since) || a.dedupeKey.localeCompare(b.dedupeKey));
    const views: OpenView[] = mine.map(([key, inc]) => ({
      key,
      slice: inc.slice,
      slices: inc.slices,
      direction: inc.direction,
    }));
    // A move the other way on an incident's own slice is a move of its own when that slice is off
    // what it was before the incident in the new direction; back at that level, it is the incident
    // settling (a detector that learned the shifted level calls the return a move), still its own.
    // A family's traffic notice says its rate is flat: a move of the rate, either way, is never the
    // notice's (it would be absorbed into a low notice) but opens an incident of its own.
    const against = (ms: MetricScores) =>
      views.flatMap((v) => {
        const inc = open.get(v.key);
        if (!inc) return [v];
        if (inc.cause === 'traffic' && ms.family?.rate === ms.metric) return [];
        const other = inc.direction === 'up' ? 'down' : 'up';
        const opposes = (slice: Slice, p: ScoredPoint) => {
          const ref = referenceOf(ms, o.i, inc.since, slice, o.grain, o.t, o.references);
          return ref !== null && offReference(p, ref, ms.rules, ms.shape, other);
        };
        return [{ ...v, opposes }];
      });
    // An exposure's total off what it was at this point of earlier periods (its notice's head even
    // when the detector learned the day's level): read as a notice opening now would read it.
    const totalOff = (ms: MetricScores) => (dir: 'up' | 'down') => {
      const p = ms.slices.get(TOTAL.key)?.[o.i];
      if (!p || p.excluded) return false;
      const ref = referenceOf(ms, o.i, formatIso(new Date(o.t)), TOTAL, o.grain, o.t, o.references);
      return ref !== null && offReference(p, ref, ms.rules, ms.shape, dir);
    };
    // Each metric of the subject in turn (a family's rate first): what one metric opens in this
    // window is an open incident for the next, so a count moving with its rate joins its incident.
    const found = new Map<string, Map<string, Finding>>();
    const add = (key: string, f: Finding) => {
      const byMetric = found.get(key) ?? new Map<string, Finding>();
      byMetric.set(f.metric, f);
      found.set(key, byMetric);
    };
    for (const ms of group.members) {
      const { claimed, fresh } = groupFindings(
        ms,
        o.i,
        against(ms),
        ms.cause === 'traffic' ? totalOff(ms) : undefined,
      );
      for (const [key, f] of claimed) add(key, f);
      for (const f of fresh) add(incidentKey('metric_incident', group.subject, f.slice, f.direction), f);
      for (const f of fresh)
        views.push({
          key: incidentKey('metric_incident', group.subject, f.slice, f.direction),
          slice: f.slice,
          slices: f.slices,
          direction: f.direction,
        });
    }
    // A family's traffic notice stands for a count moving with its rate flat: a move of the count
    // seen while its rate is off, either way, is a real move, an incident of its own (the rate's
    // own moves never reach the notice, see against). A new incident rather than the notice turned
    // into one: a route that keeps notices apart (cause: traffic) must get its opening.
    for (const [key, inc] of mine) {
      const byMetric = found.get(key);
      if (inc.cause !== 'traffic' || inc.family === undefined || !byMetric) continue;
      if (rateAt(group, o.i, inc.slice) !== 'off') continue;
      found.delete(key);
      const real = incidentKey('metric_incident', group.subject, inc.slice, inc.direction);
      for (const f of byMetric.values()) add(real, f);
    }
    // The moves the other way that hold an older incident on their slice: the open incidents of
    // the subject and what opens in this window.
    const moves = [
      ...mine.map(([, inc]) => inc),
      ...[...found].filter(([key]) => !open.has(key)).flatMap(([, byMetric]) => [...byMetric.values()]),
    ];
    for (const [key, inc] of mine) {
      stepped.add(key);
      const ms = group.byMetric.get(inc.metric) ?? group.members[0]!;
      // A known event that suppresses alerts covers the incident's series: it holds still.
      if (ms.slices.get(inc.slice.key)?.[o.i]?.suppressed) continue;
      const f = found.get(key) && fuse(group, o.i, found.get(key)!, inc);
      apply(key, inc, f && protectFinding(f, o.guard), ms, group, takenBy(inc, moves));
    }
    for (const [key, byMetric] of found) {
      if (stepped.has(key)) continue;
      stepped.add(key);
      const f = fuse(group, o.i, byMetric, undefined);
      // A notice is kept under a key of its own (incidentKey), known once its evidence is fused.
      const own = f.cause ? incidentKey(f.kind, group.subject, f.slice, f.direction, f.cause) : key;
      const at = open.has(own) ? key : own;
      stepped.add(at);
      apply(at, undefined, protectFinding(f, o.guard), group.byMetric.get(f.metric), group);
    }
  }
  const data = o.dataFindings ?? new Map<string, Finding>();
  // Incidents of metrics no longer scored, and data issues, step on their own findings only.
  const rest = new Set([...data.keys(), ...[...open.keys()].filter((k) => !stepped.has(k))]);
  for (const key of [...rest].sort()) apply(key, open.get(key), data.get(key));
  return alerts;
}

/**
 * A later move the other way has taken the incident's slice: while it lasts the incident cannot be
 * read through it, so it holds (neither quiet nor resolved) and goes on, or settles, after it.
 */
function takenBy(
  inc: OpenIncident,
  moves: readonly (Pick<Finding, 'slice' | 'slices' | 'direction'> & { since?: string })[],
): boolean {
  return moves.some(
    (m) =>
      m.direction !== inc.direction &&
      (m.since === undefined || m.since > inc.since) &&
      (m.slice.key === inc.slice.key || m.slices.some((s) => s.key === inc.slice.key)),
  );
}

/** What incidents are keyed by: one metric, or a count / rate family (its rate first). */
interface Subject {
  readonly subject: string;
  readonly members: readonly MetricScores[];
  readonly byMetric: ReadonlyMap<string, MetricScores>;
}

function subjects(scores: readonly MetricScores[]): Subject[] {
  const out = new Map<string, MetricScores[]>();
  for (const ms of scores) {
    const subject = ms.family?.id ?? ms.metric;
    const members = out.get(subject) ?? [];
    members.push(ms);
    out.set(subject, members);
  }
  return [...out].map(([subject, members]) => {
    // The rate is the family's primary evidence: it is judged first and heads its incidents.
    const sorted = [...members].sort(
      (a, b) => Number(a.family?.rate !== a.metric) - Number(b.family?.rate !== b.metric),
    );
    return { subject, members: sorted, byMetric: new Map(sorted.map((m) => [m.metric, m])) };
  });
}

/**
 * One incident's evidence in one window from the metrics of its subject: the head metric's finding
 * (the incident's own metric, or for a new one the first that moved, the rate before the count),
 * with every slice any of them claims, the highest severity and score, and the other metrics'
 * numbers at the head slice. A count that moved while its own rate, at the same slice, is flat is
 * its traffic: a new incident on that alone is a traffic notice, and stays one.
 */
function fuse(
  group: Subject,
  i: number,
  byMetric: ReadonlyMap<string, Finding>,
  inc: OpenIncident | undefined,
): Finding {
  const moved = group.members.filter((m) => byMetric.has(m.metric)).map((m) => m.metric);
  const headMetric = inc?.metric ?? moved[0]!;
  const own = byMetric.get(headMetric);
  const first = own ?? byMetric.get(moved[0]!)!;
  const headMs = group.byMetric.get(headMetric);
  const slice = inc?.slice ?? first.slice;
  const direction = inc?.direction ?? first.direction;
  const all = [...byMetric.values()];
  const slices = new Map<string, Slice>();
  for (const f of all) for (const s of f.slices) slices.set(s.key, s);
  const severity = all.reduce(
    (s, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[s] ? f.severity : s),
    first.severity,
  );
  const evidence = group.members
    .filter((m) => m.metric !== headMetric)
    .flatMap((m) => {
      const p = m.slices.get(slice.key)?.[i];
      return p ? [{ metric: m.metric, observed: p.observed, expected: p.expected }] : [];
    });
  const family = group.members[0]?.family;
  // An open notice's evidence stays a notice's (low): what its rate says was read before (rateAt
  // in judgeWindow took a count move seen with its rate off to an incident of its own).
  const traffic =
    family !== undefined &&
    headMetric === family.count &&
    (inc ? inc.cause === 'traffic' : rateAt(group, i, slice) === 'flat');
  const head = headMs?.slices.get(slice.key)?.[i];
  return {
    ...first,
    metric: headMetric,
    ...(family ? { family: family.id, metrics: [headMetric, ...moved.filter((m) => m !== headMetric)] } : {}),
    ...(evidence.length > 0 ? { evidence } : {}),
    ...(traffic ? { cause: 'traffic' as const, severity: 'low' as const } : { severity }),
    slice,
    observed: own ? own.observed : (head?.observed ?? null),
    expected: own ? own.expected : (head?.expected ?? null),
    score: Math.max(...all.map((f) => f.score)),
    direction,
    slices: [...slices.values()].sort(compareSlices),
    topSlices: own ? own.topSlices : headMs ? topSlicesAt(headMs, i, direction) : first.topSlices,
  };
}

/**
 * The family's rate at the slice: off its expectation either way (a count's move is then real), flat
 * (a count's move alone is its traffic), or undefined when there is no rate or no expectation yet.
 */
function rateAt(group: Subject, i: number, slice: Slice): 'off' | 'flat' | undefined {
  const family = group.members[0]?.family;
  const rate = family && group.byMetric.get(family.rate);
  const p = rate?.slices.get(slice.key)?.[i];
  if (!rate || !p || p.expected === null) return undefined;
  return isStillOff(p, rate.rules, false, 'up') || isStillOff(p, rate.rules, false, 'down') ? 'off' : 'flat';
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
  // A percentile of too few values (its volume) is shown, not judged: it holds nothing open.
  return p.volume === undefined || p.volume >= rules.minVolume;
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
  return heldSlices(inc).some((s) => {
    const p = ms.slices.get(s.key)?.[i];
    if (!p || p.excluded) return false;
    if (isStillOff(p, ms.rules, ms.shape === 'count', inc.direction)) return true;
    const ref = referenceOf(ms, i, inc.since, s, grain, t, references);
    return ref !== null && offReference(p, ref, ms.rules, ms.shape, inc.direction);
  });
}

/**
 * A slice's reference at window i for an incident since `since` (ISO): the caller's (see
 * referencesNeeded), else taken from the scored series.
 */
function referenceOf(
  ms: MetricScores,
  i: number,
  since: string,
  slice: Slice,
  grain: Grain,
  t: number,
  references?: ReadonlyMap<string, number | null>,
): number | null {
  if (references) return references.get(referenceKey(ms.metric, slice.key, since)) ?? null;
  const series = ms.slices.get(slice.key);
  if (!series) return null;
  const sinceIndex = i - Math.round((t - Date.parse(since)) / GRAIN_MS[grain]);
  return preIncidentReference(series, i, sinceIndex, PERIOD[grain]);
}
