import { describe, expect, it } from 'vitest';
import type { PlantedTruth } from '../../shared/generator/planted-series.js';
import { scoreAgainstTruth } from '../../shared/jobs/planted-score.js';
import type { Alert } from '../../shared/ports/alert-sink.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 20);
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/** An alert of `metric` whose incident started `hour` hours after T0 (its window too, unless `at` says). */
function alert(metric: string, hour: number, o: Partial<Alert> & { at?: number } = {}): Alert {
  const { at = hour, ...rest } = o;
  return {
    dedupeKey: `${o.kind ?? 'metric_incident'}:${metric}:${o.slice ?? ''}:${iso(T0 + hour * H)}`,
    kind: 'metric_incident',
    status: 'open',
    severity: 'medium',
    metric,
    slice: '',
    grain: 'hour',
    since: iso(T0 + hour * H),
    windowStart: iso(T0 + at * H),
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

/** An alert on a slice too small to name (k-anonymity): it reads `other`. */
const small = (metric: string, hour: number) =>
  alert(metric, hour, { slice: 'other', sliceSuppressed: true });

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
        alert('removals', 3, { slice: 'region=BR' }),
        alert('impressions', 96),
        alert('impressions', 130, { kind: 'data_quality' }),
        // a slice too small to name during the move, on its metric
        small('removals', 5),
        // a false alarm: another metric, nowhere near a planted move
        alert('user_reports', 200),
      ],
      truth,
    );
    expect(s.verdicts.map((v) => [v.id, v.caught, v.notices])).toEqual([
      ['shift', true, 0],
      ['traffic', true, 1],
      ['partial', true, 0],
    ]);
    expect([s.metricIncidents, s.realMetricIncidents, s.dataAlerts, s.realDataAlerts]).toEqual([4, 3, 1, 1]);
  });

  it('misses a move on another slice, and fails the traffic day on a count incident or a data alert elsewhere', () => {
    const s = scoreAgainstTruth(
      [
        alert('removals', 3, { slice: 'region=ID' }),
        // too small to name, but another metric
        small('user_reports', 5),
        alert('user_reports', 120, { direction: 'down', at: 121 }),
        alert('user_reports', 130, { kind: 'data_quality' }),
      ],
      truth,
    );
    expect(s.verdicts.map((v) => v.caught)).toEqual([false, false, false]);
    expect([s.realMetricIncidents, s.realDataAlerts]).toEqual([0, 0]);
  });

  it("counts the total's incident on a slice's move only when it names the slice among its top slices", () => {
    const top = (slice: string) => [{ slice, observed: 2, expected: 1, contribution: 0.8 }];
    const elsewhere = scoreAgainstTruth([alert('removals', 3, { topSlices: top('region=ID') })], truth);
    expect(elsewhere.verdicts[0]!.caught).toBe(false);
    const named = scoreAgainstTruth([alert('removals', 3, { topSlices: top('region=BR') })], truth);
    expect(named.verdicts[0]!.caught).toBe(true);
  });
});
