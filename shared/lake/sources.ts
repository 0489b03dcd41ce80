/** The fixed event lake schema of the design: six sources, their columns and SQL types. */
export type ColumnType = 'TIMESTAMP' | 'VARCHAR' | 'DOUBLE' | 'BOOLEAN';

export const SOURCE_COLUMNS = {
  impressions: {
    event_time: 'TIMESTAMP',
    impression_id: 'VARCHAR',
    viewer_id: 'VARCHAR',
    content_id: 'VARCHAR',
    creator_id: 'VARCHAR',
    surface: 'VARCHAR',
    region: 'VARCHAR',
    platform: 'VARCHAR',
  },
  moderation_decisions: {
    event_time: 'TIMESTAMP',
    decision_id: 'VARCHAR',
    content_id: 'VARCHAR',
    creator_id: 'VARCHAR',
    surface: 'VARCHAR',
    region: 'VARCHAR',
    policy: 'VARCHAR',
    action: 'VARCHAR',
    decision_source: 'VARCHAR',
    model_score: 'DOUBLE',
    latency_seconds: 'DOUBLE',
    appeal_overturned: 'BOOLEAN',
  },
  user_reports: {
    event_time: 'TIMESTAMP',
    report_id: 'VARCHAR',
    reporter_id: 'VARCHAR',
    target_type: 'VARCHAR',
    target_id: 'VARCHAR',
    surface: 'VARCHAR',
    region: 'VARCHAR',
    reason: 'VARCHAR',
    status: 'VARCHAR',
    resolved_time: 'TIMESTAMP',
  },
  account_events: {
    event_time: 'TIMESTAMP',
    account_id: 'VARCHAR',
    event_type: 'VARCHAR',
    region: 'VARCHAR',
    platform: 'VARCHAR',
    device_id: 'VARCHAR',
    risk_score: 'DOUBLE',
  },
  prevalence_labels: {
    event_time: 'TIMESTAMP',
    impression_id: 'VARCHAR',
    content_id: 'VARCHAR',
    surface: 'VARCHAR',
    region: 'VARCHAR',
    policy: 'VARCHAR',
    is_violating: 'BOOLEAN',
    sample_weight: 'DOUBLE',
  },
  experiment_assignments: {
    event_time: 'TIMESTAMP',
    experiment_id: 'VARCHAR',
    variant: 'VARCHAR',
    unit_id: 'VARCHAR',
    region: 'VARCHAR',
    platform: 'VARCHAR',
  },
} as const satisfies Record<string, Record<string, ColumnType>>;

export type SourceName = keyof typeof SOURCE_COLUMNS;
export const SOURCE_NAMES = Object.keys(SOURCE_COLUMNS) as SourceName[];

/** Hive partition columns; their values are strings, as Athena sees them. */
export const PARTITION_COLUMNS = ['dt', 'hour'] as const;

export function isSourceName(name: string): name is SourceName {
  return Object.hasOwn(SOURCE_COLUMNS, name);
}
