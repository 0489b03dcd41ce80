import type { MetricConfigInput } from './schema.js';

/**
 * The design's core metric catalog as a metric config (what runs without --config).
 * A plain object rather than YAML so Lambda bundles need no YAML parser;
 * `vigil config default` prints it as YAML to start a config from. Each metric carries its own
 * unit and detection rules: bad things alert up, good things down, counts both ways.
 */
export const CORE_CATALOG = {
  version: 1,
  metrics: [
    {
      name: 'impressions',
      unit: 'count',
      kind: 'count',
      source: 'impressions',
      slices: ['region', 'surface', 'platform'],
    },
    {
      name: 'violation_prevalence',
      unit: 'proportion',
      // Sampled labels: read hourly against the estimate's own CI (the noise floor), so only moves
      // the few labels of an hour can support are raised.
      detection: { direction: 'up', sensitivity: 0.3 },
      kind: 'weighted_proportion',
      description:
        'Weighted share of sampled impressions labelled violating; Wilson CI on the Kish effective sample size.',
      source: 'prevalence_labels',
      weight: 'sample_weight',
      condition: [
        {
          column: 'is_violating',
          value: true,
        },
      ],
      slices: ['region', 'surface'],
    },
    {
      name: 'removals',
      unit: 'count',
      // A count and its rate over impressions are one family (one incident per move), judged by one
      // exact Poisson band: at 0.5 its total raised a false alarm every ~3 weeks of hours by noise
      // alone (p ≈ 3e-3 a window), while a real global move clears 0.3 easily (a large volume).
      detection: { exposure: 'impressions', sensitivity: 0.3 },
      kind: 'count',
      source: 'moderation_decisions',
      filter: [
        {
          column: 'action',
          value: 'remove',
        },
      ],
      slices: ['region', 'surface', 'policy'],
    },
    {
      name: 'removals_per_10k_impressions',
      unit: 'per10k',
      // The family's rate (see removals).
      detection: { direction: 'both', sensitivity: 0.3 },
      kind: 'ratio',
      scale: 10000,
      numerator: {
        source: 'moderation_decisions',
        agg: 'count',
        filter: [
          {
            column: 'action',
            value: 'remove',
          },
        ],
      },
      denominator: {
        source: 'impressions',
        agg: 'count',
      },
      slices: ['region', 'surface'],
    },
    {
      name: 'automated_action_share',
      unit: 'proportion',
      detection: { direction: 'down' },
      kind: 'ratio',
      numerator: {
        source: 'moderation_decisions',
        agg: 'count',
        filter: [
          {
            column: 'decision_source',
            value: 'automated',
          },
          {
            column: 'action',
            op: 'ne',
            value: 'no_violation',
          },
        ],
      },
      denominator: {
        source: 'moderation_decisions',
        agg: 'count',
        filter: [
          {
            column: 'action',
            op: 'ne',
            value: 'no_violation',
          },
        ],
      },
      slices: ['region', 'surface', 'policy'],
    },
    {
      name: 'appeal_overturn_rate',
      unit: 'rate',
      detection: { direction: 'up', sensitivity: 0.3 },
      kind: 'ratio',
      numerator: {
        source: 'moderation_decisions',
        agg: 'count',
        filter: [
          {
            column: 'decision_source',
            value: 'appeal',
          },
          {
            column: 'appeal_overturned',
            value: true,
          },
        ],
      },
      denominator: {
        source: 'moderation_decisions',
        agg: 'count',
        filter: [
          {
            column: 'decision_source',
            value: 'appeal',
          },
        ],
      },
      slices: ['region', 'surface', 'policy'],
    },
    {
      name: 'decision_latency_p90_seconds',
      unit: 'seconds',
      // A p90 of few decisions is heavy-tailed: only large, clear moves matter.
      detection: { direction: 'up', sensitivity: 0.2, sliceSensitivity: 0.1, minRelativeChange: 1 },
      kind: 'percentile',
      source: 'moderation_decisions',
      column: 'latency_seconds',
      percentile: 0.9,
      slices: ['region', 'surface', 'policy'],
    },
    {
      name: 'user_reports',
      unit: 'count',
      // One family with reports_per_10k_impressions (see removals).
      detection: { exposure: 'impressions', sensitivity: 0.3 },
      kind: 'count',
      source: 'user_reports',
      slices: ['region', 'surface', 'reason'],
    },
    {
      name: 'reports_per_10k_impressions',
      unit: 'per10k',
      // The family's rate (see removals).
      detection: { direction: 'up', sensitivity: 0.3 },
      kind: 'ratio',
      scale: 10000,
      numerator: {
        source: 'user_reports',
        agg: 'count',
      },
      denominator: {
        source: 'impressions',
        agg: 'count',
      },
      slices: ['region', 'surface'],
    },
    {
      name: 'report_action_rate',
      unit: 'rate',
      detection: { direction: 'both', sensitivity: 0.3 },
      kind: 'ratio',
      numerator: {
        source: 'user_reports',
        agg: 'count',
        filter: [
          {
            column: 'status',
            value: 'actioned',
          },
        ],
      },
      denominator: {
        source: 'user_reports',
        agg: 'count',
        filter: [
          {
            column: 'status',
            op: 'in',
            value: ['actioned', 'dismissed'],
          },
        ],
      },
      slices: ['region', 'surface', 'reason'],
    },
    {
      name: 'unique_reporters',
      unit: 'count',
      detection: { exposure: 'impressions' },
      kind: 'distinct_count',
      source: 'user_reports',
      column: 'reporter_id',
      slices: ['region', 'surface'],
    },
    {
      name: 'login_failure_rate',
      unit: 'rate',
      detection: { direction: 'up' },
      kind: 'ratio',
      numerator: {
        source: 'account_events',
        agg: 'count',
        filter: [
          {
            column: 'event_type',
            value: 'login_failure',
          },
        ],
      },
      denominator: {
        source: 'account_events',
        agg: 'count',
        filter: [
          {
            column: 'event_type',
            op: 'in',
            value: ['login_success', 'login_failure'],
          },
        ],
      },
      slices: ['region', 'platform'],
    },
    {
      name: 'account_takeover_flags',
      unit: 'count',
      detection: { direction: 'up' },
      kind: 'count',
      source: 'account_events',
      filter: [
        {
          column: 'event_type',
          value: 'account_takeover_flag',
        },
      ],
      slices: ['region', 'platform'],
    },
    {
      name: 'high_risk_signup_share',
      unit: 'proportion',
      detection: { direction: 'up' },
      kind: 'ratio',
      numerator: {
        source: 'account_events',
        agg: 'count',
        filter: [
          {
            column: 'event_type',
            value: 'signup',
          },
          {
            column: 'risk_score',
            op: 'gte',
            value: 0.8,
          },
        ],
      },
      denominator: {
        source: 'account_events',
        agg: 'count',
        filter: [
          {
            column: 'event_type',
            value: 'signup',
          },
          {
            column: 'risk_score',
            op: 'not_null',
          },
        ],
      },
      slices: ['region', 'platform'],
    },
  ],
} satisfies MetricConfigInput;
