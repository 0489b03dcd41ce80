/**
 * The incidents a lake-level planted bench plants into a clean generated lake: seeded kinds, slices
 * and times (non-overlapping, after a warm-up), each as its truth (the kinds and the matching rules of
 * shared/generator/planted-series.ts) and the row edits that make it (bench/detect/lake/plant.ts).
 */

import type { PlantedKind, PlantedTruth } from '../../../shared/generator/planted-series.js';
import { REGIONS } from '../../../shared/generator/scenario.js';
import { createRng, type Rng } from '../../../shared/stats/random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One row edit of a source over [start, end): equality conditions on columns, AND-ed. */
export interface RowEdit {
  readonly source: string;
  readonly where: Readonly<Record<string, string>>;
  /**
   * Per hour (epoch ms of its start) the factor on the matching rows: > 1 duplicates rows with fresh
   * ids, < 1 deletes rows; with `flip`, the share of non-violating labels turned violating instead.
   */
  readonly factor: (hour: number) => number;
  readonly flip?: boolean;
  /** Duplicates get fresh people ids too (more traffic is more people). */
  readonly freshPeople?: boolean;
  /**
   * More rows are independent events, drawn from another generation of the same hours (the twin
   * lake), not copies: a copy repeats its row's labels and attributes, which makes slice counts
   * about 1.5x as dispersed as real extra traffic (factor at most 2).
   */
  readonly independent?: boolean;
}

export interface LakePlant extends PlantedTruth {
  readonly edits: readonly RowEdit[];
  /** What was planted, for the manifest (the factor functions are not data). */
  readonly description: string;
}

export const LAKE_KINDS: readonly PlantedKind[] = [
  'level_shift',
  'level_shift',
  'level_shift_down',
  'ramp',
  'ramp',
  'drop',
  'traffic',
  'partial_partition',
  'prevalence_jump',
  'spike',
  'spike',
  'small_slice_spike',
];

const SURFACES = ['video', 'live', 'comment', 'message'] as const;
const LARGE = REGIONS.slice(0, 5).map((r) => r.region);
const SMALL = REGIONS.slice(-3).map((r) => r.region);
/** Hours each kind lasts. */
const HOURS: Record<PlantedKind, number> = {
  level_shift: 72,
  level_shift_down: 72,
  ramp: 48,
  drop: 10,
  traffic: 24,
  partial_partition: 1,
  prevalence_jump: 6,
  spike: 1,
  small_slice_spike: 2,
};
/** Quiet hours after each incident before the next may start (resolution, re-baselining). */
const GAP = 18;
const WARMUP_DAYS = 7;

function choose<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng.uniform() * xs.length)]!;
}

/** A count metric (removals or reports) in one region or surface: the metrics that catch a move. */
function countTarget(rng: Rng, regions: readonly string[], dims: 'region' | 'any') {
  const removals = rng.uniform() < 0.5;
  const dim = dims === 'region' || rng.uniform() < 0.5 ? 'region' : 'surface';
  const value = dim === 'region' ? choose(rng, regions) : choose(rng, SURFACES);
  const slice = `${dim}=${value}`;
  return removals
    ? {
        source: 'moderation_decisions',
        where: { [dim]: value, action: 'remove' },
        metrics: [
          { metric: 'removals', slice },
          { metric: 'removals_per_10k_impressions', slice },
        ],
        what: `removals in ${slice}`,
      }
    : {
        source: 'user_reports',
        where: { [dim]: value },
        // Fewer or more reports are fewer or more reporters: unique_reporters moves with them.
        metrics: [
          { metric: 'user_reports', slice },
          { metric: 'reports_per_10k_impressions', slice },
          { metric: 'unique_reporters', slice },
        ],
        what: `user reports in ${slice}`,
      };
}

function removalsIn(region: string) {
  const slice = `region=${region}`;
  return {
    source: 'moderation_decisions',
    where: { region, action: 'remove' },
    metrics: [
      { metric: 'removals', slice },
      { metric: 'removals_per_10k_impressions', slice },
    ],
    what: `removals in ${slice}`,
  };
}

const TRAFFIC_SOURCES = ['impressions', 'moderation_decisions', 'user_reports', 'prevalence_labels'];

/** The plant of one kind starting at `start` (epoch ms, an hour; traffic: a day). */
export function plantOf(rng: Rng, kind: PlantedKind, id: string, start: number): LakePlant {
  const end = start + HOURS[kind] * HOUR;
  const base = { id, kind, start, end };
  const edit = (t: ReturnType<typeof countTarget>, factor: (h: number) => number, description: string) => ({
    ...base,
    metrics: t.metrics,
    edits: [{ source: t.source, where: t.where, factor }],
    description: `${t.what} ${description}`,
  });
  switch (kind) {
    case 'level_shift': {
      const f = 1.6 + 0.4 * rng.uniform();
      return edit(countTarget(rng, LARGE, 'any'), () => f, `x${f.toFixed(2)} for ${HOURS[kind]} h`);
    }
    case 'level_shift_down': {
      const f = 0.5 + 0.1 * rng.uniform();
      return edit(countTarget(rng, LARGE, 'any'), () => f, `x${f.toFixed(2)} for ${HOURS[kind]} h`);
    }
    case 'ramp': {
      // Linear from x1 to x2.5 over the first day, then held.
      const ramp = (h: number) => 1 + 1.5 * Math.min(1, (h - start + HOUR) / DAY);
      return edit(countTarget(rng, LARGE, 'any'), ramp, `ramp to x2.5 over 24 h, held ${HOURS[kind] - 24} h`);
    }
    case 'drop':
      return edit(removalsIn(choose(rng, LARGE)), () => 0.08, `x0.08 for ${HOURS[kind]} h`);
    case 'spike':
      return edit(countTarget(rng, LARGE.slice(0, 4), 'region'), () => 4, 'x4 for 1 h');
    case 'small_slice_spike':
      return edit(removalsIn(choose(rng, SMALL)), () => 6, `x6 for ${HOURS[kind]} h`);
    case 'traffic':
      return {
        ...base,
        metrics: [],
        allowed: ['impressions'],
        edits: TRAFFIC_SOURCES.map((source) => ({
          source,
          where: {},
          factor: () => 1.35,
          freshPeople: true,
          independent: true,
        })),
        description: 'global traffic x1.35 for a day (impressions, decisions, reports, labels), rates flat',
      };
    case 'partial_partition': {
      const source = choose(rng, ['impressions', 'moderation_decisions', 'user_reports']);
      return {
        ...base,
        metrics: [],
        source,
        edits: [{ source, where: {}, factor: () => 0.25 }],
        description: `${source} partition holding 25% of its rows`,
      };
    }
    case 'prevalence_jump': {
      const surface = choose(rng, SURFACES);
      // Violating views x5: flip 4 p / (1 − p) of the non-violating labels, p the surface's rate
      // (plant.ts measures it on the warm-up and passes the flip share through `factor`).
      return {
        ...base,
        metrics: [{ metric: 'violation_prevalence', slice: `surface=${surface}` }],
        edits: [{ source: 'prevalence_labels', where: { surface }, factor: () => 5, flip: true }],
        description: `violating views on surface=${surface} x5 for ${HOURS[kind]} h`,
      };
    }
  }
}

/**
 * Twelve incidents (LAKE_KINDS in a seeded order) over a lake of `days` days from `lakeStart`, none
 * before the warm-up's end, each followed by at least GAP quiet hours; the spare hours are spread at
 * random between them.
 */
export function planLake(seed: number, lakeStart: number, days: number): LakePlant[] {
  const rng = createRng(seed * 7919 + 17);
  const kinds = [...LAKE_KINDS];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  // Traffic is a UTC day: give it a day of room either side so it can be aligned.
  const need = (k: PlantedKind) => HOURS[k] + GAP + (k === 'traffic' ? 24 : 0);
  const first = lakeStart + WARMUP_DAYS * DAY;
  const room = (days - WARMUP_DAYS) * 24 - 2;
  const spare = room - kinds.reduce((s, k) => s + need(k), 0);
  if (spare < 0) throw new Error(`a ${days}-day lake has no room for ${kinds.length} incidents`);
  const cuts = kinds.map(() => Math.floor(rng.uniform() * (spare + 1))).sort((a, b) => a - b);
  const plants: LakePlant[] = [];
  let t = first;
  kinds.forEach((kind, i) => {
    let start = t + (cuts[i]! - (cuts[i - 1] ?? 0)) * HOUR;
    if (kind === 'traffic') start = Math.ceil(start / DAY) * DAY;
    plants.push(plantOf(rng, kind, `${kind}-${i + 1}`, start));
    // Traffic's alignment (< 24 h) comes out of the day it reserved, so the plan still fits.
    t = start + (HOURS[kind] + GAP) * HOUR;
  });
  return plants;
}
