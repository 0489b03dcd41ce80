import { InputError } from '../errors.js';
import { addGrain, formatDt, formatIso } from '../time/window.js';

/**
 * The synthetic platform: sizes, shares and the ground truth the generator plants.
 * Everything here is plain data so the manifest, the SQL and the tests agree on one truth.
 */
export const SCALES = {
  tiny: { days: 14, impressions: 200_000 },
  small: { days: 28, impressions: 2_000_000 },
  medium: { days: 28, impressions: 5_000_000 },
  large: { days: 28, impressions: 12_000_000 },
} as const;
export type ScaleName = keyof typeof SCALES;

export const REGIONS = [
  { region: 'US', share: 0.3, tz: -5 },
  { region: 'IN', share: 0.2, tz: 5 },
  { region: 'BR', share: 0.14, tz: -3 },
  { region: 'ID', share: 0.11, tz: 7 },
  { region: 'MX', share: 0.07, tz: -6 },
  { region: 'DE', share: 0.06, tz: 1 },
  { region: 'GB', share: 0.05, tz: 0 },
  { region: 'JP', share: 0.04, tz: 9 },
  { region: 'NG', share: 0.03, tz: 1 },
] as const;

/** Events of each source per impression. */
export const RATES = {
  moderation_decisions: 0.03,
  user_reports: 0.02,
  account_events: 0.04,
  prevalence_labels: 0.01,
} as const;

export interface PlantedIncident {
  readonly id: string;
  readonly kind: 'spam_wave' | 'report_spike' | 'credential_stuffing' | 'classifier_outage';
  readonly description: string;
  readonly start: string;
  readonly end: string;
  /** metrics expected to move, with the slice where the move is planted ('' = total) */
  readonly metrics: readonly {
    readonly metric: string;
    readonly slice: string;
    readonly direction: 'up' | 'down';
  }[];
  readonly multiplier: number;
}

export interface Scenario {
  readonly seed: number;
  readonly start: Date;
  readonly end: Date;
  readonly days: number;
  readonly impressions: number;
  readonly users: number;
  /** Prevalence labels per impression (the labelling budget; RATES.prevalence_labels by default). */
  readonly labelRate: number;
  /**
   * Extra-Poisson volume noise, the sd of log-normal factors (0 = Poisson only): each region's
   * traffic wanders by day (and half as much by hour), each source's rate per impression by day.
   */
  readonly noise: number;
  readonly contents: number;
  readonly creators: number;
  readonly incidents: readonly PlantedIncident[];
  readonly missingPartitions: readonly {
    readonly source: string;
    readonly dt: string;
    readonly hour: string;
  }[];
  readonly experiment: {
    readonly id: string;
    readonly unit: 'user';
    readonly variants: readonly string[];
    readonly weights: readonly number[];
    readonly start: string;
    readonly end: string;
    readonly exposureDays: number;
    readonly assignedShare: number;
    readonly metric: string;
    readonly trueRelativeLift: number;
  };
  readonly policy: {
    readonly id: string;
    readonly region: string;
    readonly launch: string;
    readonly metric: string;
    readonly trueRelativeEffect: number;
  };
  readonly modelDrift: { readonly start: string; readonly scoreMultiplier: number };
  readonly weakReason: { readonly reason: string; readonly actionRate: number };
  readonly enforcementGap: {
    readonly region: string;
    readonly surface: string;
    readonly policy: string;
    readonly prevalenceMultiplier: number;
    readonly removalMultiplier: number;
  };
}

function at(start: Date, day: number, hour: number): Date {
  return addGrain(addGrain(start, 'day', day), 'hour', hour);
}

/** The metrics a planted incident moves, all at one slice and in one direction. */
function moves(slice: string, direction: 'up' | 'down', metrics: readonly string[]) {
  return metrics.map((metric) => ({ metric, slice, direction }));
}

export function buildScenario(opts: {
  seed: number;
  start: Date;
  days: number;
  impressions: number;
  /**
   * 'none': a clean lake — no incidents, no missing partition, and the A/B test, policy launch and
   * model drift without effect — for benches that plant their own truth (bench/detect/lake).
   */
  planted?: 'builtin' | 'none';
  /** Prevalence labels per impression, 0..1 (default RATES.prevalence_labels). */
  labelRate?: number;
  /** Extra-Poisson volume noise, 0..1 (default 0). */
  noise?: number;
}): Scenario {
  const { seed, start, days, impressions } = opts;
  const clean = opts.planted === 'none';
  const labelRate = opts.labelRate ?? RATES.prevalence_labels;
  if (!(labelRate > 0 && labelRate <= 1))
    throw new InputError(`labelRate must be in (0, 1], got ${labelRate}`);
  const noise = opts.noise ?? 0;
  if (!(noise >= 0 && noise <= 1)) throw new InputError(`noise must be in [0, 1], got ${noise}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31)
    throw new InputError(`--seed must be an integer 0..2^31, got ${seed}`);
  if (!Number.isInteger(days) || days < 7 || days > 400)
    throw new InputError(`--days must be an integer 7..400, got ${days}`);
  if (!Number.isInteger(impressions) || impressions < 10_000 || impressions > 500_000_000)
    throw new InputError(`--impressions must be an integer 10000..500000000, got ${impressions}`);
  if (start.getTime() % 86_400_000 !== 0)
    throw new InputError(`--start must be a date (midnight UTC), got ${formatIso(start)}`);
  const day = (f: number) => Math.min(days - 1, Math.max(1, Math.floor(f * days)));
  const window = (d: number, h: number, hours: number) => ({
    start: formatIso(at(start, d, h)),
    end: formatIso(at(start, d, h + hours)),
  });
  const users = Math.max(2_000, Math.round(impressions / 40));
  const contents = Math.max(1_000, Math.round(impressions / 25));
  const expStart = day(0.45);
  const missingDay = at(start, day(0.9), 7);
  return {
    seed,
    start,
    end: addGrain(start, 'day', days),
    days,
    impressions,
    labelRate,
    noise,
    users,
    contents,
    creators: Math.max(200, Math.round(contents / 8)),
    incidents: clean
      ? []
      : [
          {
            id: 'classifier-outage',
            kind: 'classifier_outage',
            description: 'Automated enforcement classifier outage: 90% of automated actions missing',
            ...window(day(0.6), 13, 4),
            metrics: moves('', 'down', [
              'automated_action_share',
              'removals',
              'removals_per_10k_impressions',
            ]),
            multiplier: 0.1,
          },
          {
            id: 'spam-wave-br',
            kind: 'spam_wave',
            description: 'Spam/scam wave in BR: reports and removals for spam and scam_fraud',
            ...window(day(0.7), 10, 6),
            metrics: moves('region=BR', 'up', [
              'user_reports',
              'removals',
              'reports_per_10k_impressions',
              'removals_per_10k_impressions',
            ]),
            multiplier: 5,
          },
          {
            id: 'live-report-spike',
            kind: 'report_spike',
            description: 'Report spike on live streams across regions',
            ...window(day(0.78), 18, 3),
            metrics: moves('surface=live', 'up', ['user_reports', 'reports_per_10k_impressions']),
            multiplier: 4,
          },
          {
            id: 'credential-stuffing-id',
            kind: 'credential_stuffing',
            description:
              'Credential-stuffing burst of login failures in ID on web (3 failures per usual ID event)',
            ...window(day(0.85), 3, 2),
            metrics: [
              ...moves('region=ID', 'up', ['login_failure_rate']),
              ...moves('', 'up', ['login_failure_rate']),
            ],
            multiplier: 3,
          },
        ],
    missingPartitions: clean
      ? []
      : [{ source: 'impressions', dt: formatDt(missingDay), hour: missingDay.toISOString().slice(11, 13) }],
    experiment: {
      id: 'report_flow_v2',
      unit: 'user',
      variants: ['control', 'treatment'],
      weights: [0.5, 0.5],
      start: formatIso(at(start, expStart, 0)),
      end: formatIso(addGrain(start, 'day', days)),
      exposureDays: Math.max(1, Math.min(7, days - expStart - 1)),
      assignedShare: 0.6,
      metric: 'reports_per_unit',
      trueRelativeLift: clean ? 0 : 0.2,
    },
    policy: {
      id: 'de_hate_speech_enforcement',
      region: 'DE',
      launch: formatIso(at(start, day(0.5), 0)),
      metric: 'removals_per_10k_impressions',
      trueRelativeEffect: clean ? 0 : 0.3,
    },
    modelDrift: { start: formatIso(at(start, day(0.5), 0)), scoreMultiplier: clean ? 1 : 0.8 },
    weakReason: { reason: 'misinformation', actionRate: 0.04 },
    enforcementGap: {
      region: 'IN',
      surface: 'comment',
      policy: 'harassment',
      prevalenceMultiplier: 6,
      removalMultiplier: 0.3,
    },
  };
}
