/**
 * Realistic report inputs generated from code: seeded metric series with weekly/daily seasonality
 * and planted incidents, a causal seasonal-median detector for expected value and band, incidents
 * and root-cause slices found from those series, a simulated A/B test read out with Welch CIs, and
 * a simulated regional policy launch read out with difference in differences.
 */
import { coreCatalog } from '../../shared/config/load.js';
import { unitLookup } from '../../shared/config/units.js';
import type {
  Grain,
  MetricUnit,
  ReportData,
  ReportExperiment,
  ReportExperimentMetric,
  ReportIncident,
  ReportMetric,
  ReportPoint,
  ReportPolicy,
  Severity,
} from '../../shared/report/model.js';
import { uniformStream } from '../../shared/stats/random.js';
import { gaussian } from '../anomaly/gen.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Daily level of the total of each core metric (counts) or its typical value (ratios). */
const CORE: readonly [name: string, level: number][] = [
  ['impressions', 48_000_000],
  ['violation_prevalence', 0.0021],
  ['removals', 182_000],
  ['removals_per_10k_impressions', 37.9],
  ['automated_action_share', 0.86],
  ['appeal_overturn_rate', 0.118],
  ['decision_latency_p90_seconds', 5400],
  ['user_reports', 264_000],
  ['reports_per_10k_impressions', 55],
  ['report_action_rate', 0.41],
  ['unique_reporters', 151_000],
  ['login_failure_rate', 0.061],
  ['account_takeover_flags', 1_240],
  ['high_risk_signup_share', 0.034],
];

const SLICES: readonly [slice: string, share: number][] = [
  ['region=US', 0.31],
  ['region=BR', 0.18],
  ['region=IN', 0.22],
  ['region=ID', 0.14],
  ['region=DE', 0.08],
  ['surface=video', 0.61],
  ['surface=live', 0.21],
  ['surface=comment', 0.13],
  ['surface=message', 0.05],
  ['platform=ios', 0.38],
  ['platform=android', 0.52],
  ['platform=web', 0.1],
];

export interface Planted {
  readonly metric: string;
  readonly slice: string;
  /** Index of the first affected window. */
  readonly at: number;
  /** Windows affected (to the end when it reaches it: an open incident). */
  readonly length: number;
  /** Multiplicative change while affected. */
  readonly factor: number;
}

export interface FixtureOptions {
  readonly seed?: number;
  readonly days?: number;
  /** Daily series (total + slices of the core metrics, in catalog order). */
  readonly metricCount?: number;
  /** Of them, how many are also given as an hourly series. */
  readonly hourlyCount?: number;
  readonly start?: number;
}

export interface Fixture {
  readonly data: ReportData;
  readonly planted: readonly Planted[];
}

interface Series {
  readonly name: string;
  readonly slice: string;
  readonly unit: MetricUnit;
  readonly grain: Grain;
  readonly t: number[];
  readonly value: (number | null)[];
}

export interface Detected {
  readonly expected: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly anomaly: boolean;
}

/** Causal seasonal-median baseline: expected = median of the same season's last 4 values; band = ±4 robust sd. */
export function detect(values: readonly (number | null)[], period: number, lags = 4): Detected[] {
  const out: Detected[] = [];
  const residuals: number[] = [];
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  for (let i = 0; i < values.length; i++) {
    const past: number[] = [];
    for (let k = 1; k <= lags; k++) {
      const v = values[i - k * period];
      if (typeof v === 'number') past.push(v);
    }
    const v = values[i];
    if (past.length < 2 || residuals.length < 7) {
      out.push({ expected: past.length ? median(past) : null, lower: null, upper: null, anomaly: false });
      if (past.length && typeof v === 'number') residuals.push(v - median(past));
      continue;
    }
    const expected = median(past);
    const recent = residuals.slice(-28);
    const mad = median(recent.map((r) => Math.abs(r - median(recent))));
    const scale = Math.max(1.4826 * mad, Math.abs(expected) * 0.01);
    const lower = expected - 4 * scale;
    const upper = expected + 4 * scale;
    const anomaly = typeof v === 'number' && (v < lower || v > upper);
    out.push({ expected, lower, upper, anomaly });
    // Anomalous windows are not learned (they would widen the band around the incident).
    if (typeof v === 'number' && !anomaly) residuals.push(v - expected);
  }
  return out;
}

function simulate(
  name: string,
  slice: string,
  share: number,
  level: number,
  grain: Grain,
  t: number[],
  planted: readonly Planted[],
  rand: () => number,
): Series {
  const unit = unitLookup(coreCatalog())(name);
  const normal = gaussian(rand);
  const isCount = unit === 'count';
  const base = isCount ? level * share * (grain === 'hour' ? 1 / 24 : 1) : level * (0.8 + 0.4 * rand());
  const value = t.map((ms, i) => {
    const dow = new Date(ms).getUTCDay();
    const hour = new Date(ms).getUTCHours();
    let season = 1 + (dow === 0 || dow === 6 ? 0.08 : -0.02);
    if (grain === 'hour') season *= 1 + 0.35 * Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    let mean = base * (isCount ? season : 1 + (season - 1) * 0.3);
    for (const p of planted)
      if (p.metric === name && p.slice === slice && i >= p.at && i < p.at + p.length) mean *= p.factor;
    const sd = isCount ? Math.sqrt(Math.max(mean, 1)) + mean * 0.02 : mean * 0.025;
    let v = mean + sd * normal();
    if (unit === 'rate' || unit === 'proportion') v = Math.min(1, Math.max(0, v));
    else v = Math.max(0, v);
    if (isCount) v = Math.round(v);
    return v;
  });
  // A late partition: a missing window in the login series.
  if (name === 'login_failure_rate' && slice === '' && value.length > 40)
    (value as (number | null)[])[value.length - 30] = null;
  return { name, slice, unit, grain, t, value };
}

function toPoints(s: Series): ReportPoint[] {
  const det = detect(s.value, s.grain === 'hour' ? 24 : 7);
  return s.t.map((t, i) => ({ t: new Date(t).toISOString(), value: s.value[i] ?? null, ...det[i]! }));
}

const severityOf = (change: number): Severity =>
  Math.abs(change) >= 1
    ? 'critical'
    : Math.abs(change) >= 0.5
      ? 'high'
      : Math.abs(change) >= 0.2
        ? 'medium'
        : 'low';

/** Runs of ≥ 2 anomalous windows (a single quiet window does not end a run). */
function incidentRuns(points: readonly ReportPoint[]): [start: number, end: number][] {
  const runs: [number, number][] = [];
  let start = -1;
  let last = -1;
  points.forEach((p, i) => {
    if (!p.anomaly) return;
    if (start >= 0 && i - last <= 2) last = i;
    else {
      if (start >= 0 && last > start) runs.push([start, last]);
      start = i;
      last = i;
    }
  });
  if (start >= 0 && last > start) runs.push([start, last]);
  return runs;
}

function incidentsOf(series: readonly ReportMetric[], windows: number): ReportIncident[] {
  const out: ReportIncident[] = [];
  for (const m of series) {
    if (m.grain !== 'day') continue;
    for (const [start, end] of incidentRuns(m.points)) {
      const p = m.points[end]!;
      const open = end >= windows - 2;
      const change = ((p.value ?? 0) - (p.expected ?? 0)) / Math.abs(p.expected || 1);
      const since = String(m.points[start]!.t);
      const id = `metric_incident:${m.name}:${m.slice ?? ''}:${since.replace('.000Z', 'Z')}`;
      // Root cause: sibling slices' share of the total's deviation at the incident's last window.
      const siblings = m.slice
        ? [m]
        : series.filter((s) => s.name === m.name && s.slice && s.grain === 'day' && !s.slice.includes('<'));
      const dev = (s: ReportMetric) => (s.points[end]?.value ?? 0) - (s.points[end]?.expected ?? 0);
      const total = dev(m) || 1;
      const topSlices = siblings
        .map((s) => ({
          slice: s.slice!,
          contribution: m.unit === 'count' || m.slice ? dev(s) / total : dev(s) / total / siblings.length,
          observed: s.points[end]?.value ?? null,
          expected: s.points[end]?.expected ?? null,
        }))
        .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
        .slice(0, 5);
      out.push({
        id,
        metric: m.name,
        slice: m.slice ?? '',
        severity: severityOf(change),
        status: open ? 'open' : 'resolved',
        since,
        summary: `${m.name}${m.slice ? ` (${m.slice})` : ''} ${change > 0 ? 'up' : 'down'} ${Math.abs(Math.round(change * 100))}% against expected since ${since.slice(0, 10)}.`,
        observed: p.value,
        expected: p.expected ?? null,
        unit: m.unit,
        grain: m.grain,
        topSlices,
        points: m.points.slice(Math.max(0, start - 28), end + 3),
      });
    }
  }
  return out;
}

/** Counts and their own rates (shared/alerting/move-family.ts reads this from the definitions). */
const FAMILIES: readonly [count: string, rate: string][] = [
  ['removals', 'removals_per_10k_impressions'],
  ['user_reports', 'reports_per_10k_impressions'],
];

/**
 * A count and its own rate moving together at one slice from the same window are one incident, as
 * the alerting path raises it: the rate's, covering both, with each one's numbers at its last window.
 */
function familyIncidents(incidents: ReportIncident[], series: readonly ReportMetric[]): ReportIncident[] {
  const numbersAt = (name: string, inc: ReportIncident) => {
    const t = inc.points.findLast((x) => x.anomaly)?.t ?? inc.since;
    const m = series.find((x) => x.name === name && (x.slice ?? '') === inc.slice && x.grain === inc.grain);
    const p = m?.points.find((x) => x.t === t);
    return {
      metric: name,
      ...(m ? { unit: m.unit } : {}),
      t,
      observed: p?.value ?? null,
      expected: p?.expected ?? null,
      moved: true,
    };
  };
  const folded = new Set<ReportIncident>();
  const out = incidents.map((rate) => {
    const count = FAMILIES.find(([, r]) => r === rate.metric)?.[0];
    const twin = incidents.find(
      (c) => c.metric === count && c.slice === rate.slice && c.since === rate.since,
    );
    if (!count || !twin) return rate;
    folded.add(twin);
    return { ...rate, metrics: [numbersAt(rate.metric, rate), numbersAt(count, rate)] };
  });
  return out.filter((i) => !folded.has(i));
}

/** A two-variant test on 40k users per arm, read out with Welch CIs on relative lift (delta method). */
function simulateExperiment(
  id: string,
  rand: () => number,
  effects: Record<string, number>,
  srmShare = 0.5,
): ReportExperiment {
  const normal = gaussian(rand);
  const n = 40_000;
  const nT = Math.round(2 * n * srmShare + 120 * normal());
  const nC = 2 * n - nT;
  const defs: [string, ReportExperimentMetric['role'], 'increase' | 'decrease', number, number][] = [
    ['reports_per_user', 'primary', 'decrease', 0.8, 1.6],
    ['violating_views_per_user', 'primary', 'decrease', 2.4, 5],
    ['watch_minutes', 'guardrail', 'increase', 42, 30],
    ['creator_appeals', 'guardrail', 'decrease', 0.05, 0.3],
    ['sessions', 'secondary', 'increase', 6.1, 4],
  ];
  const metrics: ReportExperimentMetric[] = defs.map(([name, role, direction, mean, sd]) => {
    const sample = (count: number, mu: number) => {
      let s = 0;
      let ss = 0;
      for (let i = 0; i < count; i++) {
        const x = Math.max(0, mu + sd * normal());
        s += x;
        ss += x * x;
      }
      const m = s / count;
      return { m, v: (ss / count - m * m) / (count - 1) };
    };
    const c = sample(nC, mean);
    const t = sample(nT, mean * (1 + (effects[name] ?? 0)));
    const lift = t.m / c.m - 1;
    // Delta method: Var(T/C) ≈ vT/C² + T² vC / C⁴.
    const se = Math.sqrt(t.v / c.m ** 2 + (t.m ** 2 * c.v) / c.m ** 4);
    const z = lift / se;
    const p = 2 * (1 - phi(Math.abs(z)));
    return {
      name,
      role,
      variant: 'treatment',
      lift,
      liftCiLow: lift - 1.96 * se,
      liftCiHigh: lift + 1.96 * se,
      pValue: p,
      adjustedPValue: Math.min(1, p * defs.length),
      cupedApplied: role !== 'secondary',
      varianceReduction: role !== 'secondary' ? 0.2 + 0.2 * rand() : null,
      status: 'ok',
      direction,
    };
  });
  // SRM: chi-square with 1 df on the arm counts.
  const chi = ((nT - n) ** 2 + (nC - n) ** 2) / n;
  const srmP = 2 * (1 - phi(Math.sqrt(chi)));
  const srmOk = srmP >= 0.001;
  const primaries = metrics.filter((m) => m.role === 'primary');
  const guardBad = metrics.some(
    (m) => m.role === 'guardrail' && (m.direction === 'increase' ? m.liftCiHigh! < 0 : m.liftCiLow! > 0),
  );
  const primaryGood = primaries.some((m) =>
    m.direction === 'decrease' ? m.liftCiHigh! < 0 : m.liftCiLow! > 0,
  );
  const decision = !srmOk ? 'invalid_srm' : guardBad ? 'dont_ship' : primaryGood ? 'ship' : 'keep_running';
  return {
    id,
    decision,
    asOf: '2026-03-31T00:00:00Z',
    srm: { pValue: srmP, ok: srmOk },
    units: { control: nC, treatment: nT },
    reasons: [
      srmOk ? 'Assignment ratio matches the design.' : `Observed split ${nC}:${nT} against a 50:50 design.`,
      guardBad ? 'A guardrail moved the wrong way.' : 'No guardrail regressed.',
    ],
    metrics: [
      ...metrics,
      {
        name: 'appeal_latency_hours',
        role: 'secondary',
        variant: 'treatment',
        lift: null,
        liftCiLow: null,
        liftCiHigh: null,
        pValue: null,
        adjustedPValue: null,
        cupedApplied: false,
        varianceReduction: null,
        status: 'not_enough_data',
      },
    ],
  };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
function phi(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** A region × day panel; the treated region's metric drops by `effect` after launch. DiD + event study. */
function simulatePolicy(rand: () => number, launch: number): ReportPolicy {
  const normal = gaussian(rand);
  const regions = ['BR', 'US', 'IN', 'ID', 'DE', 'MX'];
  const pre = 21;
  const post = 14;
  const effect = -0.18;
  const level: Record<string, number> = Object.fromEntries(regions.map((r) => [r, 30 + 20 * rand()]));
  const gap: number[] = [];
  for (let d = -pre; d < post; d++) {
    const common = 2 * Math.sin(d / 3);
    const y = (r: string) => level[r]! * (1 + (r === 'BR' && d >= 0 ? effect : 0)) + common + normal() * 0.9;
    const controls = regions.slice(1).map(y);
    gap.push(y('BR') - controls.reduce((a, b) => a + b, 0) / controls.length);
  }
  const preGap = gap.slice(0, pre);
  const postGap = gap.slice(pre);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: number[]) => {
    const m = mean(xs);
    return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  };
  const att = mean(postGap) - mean(preGap);
  const se = Math.sqrt(variance(preGap) / pre + variance(postGap) / post);
  const base = level.BR!;
  const ref = preGap[pre - 1]!;
  const daySe = Math.sqrt(2 * variance(preGap));
  const eventStudy = gap
    .map((g, i) => ({
      relDay: i - pre,
      coef: g - ref,
      ciLow: g - ref - 1.96 * daySe,
      ciHigh: g - ref + 1.96 * daySe,
    }))
    .filter((p) => p.relDay !== -1 && p.relDay >= -10);
  return {
    id: 'br_live_minor_safety_classifier',
    region: 'BR',
    metric: 'removals_per_10k_impressions',
    unit: 'per10k',
    launch: new Date(launch).toISOString(),
    att,
    ciLow: att - 1.96 * se,
    ciHigh: att + 1.96 * se,
    pValue: 2 * (1 - phi(Math.abs(att / se))),
    relativeEffect: att / base,
    relCiLow: (att - 1.96 * se) / base,
    relCiHigh: (att + 1.96 * se) / base,
    preTrendP: 0.41 + 0.2 * rand(),
    synthetic: { estimate: att * (0.9 + 0.2 * rand()) },
    eventStudy,
    notes: ['Relative effects divide by the treated region’s pre-launch mean.'],
  };
}

/** Builds a full ReportData. Defaults: a readable fixture (daily, 60 days, 44 series, 2 hourly). */
export function buildFixture(o: FixtureOptions = {}): Fixture {
  const seed = o.seed ?? 7;
  const days = o.days ?? 60;
  const metricCount = o.metricCount ?? 44;
  const hourlyCount = o.hourlyCount ?? 2;
  const start = o.start ?? Date.UTC(2026, 0, 1);
  const rand = uniformStream(seed);
  const dayT = Array.from({ length: days }, (_, i) => start + i * DAY);
  const hourT = Array.from({ length: days * 24 }, (_, i) => start + i * HOUR);

  const combos: [string, string, number, number][] = [];
  for (const [name, level] of CORE) combos.push([name, '', 1, level]);
  for (const [slice, share] of SLICES)
    for (const [name, level] of CORE) {
      const dim = slice.slice(0, slice.indexOf('='));
      const platformMetric = /login|takeover|signup/.test(name);
      if ((dim === 'platform') !== platformMetric && dim !== 'region') continue;
      combos.push([name, slice, share, level]);
    }
  while (combos.length < metricCount) {
    const k = combos.length;
    const [name, level] = CORE[k % CORE.length]!;
    combos.push([name, `region=R${k}`, 0.01 + 0.02 * rand(), level]);
  }
  const chosen = combos.slice(0, metricCount);
  // Data, not markup: a slice value that looks like HTML must reach the page as text.
  chosen[chosen.length - 1] = ['user_reports', `reason=<script>alert("x")</script>&'`, 0.01, 264_000];
  // Plant: open incidents at the end in a few series, one resolved mid-window.
  const planted: Planted[] = [
    { metric: 'removals', slice: 'region=BR', at: days - 4, length: 4, factor: 1.9 },
    // Impressions are flat, so the count's rate moves with it: one incident of the two (below).
    { metric: 'removals_per_10k_impressions', slice: 'region=BR', at: days - 4, length: 4, factor: 1.9 },
    { metric: 'removals', slice: '', at: days - 4, length: 4, factor: 1.17 },
    { metric: 'login_failure_rate', slice: '', at: days - 3, length: 3, factor: 1.6 },
    { metric: 'decision_latency_p90_seconds', slice: '', at: Math.floor(days / 2), length: 4, factor: 0.55 },
  ];
  for (let k = 40; k < chosen.length; k += 37)
    planted.push({ metric: chosen[k]![0], slice: chosen[k]![1], at: days - 3, length: 3, factor: 2.2 });
  const activePlanted = planted.filter((p) => chosen.some(([n, s]) => n === p.metric && s === p.slice));

  const metrics: ReportMetric[] = chosen.map(([name, slice, share, level]) => {
    const s = simulate(name, slice, share, level, 'day', dayT, activePlanted, rand);
    return { name, ...(slice ? { slice } : {}), grain: 'day', unit: s.unit, points: toPoints(s) };
  });
  for (const [name, slice, share, level] of chosen.slice(0, hourlyCount)) {
    const s = simulate(name, slice, share, level, 'hour', hourT, [], rand);
    metrics.push({
      name,
      ...(slice ? { slice } : {}),
      grain: 'hour',
      unit: s.unit,
      description: 'Hourly windows',
      points: toPoints(s),
    });
  }
  const incidents = familyIncidents(incidentsOf(metrics, days), metrics);
  const lastDay = start + (days - 1) * DAY;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const dqSources = [
    'impressions',
    'moderation_decisions',
    'user_reports',
    'account_events',
    'prevalence_labels',
  ];
  const dataQuality = [
    ...dqSources.map((source) => ({
      source,
      dt: iso(lastDay),
      hour: null,
      status: 'ok',
      detail: 'All 24 hourly partitions present.',
    })),
    {
      id: `data_quality:account_events::${iso(lastDay - 29 * DAY)}T06:00:00Z`,
      source: 'account_events',
      dt: iso(lastDay - 29 * DAY),
      hour: 6,
      status: 'missing',
      detail:
        'Partition missing or late; metrics held back for this window: login_failure_rate, account_takeover_flags.',
    },
    {
      source: 'user_reports',
      dt: iso(lastDay - 2 * DAY),
      hour: 14,
      status: 'low_volume',
      detail: 'Volume collapsed: 212 rows against 10,400 expected.',
    },
  ];
  const experiments = [
    simulateExperiment('comment_filter_v2', rand, {
      reports_per_user: -0.06,
      violating_views_per_user: -0.05,
    }),
    simulateExperiment('live_warning_interstitial', rand, { watch_minutes: -0.03 }),
    simulateExperiment('report_flow_redesign', rand, {}, 0.507),
  ];
  const policies = [simulatePolicy(rand, lastDay - 13 * DAY)];
  const byRegion = metrics.filter(
    (m) => m.name === 'removals' && m.slice?.startsWith('region=') && !m.slice.includes('<'),
  );
  const analyses = [
    {
      title: 'Enforcement gaps by region',
      description: 'Removals in the last 7 days against the region’s share of impressions.',
      columns: ['Region', 'Removals (7d)', 'Share', 'Gap flagged'],
      rows: byRegion.map((m) => {
        const sum = m.points.slice(-7).reduce((a, p) => a + (p.value ?? 0), 0);
        return [m.slice!.slice(7), sum, sum / 1e6, sum > 300_000];
      }),
    },
  ];
  return {
    planted: activePlanted,
    data: {
      generatedAt: new Date(lastDay + DAY + 2 * HOUR).toISOString(),
      title: 'Vigil — trust & safety daily report',
      window: { from: new Date(start).toISOString(), to: new Date(start + days * DAY).toISOString() },
      metrics,
      incidents,
      dataQuality,
      experiments,
      policies,
      analyses,
    },
  };
}
