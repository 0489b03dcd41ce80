import { analyzeReports } from '../../shared/analysis/reports.js';
import { parseUtc } from '../../shared/time/window.js';
import { type AnalysisFlags, fmt, isInt, parseNumber, pct, runAnalysis } from './analyze-shared.js';

interface Opts extends AnalysisFlags {
  asOf?: string;
  minDecided?: string;
}

/** `vigil analyze reports`: the report funnel, precision by reason, backlog and bottlenecks. */
export async function run(o: Opts): Promise<void> {
  const asOf = o.asOf === undefined ? undefined : parseUtc(o.asOf, '--as-of');
  const minDecided = parseNumber(o.minDecided, '--min-decided', isInt(1, 1e9), 'an integer ≥ 1');
  await runAnalysis(
    o,
    (engine, range, sources) => analyzeReports({ engine, ...range, sources, asOf, minDecided }),
    (r) => {
      const t = r.total;
      const b = t.backlog;
      return [
        `Report funnel ${r.from} .. ${r.to} (as of ${r.as_of}): ${fmt(t.reports)} reports → ${fmt(t.decided)} decided (${pct(t.decided_share)}) → ${fmt(t.actioned)} actioned (precision ${pct(t.precision)})`,
        `  time to resolution: p50 ${fmt(t.resolution_hours_p50, 1)}h, p90 ${fmt(t.resolution_hours_p90, 1)}h, p99 ${fmt(t.resolution_hours_p99, 1)}h`,
        `  pending backlog: ${fmt(t.pending)} (<1d ${fmt(b.lt_1d)}, 1-2d ${fmt(b['1d_2d'])}, 2-7d ${fmt(b['2d_7d'])}, ≥7d ${fmt(b.ge_7d)})`,
        '  precision by reason:',
        ...r.by_reason.map(
          (x) =>
            `    ${x.reason ?? '(null)'}: ${pct(x.precision)} (CI ${pct(x.precision_ci_low)} .. ${pct(x.precision_ci_high)}) of ${fmt(x.decided)} decided`,
        ),
        `  rarely actioned: ${r.low_precision_reasons.map((x) => x.reason ?? '(null)').join(', ') || 'none'}`,
        '  bottlenecks (aged backlog beyond intake share):',
        ...r.bottlenecks
          .slice(0, 3)
          .map(
            (x) =>
              `    ${x.dimension}=${x.value ?? '(null)'}: ${fmt(x.aged_backlog)} aged pending (${fmt(x.excess_aged_backlog)} excess), p90 resolution ×${fmt(x.resolution_p90_ratio, 2)}`,
          ),
      ];
    },
  );
}
