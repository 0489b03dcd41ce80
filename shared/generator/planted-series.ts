import { InputError } from '../errors.js';
import type { MetricRow } from '../metrics/metric-row.js';
import type { PartitionCounts } from '../quality/partition-counts.js';
import { type Slice, sliceOf, TOTAL } from '../slices/slice.js';
import { createRng, poissonDraw, type Rng } from '../stats/random.js';
import { REGIONS } from './scenario.js';

/**
 * Labelled hourly T&S metric series with planted incidents of every kind the detector must tell
 * apart, generated directly at the metric level (no lake, no SQL), so a detector change can be
 * judged in seconds on many seeds. Counts are Poisson, sampled prevalence labels binomial; traffic
 * has a daily and a weekly cycle; slices range from 30% of traffic to 3% (a few events an hour).
 *
 * Kinds: a sustained level shift up and one down, a ramp, a large drop in one region (−92%), a
 * one-hour spike, a spike in a small region, a five-fold prevalence jump on one surface; and two
 * things that are not metric incidents: a day of global traffic +35% with every rate flat (at most
 * a traffic notice on `impressions`), and an hour whose impressions partition holds ~25% of its
 * rows (a data-quality alert, no metric incident).
 */
export type PlantedKind =
  | 'level_shift'
  | 'level_shift_down'
  | 'ramp'
  | 'drop'
  | 'spike'
  | 'small_slice_spike'
  | 'prevalence_jump'
  | 'traffic'
  | 'partial_partition';

export interface PlantedTruth {
  readonly id: string;
  readonly kind: PlantedKind;
  /** Epoch ms, half-open. */
  readonly start: number;
  readonly end: number;
  /** Metric moves that count as catching it (empty: nothing should be raised but `allowed`). */
  readonly metrics: readonly { readonly metric: string; readonly slice: string }[];
  /** Metrics that may raise one notice during it without being a false alarm (traffic). */
  readonly allowed?: readonly string[];
  /** The source whose partition is faulty (data-quality kinds). */
  readonly source?: string;
}

export interface PlantedSeries {
  readonly start: number;
  readonly hours: number;
  readonly rows: MetricRow[];
  readonly counts: PartitionCounts;
  readonly truth: readonly PlantedTruth[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SURFACES = [
  { surface: 'video', share: 0.55 },
  { surface: 'comment', share: 0.22 },
  { surface: 'live', share: 0.15 },
  { surface: 'message', share: 0.08 },
] as const;
const REMOVAL_RATE = 0.003;
const REPORT_RATE = 0.002;
const LABEL_RATE = 0.004;
const VIOLATING = 0.03;

export const PLANTED_METRICS = [
  'impressions',
  'removals',
  'user_reports',
  'removals_per_10k_impressions',
  'reports_per_10k_impressions',
  'violation_prevalence',
] as const;

function poisson(rng: Rng, mean: number): number {
  return mean <= 0 ? 0 : poissonDraw(rng, mean);
}

function binomial(rng: Rng, n: number, p: number): number {
  if (n > 60) {
    const m = n * p;
    return Math.min(n, Math.max(0, Math.round(m + Math.sqrt(m * (1 - p)) * rng.normal())));
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.uniform() < p) k++;
  return k;
}

/** Wilson interval of k successes in n. */
function wilson(k: number, n: number): [number, number] {
  const z = 1.959964;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

export interface PlantedOptions {
  readonly seed: number;
  readonly days?: number;
  /** Impressions per hour at the daily mean. */
  readonly hourlyImpressions?: number;
  /** Start (midnight UTC, a Monday by default). */
  readonly start?: number;
  /**
   * Extra-Poisson volume noise, the sd of a log-normal factor, 0..1 (default 0: pure Poisson).
   * Real traffic wanders beyond Poisson: each region's traffic gets a factor per day and half as
   * much per hour, and its removal and report rates a factor per day, so large slices are
   * overdispersed while small ones stay near Poisson.
   */
  readonly noise?: number;
}

/** Log-normal volume factors per (hour, region): traffic, removal rate, report rate. */
function volumeNoise(o: PlantedOptions, hours: number): (h: number, r: number) => [number, number, number] {
  const sd = o.noise ?? 0;
  if (!(sd >= 0 && sd <= 1)) throw new InputError(`noise must be in [0, 1], got ${o.noise}`);
  if (sd === 0) return () => [1, 1, 1];
  // Its own stream, so the Poisson draws of a seed stay those of its noise-free twin's order.
  const rng = createRng((o.seed ^ 0x5bd1e995) >>> 0);
  const days = Math.ceil(hours / 24);
  const perDay = Array.from({ length: days * REGIONS.length }, () => [
    rng.normal(),
    rng.normal(),
    rng.normal(),
  ]);
  const perHour = Array.from({ length: hours * REGIONS.length }, () => rng.normal());
  return (h, r) => {
    const [t, rem, rep] = perDay[Math.floor(h / 24) * REGIONS.length + r]!;
    const traffic = Math.exp(sd * t! + (sd / 2) * perHour[h * REGIONS.length + r]!);
    return [traffic, Math.exp(sd * rem!), Math.exp(sd * rep!)];
  };
}

export function generatePlanted(o: PlantedOptions): PlantedSeries {
  const days = o.days ?? 35;
  const hours = days * 24;
  const start = o.start ?? Date.UTC(2026, 0, 5);
  const base = o.hourlyImpressions ?? 30_000;
  const rng = createRng(o.seed);
  const noise = volumeNoise(o, hours);
  // Its own stream: the metric rows stay those the seed gave before.
  const decisions = createRng((o.seed ^ 0x27d4eb2f) >>> 0);
  // Each incident's start jitters by seed, so seeds differ in more than noise.
  const at = (day: number, hour: number) => start + day * DAY + (hour + Math.floor(rng.uniform() * 6)) * HOUR;
  const span = (t0: number, h: number) => ({ start: t0, end: t0 + h * HOUR });
  const truth: PlantedTruth[] = [
    {
      id: 'shift-br',
      kind: 'level_shift',
      ...span(at(15, 6), 72),
      metrics: [
        { metric: 'removals', slice: 'region=BR' },
        { metric: 'removals_per_10k_impressions', slice: 'region=BR' },
      ],
    },
    {
      id: 'ramp-comment',
      kind: 'ramp',
      ...span(at(19, 0), 48),
      metrics: [
        { metric: 'user_reports', slice: 'surface=comment' },
        { metric: 'reports_per_10k_impressions', slice: 'surface=comment' },
      ],
    },
    {
      id: 'drop-in',
      kind: 'drop',
      ...span(at(21, 8), 10),
      metrics: [
        { metric: 'removals', slice: 'region=IN' },
        { metric: 'removals_per_10k_impressions', slice: 'region=IN' },
      ],
    },
    { id: 'traffic', kind: 'traffic', ...span(at(23, 0), 24), metrics: [], allowed: ['impressions'] },
    {
      id: 'partial-impressions',
      kind: 'partial_partition',
      ...span(at(25, 10), 1),
      metrics: [],
      source: 'impressions',
    },
    {
      id: 'prevalence-live',
      kind: 'prevalence_jump',
      ...span(at(26, 12), 6),
      metrics: [{ metric: 'violation_prevalence', slice: 'surface=live' }],
    },
    {
      id: 'spike-de',
      kind: 'spike',
      ...span(at(28, 14), 1),
      metrics: [
        { metric: 'user_reports', slice: 'region=DE' },
        { metric: 'reports_per_10k_impressions', slice: 'region=DE' },
      ],
    },
    {
      id: 'shift-video-down',
      kind: 'level_shift_down',
      ...span(at(30, 4), 96),
      metrics: [
        { metric: 'removals', slice: 'surface=video' },
        { metric: 'removals_per_10k_impressions', slice: 'surface=video' },
      ],
    },
    {
      id: 'spike-ng',
      kind: 'small_slice_spike',
      ...span(at(33, 2), 2),
      metrics: [
        { metric: 'removals', slice: 'region=NG' },
        { metric: 'removals_per_10k_impressions', slice: 'region=NG' },
      ],
    },
  ];
  const byId = new Map(truth.map((p) => [p.id, p]));
  const inside = (id: string, t: number) => {
    const p = byId.get(id)!;
    return t >= p.start && t < p.end;
  };

  type Acc = { imp: number; rem: number; rep: number; lab: number; vio: number };
  const rows: MetricRow[] = [];
  const counts: PartitionCounts = new Map(
    ['impressions', 'moderation_decisions', 'user_reports', 'prevalence_labels'].map((s) => [s, new Map()]),
  );
  for (let h = 0; h < hours; h++) {
    const t = start + h * HOUR;
    const hod = h % 24;
    const dow = new Date(t).getUTCDay();
    const traffic =
      base *
      (1 + 0.45 * Math.sin((2 * Math.PI * (hod - 9)) / 24)) *
      (dow === 0 || dow === 6 ? 1.12 : 1) *
      (inside('traffic', t) ? 1.35 : 1);
    const partial = inside('partial-impressions', t) ? 0.25 : 1;
    const cells = new Map<string, Acc>();
    // Impressions served, before the partial partition loses rows of them.
    let served = 0;
    for (const [ri, r] of REGIONS.entries()) {
      const [trafficNoise, remNoise, repNoise] = noise(h, ri);
      for (const s of SURFACES) {
        const imp = poisson(rng, traffic * trafficNoise * r.share * s.share);
        served += imp;
        let rem = REMOVAL_RATE * remNoise;
        if (r.region === 'BR' && inside('shift-br', t)) rem *= 1.8;
        if (r.region === 'IN' && inside('drop-in', t)) rem *= 0.08;
        if (s.surface === 'video' && inside('shift-video-down', t)) rem *= 0.6;
        if (r.region === 'NG' && inside('spike-ng', t)) rem *= 6;
        let rep = REPORT_RATE * repNoise;
        if (s.surface === 'comment' && inside('ramp-comment', t)) {
          const p = byId.get('ramp-comment')!;
          rep *= 1 + 1.5 * Math.min(1, (t - p.start) / (24 * HOUR));
        }
        if (r.region === 'DE' && inside('spike-de', t)) rep *= 4;
        const lab = poisson(rng, imp * LABEL_RATE);
        const vio = binomial(
          rng,
          lab,
          VIOLATING * (s.surface === 'live' && inside('prevalence-live', t) ? 5 : 1),
        );
        cells.set(`${r.region}|${s.surface}`, {
          // The partial partition loses rows of the impressions source only.
          imp: Math.round(imp * partial),
          rem: poisson(rng, imp * rem),
          rep: poisson(rng, imp * rep),
          lab,
          vio,
        });
      }
    }
    const sum = (pick: (region: string, surface: string) => boolean): Acc => {
      const a: Acc = { imp: 0, rem: 0, rep: 0, lab: 0, vio: 0 };
      for (const [key, c] of cells) {
        const [region, surface] = key.split('|') as [string, string];
        if (!pick(region, surface)) continue;
        a.imp += c.imp;
        a.rem += c.rem;
        a.rep += c.rep;
        a.lab += c.lab;
        a.vio += c.vio;
      }
      return a;
    };
    const slices: [Slice, Acc][] = [[TOTAL, sum(() => true)]];
    for (const r of REGIONS)
      slices.push([sliceOf([['region', r.region]]), sum((region) => region === r.region)]);
    for (const s of SURFACES)
      slices.push([sliceOf([['surface', s.surface]]), sum((_, surface) => surface === s.surface)]);
    const windowStart = new Date(t);
    const row = (
      metric: string,
      slice: Slice,
      value: number | null,
      numerator: number | null,
      denominator: number | null,
      ci: [number, number] | null = null,
    ): MetricRow => ({
      metric,
      grain: 'hour',
      windowStart,
      slice,
      value,
      numerator,
      denominator,
      ciLow: ci?.[0] ?? null,
      ciHigh: ci?.[1] ?? null,
    });
    for (const [slice, a] of slices) {
      rows.push(row('impressions', slice, a.imp, null, null));
      rows.push(row('removals', slice, a.rem, null, null));
      rows.push(row('user_reports', slice, a.rep, null, null));
      const per10k = (n: number) => (a.imp > 0 ? (10_000 * n) / a.imp : null);
      rows.push(row('removals_per_10k_impressions', slice, per10k(a.rem), a.rem, a.imp));
      rows.push(row('reports_per_10k_impressions', slice, per10k(a.rep), a.rep, a.imp));
      // Equal sample weights (1 / label rate): weighted sums are the label counts scaled.
      const w = 1 / LABEL_RATE;
      rows.push(
        row(
          'violation_prevalence',
          slice,
          a.lab > 0 ? a.vio / a.lab : null,
          a.vio * w,
          a.lab * w,
          a.lab > 0 ? wilson(a.vio, a.lab) : null,
        ),
      );
    }
    const total = slices[0]![1];
    counts.get('impressions')!.set(t, total.imp);
    // Decisions are the removals plus Poisson decisions that removed nothing (1.5 per removal as
    // usual): a count, as the guard reads it, where removals / 0.4 was 2.5 times as dispersed.
    counts.get('moderation_decisions')!.set(t, total.rem + poisson(decisions, 1.5 * REMOVAL_RATE * served));
    counts.get('user_reports')!.set(t, total.rep);
    counts.get('prevalence_labels')!.set(t, total.lab);
  }
  return { start, hours, rows, counts, truth };
}
