import { generateLake } from '../../shared/adapters/duckdb/generate-lake.js';
import { InputError } from '../../shared/errors.js';
import { buildScenario, SCALES, type ScaleName } from '../../shared/generator/scenario.js';
import { parseUtc } from '../../shared/time/window.js';
import { parsePositiveInt, printSummary } from '../options.js';
import { claimDir } from '../ownership.js';
import { progressBar } from '../progress.js';

interface Opts {
  out: string;
  seed: string;
  scale: string;
  impressions?: string;
  start: string;
  days?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function run(o: Opts): Promise<void> {
  if (!Object.hasOwn(SCALES, o.scale))
    throw new InputError(`--scale must be one of ${Object.keys(SCALES).join('|')}, got '${o.scale}'`);
  const scale = SCALES[o.scale as ScaleName];
  const seed = Number(o.seed);
  if (!/^\d+$/.test(o.seed)) throw new InputError(`--seed must be a non-negative integer, got '${o.seed}'`);
  const scenario = buildScenario({
    seed,
    start: parseUtc(o.start, '--start'),
    days: o.days ? parsePositiveInt(o.days, '--days', 400) : scale.days,
    impressions: o.impressions ? parsePositiveInt(o.impressions, '--impressions') : scale.impressions,
  });
  // Generating replaces the six source folders: only in a new or empty folder, or a lake Vigil generated.
  await claimDir(o.out, 'lake', 'generate', '--out', isGeneratedLake);
  const bar = progressBar(o);
  const started = performance.now();
  const manifest = await generateLake(scenario, o.out, (step, done, total) => bar.update(done, total, step));
  bar.done();
  const seconds = (performance.now() - started) / 1000;
  const summary = { lake: o.out, seconds: Number(seconds.toFixed(2)), ...manifest };
  printSummary(o.json, summary, [
    `Generated lake ${o.out} (${manifest.start} .. ${manifest.end}, seed ${seed}) in ${seconds.toFixed(1)}s`,
    ...Object.entries(manifest.rows).map(
      ([s, n]) => `  ${s.padEnd(24)} ${n.toLocaleString('en-US').padStart(12)} rows`,
    ),
    `  planted: ${manifest.incidents.length} incidents, ${manifest.missing_partitions.length} missing partition(s), 1 A/B test, 1 policy launch`,
    `  ground truth: ${o.out}/_manifest.json`,
  ]);
}

/** A lake generated before ownership markers: it carries the generator's ground truth. */
export function isGeneratedLake(entries: readonly string[]): boolean {
  return entries.includes('_manifest.json');
}
