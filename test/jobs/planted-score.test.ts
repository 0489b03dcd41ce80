import { describe, expect, it } from 'vitest';
import type { PlantedTruth } from '../../shared/generator/planted-series.js';
import { buildScenario } from '../../shared/generator/scenario.js';
import { scoreAgainstTruth } from '../../shared/jobs/planted-score.js';
import type { Alert } from '../../shared/ports/alert-sink.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 20);
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function alert(o: Omit<Partial<Alert>, 'since'> & { metric: string; since: number; at: number }): Alert {
  const { since, at, ...rest } = o;
  return {
    dedupeKey: `${o.kind ?? 'metric_incident'}:${o.metric}:${o.slice ?? ''}:${iso(since)}`,
    kind: 'metric_incident',
    status: 'open',
    severity: 'medium',
    slice: '',
    grain: 'hour',
    since: iso(since),
    windowStart: iso(at),
    observed: 1,
    expected: 1,
    score: 1,
    direction: 'up',
    topSlices: [],
    summary: '',
    subject: '',
    ...rest,
  } as Alert;
}

const truth: PlantedTruth[] = [
  {
    id: 'shift',
    kind: 'level_shift',
    start: T0,
    end: T0 + 72 * H,
    metrics: [{ metric: 'removals', slice: 'region=BR' }],
  },
  {
    id: 'traffic',
    kind: 'traffic',
    start: T0 + 96 * H,
    end: T0 + 120 * H,
    metrics: [],
    allowed: ['impressions'],
  },
  {
    id: 'partial',
    kind: 'partial_partition',
    start: T0 + 130 * H,
    end: T0 + 131 * H,
    metrics: [],
    source: 'impressions',
  },
];

describe('scoreAgainstTruth', () => {
  it('counts a planted move caught on its slice, the traffic day by its notices, a data fault by its source', () => {
    const s = scoreAgainstTruth(
      [
        alert({ metric: 'removals', slice: 'region=BR', since: T0 + 3 * H, at: T0 + 3 * H }),
        alert({ metric: 'impressions', since: T0 + 96 * H, at: T0 + 96 * H }),
        alert({ kind: 'data_quality', metric: 'impressions', since: T0 + 130 * H, at: T0 + 130 * H }),
        // a false alarm: another metric, nowhere near a planted move
        alert({ metric: 'user_reports', since: T0 + 200 * H, at: T0 + 200 * H }),
      ],
      truth,
    );
    expect(s.verdicts.map((v) => [v.id, v.caught, v.notices])).toEqual([
      ['shift', true, 0],
      ['traffic', true, 1],
      ['partial', true, 0],
    ]);
    expect([s.metricIncidents, s.realMetricIncidents, s.dataAlerts, s.realDataAlerts]).toEqual([3, 2, 1, 1]);
  });

  it('misses a move on another slice, and fails the traffic day on a count incident or a data alert elsewhere', () => {
    const s = scoreAgainstTruth(
      [
        alert({ metric: 'removals', slice: 'region=ID', since: T0 + 3 * H, at: T0 + 3 * H }),
        alert({ metric: 'user_reports', direction: 'down', since: T0 + 120 * H, at: T0 + 121 * H }),
        alert({ kind: 'data_quality', metric: 'user_reports', since: T0 + 130 * H, at: T0 + 130 * H }),
      ],
      truth,
    );
    expect(s.verdicts.map((v) => v.caught)).toEqual([false, false, false]);
    expect([s.realMetricIncidents, s.realDataAlerts]).toEqual([0, 0]);
  });
});

describe("buildScenario planted: 'none'", () => {
  it('plants nothing: no incident, no missing partition, no effects', () => {
    const s = buildScenario({
      seed: 1,
      start: new Date(T0 - 19 * 24 * H),
      days: 35,
      impressions: 1e6,
      planted: 'none',
    });
    expect(s.incidents).toEqual([]);
    expect(s.missingPartitions).toEqual([]);
    expect([
      s.policy.trueRelativeEffect,
      s.experiment.trueRelativeLift,
      s.modelDrift.scoreMultiplier,
    ]).toEqual([0, 0, 1]);
    const builtin = buildScenario({ seed: 1, start: new Date(T0 - 19 * 24 * H), days: 35, impressions: 1e6 });
    expect(builtin.incidents).toHaveLength(4);
  });
});
