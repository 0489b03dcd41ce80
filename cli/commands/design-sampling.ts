import { designSampling } from '../../shared/analysis/design.js';
import {
  type AnalysisFlags,
  fmt,
  inOpenUnit,
  isInt,
  parseNumber,
  pct,
  runAnalysis,
} from './analyze-shared.js';

interface Opts extends AnalysisFlags {
  budget?: string;
  minPerStratum?: string;
  confidence?: string;
}

/** `vigil design sampling`: Neyman allocation of a prevalence-labelling budget over region × surface. */
export async function run(o: Opts): Promise<void> {
  const budget = parseNumber(o.budget, '--budget', isInt(1, 1e9), 'an integer ≥ 1');
  const minPerStratum = parseNumber(o.minPerStratum, '--min-per-stratum', isInt(0, 1e6), 'an integer ≥ 0');
  const confidence = parseNumber(o.confidence, '--confidence', inOpenUnit, 'in (0, 1)');
  await runAnalysis(
    o,
    (engine, range, sources) =>
      designSampling({ engine, ...range, sources, budget, minPerStratum, confidence }),
    (r) => [
      `Sampling design ${r.from} .. ${r.to}: budget ${fmt(r.budget)} labels, prevalence ${pct(r.prevalence, 3)}`,
      `  ${pct(r.confidence, 0)} CI width: Neyman ${pct(r.ci_width.neyman, 3)}, uniform ${pct(r.ci_width.uniform, 3)} (×${fmt(r.width_ratio_uniform_to_neyman, 2)}), current allocation ${pct(r.ci_width.current, 3)}`,
      `  uniform sampling needs ${fmt(r.uniform_budget_for_neyman_width)} labels for Neyman's width`,
      '  stratum | impressions share | planning prevalence | Neyman | uniform',
      ...r.strata.map(
        (s) =>
          `  region=${s.region ?? '(null)'};surface=${s.surface ?? '(null)'} | ${pct(s.impression_share)} | ${pct(s.planning_prevalence, 2)} | ${fmt(s.neyman)} | ${fmt(s.uniform)}`,
      ),
    ],
  );
}
