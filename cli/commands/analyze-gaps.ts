import { analyzeGaps, GAP_LEVELS } from '../../shared/analysis/gaps.js';
import { type AnalysisFlags, fmt, isInt, parseNumber, pct, runAnalysis } from './analyze-shared.js';

interface Opts extends AnalysisFlags {
  minLabels?: string;
  top?: string;
}

/** `vigil analyze gaps`: slices where violating exposure is high and enforcement low. */
export async function run(o: Opts): Promise<void> {
  const minLabels = parseNumber(o.minLabels, '--min-labels', isInt(1, 1e9), 'an integer ≥ 1');
  const top = parseNumber(o.top, '--top', isInt(1, 1000), 'an integer 1..1000') ?? 5;
  await runAnalysis(
    o,
    (engine, range, sources) => analyzeGaps({ engine, ...range, sources, minLabels }),
    (r) => {
      const lines = [
        `Enforcement gaps ${r.from} .. ${r.to}: norm ${fmt(r.norm_removals_per_violating_impression, 3)} removals per violating impression; slices with < ${r.min_labels} labels are not ranked`,
      ];
      for (const level of GAP_LEVELS) {
        const ranked = r.slices.filter((s) => s.level === level && s.rank !== null).slice(0, top);
        const unranked = r.slices.filter((s) => s.level === level && s.rank === null).length;
        lines.push(`  ${level}${unranked ? ` (${unranked} with too few labels)` : ''}:`);
        for (const s of ranked)
          lines.push(
            `    ${s.rank}. ${s.slice}: shortfall ${fmt(s.shortfall)} removals (CI ${fmt(s.shortfall_ci_low)} .. ${fmt(s.shortfall_ci_high)}); exposure ${fmt(s.violating_exposure)} (prevalence ${pct(s.prevalence, 2)}), removals ${fmt(s.removals)}, report action ${pct(s.report_action_rate)}, latency p90 ${fmt(s.decision_latency_p90_seconds)}s`,
          );
      }
      return lines;
    },
  );
}
