import { analyzeModels, MODELS, type ModelName } from '../../shared/analysis/models.js';
import { InputError } from '../../shared/errors.js';
import { parseUtc } from '../../shared/time/window.js';
import { type AnalysisFlags, fmt, isInt, parseNumber, pct, runAnalysis } from './analyze-shared.js';

interface Opts extends AnalysisFlags {
  referenceFrom?: string;
  referenceTo?: string;
  outcomeDays?: string;
  models?: string;
  psiThreshold?: string;
  ksThreshold?: string;
}

/** `vigil analyze models`: score drift, calibration and threshold trade-offs of model_score and risk_score. */
export async function run(o: Opts): Promise<void> {
  if ((o.referenceFrom === undefined) !== (o.referenceTo === undefined))
    throw new InputError('--reference-from and --reference-to go together');
  const reference =
    o.referenceFrom !== undefined && o.referenceTo !== undefined
      ? { from: parseUtc(o.referenceFrom, '--reference-from'), to: parseUtc(o.referenceTo, '--reference-to') }
      : undefined;
  const outcomeDays = parseNumber(o.outcomeDays, '--outcome-days', isInt(1, 90), 'an integer 1..90');
  const psi = parseNumber(o.psiThreshold, '--psi-threshold', (n) => n > 0, 'a positive number');
  const ks = parseNumber(o.ksThreshold, '--ks-threshold', (n) => n > 0 && n < 1, 'in (0, 1)');
  const models = o.models?.split(',').map((m) => m.trim()) as ModelName[] | undefined;
  for (const m of models ?? [])
    if (!MODELS.includes(m))
      throw new InputError(`--models: unknown model '${m}' (one of ${MODELS.join(', ')})`);
  await runAnalysis(
    o,
    (engine, range, sources) =>
      analyzeModels({
        engine,
        ...range,
        sources,
        reference,
        outcomeDays,
        models,
        thresholds: { ...(psi === undefined ? {} : { psi }), ...(ks === undefined ? {} : { ks }) },
      }),
    (r) => [
      `Model health ${r.from} .. ${r.to} (drift: PSI ≥ ${r.thresholds.psi} or KS ≥ ${r.thresholds.ks} with p < ${r.thresholds.ksAlpha})`,
      ...r.models.flatMap((m) => {
        const drifted = m.drift.filter((d) => d.status === 'drift').length;
        const best = [...m.thresholds].sort((a, b) => (b.f1 ?? -1) - (a.f1 ?? -1))[0];
        return [
          `  ${m.model}: ${fmt(m.scores)} scores; reference ${m.reference.from} .. ${m.reference.to}; ${drifted} drifted day(s)${m.first_drift_day ? `, first ${m.first_drift_day}` : ''}`,
          `    outcome: ${m.outcome}; ${fmt(m.labelled)} labelled, positive rate ${pct(m.positive_rate)}, ECE ${fmt(m.ece, 3)}`,
          best
            ? `    best F1 at threshold ${best.threshold}: precision ${pct(best.precision)}, recall ${pct(best.recall)}, flags ${pct(best.flagged_share)}`
            : '    no labelled outcomes',
        ];
      }),
    ],
  );
}
