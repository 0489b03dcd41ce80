/**
 * NAB stability harness (development aid, not part of `vigil detect`): scores the public split
 * with the default configuration, optionally with TUNING overrides (a JSON object merged into
 * `TUNING`, for sweeps), and prints the three normalised scores on the whole split, on each
 * category alone and on the odd / even halves of the sorted file list. A change that helps one
 * half only is suspect (it fits those files).
 *
 * Leave-one-category-out (LOCO): for each of the 4 categories, the threshold is chosen on the
 * other three (the only thing NAB fits) and the held-out category is scored at it. The pooled
 * out-of-fold score sums the held-out raw scores over folds and normalises by the folds' summed
 * null and perfect scores; artificialNoAnomaly (no windows) enters only through its false
 * positives. A change is kept when it helps the pooled LOCO score without losing a fold.
 *
 *   npx tsx bench/nab/experiment.ts ['{"halfEvidence":3}'] [--per-file]
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TUNING } from '../../shared/anomaly/detector.js';
import { dataDir, labelsPath, nab, PROFILES, repo, writeVigilScores } from './split.js';

interface NabFile {
  rel: string;
  windows: unknown[];
}
interface Scorer {
  loadRun(o: { dataDir: string; labelsPath: string; resultsDir: string }): NabFile[];
  scoreRun(
    files: NabFile[],
    profiles?: readonly string[],
    opts?: { perFile?: boolean; thresholds?: Record<string, number> },
  ): Record<
    string,
    {
      normalized: number;
      raw: number;
      nullRaw: number;
      perfectRaw: number;
      windowsDetected: number;
      windows: number;
      fp: number;
      threshold: number;
      perFile?: { file: string; score: number; fp: number; windows: number; windowsDetected: number }[];
    }
  >;
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === 'object' && !Array.isArray(v))
      merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const perFile = args.includes('--per-file');
  const patch = args.find((a) => a.startsWith('{'));
  if (patch) merge(TUNING as unknown as Record<string, unknown>, JSON.parse(patch));
  // One output folder per override, so runs side by side do not overwrite each other.
  const tag = patch ? createHash('sha1').update(patch).digest('hex').slice(0, 10) : 'default';
  const outDir = join(repo, 'bench/out/nab-exp', tag);
  const { seconds } = writeVigilScores(outDir);
  const scorer = (await import(pathToFileURL(join(nab, 'score.mjs')).href)) as Scorer;
  const files = scorer.loadRun({
    dataDir,
    labelsPath,
    resultsDir: outDir,
  });
  const subsets: [string, NabFile[]][] = [['all', files]];
  for (const c of [...new Set(files.map((f) => f.rel.split('/')[0]!))]) {
    const fs = files.filter((f) => f.rel.startsWith(`${c}/`));
    if (fs.some((f) => f.windows.length > 0)) subsets.push([c, fs]);
  }
  subsets.push(['odd', files.filter((_, i) => i % 2 === 1)]);
  subsets.push(['even', files.filter((_, i) => i % 2 === 0)]);
  console.log(`scored in ${seconds.toFixed(2)} s`);
  for (const [name, fs] of subsets) {
    const r = scorer.scoreRun(fs, PROFILES);
    const s = r.standard!;
    console.log(
      `${name.padEnd(22)} ${PROFILES.map((p) => r[p]!.normalized.toFixed(2).padStart(6)).join(' ')}  ` +
        `win ${s.windowsDetected}/${s.windows} fp ${s.fp} thr ${s.threshold.toFixed(3)}`,
    );
  }
  // Leave one category out: threshold from the other categories, score on the held-out one.
  const categories = [...new Set(files.map((f) => f.rel.split('/')[0]!))];
  const pooled = Object.fromEntries(PROFILES.map((p) => [p, { raw: 0, nul: 0, perfect: 0 }]));
  for (const c of categories) {
    const held = files.filter((f) => f.rel.startsWith(`${c}/`));
    const train = files.filter((f) => !f.rel.startsWith(`${c}/`));
    const fit = scorer.scoreRun(train, PROFILES);
    const thresholds = Object.fromEntries(PROFILES.map((p) => [p, fit[p]!.threshold]));
    const r = scorer.scoreRun(held, PROFILES, { thresholds });
    for (const p of PROFILES) {
      pooled[p]!.raw += r[p]!.raw;
      pooled[p]!.nul += r[p]!.nullRaw;
      pooled[p]!.perfect += r[p]!.perfectRaw;
    }
    const s = r.standard!;
    const cells = PROFILES.map((p) =>
      r[p]!.perfectRaw > 0 ? r[p]!.normalized.toFixed(2).padStart(6) : `raw ${r[p]!.raw.toFixed(2)}`,
    );
    console.log(
      `loco ${c.padEnd(17)} ${cells.join(' ')}  win ${s.windowsDetected}/${s.windows} fp ${s.fp} thr ${s.threshold.toFixed(3)}`,
    );
  }
  console.log(
    `loco pooled             ${PROFILES.map((p) => {
      const q = pooled[p]!;
      return ((100 * (q.raw - q.nul)) / (q.perfect - q.nul)).toFixed(2).padStart(6);
    }).join(' ')}`,
  );
  if (perFile) {
    const r = scorer.scoreRun(files, ['standard'], { perFile: true }).standard!;
    for (const f of r.perFile ?? [])
      console.log(
        `${f.file.padEnd(60)} ${f.score.toFixed(3).padStart(7)} win ${f.windowsDetected}/${f.windows} fp ${f.fp}`,
      );
  }
}

await main();
