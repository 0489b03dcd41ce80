import { describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/alerting/findings.js';
import {
  heldSlices,
  incidentKey,
  keyOfIncident,
  type OpenIncident,
  type StepContext,
  stepIncident,
} from '../../shared/alerting/incidents.js';
import { rankSlices } from '../../shared/alerting/root-cause.js';
import type { ScoredPoint } from '../../shared/alerting/score-series.js';
import type { Alert } from '../../shared/ports/alert-sink.js';
import { parseSliceKey, TOTAL } from '../../shared/slices/slice.js';

const H = 3_600_000;
const sl = (key: string) => parseSliceKey(key);
const T0 = Date.parse('2026-01-14T10:00:00Z');

function finding(h: number, overrides: Partial<Finding> = {}): Finding {
  return {
    kind: 'metric_incident',
    metric: 'user_reports',
    t: T0 + h * H,
    slice: sl('region=BR'),
    observed: 50,
    expected: 12,
    score: 0.8,
    direction: 'up',
    severity: 'medium',
    slices: [sl('region=BR')],
    topSlices: [{ slice: sl('region=BR'), observed: 50, expected: 12, contribution: 0.95 }],
    ...overrides,
  };
}

/** Runs the state machine over hours 0..n-1, with `at(h)` the finding of hour h. */
function replay(n: number, at: (h: number) => Finding | undefined, cooldown = 3): Alert[] {
  let open: OpenIncident | undefined;
  const alerts: Alert[] = [];
  for (let h = 0; h < n; h++) {
    const f = at(h);
    const ctx: StepContext = {
      t: T0 + h * H,
      grain: 'hour',
      resolveAfter: 2,
      cooldown,
      ...(f ? { current: { observed: f.observed, expected: f.expected } } : {}),
      reportUrl: (k) => `report#${k}`,
    };
    const step = stepIncident(open, f, ctx);
    open = step.open;
    if (step.alert) alerts.push(step.alert);
  }
  return alerts;
}

describe('stepIncident', () => {
  it('opens once, stays quiet while the incident holds, and resolves after quiet windows', () => {
    // Act: anomalous hours 0..3, quiet from 4.
    const alerts = replay(8, (h) => (h < 4 ? finding(h) : undefined));
    // Assess
    expect(alerts.map((a) => a.status)).toEqual(['open', 'resolved']);
    const [open, resolved] = alerts;
    expect(open?.dedupeKey).toBe('metric_incident:user_reports:region=BR:2026-01-14T10:00:00Z');
    expect(resolved?.dedupeKey).toBe(open?.dedupeKey);
    expect(resolved?.windowStart).toBe('2026-01-14T15:00:00Z');
    expect(resolved?.summary).toMatch(/^Resolved: user_reports \(region=BR\)/);
  });

  it('sends an update when the incident grows, at most once per cooldown', () => {
    // Prepare: the move doubles at hour 1 and again at 2 (inside the cooldown), and a slice joins at 4.
    const at = (h: number) =>
      finding(h, {
        observed: h === 0 ? 30 : h < 4 ? 30 * 2 ** Math.min(h, 3) : 240,
        slices: h >= 4 ? [sl('region=BR'), sl('surface=live')] : [sl('region=BR')],
      });
    // Act
    const alerts = replay(6, at);
    // Assess: growth at 1-2 waits for the 3-hour cooldown, the new slice at 4 is past it.
    expect(alerts.map((a) => [a.status, a.windowStart.slice(11, 13)])).toEqual([
      ['open', '10'],
      ['update', '13'],
    ]);
  });

  it('escalation of severity skips the cooldown', () => {
    const alerts = replay(3, (h) => finding(h, { severity: h === 1 ? 'critical' : 'medium' }));
    expect(alerts.map((a) => [a.status, a.severity])).toEqual([
      ['open', 'medium'],
      ['update', 'critical'],
    ]);
  });

  it('a traffic notice that moves again the same way within the cooldown stays one notice', () => {
    // Prepare: seed 207's day of traffic x1.35 on impressions surface=message: flagged at 0, 5 and
    // 8-11 with lulls of 4 and 2 quiet hours between (issue #16).
    const moving = (h: number) => h === 0 || h === 5 || (h >= 8 && h <= 11);
    const at = (h: number) =>
      moving(h) ? finding(h, { cause: 'traffic', metric: 'impressions', severity: 'low' }) : undefined;
    // Act
    const alerts = replay(20, at);
    // Assess: one notice, resolved once the cooldown passed quiet after its last move (11 + 2 + 3).
    expect(alerts.map((a) => [a.status, a.windowStart.slice(11, 13)])).toEqual([
      ['open', '10'],
      ['resolved', '02'],
    ]);
  });

  it('a T&S incident resolves after resolveAfter quiet windows, whatever the cooldown', () => {
    const alerts = replay(7, (h) => (h === 0 || h === 5 ? finding(h) : undefined));
    expect(alerts.map((a) => [a.status, a.windowStart.slice(11, 13)])).toEqual([
      ['open', '10'],
      ['resolved', '12'],
      ['open', '15'],
    ]);
  });

  it('a single quiet window inside an incident does not split it', () => {
    const alerts = replay(6, (h) => (h === 2 || h > 3 ? undefined : finding(h)));
    expect(alerts.map((a) => a.status)).toEqual(['open', 'resolved']);
  });
});

function point(observed: number, expected: number, extra: Partial<ScoredPoint> = {}): ScoredPoint {
  return {
    t: T0,
    observed,
    expected,
    numerator: null,
    denominator: null,
    score: 0.5,
    isAnomaly: false,
    z: 0,
    excluded: false,
    ...extra,
  };
}

describe('rankSlices', () => {
  it('ranks count slices by their share of the total deviation, planted slice first', () => {
    // Prepare: +40 in BR, split across two policies; other slices flat.
    const slices = new Map([
      [sl('region=BR'), point(52, 12)],
      [sl('region=US'), point(31, 30)],
      [sl('policy=spam'), point(30, 10)],
      [sl('policy=scam_fraud'), point(28, 8)],
      [sl('policy=nudity'), point(5, 6)],
      [sl('policy=spam;region=BR'), point(22, 3)],
    ]);
    // Act
    const ranked = rankSlices('count', point(120, 80), slices, 'up');
    // Assess: shares of the move within each dimension (BR +40 of +41 up in region), nudity (down) left out.
    const keys = ranked.map((r) => (r.slice === 'other' ? 'other' : r.slice.key));
    expect(keys.sort()).toEqual(
      ['policy=scam_fraud', 'policy=spam', 'policy=spam;region=BR', 'region=BR', 'region=US'].sort(),
    );
    const share = (k: string) => ranked.find((r) => r.slice !== 'other' && r.slice.key === k)!.contribution;
    expect(share('region=BR')).toBeCloseTo(40 / 41, 3);
    expect(share('region=BR') + share('region=US')).toBeCloseTo(1, 3);
    expect(share('policy=spam') + share('policy=scam_fraud')).toBeCloseTo(1, 3);
    for (const r of ranked) expect(r.contribution).toBeLessThanOrEqual(1);
    expect(keys.at(-1)).toBe('region=US');
  });

  it('decomposes a ratio on numerator and denominator (rate effect at the observed mix)', () => {
    // Prepare: login failure rate; ID (10% of attempts) jumps from 0.1 to 0.5, the rest stays at 0.1.
    const total = point(0.14, 0.1, { numerator: 140, denominator: 1000 });
    const slices = new Map([
      [sl('region=ID'), point(0.5, 0.1, { numerator: 50, denominator: 100 })],
      [sl('region=US'), point(0.1, 0.1, { numerator: 90, denominator: 900 })],
    ]);
    // Act
    const [top] = rankSlices('ratio', total, slices, 'up');
    // Assess: (100/1000) × (0.5 − 0.1) = 0.04, all of the total's +0.04.
    expect(top?.slice !== 'other' && top?.slice.key).toBe('region=ID');
    expect(top?.contribution).toBeCloseTo(1, 6);
  });

  it('shares by dimension when the total did not move in the incident direction', () => {
    const slices = new Map([
      [sl('region=BR'), point(40, 10)],
      [sl('region=US'), point(70, 100)],
    ]);
    const ranked = rankSlices('count', point(110, 110), slices, 'up');
    expect(ranked).toEqual([{ slice: sl('region=BR'), observed: 40, expected: 10, contribution: 1 }]);
  });

  it('is a share of the move it explains, never a multiple of a total that barely moved', () => {
    // The total is up 0.1 (noise), BR is up 50 and US down 49.9: BR explains all of the upward move.
    const slices = new Map([
      [sl('region=BR'), point(150, 100)],
      [sl('region=US'), point(50.1, 100)],
    ]);
    const ranked = rankSlices('count', point(200.1, 200), slices, 'up');
    expect(ranked.map((r) => r.contribution)).toEqual([1]);
  });
});

describe('what keys and holds a traffic notice', () => {
  const opened = (overrides: Partial<Finding>) =>
    stepIncident(undefined, finding(0, overrides), {
      t: T0,
      grain: 'hour',
      resolveAfter: 2,
      cooldown: 3,
      reportUrl: () => '',
    }).open!;

  it('a notice is keyed apart from an incident of the same subject, slice and direction', () => {
    const notice = opened({ cause: 'traffic', metric: 'removals', family: 'removals_per_10k_impressions' });
    const incident = opened({ metric: 'removals', family: 'removals_per_10k_impressions' });
    expect(keyOfIncident(notice)).not.toBe(keyOfIncident(incident));
    expect(keyOfIncident(incident)).toBe(
      incidentKey('metric_incident', 'removals_per_10k_impressions', sl('region=BR'), 'up'),
    );
  });

  it('an exposure’s notice is held by its total too; a family count’s notice and an incident by their slices', () => {
    const exposure = opened({ cause: 'traffic', metric: 'impressions', slices: [sl('surface=live')] });
    expect(heldSlices(exposure).map((s) => s.key)).toEqual(['region=BR', 'surface=live', TOTAL.key]);
    const count = opened({ cause: 'traffic', metric: 'removals', family: 'removals_per_10k_impressions' });
    expect(heldSlices(count).map((s) => s.key)).toEqual(['region=BR', 'region=BR']);
    expect(heldSlices(opened({})).map((s) => s.key)).toEqual(['region=BR', 'region=BR']);
  });
});
