import type { GapResult } from '../analysis/gaps.js';
import type { ModelHealthResult } from '../analysis/models.js';
import type { ReportFunnelResult } from '../analysis/reports.js';
import type { ReportAnalysis } from '../report/model.js';

/** The analysis toolkit's results as report tables (the full results stay in their JSON). */
const pct = (x: number | null) => (x === null ? null : `${(100 * x).toFixed(2)}%`);
const num = (x: number | null) => (x === null ? null : Math.round(x));

export function gapTable(g: GapResult, top = 8): ReportAnalysis {
  const ranked = g.slices
    .filter((s) => s.level === 'region×surface×policy' && s.rank !== null)
    .sort((a, b) => a.rank! - b.rank!)
    .slice(0, top);
  return {
    title: 'Enforcement gaps',
    description: `Slices where violating exposure is high and removals low (${g.from} .. ${g.to}); shortfall = removals expected at the platform-wide rate minus removals, with its ${Math.round(100 * g.confidence)}% CI. Slices with fewer than ${g.min_labels} labels are not ranked.`,
    columns: ['rank', 'slice', 'prevalence', 'violating exposure', 'removals', 'shortfall', 'shortfall CI'],
    rows: ranked.map((s) => [
      s.rank,
      s.slice,
      pct(s.prevalence),
      num(s.violating_exposure),
      s.removals,
      num(s.shortfall),
      s.shortfall_ci_low === null ? null : `${num(s.shortfall_ci_low)} .. ${num(s.shortfall_ci_high)}`,
    ]),
  };
}

export function funnelTable(r: ReportFunnelResult): ReportAnalysis {
  return {
    title: 'Report funnel by reason',
    description: `${r.total.reports} reports → ${r.total.decided} decided → ${r.total.actioned} actioned. Rarely actioned: ${r.low_precision_reasons.map((x) => x.reason).join(', ') || 'none'}.`,
    columns: [
      'reason',
      'reports',
      'decided',
      'precision',
      'precision CI',
      'p90 hours to resolution',
      'pending',
    ],
    rows: r.by_reason.map((x) => [
      x.reason,
      x.reports,
      x.decided,
      pct(x.precision),
      x.precision_ci_low === null ? null : `${pct(x.precision_ci_low)} .. ${pct(x.precision_ci_high)}`,
      x.resolution_hours_p90 === null ? null : Number(x.resolution_hours_p90.toFixed(1)),
      x.pending,
    ]),
  };
}

export function modelTable(m: ModelHealthResult): ReportAnalysis {
  return {
    title: 'Model health',
    description: `Score drift against the reference window (PSI ≥ ${m.thresholds.psi} or KS D ≥ ${m.thresholds.ks} is drift).`,
    columns: ['model', 'scores', 'reference', 'first drift day', 'days drifting', 'max PSI', 'ECE'],
    rows: m.models.map((x) => [
      x.model,
      x.scores,
      `${x.reference.from.slice(0, 10)} .. ${x.reference.to.slice(0, 10)}`,
      x.first_drift_day,
      x.drift.filter((d) => d.status === 'drift').length,
      Number(Math.max(0, ...x.drift.map((d) => d.psi ?? 0)).toFixed(3)),
      x.ece === null ? null : Number(x.ece.toFixed(3)),
    ]),
  };
}
