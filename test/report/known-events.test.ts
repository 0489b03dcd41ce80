import { describe, expect, it } from 'vitest';
import { fromAlerts } from '../../shared/report/adapters.js';
import type { ReportData } from '../../shared/report/model.js';
import { renderReport } from '../../shared/report/render.js';
import { makeAlert } from '../alerting/fixtures.js';

const CARNIVAL = {
  id: 'carnival',
  kind: 'holiday' as const,
  title: 'Carnival <BR>',
  start: '2026-01-14T00:00:00.000Z',
  end: '2026-01-15T00:00:00.000Z',
  suppress: false,
  regions: ['BR'],
};

describe('the report names the known events of an incident', () => {
  it('lists each event once, with the team and owner of the metric', () => {
    const who = { team: 'enforcement', owner: 'oncall@example.com' };
    const open = makeAlert({ events: [CARNIVAL], ...who });
    const update = makeAlert({
      status: 'update',
      windowStart: '2026-01-14T12:00:00Z',
      events: [CARNIVAL],
      ...who,
    });
    const { incidents } = fromAlerts([open, update]);
    expect(incidents[0]!.events?.map((e) => e.id)).toEqual(['carnival']);
    const data: ReportData = {
      generatedAt: '2026-01-15T00:00:00Z',
      title: 't',
      window: { from: '2026-01-13T00:00:00Z', to: '2026-01-15T00:00:00Z' },
      metrics: [],
      incidents,
      dataQuality: [],
      experiments: [],
      policies: [],
    };
    const html = renderReport(data);
    expect(html.match(/data-known-event="carnival"/g)).toHaveLength(1);
    // Event titles are the config's text: escaped.
    expect(html).toContain('Carnival &lt;BR&gt;');
    expect(html).not.toContain('Carnival <BR>');
    expect(html).toContain('oncall@example.com');
    const plain = renderReport({ ...data, incidents: fromAlerts([makeAlert()]).incidents });
    expect(plain).not.toContain('data-known-event');
  });
});
