import * as z from 'zod';
import { InputError } from '../errors.js';

/**
 * Small aggregated panels (unit × period, e.g. region × day) for the policy helpers. Periods are
 * either all numbers (sorted numerically) or all strings (sorted as text, which orders ISO dates);
 * event time is measured in positions along the sorted periods, so the panel should have no gaps.
 */

export const unitSchema = z.union([z.string(), z.number()]).transform(String);
export const periodSchema = z.union([z.string(), z.number()]);
export type Period = z.infer<typeof periodSchema>;

export const panelRowSchema = z.object({
  unit: unitSchema,
  period: periodSchema,
  y: z.number(),
});
export type PanelRow = z.output<typeof panelRowSchema>;

/** Orders periods: numbers numerically, strings as text (ISO dates in time order). */
export const comparePeriods = (a: Period, b: Period): number =>
  typeof a === 'number' && typeof b === 'number'
    ? a - b
    : String(a) < String(b)
      ? -1
      : String(a) > String(b)
        ? 1
        : 0;

export interface Panel {
  units: string[];
  periods: Period[];
  unitIndex: Map<string, number>;
  periodIndex: Map<Period, number>;
}

export function buildPanel(rows: readonly PanelRow[], what: string): Panel {
  const kinds = new Set(rows.map((r) => typeof r.period));
  if (kinds.size > 1) throw new InputError(`${what}: rows[].period mixes numbers and strings`);
  const periods = [...new Set(rows.map((r) => r.period))].sort(comparePeriods);
  const units = [...new Set(rows.map((r) => r.unit))].sort();
  const panel: Panel = {
    units,
    periods,
    unitIndex: new Map(units.map((u, i) => [u, i])),
    periodIndex: new Map(periods.map((p, i) => [p, i])),
  };
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${panel.unitIndex.get(r.unit)}:${panel.periodIndex.get(r.period)}`;
    if (seen.has(key))
      throw new InputError(`${what}: duplicate row for unit '${r.unit}', period '${r.period}'`);
    seen.add(key);
  }
  return panel;
}

/** Position of `period` along the panel's sorted periods; InputError naming `field` if absent. */
export function periodPosition(panel: Panel, period: Period, what: string, field: string): number {
  const index = panel.periodIndex.get(period);
  if (index === undefined) throw new InputError(`${what}: ${field} '${period}' is not a period of the panel`);
  return index;
}
