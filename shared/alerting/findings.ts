import type { AlertKind, ContributingSlice, Severity } from '../ports/alert-sink.js';
import type { MetricDetection } from './detection-config.js';
import { rankSlices } from './root-cause.js';
import type { MetricScores, ScoredPoint } from './score-series.js';

/** One anomalous window of one metric (or one source, for data quality): the input to incidents. */
export interface Finding {
  readonly kind: AlertKind;
  readonly metric: string;
  readonly t: number;
  /** The slice that best states the move: the total when it moved, else the strongest slice. */
  readonly slice: string;
  readonly observed: number | null;
  readonly expected: number | null;
  readonly score: number;
  readonly direction: 'up' | 'down';
  readonly severity: Severity;
  /** Every slice that is an incident candidate in this window, sorted. */
  readonly slices: readonly string[];
  readonly topSlices: readonly ContributingSlice[];
  /** Extra words for the message (e.g. which metrics a data gap affects). */
  readonly note?: string;
}

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function relativeChange(observed: number, expected: number): number {
  return (observed - expected) / Math.max(Math.abs(expected), 1e-9);
}

/** A window's point counts only when it clears the score, the direction, the size and the volume gates. */
export function isCandidate(p: ScoredPoint, rules: MetricDetection, countLike: boolean): boolean {
  if (!p.isAnomaly || p.observed === null || p.expected === null) return false;
  const up = p.observed > p.expected;
  if ((rules.direction === 'up' && !up) || (rules.direction === 'down' && up)) return false;
  if (Math.abs(relativeChange(p.observed, p.expected)) < rules.minRelativeChange) return false;
  if (countLike && Math.max(p.observed, p.expected) < rules.minVolume) return false;
  return true;
}

export function severityOf(score: number, relChange: number, isTotal: boolean): Severity {
  const r = Math.abs(relChange);
  if (isTotal && score >= 0.9 && r >= 0.5) return 'critical';
  if (isTotal || (score >= 0.9 && r >= 1)) return 'high';
  if (r >= 0.5) return 'medium';
  return 'low';
}

/** The points of every slice of a metric at window index i. */
export function pointsAt(ms: MetricScores, i: number): Map<string, ScoredPoint> {
  const out = new Map<string, ScoredPoint>();
  for (const [slice, series] of ms.slices) {
    const p = series[i];
    if (p) out.set(slice, p);
  }
  return out;
}

/** The finding of a metric at window index i, or undefined when nothing there is an incident. */
export function findAt(ms: MetricScores, i: number): Finding | undefined {
  const points = pointsAt(ms, i);
  const candidates = [...points].filter(([, p]) => isCandidate(p, ms.rules, ms.shape === 'count'));
  if (candidates.length === 0) return undefined;
  const total = candidates.find(([slice]) => slice === '');
  const [slice, head] =
    total ?? candidates.reduce((best, c) => (c[1].score > best[1].score ? c : best), candidates[0]!);
  const observed = head.observed!;
  const expected = head.expected!;
  const direction = observed > expected ? 'up' : 'down';
  const totalPoint = points.get('');
  return {
    kind: 'metric_incident',
    metric: ms.metric,
    t: head.t,
    slice,
    observed,
    expected,
    score: head.score,
    direction,
    severity: severityOf(head.score, relativeChange(observed, expected), slice === ''),
    slices: candidates.map(([s]) => s).sort(),
    topSlices: rankSlices(ms.shape, totalPoint, points, direction),
  };
}
