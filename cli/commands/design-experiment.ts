import { designExperiment, UNIT_METRICS } from '../../shared/analysis/design.js';
import { InputError } from '../../shared/errors.js';
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
  metric: string;
  mde?: string;
  alpha?: string;
  power?: string;
  traffic?: string;
  preDays?: string;
}

/** `vigil design experiment`: MDE, duration and units for a per-unit metric, with CUPED. */
export async function run(o: Opts): Promise<void> {
  if (!o.metric)
    throw new InputError(`--metric is required (one of ${Object.keys(UNIT_METRICS).join(', ')})`);
  if (!UNIT_METRICS[o.metric])
    throw new InputError(
      `--metric: unknown metric '${o.metric}' (one of ${Object.keys(UNIT_METRICS).join(', ')})`,
    );
  const mde = parseNumber(
    o.mde,
    '--mde',
    (n) => n > -1 && n <= 10 && n !== 0,
    'a relative effect in (-1, 10], not 0',
  );
  const alpha = parseNumber(o.alpha, '--alpha', inOpenUnit, 'in (0, 1)');
  const power = parseNumber(o.power, '--power', inOpenUnit, 'in (0, 1)');
  const traffic = parseNumber(o.traffic, '--traffic', (n) => n > 0 && n <= 1, 'in (0, 1]');
  const preDays = parseNumber(o.preDays, '--pre-days', isInt(1, 365), 'an integer 1..365');
  await runAnalysis(
    o,
    (engine, range, sources) =>
      designExperiment({ engine, ...range, sources, metric: o.metric, mde, alpha, power, traffic, preDays }),
    (r) => [
      `Experiment design for ${r.metric} (${r.kind}): alpha ${r.alpha}, power ${r.power}, MDE ${pct(r.mde)}, traffic ${pct(r.traffic, 0)}; pre-period ${r.pre_period.from} .. ${r.pre_period.to}`,
      '  days | units/arm | mean | MDE | MDE (CUPED) | needed/arm | needed/arm (CUPED) | ρ²',
      ...r.durations.map(
        (d) =>
          `  ${d.days} | ${fmt(d.units_per_arm)} | ${fmt(d.mean, 4)} | ${pct(d.mde, 2)} | ${pct(d.mde_cuped, 2)} | ${fmt(d.required_units_per_arm)} | ${fmt(d.required_units_per_arm_cuped)} | ${fmt(d.cuped_variance_reduction, 3)}`,
      ),
      `  recommended duration: ${r.recommended_days ?? 'longer than the history'} days (with CUPED: ${r.recommended_days_cuped ?? 'longer than the history'})`,
    ],
  );
}
