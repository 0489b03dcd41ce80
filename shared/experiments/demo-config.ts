import type { LakeManifest } from '../generator/manifest.js';

/**
 * The experiment/policy config of the generated lake: A/B test `report_flow_v2` and the DE policy
 * launch `de_hate_speech_enforcement`. Dates come from the lake's manifest (`_manifest.json`);
 * `DEMO_CONFIG_YAML` is the one for the default demo lake (`vigil demo`: small scale, 2026-01-01).
 */
export function demoConfigYaml(m: Pick<LakeManifest, 'experiments' | 'policies' | 'start' | 'end'>): string {
  const e = m.experiments[0]!;
  const p = m.policies[0]!;
  // The policy panel uses every day of the lake on each side of the launch (at most 28).
  const days = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
  const preDays = Math.max(2, Math.min(28, days(m.start, p.launch)));
  const postDays = Math.max(1, Math.min(28, days(p.launch, m.end)));
  const variants = e.variants.map((v, i) => `      - { name: ${v}, weight: ${e.weights[i]} }`).join('\n');
  return `# Experiments and policy launches of the generated demo lake.
version: 1
experiments:
  - id: ${e.id}
    description: New report flow; units are users (experiment_assignments.unit_id = user_reports.reporter_id)
    variants:
${variants}
    control: ${e.variants[0]}
    start: "${e.start}"
    end: "${e.end}"
    unit: user
    rule: { alpha: 0.05, method: fixed_horizon, srm_alpha: 0.001 }
    metrics:
      - name: reports_per_unit
        role: primary
        direction: increase
        kind: count
        source: user_reports
        unit_column: reporter_id
        cuped: { pre_days: 7 }
      - name: actioned_reports_per_unit
        role: guardrail
        direction: increase
        kind: count
        source: user_reports
        unit_column: reporter_id
        filter: [{ column: status, op: eq, value: actioned }]
      - name: report_action_rate
        description: actioned / resolved reports (delta method); more reports must not mean worse reports
        role: guardrail
        direction: increase
        kind: ratio
        numerator:
          source: user_reports
          unit_column: reporter_id
          filter: [{ column: status, op: eq, value: actioned }]
        denominator:
          source: user_reports
          unit_column: reporter_id
          filter: [{ column: status, op: in, value: [actioned, dismissed] }]
      - name: live_reports_per_unit
        role: secondary
        direction: increase
        kind: count
        source: user_reports
        unit_column: reporter_id
        filter: [{ column: surface, op: eq, value: live }]
policies:
  - id: ${p.id}
    description: Stricter ${p.region} enforcement
    region: ${p.region}
    launch: "${p.launch}"
    metric: ${p.metric}
    pre_days: ${preDays}
    post_days: ${postDays}
    alpha: 0.05
`;
}

/** For the default demo lake (seeded scenario, small scale, starting 2026-01-01). */
export const DEMO_CONFIG_YAML = demoConfigYaml({
  start: '2026-01-01T00:00:00Z',
  end: '2026-01-29T00:00:00Z',
  experiments: [
    {
      id: 'report_flow_v2',
      unit: 'user',
      variants: ['control', 'treatment'],
      weights: [0.5, 0.5],
      start: '2026-01-13T00:00:00Z',
      end: '2026-01-29T00:00:00Z',
      exposureDays: 7,
      assignedShare: 0.6,
      metric: 'reports_per_unit',
      trueRelativeLift: 0.2,
    },
  ],
  policies: [
    {
      id: 'de_hate_speech_enforcement',
      region: 'DE',
      launch: '2026-01-15T00:00:00Z',
      metric: 'removals_per_10k_impressions',
      trueRelativeEffect: 0.3,
    },
  ],
});
