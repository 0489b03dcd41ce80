import type { AlertCause, AlertKind, MetricEvidence, Severity } from '../ports/alert-sink.js';
import { areSiblings, compareSlices, isTotal, type Slice, TOTAL } from '../slices/slice.js';
import type { MetricDetection } from './detection-config.js';
import { rankSlices, type SliceShare, shareKey } from './root-cause.js';
import type { MetricScores, ScoredPoint } from './score-series.js';

/**
 * One incident's evidence in one window: its head slice's numbers and every candidate slice it
 * claims. The input to the incident state machine.
 */
export interface Finding {
  readonly kind: AlertKind;
  /** `traffic`: the metric is an exposure, its move a notice (MetricScores.cause). */
  readonly cause?: AlertCause;
  readonly metric: string;
  /** The count / rate family of the metric (move-family.ts): the incident is keyed by it. */
  readonly family?: string;
  /** The family's metrics that moved in this window, `metric` first. */
  readonly metrics?: readonly string[];
  /** The other family metrics' numbers at the head slice in this window. */
  readonly evidence?: readonly MetricEvidence[];
  readonly t: number;
  /** The slice that states the move: the total when it moved, else the strongest slice. */
  readonly slice: Slice;
  /** The head slice has fewer than k people (privacy): alerts name it `other`. */
  readonly suppressed?: boolean;
  readonly observed: number | null;
  readonly expected: number | null;
  readonly score: number;
  readonly direction: 'up' | 'down';
  readonly severity: Severity;
  /** Every candidate slice this incident claims in this window (small ones left out), sorted. */
  readonly slices: readonly Slice[];
  /** Candidate slices left out of `slices` because they have fewer than k people. */
  readonly hiddenSlices?: number;
  readonly topSlices: readonly SliceShare[];
  /** Extra words for the message (e.g. which metrics a data gap affects). */
  readonly note?: string;
}

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function relativeChange(observed: number, expected: number): number {
  return (observed - expected) / Math.max(Math.abs(expected), 1e-9);
}

function moveGates(p: ScoredPoint, rules: MetricDetection, countLike: boolean, direction?: 'up' | 'down') {
  if (p.observed === null || p.expected === null) return false;
  const up = p.observed > p.expected;
  const allowed = direction ?? rules.direction;
  if ((allowed === 'up' && !up) || (allowed === 'down' && up)) return false;
  if (Math.abs(relativeChange(p.observed, p.expected)) < rules.minRelativeChange) return false;
  // A banded count is gated on the span its evidence was judged on, else on the window.
  if (countLike && (p.volume ?? Math.max(p.observed, p.expected)) < rules.minVolume) return false;
  return true;
}

/** A window's point counts only when it clears the score, the direction, the size and the volume gates. */
export function isCandidate(p: ScoredPoint, rules: MetricDetection, countLike: boolean): boolean {
  return p.isAnomaly && moveGates(p, rules, countLike);
}

/** Residual (robust SDs) beyond which a window is still clearly off its expectation. */
export const STILL_OFF_Z = 3;

/**
 * The series is still off in the incident's direction, even if the detector no longer flags the
 * window as new (a level that stays shifted): it clears the size and volume gates and is still
 * far outside its noise. An incident is never resolved while one of its slices is in this state.
 */
export function isStillOff(
  p: ScoredPoint | undefined,
  rules: MetricDetection,
  countLike: boolean,
  direction: 'up' | 'down',
): boolean {
  if (!p || p.excluded) return false;
  return (p.isAnomaly || Math.abs(p.z) >= STILL_OFF_Z) && moveGates(p, rules, countLike, direction);
}

export function severityOf(score: number, relChange: number, isTotal: boolean): Severity {
  const r = Math.abs(relChange);
  if (isTotal && score >= 0.9 && r >= 0.5) return 'critical';
  if (isTotal || (score >= 0.9 && r >= 1)) return 'high';
  if (r >= 0.5) return 'medium';
  return 'low';
}

export interface SlicePoint {
  readonly slice: Slice;
  readonly point: ScoredPoint;
}

/** The points of every slice of a metric at window index i, keyed by slice key. */
export function pointsAt(ms: MetricScores, i: number): Map<string, SlicePoint> {
  const out = new Map<string, SlicePoint>();
  for (const [key, series] of ms.slices) {
    const p = series[i];
    if (p) out.set(key, { slice: ms.sliceOf.get(key) ?? TOTAL, point: p });
  }
  return out;
}

/** The incident candidates of a metric at window index i, sorted by slice. */
export function candidatesAt(ms: MetricScores, i: number): SlicePoint[] {
  return [...pointsAt(ms, i).values()]
    .filter((x) => isCandidate(x.point, ms.rules, ms.shape === 'count'))
    .sort((a, b) => compareSlices(a.slice, b.slice));
}

/** Root-cause slices of a metric at window index i for a move in `direction`. */
export function topSlicesAt(ms: MetricScores, i: number, direction: 'up' | 'down'): SliceShare[] {
  const points = pointsAt(ms, i);
  return rankSlices(
    ms.shape,
    points.get('')?.point,
    [...points.values()].map((x) => [x.slice, x.point] as const),
    direction,
  );
}

/** Two slices can hold the same rows: no dimension they share has different values. */
export function compatible(a: Slice, b: Slice): boolean {
  return a.pairs.every(([d, v]) => b.pairs.every(([d2, v2]) => d2 !== d || v2 === v));
}

/** What grouping needs to know of an open incident of the metric. */
export interface OpenView {
  readonly key: string;
  readonly slice: Slice;
  readonly slices: readonly Slice[];
  readonly direction: 'up' | 'down';
  /**
   * A move against the incident's direction on one of its own slices is a move of its own (not the
   * incident settling back): it is left to open its own incident. Absent: every move on its own
   * slices is the incident's.
   */
  readonly opposes?: (slice: Slice, p: ScoredPoint) => boolean;
}

function directionOf(p: ScoredPoint): 'up' | 'down' {
  return (p.observed ?? 0) > (p.expected ?? 0) ? 'up' : 'down';
}

/**
 * Splits a metric's candidates at window i into incidents. An open incident keeps what is its own:
 * its head slice and the slices it already named (either way, but for a move the other way that
 * `opposes` it: another cause), and slices moving its way that can hold
 * the same rows as its head (any slice, for the total) and are not disjoint from a slice it names.
 * What is left opens new
 * incidents: the total first if it is a candidate, else the strongest slice, each taking the
 * candidates moving its way that can overlap it. So one wave seen in region, surface and policy is
 * one incident, while region=BR and region=ID moving at once (disjoint rows) are two.
 *
 * An exposure (`cause: 'traffic'`) is grouped by metric and direction instead (Alertmanager's
 * group_by): traffic is one event whatever slices show it, so an open notice takes every slice
 * moving its way, and what is left opens one notice per direction, headed by the total when it is
 * a candidate or `totalOff` says it is off that way (the caller's reading against what it was
 * before: a detector that learned the day's level no longer flags it), else by its coarsest slice.
 */
export function groupFindings(
  ms: MetricScores,
  i: number,
  open: readonly OpenView[],
  totalOff?: (direction: 'up' | 'down') => boolean,
): { claimed: Map<string, Finding>; fresh: Finding[] } {
  const points = pointsAt(ms, i);
  let left = candidatesAt(ms, i);
  const claimed = new Map<string, Finding>();
  const take = (pred: (c: SlicePoint) => boolean): SlicePoint[] => {
    const mine = left.filter(pred);
    left = left.filter((c) => !pred(c));
    return mine;
  };
  const total = points.get('')?.point;
  const exposure = ms.cause === 'traffic';
  for (const inc of open) {
    const named = new Set(inc.slices.map((s) => s.key));
    // The total's incident: a slice disjoint from one it already names (region=ID when it names
    // region=BR) is another cause and opens its own incident — unless it only moves as the total
    // does (a global move seen in every region, either way, is one cause). A slice's incident
    // (surface=comment) takes every slice moving its way that can hold its rows (each region's
    // comments): those are views of the same wave, not other causes.
    // An incident that claimed the total (its head, or a slice whose wave moved the total) spans it.
    const spansTotal = isTotal(inc.slice) || inc.slices.some(isTotal);
    const mine = take((c) => {
      const own = c.slice.key === inc.slice.key || named.has(c.slice.key);
      // A move the other way on one of its own slices that the caller calls a move of its own (off
      // what the slice was before the incident) is another cause: it opens its own incident.
      if (own && directionOf(c.point) !== inc.direction && inc.opposes?.(c.slice, c.point)) return false;
      return (
        own ||
        (exposure && directionOf(c.point) === inc.direction) ||
        (spansTotal && movesWithParent(c.point, total, ms.rules)) ||
        (isTotal(inc.slice)
          ? directionOf(c.point) === inc.direction &&
            (!inc.slices.some((s) => areSiblings(s, c.slice)) || explainedByNamed(c, inc, points))
          : directionOf(c.point) === inc.direction && compatible(inc.slice, c.slice))
      );
    });
    if (mine.length === 0) continue;
    const head = points.get(inc.slice.key)?.point;
    claimed.set(inc.key, finding(ms, i, inc.slice, head, mine, inc.direction));
  }
  const fresh: Finding[] = [];
  if (exposure) {
    for (const dir of ['up', 'down'] as const) {
      const mine = take((c) => directionOf(c.point) === dir);
      if (mine.length === 0) continue;
      const off =
        mine.some((c) => isTotal(c.slice)) ||
        isStillOff(total, ms.rules, ms.shape === 'count', dir) ||
        totalOff?.(dir) === true;
      const head = off ? undefined : coarsest(mine);
      fresh.push(finding(ms, i, head?.slice ?? TOTAL, head ? head.point : total, mine, dir));
    }
    return { claimed, fresh };
  }
  // A global move: the total is off (not necessarily flagged: a huge count's detector calibrates
  // against its own history) and slices move with it. It is the total's incident, not one per slice.
  if (total && !left.some((c) => isTotal(c.slice))) {
    const dir = directionOf(total);
    if (isStillOff(total, ms.rules, ms.shape === 'count', dir)) {
      // A slice that holds most of its dimension's move the total's way is the total's wave too
      // (BR's spam seen in the total and in every surface): one incident, not the total and BR.
      const shares = new Map(topSlicesAt(ms, i, dir).map((s) => [shareKey(s), s.contribution]));
      const followers = take(
        (c) =>
          movesWithParent(c.point, total, ms.rules) ||
          (directionOf(c.point) === dir && (shares.get(c.slice.key) ?? 0) > 0.5),
      );
      if (followers.length > 0) fresh.push(finding(ms, i, TOTAL, total, followers, dir));
    }
  }
  while (left.length > 0) {
    const head =
      left.find((c) => isTotal(c.slice)) ?? left.reduce((b, c) => (c.point.score > b.point.score ? c : b));
    const dir = directionOf(head.point);
    const mine = take(
      (c) =>
        c === head ||
        (directionOf(c.point) === dir && (isTotal(head.slice) || compatible(head.slice, c.slice))),
    );
    fresh.push(finding(ms, i, head.slice, head.point, mine, dir));
  }
  return { claimed, fresh };
}

/** The candidate of fewest dimensions (the highest parent that moved), the strongest among them. */
function coarsest(cs: readonly SlicePoint[]): SlicePoint {
  return cs.reduce((b, c) =>
    c.slice.pairs.length < b.slice.pairs.length ||
    (c.slice.pairs.length === b.slice.pairs.length && c.point.score > b.point.score)
      ? c
      : b,
  );
}

/**
 * A slice of another dimension that the incident already names (region=BR) can hold the
 * candidate's rows (policy=scam_fraud) and moved at least as much: the candidate can be a view of
 * that slice's wave, not another cause — although it is a sibling of a named slice (policy=spam).
 */
function explainedByNamed(c: SlicePoint, inc: OpenView, points: ReadonlyMap<string, SlicePoint>): boolean {
  const excess = (p: ScoredPoint) =>
    p.observed === null || p.expected === null
      ? 0
      : (inc.direction === 'up' ? 1 : -1) * (p.observed - p.expected);
  const own = excess(c.point);
  return inc.slices.some((r) => {
    if (isTotal(r) || areSiblings(r, c.slice) || !compatible(r, c.slice)) return false;
    const p = points.get(r.key)?.point;
    return p !== undefined && excess(p) >= own;
  });
}

/**
 * The slice's move is its parent's: once its expectation is scaled by the parent's observed /
 * expected, what is left would not be a candidate by itself — smaller than the metric's
 * minRelativeChange, or within STILL_OFF_Z of the slice's residual scale (never below Poisson
 * noise for a count). Traffic +35% everywhere moves every region by +35%: one cause, not one per
 * region.
 */
export function movesWithParent(
  p: ScoredPoint,
  parent: ScoredPoint | undefined,
  rules: MetricDetection,
): boolean {
  if (!parent || parent.observed === null || parent.expected === null || !(parent.expected > 0)) return false;
  if (p.observed === null || p.expected === null) return false;
  const scaled = p.expected * (parent.observed / parent.expected);
  if (Math.abs(relativeChange(p.observed, scaled)) < rules.minRelativeChange) return true;
  const own = p.z !== 0 ? Math.abs(p.observed - p.expected) / Math.abs(p.z) : 0;
  const poisson = p.numerator !== null && p.denominator === null ? Math.sqrt(Math.max(scaled, 1)) : 0;
  const scale = Math.max(own, poisson);
  return scale > 0 && Math.abs(p.observed - scaled) < STILL_OFF_Z * scale;
}

function finding(
  ms: MetricScores,
  i: number,
  slice: Slice,
  head: ScoredPoint | undefined,
  members: readonly SlicePoint[],
  direction: 'up' | 'down',
): Finding {
  const observed = head?.observed ?? null;
  const expected = head?.expected ?? null;
  const score = Math.max(head?.isAnomaly ? head.score : 0, ...members.map((m) => m.point.score));
  const rel = observed !== null && expected !== null ? relativeChange(observed, expected) : 0;
  return {
    kind: 'metric_incident',
    ...(ms.cause ? { cause: ms.cause } : {}),
    metric: ms.metric,
    t: head?.t ?? members[0]!.point.t,
    slice,
    observed,
    expected,
    score,
    direction,
    // Traffic is a notice that pages no one by severity alone, unless traffic itself fell by half
    // or more: that is an outage, as severe as any incident of its size.
    severity: ms.cause === 'traffic' && rel > -0.5 ? 'low' : severityOf(score, rel, isTotal(slice)),
    slices: members.map((m) => m.slice),
    topSlices: topSlicesAt(ms, i, direction),
  };
}
