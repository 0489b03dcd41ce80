import { formatIso } from '../time/window.js';
import type { Scenario } from './scenario.js';

/** The ground truth a generated lake was planted with, written to `<lake>/_manifest.json`. */
export interface LakeManifest {
  readonly generator: 'vigil';
  readonly version: 1;
  readonly seed: number;
  readonly start: string;
  readonly end: string;
  readonly days: number;
  readonly rows: Readonly<Record<string, number>>;
  readonly incidents: Scenario['incidents'];
  readonly missing_partitions: Scenario['missingPartitions'];
  readonly experiments: readonly Scenario['experiment'][];
  readonly policies: readonly Scenario['policy'][];
  readonly model_drift: Scenario['modelDrift'];
  readonly weak_reason: Scenario['weakReason'];
  readonly enforcement_gap: Scenario['enforcementGap'];
}

export const MANIFEST_FILE = '_manifest.json';

export function buildManifest(s: Scenario, rows: Record<string, number>): LakeManifest {
  return {
    generator: 'vigil',
    version: 1,
    seed: s.seed,
    start: formatIso(s.start),
    end: formatIso(s.end),
    days: s.days,
    rows,
    incidents: s.incidents,
    missing_partitions: s.missingPartitions,
    experiments: [s.experiment],
    policies: [s.policy],
    model_drift: s.modelDrift,
    weak_reason: s.weakReason,
    enforcement_gap: s.enforcementGap,
  };
}
