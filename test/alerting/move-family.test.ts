import { describe, expect, it } from 'vitest';
import { moveFamilies } from '../../shared/alerting/move-family.js';
import { coreCatalog, validateMetricConfig } from '../../shared/config/load.js';

describe('count / rate families from the metric definitions', () => {
  it('pairs each core count with the rate of it over its exposure, and nothing else', () => {
    const f = moveFamilies(coreCatalog().metrics);
    expect(f.get('removals')).toEqual({
      id: 'removals_per_10k_impressions',
      rate: 'removals_per_10k_impressions',
      count: 'removals',
      exposure: 'impressions',
    });
    expect(f.get('removals_per_10k_impressions')).toBe(f.get('removals'));
    expect(f.get('user_reports')?.rate).toBe('reports_per_10k_impressions');
    // A distinct count judged against impressions has no rate of its own measure.
    expect(f.has('unique_reporters')).toBe(false);
    // Ratios of other measures, and the exposure itself, are in no family.
    for (const m of ['impressions', 'automated_action_share', 'report_action_rate', 'violation_prevalence'])
      expect(f.has(m)).toBe(false);
  });

  const cfg = (rateFilter: unknown[], exposure: string | undefined) =>
    validateMetricConfig({
      version: 1,
      metrics: [
        { name: 'views', kind: 'count', source: 'impressions' },
        {
          name: 'takedowns',
          kind: 'count',
          source: 'moderation_decisions',
          filter: [
            { column: 'action', value: 'remove' },
            { column: 'surface', value: 'live' },
          ],
          ...(exposure ? { detection: { exposure } } : {}),
        },
        {
          name: 'live_rate',
          kind: 'ratio',
          numerator: { source: 'moderation_decisions', agg: 'count', filter: rateFilter },
          denominator: { source: 'impressions', agg: 'count' },
        },
      ],
    }).metrics;

  it('reads the relation from the measures, whatever the names and the order of the conditions', () => {
    const same = [
      { column: 'surface', value: 'live' },
      { column: 'action', op: 'eq', value: 'remove' },
    ];
    expect(moveFamilies(cfg(same, 'views')).get('takedowns')?.rate).toBe('live_rate');
  });

  it('a rate of another filter, or a count without an exposure, is no family', () => {
    expect(moveFamilies(cfg([{ column: 'action', value: 'remove' }], 'views')).size).toBe(0);
    const same = [
      { column: 'action', value: 'remove' },
      { column: 'surface', value: 'live' },
    ];
    expect(moveFamilies(cfg(same, undefined)).size).toBe(0);
  });
});
