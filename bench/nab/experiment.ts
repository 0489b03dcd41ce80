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
 * Two harder checks: a 4th column `stress_fp_x4` (not a NAB profile: false positives at 4x the
 * standard cost, as if every file were 4x longer at the same false-alarm rate; the rest of the NAB
 * corpus has files up to 5x longer than these), and `--drop p`, a thinned copy of the split (see
 * thinned) for an irregular cadence the public files do not show. `--stretch k` (see stretched) is a
 * stand-in for the longer held-out files: each file made k times as long by repeating a stretch of its
 * own normal rows, so false alarms that do not stop as a series' repertoire is learned show up as
 * real false positives, and every window after the insert comes after that much more history.
 *
 *   npx tsx bench/nab/experiment.ts ['{"halfEvidence":3}'] [--per-file] [--drop 0.2] [--stretch 4]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TUNING } from '../../shared/anomaly/detector.js';
import {
  dataDir,
  labelsPath,
  PROFILES as NAB_PROFILES,
  nab,
  nabCsvFiles,
  repo,
  writeVigilScores,
} from './split.js';

const PROFILES = [...NAB_PROFILES, 'stress_fp_x4'] as const;

/**
 * A copy of the split where each data row outside the labelled windows is left out with
 * probability `drop` (seeded per file, so every run drops the same rows). Rows inside windows are
 * all kept: the scorer needs the window limits, and the anomaly itself is not what this tests,
 * only the cadence of the normal rows around it.
 */
function thinned(drop: number): string {
  const dir = join(repo, 'bench/out/nab-thin', String(drop));
  const windows = JSON.parse(readFileSync(labelsPath, 'utf8')) as Record<string, string[][]>;
  for (const f of nabCsvFiles()) {
    const [header, ...rows] = readFileSync(f.path, 'utf8').trimEnd().split('\n');
    const spans = (windows[f.rel] ?? []).map((w) => w.map((t) => t.slice(0, 19)));
    let seed = createHash('sha1').update(f.name).digest().readUInt32LE(0) || 1;
    const kept = rows.filter((row) => {
      const t = row.slice(0, 19);
      if (spans.some(([a, b]) => t >= a! && t <= b!)) return true;
      // xorshift32
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32 >= drop;
    });
    mkdirSync(join(dir, f.category), { recursive: true });
    writeFileSync(join(dir, f.category, f.name), `${[header, ...kept].join('\n')}\n`);
  }
  return dir;
}

const DAY_MS = 86_400_000;
const parseTs = (t: string) => Date.parse(`${t.slice(0, 19).replace(' ', 'T')}Z`);
const formatTs = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * A copy of the split where each file is about `factor` times as long (a stand-in: the public split
 * has no file over 4731 rows, NAB's held-out files reach ~22k). The rows before the first window are
 * the file's normal behaviour by its labels; their last whole weeks (or days, if they hold no week; or
 * all of them, if they hold no day) are repeated right after them as often as makes the file `factor`
 * times as long, the timestamps of everything later (rows and windows) shifted by the inserted time.
 * Every window then comes after that much more history, and NAB's probation (15%, at most 750 rows)
 * still ends before the first window. Exact repeats are kinder than new normal rows would be (nothing
 * in them is new after the first copy), so this is a lower bound on how false alarms grow with length;
 * it also asks whether windows late in a long history are still found.
 */
function stretched(factor: number): { root: string; labels: string } {
  const dir = join(repo, 'bench/out/nab-stretch', String(factor));
  const windows = JSON.parse(readFileSync(labelsPath, 'utf8')) as Record<string, string[][]>;
  const labels: Record<string, string[][]> = {};
  for (const f of nabCsvFiles()) {
    const [header, ...rows] = readFileSync(f.path, 'utf8').trimEnd().split('\n');
    const times = rows.map((r) => parseTs(r));
    const n = rows.length;
    const spans = (windows[f.rel] ?? []).map((w) => w.map(parseTs) as [number, number]);
    const inWindow = (t: number) => spans.some(([a, b]) => t >= a && t <= b);
    // The rows before the first window (all of them if there is none) are normal by the labels.
    const e = spans.length > 0 ? times.findIndex((t) => inWindow(t)) : n;
    const steps = times
      .slice(1)
      .map((t, i) => t - times[i]!)
      .sort((x, y) => x - y);
    const step = steps[steps.length >> 1]!;
    const perDay = Math.round(DAY_MS / step);
    const period = e >= 7 * perDay ? 7 * perDay : Math.min(e, perDay);
    const block = Math.floor(e / period) * period;
    const copies = block > 0 ? Math.ceil(((factor - 1) * n) / block) : 0;
    // Whole days, so the copies keep the time of day (and gaps in the cadence cannot overlap them).
    const end = e < n ? times[e]! : times[n - 1]! + step;
    const unit = period >= perDay ? DAY_MS : step;
    const shiftMs = Math.ceil((end - times[e - block]!) / unit) * unit;
    const out: string[] = rows.slice(0, e);
    for (let c = 1; c <= copies; c++)
      for (let i = e - block; i < e; i++) out.push(formatTs(times[i]! + c * shiftMs) + rows[i]!.slice(19));
    for (let i = e; i < n; i++) out.push(formatTs(times[i]! + copies * shiftMs) + rows[i]!.slice(19));
    const moved = (t: number) => formatTs(t >= times[e - 1]! + step / 2 ? t + copies * shiftMs : t);
    labels[f.rel] = spans.map(([s0, s1]) => [`${moved(s0)}.000000`, `${moved(s1)}.000000`]);
    mkdirSync(join(dir, f.category), { recursive: true });
    writeFileSync(join(dir, f.category, f.name), `${[header, ...out].join('\n')}\n`);
  }
  const labelsFile = `${dir}.labels.json`;
  writeFileSync(labelsFile, JSON.stringify(labels));
  return { root: dir, labels: labelsFile };
}

interface NabFile {
  rel: string;
  windows: unknown[];
}
interface Scorer {
  PROFILES: Record<string, { tpWeight: number; fnWeight: number; fpWeight: number }>;
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
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      target[k] ??= {};
      merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const perFile = args.includes('--per-file');
  const patch = args.find((a) => a.startsWith('{'));
  const dropAt = args.indexOf('--drop');
  const drop = dropAt >= 0 ? Number(args[dropAt + 1]) : 0;
  const stretchAt = args.indexOf('--stretch');
  const stretch = stretchAt >= 0 ? Number(args[stretchAt + 1]) : 0;
  const long = stretch > 1 ? stretched(stretch) : undefined;
  const root = long?.root ?? (drop > 0 ? thinned(drop) : dataDir);
  if (patch) merge(TUNING as unknown as Record<string, unknown>, JSON.parse(patch));
  // One output folder per override, so runs side by side do not overwrite each other.
  const tag = `${patch ? createHash('sha1').update(patch).digest('hex').slice(0, 10) : 'default'}${drop > 0 ? `-drop${drop}` : ''}${long ? `-stretch${stretch}` : ''}`;
  const outDir = join(repo, 'bench/out/nab-exp', tag);
  const { seconds } = writeVigilScores(outDir, root);
  const scorer = (await import(pathToFileURL(join(nab, 'score.mjs')).href)) as Scorer;
  scorer.PROFILES.stress_fp_x4 = { tpWeight: 1, fnWeight: 1, fpWeight: 0.44 };
  const files = scorer.loadRun({
    dataDir: root,
    labelsPath: long?.labels ?? labelsPath,
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
