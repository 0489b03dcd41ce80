import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { fromAlerts } from '../../shared/report/adapters.js';
import { incidentAnchor, type ReportData } from '../../shared/report/model.js';
import { renderReport } from '../../shared/report/render.js';
import { downsample, lineChart } from '../../shared/report/svg-chart.js';
import { reportKey, writeReport } from '../../shared/report/write.js';
import { makeAlert, makeFamilyAlert } from '../alerting/fixtures.js';
import { buildFixture } from './fixture.js';

const EMPTY: ReportData = {
  generatedAt: '2026-01-02T00:00:00Z',
  title: 'Empty',
  window: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
  metrics: [],
  incidents: [],
  dataQuality: [],
  experiments: [],
  policies: [],
};

describe('renderReport', () => {
  it('is pure and deterministic', () => {
    const { data } = buildFixture({ metricCount: 20, days: 30, hourlyCount: 1 });
    expect(renderReport(data)).toBe(renderReport(data));
  });

  it('escapes every piece of data: metric names, slices, summaries, titles', () => {
    const evil = `<img src=x onerror="alert(1)">'&`;
    const html = renderReport({
      ...EMPTY,
      title: evil,
      metrics: [
        { name: evil, slice: `region=${evil}`, grain: 'day', unit: 'count', points: [{ t: 0, value: 1 }] },
      ],
      incidents: [
        {
          id: `k:${evil}`,
          metric: evil,
          slice: evil,
          severity: 'high',
          status: 'open',
          since: 0,
          summary: evil,
          observed: 1,
          expected: 2,
          topSlices: [{ slice: evil, contribution: 1, observed: 1, expected: 2 }],
          points: [],
        },
      ],
      dataQuality: [{ source: evil, dt: '2026-01-01', hour: 1, status: evil, detail: evil }],
      analyses: [{ title: evil, columns: [evil], rows: [[evil]] }],
    });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('renders an empty report with every section and no NaN', () => {
    const html = renderReport(EMPTY);
    for (const id of ['incidents', 'metrics', 'data-quality', 'experiments', 'policies'])
      expect(html).toContain(`id="${id}"`);
    expect(html).toContain('No open incidents');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('gives every incident its alert anchor and keeps ids unique', () => {
    const { data } = buildFixture();
    const html = renderReport(data);
    for (const inc of data.incidents) expect(html).toContain(`id="${incidentAnchor(inc.id)}"`);
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).not.toMatch(/NaN|Infinity/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('maps alerts: last message per incident wins; data-quality alerts keep their anchor', () => {
    const open = makeAlert();
    const update = makeAlert({ status: 'update', observed: 120 });
    const dq = makeAlert({
      dedupeKey: 'data_quality:account_events::2026-01-14T06:00:00Z',
      kind: 'data_quality',
      metric: 'account_events',
      slice: '',
      windowStart: '2026-01-14T06:00:00Z',
      observed: 0,
      topSlices: [],
    });
    const { incidents, dataQuality } = fromAlerts([open, update, dq], () => [{ t: 0, value: 1 }]);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      id: open.dedupeKey,
      status: 'update',
      observed: 120,
      unit: 'count',
    });
    expect(dataQuality).toEqual([
      expect.objectContaining({ source: 'account_events', hour: 6, status: 'missing' }),
    ]);
    const html = renderReport({ ...EMPTY, incidents, dataQuality });
    expect(html).toContain(`id="${incidentAnchor(dq.dedupeKey)}"`);
    expect(html).toContain(`id="${incidentAnchor(open.dedupeKey)}"`);
  });

  it('shows every metric a count-and-rate incident covers, each with its latest observed vs expected', () => {
    const open = makeFamilyAlert();
    const update = makeFamilyAlert({
      status: 'update',
      windowStart: '2026-01-14T13:00:00Z',
      observed: 36,
      evidence: [{ metric: 'removals', observed: 108, expected: 45 }],
    });
    // A resolution carries no evidence: the latest numbers stay the update's.
    const resolved = makeFamilyAlert({ status: 'resolved', windowStart: '2026-01-14T16:00:00Z' });
    const { evidence: _none, ...noEvidence } = resolved;
    const unitOf = (m: string) => (m === 'removals' ? 'count' : 'rate');
    const [inc] = fromAlerts([open, update, noEvidence], () => [], unitOf).incidents;
    expect(inc!.metrics).toEqual([
      {
        metric: 'removals_per_10k_impressions',
        unit: 'rate',
        t: '2026-01-14T13:00:00Z',
        observed: 36,
        expected: 15,
        moved: true,
      },
      {
        metric: 'removals',
        unit: 'count',
        t: '2026-01-14T13:00:00Z',
        observed: 108,
        expected: 45,
        moved: true,
      },
    ]);
    const html = renderReport({ ...EMPTY, incidents: [inc!] });
    const card = html.slice(html.indexOf('<article class="card incident'), html.indexOf('</article>'));
    expect(card).toContain('<h3>removals_per_10k_impressions <span class="also">+ removals</span>');
    const rows = [...card.matchAll(/<tr><td><span data-covered-metric="([a-z0-9_]+)">.*?<\/tr>/g)];
    expect(rows.map((r) => r[1])).toEqual(['removals_per_10k_impressions', 'removals']);
    expect(rows[1]![0]).toContain('<span data-fact="observed">108</span>');
    expect(rows[1]![0]).toContain('<span data-fact="expected">45</span>');
    expect(rows[1]![0]).toContain('+140');

    // A family metric that did not move is listed for context; an incident of one metric has no table.
    const flat = fromAlerts([makeFamilyAlert({ metrics: ['removals_per_10k_impressions'] })]).incidents[0]!;
    expect(flat.metrics?.map((m) => [m.metric, m.moved])).toEqual([
      ['removals_per_10k_impressions', true],
      ['removals', false],
    ]);
    expect(renderReport({ ...EMPTY, incidents: [flat] })).toContain('(did not move)');
    const single = fromAlerts([makeAlert()]).incidents[0]!;
    expect(single.metrics).toBeUndefined();
    expect(renderReport({ ...EMPTY, incidents: [single] })).not.toContain('data-covered-metric');
  });

  it('keeps a resolved data-quality issue listed under the partition that went wrong', () => {
    const base = {
      dedupeKey: 'data_quality:impressions::2026-01-14T06:00:00Z',
      kind: 'data_quality' as const,
      metric: 'impressions',
      slice: '',
      topSlices: [],
    };
    const opened = makeAlert({
      ...base,
      windowStart: '2026-01-14T06:00:00Z',
      observed: 0,
      summary: 'no rows',
    });
    const resolved = makeAlert({
      ...base,
      status: 'resolved',
      windowStart: '2026-01-14T09:00:00Z',
      observed: 1234,
      summary: 'rows arrived',
    });
    const { dataQuality } = fromAlerts([opened, resolved]);
    expect(dataQuality).toEqual([
      {
        id: base.dedupeKey,
        source: 'impressions',
        dt: '2026-01-14',
        hour: 6,
        status: 'missing',
        detail: 'no rows — resolved: rows arrived',
      },
    ]);
    expect(renderReport({ ...EMPTY, dataQuality })).toContain(`id="${incidentAnchor(base.dedupeKey)}"`);
  });
});

describe('line chart', () => {
  it('breaks the line at missing windows and draws band, expected, value and anomalies', () => {
    const points = Array.from({ length: 10 }, (_, i) => ({
      t: i * 86_400_000,
      value: i === 4 ? null : 10 + i,
      expected: 10 + i,
      lower: 8 + i,
      upper: 12 + i,
      anomaly: i === 9,
    }));
    const svg = lineChart({ id: 'c', title: 'T <x>', points, unit: 'count', grain: 'day' });
    expect(svg).toContain('data-series="band expected value anomalies"');
    expect(svg).toContain('<title id="c-t">T &lt;x&gt;</title>');
    const value = svg.match(/class="value" d="([^"]+)"/)![1]!;
    expect(value.match(/M/g)).toHaveLength(2);
  });

  it('decimates long series keeping each bucket’s extremes', () => {
    const pts = Array.from({ length: 2160 }, (_, i) => ({
      ms: i,
      value: i === 1000 ? 1e6 : i % 7,
      expected: 3,
      lower: 0,
      upper: 6,
    }));
    const out = downsample(pts, 100);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.some((p) => p.value === 1e6)).toBe(true);
    expect(downsample(pts.slice(0, 90), 100)).toHaveLength(90);
  });
});

describe('writeReport', () => {
  it('writes <prefix>/index.html through the object store and returns its link and size', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-report-'));
    try {
      const store = new FsObjectStore(dir);
      const out = await writeReport(store, '/report/', EMPTY);
      expect(out.key).toBe('report/index.html');
      expect(out.url).toBe(store.urlOf('report/index.html'));
      const body = await readFile(path.join(dir, 'report', 'index.html'));
      expect(body.byteLength).toBe(out.bytes);
      expect(body.toString('utf8')).toBe(renderReport(EMPTY));
      expect(reportKey('')).toBe('index.html');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
