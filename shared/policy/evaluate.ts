import { InputError, VigilError } from '../errors.js';
import { type ExperimentConfig, findPolicy, type Policy, policySchedule } from '../experiments/config.js';
import { assertFinite } from '../experiments/readout.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { staggeredDid } from '../stats/staggered-did.js';
import { syntheticControl } from '../stats/synthetic-control.js';
import { addGrain, formatDt, formatIso } from '../time/window.js';
import { contrast, exposureShare, type Series, type Span } from './contrast.js';
import { type Design, type Inference, type InferenceMethod, infer, jointTest } from './inference.js';
import { type PolicyPanel, panelRequest, policyMetrics, policyPanel } from './panel.js';

export type { PolicyPanel } from './panel.js';

/**
 * Policy-launch readout on a region × day panel of numerators and denominators. One or more
 * treated regions, each with its own launch (a staggered roll-out). Per treated region the ATT is
 * its post − pre change in Σnum/Σden minus the mean change of the comparison regions over the same
 * windows (never-treated regions, plus regions whose own launch comes after that window when
 * `control_group: not_yet_treated`); the headline is the mean over treated regions. Inference is
 * placebo-in-space randomization, or a count-aware t when there are too few assignments (see
 * inference.ts); it is named in `effect.inference`. Relative effects divide by the treated regions'
 * mean pre-launch value (taken as known). Callaway–Sant'Anna on the daily values, a binned event
 * study and per-region synthetic controls come alongside.
 */
export interface PolicyEffect {
  /** `not_enough_data`: the counts cannot support a p-value (CI and p are null; see `reason`). */
  readonly status: 'ok' | 'not_enough_data';
  readonly att: number | null;
  readonly ci_low: number | null;
  readonly ci_high: number | null;
  readonly p_value: number | null;
  readonly relative_effect: number | null;
  readonly relative_ci_low: number | null;
  readonly relative_ci_high: number | null;
  readonly inference: InferenceMethod;
  readonly inference_detail: string;
  /** Mean pre-launch value of the treated regions: the base of the relative effect. */
  readonly baseline: number | null;
  readonly reason?: string;
}

export interface PolicyRegionEffect {
  readonly region: string;
  readonly launch: string;
  readonly pre: { readonly value: number | null; readonly numerator: number; readonly denominator: number };
  readonly post: { readonly value: number | null; readonly numerator: number; readonly denominator: number };
  readonly comparison_change: number | null;
  readonly att: number | null;
  readonly relative_effect: number | null;
}

export interface EventStudyBin {
  /** First and last event day of the bin (0 = launch day). */
  readonly event_time: number;
  readonly event_time_end: number;
  readonly estimate: number | null;
  readonly ci_low: number | null;
  readonly ci_high: number | null;
  readonly p_value: number | null;
}

export interface PolicyReadout {
  readonly schema: 'vigil.policy_readout/2';
  readonly policy: string;
  readonly metric: string;
  readonly treated_regions: string[];
  /** region → launch (ISO), earliest first. */
  readonly launches: Record<string, string>;
  /** The earliest launch. */
  readonly launch: string;
  readonly control_group: 'never_treated' | 'not_yet_treated';
  readonly excluded_regions: string[];
  /** Never-treated regions used for comparison. */
  readonly comparison_regions: string[];
  readonly window: { readonly start: string; readonly end: string };
  readonly alpha: number;
  readonly pre_days: number;
  readonly post_days: number;
  readonly post_days_requested: number;
  readonly effect: PolicyEffect;
  readonly per_region: PolicyRegionEffect[];
  readonly event_study: {
    readonly bin_days: number;
    /** The bin every other is compared with: the last `bin_days` days before launch. */
    readonly reference: { readonly event_time: number; readonly event_time_end: number };
    readonly effects: EventStudyBin[];
    readonly pre_trend: {
      readonly status: 'ok' | 'not_testable';
      readonly p_value: number | null;
      readonly leads: number;
      readonly method: string;
      readonly reason?: string;
    };
  };
  readonly callaway_santanna: {
    readonly control_group: 'never_treated' | 'not_yet_treated';
    readonly note: string;
    readonly simple: { readonly att: number; readonly se: number };
    readonly group: {
      readonly att: number;
      readonly se: number;
      readonly effects: { group: string; att: number; se: number }[];
    };
    readonly dynamic: {
      readonly att: number;
      readonly se: number;
      readonly effects: { e: number; att: number; se: number }[];
    };
    readonly calendar: {
      readonly att: number;
      readonly se: number;
      readonly effects: { t: string; att: number; se: number }[];
    };
    readonly att_gt: { group: string; t: string; att: number; se: number }[];
  } | null;
  readonly synthetic_control: {
    readonly estimate: number;
    readonly relative_effect: number | null;
    /** Placebo in space on the mean post/pre RMSPE ratio of the treated regions. */
    readonly p_value: number | null;
    readonly per_region: {
      readonly region: string;
      readonly estimate: number;
      readonly pre_rmspe: number;
      readonly post_rmspe: number;
      readonly p_value: number | null;
      readonly weights: Record<string, number>;
    }[];
  } | null;
  readonly notes: string[];
}

interface Schedule {
  readonly region: string;
  readonly launch: Date;
  /** Panel position of the launch day. */
  readonly at: number;
  readonly pre: Span;
  readonly post: Span;
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const dayPos = (panel: PolicyPanel, day: Date) =>
  Math.round((day.getTime() - Date.parse(`${panel.days[0]}T00:00:00Z`)) / 86_400_000);

/** Builds a randomization/t design for per-schedule windows (pre, post) over the pool. */
function buildDesign(
  pool: readonly string[],
  series: (r: string) => Series,
  schedules: readonly Schedule[],
  windows: (s: Schedule) => { pre: Span; post: Span },
  controlGroup: Policy['control_group'],
  /** Days on which a treated region carries the hypothesised effect (test inversion). */
  effectDays: (own: Schedule) => (day: number) => boolean = (own) => (d) => d >= own.at,
): { design: Design; missing: string[] } {
  const own = new Map(schedules.map((s) => [s.region, s]));
  const missing = new Set<string>();
  const diff = pool.map(() => new Float64Array(schedules.length));
  const variance = pool.map(() => new Float64Array(schedules.length));
  const varianceDf = pool.map(() => new Float64Array(schedules.length));
  const effect = pool.map(() => new Float64Array(schedules.length));
  pool.forEach((r, c) => {
    const s = series(r);
    const mine = own.get(r);
    const on = mine ? effectDays(mine) : undefined;
    schedules.forEach((sch, k) => {
      const w = windows(sch);
      const x = contrast(s, w.pre, w.post);
      if (x.diff === null) missing.add(r);
      diff[c]![k] = x.diff ?? 0;
      variance[c]![k] = x.variance;
      // A window's day-replicate variance rests on its days with events: few events, few df.
      const df = (w: { days: number; eventDays: number }) =>
        Math.max(0, Math.min(w.days, w.eventDays + 1) - 1);
      varianceDf[c]![k] = Math.max(1, df(x.pre) + df(x.post));
      if (on) effect[c]![k] = exposureShare(s, w.post, on) - exposureShare(s, w.pre, on);
    });
  });
  const nyt = schedules.map((j) =>
    schedules.map((k) => controlGroup === 'not_yet_treated' && j !== k && j.at >= windows(k).post.end),
  );
  const sameWindows = schedules.every((s) => s.at === schedules[0]!.at);
  return {
    design: {
      regions: pool,
      treated: schedules.map((s) => pool.indexOf(s.region)),
      diff,
      variance,
      varianceDf,
      effect,
      nyt,
      sameWindows,
    },
    missing: [...missing],
  };
}

/**
 * The headline effect alone (pure): the setup shared with the full readout, without the event
 * study, Callaway–Sant'Anna and synthetic control. Simulations call this per panel.
 */
export function policyHeadline(
  p: Policy,
  panel: PolicyPanel,
  request: { to: Date; truncatedBy: 'as_of' | null },
): Headline {
  const notes: string[] = [];
  if (panel.days.length === 0)
    throw new InputError(`policy '${p.id}': no data for ${p.metric} in the policy window`);
  const D = panel.days.length;
  const end = new Date(addGrain(new Date(`${panel.days.at(-1)}T00:00:00Z`), 'day', 1));
  const treatedAll = policySchedule(p);
  const excluded = new Set(p.exclude_regions);
  const missingTreated = treatedAll.filter((s) => !panel.num.has(s.region));
  if (missingTreated.length === treatedAll.length)
    throw new InputError(
      `policy '${p.id}': treated region${treatedAll.length > 1 ? 's' : ''} ${treatedAll.map((s) => s.region).join(', ')} ha${treatedAll.length > 1 ? 've' : 's'} no data for ${p.metric}`,
    );
  for (const s of missingTreated)
    notes.push(`treated region ${s.region} has no data for ${p.metric}: left out`);
  const schedulesAll: Schedule[] = treatedAll
    .filter((s) => panel.num.has(s.region))
    .map((s) => {
      const at = dayPos(panel, s.launch);
      return {
        ...s,
        at,
        pre: { start: Math.max(0, at - p.pre_days), end: Math.max(0, at) },
        post: { start: Math.max(0, at), end: Math.min(D, at + p.post_days) },
      };
    });
  const schedules = schedulesAll.filter((s) => s.post.end > s.post.start && s.pre.end - s.pre.start >= 2);
  for (const s of schedulesAll)
    if (!schedules.includes(s))
      notes.push(
        `treated region ${s.region} (launch ${formatDt(s.launch)}) has ${s.post.end > s.post.start ? 'fewer than 2 pre-launch days' : 'no post-launch day'} in the data: left out`,
      );
  if (schedules.length === 0)
    throw new InputError(
      `policy '${p.id}': needs at least 2 pre-launch and 1 post-launch days with data (the data covers ${panel.days[0]}..${panel.days.at(-1)})`,
    );
  const postUsed = Math.max(...schedules.map((s) => s.post.end - s.post.start));
  const preUsed = Math.min(...schedules.map((s) => s.pre.end - s.pre.start));
  if (postUsed < p.post_days || schedules.some((s) => s.post.end - s.post.start < p.post_days)) {
    const why =
      request.truncatedBy === 'as_of'
        ? `the readout is as of ${formatDt(end)}`
        : `the data ends on ${panel.days.at(-1)}`;
    notes.push(
      `post_days ${p.post_days} requested but ${why}: post window used ${schedules
        .map(
          (s) =>
            `${s.region} ${panel.days[s.post.start]}..${panel.days[s.post.end - 1]} (${s.post.end - s.post.start} days)`,
        )
        .join(', ')}`,
    );
  }
  if (preUsed < p.pre_days)
    notes.push(
      `pre_days ${p.pre_days} requested but the data starts on ${panel.days[0]}: ${preUsed} pre-launch days used`,
    );

  const treatedSet = new Set(treatedAll.map((s) => s.region));
  const dayFactor = commonDayFactor(
    panel,
    panel.regions.filter((r) => !treatedSet.has(r) && !excluded.has(r)),
  );
  const series = (r: string): Series => ({ num: panel.num.get(r)!, den: panel.den.get(r)!, dayFactor });
  // The pool: treated regions and every region neither treated nor excluded.
  let pool = panel.regions.filter(
    (r) => !excluded.has(r) && (!treatedSet.has(r) || schedules.some((s) => s.region === r)),
  );
  const headline = (s: Schedule) => ({ pre: s.pre, post: s.post });
  const first = buildDesign(pool, series, schedules, headline, p.control_group);
  const droppedControls = first.missing.filter((r) => !treatedSet.has(r));
  if (droppedControls.length > 0)
    notes.push(
      `comparison region${droppedControls.length > 1 ? 's' : ''} ${droppedControls.join(', ')} without exposure in a window: left out`,
    );
  const missingT = first.missing.filter((r) => treatedSet.has(r));
  pool = pool.filter((r) => !first.missing.includes(r));
  const live = schedules.filter((s) => !missingT.includes(s.region));
  const comparison = pool.filter((r) => !treatedSet.has(r));
  if (comparison.length < 2)
    throw new InputError(
      `policy '${p.id}': needs at least 2 comparison regions with data, got ${comparison.length}${excluded.size ? ` (excluded: ${[...excluded].join(', ')})` : ''}`,
    );
  const seed = hashSeed(p.id);
  const pre = (s: Schedule) => windowOf(series(s.region), s.pre);
  const baselineValues = live.map((s) => pre(s).value).filter((v): v is number => v !== null);
  const baseline = baselineValues.length
    ? baselineValues.reduce((a, b) => a + b, 0) / baselineValues.length
    : null;

  let inference: Inference | null = null;
  let reason: string | undefined;
  if (live.length === 0) reason = `no exposure in the treated region's pre or post window`;
  else {
    const { design } = buildDesign(pool, series, live, headline, p.control_group);
    inference = infer(design, p.alpha, seed);
    if (
      panel.ratio &&
      live.every((s) => windowOf(series(s.region), s.pre).num + windowOf(series(s.region), s.post).num === 0)
    )
      reason = 'no events in the treated regions before or after the launch';
    else if (inference.pValue === null) reason = inference.reason;
  }
  const rel = (v: number | null) => (v !== null && baseline !== null && baseline !== 0 ? v / baseline : null);
  const ok = inference !== null && reason === undefined;
  const effect: PolicyEffect = {
    status: ok ? 'ok' : 'not_enough_data',
    att: inference?.estimate ?? null,
    ci_low: ok ? inference!.ciLow : null,
    ci_high: ok ? inference!.ciHigh : null,
    p_value: ok ? inference!.pValue : null,
    relative_effect: rel(inference?.estimate ?? null),
    relative_ci_low: ok ? rel(inference!.ciLow) : null,
    relative_ci_high: ok ? rel(inference!.ciHigh) : null,
    inference: inference?.method ?? 'count_aware_t',
    inference_detail: inference?.detail ?? '',
    baseline,
    ...(reason !== undefined ? { reason } : {}),
  };
  if (ok && (effect.ci_low === null || effect.ci_high === null))
    notes.push('the randomization CI is unbounded on one side: too few assignments for this alpha');

  return {
    effect,
    notes,
    schedules,
    live,
    pool,
    comparison,
    series,
    seed,
    baseline,
    inference,
    treatedAll,
    treatedSet,
    excluded,
    D,
    end,
    preUsed,
    postUsed,
  };
}

interface Headline {
  readonly effect: PolicyEffect;
  readonly notes: string[];
  readonly schedules: Schedule[];
  readonly live: Schedule[];
  readonly pool: string[];
  readonly comparison: string[];
  readonly series: (r: string) => Series;
  readonly seed: number;
  readonly baseline: number | null;
  readonly inference: Inference | null;
  readonly treatedAll: { region: string; launch: Date }[];
  readonly treatedSet: Set<string>;
  readonly excluded: Set<string>;
  readonly D: number;
  readonly end: Date;
  readonly preUsed: number;
  readonly postUsed: number;
}

/** Policy readout from a panel (pure). */
export function policyReadoutFromPanel(
  p: Policy,
  panel: PolicyPanel,
  request: { to: Date; truncatedBy: 'as_of' | null } = { to: new Date(0), truncatedBy: null },
): PolicyReadout {
  const h = policyHeadline(p, panel, request);
  const { effect, notes, schedules, live, pool, comparison, series, seed, baseline, inference } = h;
  const { treatedAll, treatedSet, excluded, D, end, preUsed, postUsed } = h;
  const perRegion = schedules.map((s): PolicyRegionEffect => {
    const a = windowOf(series(s.region), s.pre);
    const b = windowOf(series(s.region), s.post);
    const controls = pool.filter(
      (r) =>
        !treatedSet.has(r) ||
        (p.control_group === 'not_yet_treated' && live.some((j) => j.region === r && j.at >= s.post.end)),
    );
    const changes = controls
      .map((r) => contrast(series(r), s.pre, s.post).diff)
      .filter((v): v is number => v !== null);
    const cmp = changes.length ? changes.reduce((x, y) => x + y, 0) / changes.length : null;
    const att = a.value !== null && b.value !== null && cmp !== null ? b.value - a.value - cmp : null;
    return {
      region: s.region,
      launch: formatIso(s.launch),
      pre: { value: a.value, numerator: a.num, denominator: a.den },
      post: { value: b.value, numerator: b.num, denominator: b.den },
      comparison_change: cmp,
      att,
      relative_effect: att !== null && a.value ? att / a.value : null,
    };
  });

  const method: InferenceMethod = inference?.method ?? 'count_aware_t';
  const eventStudy = binnedEventStudy(
    p,
    pool,
    series,
    live.length ? live : schedules,
    D,
    method,
    seed,
    notes,
  );
  const cs = callawaySantAnna(p, panel, pool, live.length ? live : schedules, notes);
  const sc = syntheticControls(
    panel,
    pool,
    live.length ? live : schedules,
    treatedSet,
    baseline,
    seed,
    notes,
  );

  if (method === 'count_aware_t')
    notes.push(
      `${comparison.length} comparison regions and ${live.length} treated: too few placebo assignments for randomization inference at alpha ${p.alpha}; the count-aware t assumes the treated regions' changes vary like the comparison regions'`,
    );
  const launches = Object.fromEntries(treatedAll.map((s) => [s.region, formatIso(s.launch)]));
  const out: PolicyReadout = {
    schema: 'vigil.policy_readout/2',
    policy: p.id,
    metric: p.metric,
    treated_regions: treatedAll.map((s) => s.region),
    launches,
    launch: formatIso(treatedAll[0]!.launch),
    control_group: p.control_group,
    excluded_regions: [...excluded].sort(),
    comparison_regions: comparison,
    window: { start: `${panel.days[0]}T00:00:00Z`, end: formatIso(end) },
    alpha: p.alpha,
    pre_days: preUsed,
    post_days: postUsed,
    post_days_requested: p.post_days,
    effect,
    per_region: perRegion,
    event_study: eventStudy,
    callaway_santanna: cs,
    synthetic_control: sc,
    notes,
  };
  assertFinite(out);
  return out;
}

/** The comparison regions' pooled rate per day over their overall rate (1 where undefined). */
function commonDayFactor(panel: PolicyPanel, regions: readonly string[]): Float64Array {
  const D = panel.days.length;
  const num = new Float64Array(D);
  const den = new Float64Array(D);
  for (const r of regions)
    for (let d = 0; d < D; d++) {
      num[d]! += panel.num.get(r)![d]!;
      den[d]! += panel.den.get(r)![d]!;
    }
  const total = num.reduce((a, b) => a + b, 0) / den.reduce((a, b) => a + b, 0);
  return num.map((v, d) => (den[d]! > 0 && total > 0 && v > 0 ? v / den[d]! / total : 1));
}

function windowOf(s: Series, w: Span) {
  let num = 0;
  let den = 0;
  for (let d = w.start; d < w.end; d++) {
    num += s.num[d]!;
    den += s.den[d]!;
  }
  return { num, den, value: den > 0 ? num / den : null };
}

/**
 * Event study in bins of `bin_days` days, each against the last bin before launch. The bin width
 * grows until the leads are no more than half the regions (each lead is one more contrast the few
 * clusters must support); leads are always reported.
 */
function binnedEventStudy(
  p: Policy,
  pool: readonly string[],
  series: (r: string) => Series,
  schedules: readonly Schedule[],
  D: number,
  method: InferenceMethod,
  seed: number,
  notes: string[],
): PolicyReadout['event_study'] {
  const preLen = Math.min(...schedules.map((s) => s.pre.end - s.pre.start));
  const postLen = Math.max(...schedules.map((s) => s.post.end - s.post.start));
  const maxBins = Math.max(2, Math.min(preLen, Math.floor(pool.length / 2)));
  const w = Math.ceil(preLen / maxBins);
  if (w > 1)
    notes.push(
      `event study binned by ${w} days: ${pool.length} regions support at most ${maxBins} pre-launch bins`,
    );
  const ref = (s: Schedule): Span => ({ start: s.at - w, end: s.at });
  const bins: number[] = [];
  for (let b = -Math.ceil(preLen / w); b < Math.ceil(postLen / w); b++) if (b !== -1) bins.push(b);
  const spanOf = (s: Schedule, b: number): Span => ({
    start: Math.max(s.at + b * w, s.at - preLen, 0),
    end: Math.min(s.at + (b + 1) * w, b < 0 ? s.at : s.post.end, D),
  });
  const effects: EventStudyBin[] = [];
  const leadDesigns: Design[] = [];
  for (const b of bins) {
    const { design, missing } = buildDesign(
      pool,
      series,
      schedules,
      (s) => ({ pre: ref(s), post: spanOf(s, b) }),
      p.control_group,
      (own) => {
        const span = spanOf(own, b);
        return (d) => d >= span.start && d < span.end;
      },
    );
    const first = Math.max(b * w, -preLen);
    const last = b < 0 ? Math.min((b + 1) * w, 0) - 1 : Math.min((b + 1) * w, postLen) - 1;
    if (missing.length > 0) {
      effects.push({
        event_time: first,
        event_time_end: last,
        estimate: null,
        ci_low: null,
        ci_high: null,
        p_value: null,
      });
      continue;
    }
    const r = infer(design, p.alpha, seed, method);
    effects.push({
      event_time: first,
      event_time_end: last,
      estimate: r.estimate,
      ci_low: r.ciLow,
      ci_high: r.ciHigh,
      p_value: r.pValue,
    });
    if (b < 0) leadDesigns.push(design);
  }
  const leads = bins.filter((b) => b < 0).length;
  const comparison = pool.length - schedules.length;
  let preTrend: PolicyReadout['event_study']['pre_trend'];
  if (leads === 0)
    preTrend = {
      status: 'not_testable',
      p_value: null,
      leads,
      method,
      reason: `only ${preLen} pre-launch days: no lead besides the reference bin`,
    };
  else if (method === 'count_aware_t' && comparison < 3)
    preTrend = {
      status: 'not_testable',
      p_value: null,
      leads,
      method,
      reason: `not testable with ${pool.length} clusters`,
    };
  else if (leadDesigns.length < leads)
    preTrend = {
      status: 'not_testable',
      p_value: null,
      leads,
      method,
      reason: 'a lead bin has a region without exposure',
    };
  else {
    const j = jointTest(leadDesigns, method, p.alpha, seed);
    preTrend =
      j.pValue === null
        ? {
            status: 'not_testable',
            p_value: null,
            leads,
            method: j.method,
            reason: `not testable with ${pool.length} clusters`,
          }
        : { status: 'ok', p_value: j.pValue, leads, method: j.method };
  }
  return {
    bin_days: w,
    reference: { event_time: -w, event_time_end: -1 },
    effects,
    pre_trend: preTrend,
  };
}

/** Callaway–Sant'Anna on the daily values of the regions with exposure every day of the window. */
function callawaySantAnna(
  p: Policy,
  panel: PolicyPanel,
  pool: readonly string[],
  schedules: readonly Schedule[],
  notes: string[],
): PolicyReadout['callaway_santanna'] {
  const lo = Math.min(...schedules.map((s) => s.pre.start));
  const hi = Math.max(...schedules.map((s) => s.post.end));
  const regions = pool.filter((r) => {
    const den = panel.den.get(r)!;
    for (let d = lo; d < hi; d++) if (!(den[d]! > 0)) return false;
    return true;
  });
  const at = new Map(schedules.map((s) => [s.region, s.at]));
  const rows = regions.flatMap((r) =>
    Array.from({ length: hi - lo }, (_, i) => {
      const d = lo + i;
      const g = at.get(r);
      return {
        unit: r,
        period: d + 1,
        group: g === undefined ? 0 : g + 1,
        y: panel.num.get(r)![d]! / panel.den.get(r)![d]!,
      };
    }),
  );
  try {
    const r = staggeredDid({ rows, control_group: p.control_group, alpha: p.alpha });
    const day = (period: number | string) => panel.days[Number(period) - 1]!;
    return {
      control_group: p.control_group,
      note: `daily values of ${regions.length} regions, base period varying; analytical influence-function SEs are asymptotic in the number of regions (the headline effect uses ${'few-cluster'} inference instead)`,
      simple: r.simple,
      group: {
        ...r.group,
        effects: r.group.effects.map((x) => ({ group: day(x.group), att: x.att, se: x.se })),
      },
      dynamic: r.dynamic,
      calendar: {
        ...r.calendar,
        effects: r.calendar.effects.map((x) => ({ t: day(x.t), att: x.att, se: x.se })),
      },
      att_gt: r.attGt.map((x) => ({ group: day(x.group), t: day(x.t), att: x.att, se: x.se })),
    };
  } catch (err) {
    if (!(err instanceof VigilError)) throw err;
    notes.push(`Callaway–Sant'Anna skipped: ${err.message}`);
    return null;
  }
}

/** Synthetic control per treated region (never-treated donors), aggregated with a placebo-in-space p-value. */
function syntheticControls(
  panel: PolicyPanel,
  pool: readonly string[],
  schedules: readonly Schedule[],
  treated: ReadonlySet<string>,
  baseline: number | null,
  seed: number,
  notes: string[],
): PolicyReadout['synthetic_control'] {
  const per: NonNullable<PolicyReadout['synthetic_control']>['per_region'] = [];
  const placeboRatios: number[][] = [];
  const ratios: number[] = [];
  for (const s of schedules) {
    const span = { start: s.pre.start, end: s.post.end };
    const units = pool.filter((r) => {
      if (r !== s.region && treated.has(r)) return false;
      const den = panel.den.get(r)!;
      for (let d = span.start; d < span.end; d++) if (!(den[d]! > 0)) return false;
      return true;
    });
    if (!units.includes(s.region)) continue;
    const rows = units.flatMap((r) =>
      Array.from({ length: span.end - span.start }, (_, i) => ({
        unit: r,
        period: span.start + i,
        y: panel.num.get(r)![span.start + i]! / panel.den.get(r)![span.start + i]!,
      })),
    );
    try {
      const fit = syntheticControl({ rows, treatedUnit: s.region, treatmentStart: s.at });
      per.push({
        region: s.region,
        estimate: fit.estimate,
        pre_rmspe: fit.preRmspe,
        post_rmspe: fit.postRmspe,
        p_value: fit.pValue,
        weights: Object.fromEntries(fit.weights.map((x) => [x.unit, x.weight])),
      });
      ratios.push(fit.rmspeRatio);
      placeboRatios.push(fit.placebos.map((x) => x.rmspeRatio));
    } catch (err) {
      if (!(err instanceof VigilError)) throw err;
      notes.push(`synthetic control for ${s.region} skipped: ${err.message}`);
    }
  }
  if (per.length === 0) return null;
  const estimate = per.reduce((a, x) => a + x.estimate, 0) / per.length;
  // Aggregate placebo test: the treated regions' mean RMSPE ratio against means of one placebo per
  // treated region (4,000 seeded draws; a single treated region uses its placebos directly).
  let pValue: number | null = null;
  if (placeboRatios.every((x) => x.length > 0)) {
    const obs = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    if (per.length === 1) pValue = per[0]!.p_value;
    else {
      let state = seed;
      const next = () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 4294967296;
      };
      const B = 4000;
      let hits = 0;
      for (let b = 0; b < B; b++) {
        let m = 0;
        for (const xs of placeboRatios) m += xs[Math.floor(next() * xs.length)]!;
        if (m / placeboRatios.length >= obs) hits++;
      }
      pValue = (1 + hits) / (1 + B);
    }
  }
  return {
    estimate,
    relative_effect: baseline ? estimate / baseline : null,
    p_value: pValue,
    per_region: per,
  };
}

export async function evaluatePolicy(o: {
  engine: QueryEngine;
  config: ExperimentConfig;
  policy: string;
  asOf?: Date;
}): Promise<PolicyReadout> {
  const p = findPolicy(o.config, o.policy);
  const request = panelRequest(p, o.asOf);
  const panel = await policyPanel(o.engine, policyMetrics(o.config), p, request);
  return policyReadoutFromPanel(p, panel, request);
}
