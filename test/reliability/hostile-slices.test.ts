import { mkdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { coreCatalog, selectMetrics } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { computeMetrics } from '../../shared/jobs/compute-metrics.js';
import { runHourlyJob } from '../../shared/jobs/hourly-job.js';
import { runReportJob } from '../../shared/jobs/report-job.js';
import { metricRowsToCsv } from '../../shared/metrics/csv.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import { fixedClock } from '../../shared/ports/clock.js';
import { countSliceUsers } from '../../shared/privacy/k-anonymity.js';
import { incidentAnchor } from '../../shared/report/model.js';
import { dimensionValue, parseSliceKey, sliceFrom } from '../../shared/slices/slice.js';
import { addGrain, windowsInRange } from '../../shared/time/window.js';
import { TMP_ROOT } from '../helpers/lake.js';

/**
 * Hostile slice values through the whole chain on a real DuckDB lake: region values holding the key
 * separators, the text "(null)" next to a real NULL, a 10 kB value and control characters. Each
 * must stay its own slice in the metrics, read back exactly from the stored CSV, be counted by
 * k-anonymity with the value only as a literal, be named exactly in alerts, and get its own card.
 */
const ROOT = path.join(TMP_ROOT, 'reliability', 'hostile-slices');
const LAKE = path.join(ROOT, 'lake');
const BIG = `big${'x;='.repeat(3400)}`;
const HOSTILE: (string | null)[] = [
  'BR;surface=live',
  'BR',
  'a=b',
  'back\\slash;',
  '(null)',
  null,
  BIG,
  'esc\u001b[31mred\u202eltr\r\nnext',
];
const SPIKE = 'BR;surface=live';
const START = new Date('2026-01-05T00:00:00Z');
const HOURS = 96;
const END = addGrain(START, 'hour', HOURS);
const config = selectMetrics(coreCatalog(), ['impressions']);

let engine: DuckDbQueryEngine;

/** SQL text for a region value (the test writes its own lake; no Vigil code path). */
function regionSql(v: string | null): string {
  return v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`;
}

beforeAll(async () => {
  await rm(ROOT, { recursive: true, force: true });
  mkdirSync(LAKE, { recursive: true });
  const writer = await DuckDbQueryEngine.open();
  const regions = `(VALUES ${HOSTILE.map((v, j) => `(${j}, ${regionSql(v)})`).join(', ')}) r(j, region)`;
  // 30 impressions per region-hour from 30 viewers; the spike region ×5 in the last 4 hours.
  await writer.exec(`COPY (
    SELECT TIMESTAMP '2026-01-05 00:00:00' + INTERVAL (h) HOUR + INTERVAL (i) SECOND AS event_time,
      'imp_' || h || '_' || j || '_' || i AS impression_id, 'v' || j || '_' || i AS viewer_id,
      'c' || i AS content_id, 'cr' || i AS creator_id,
      CASE WHEN i % 2 = 0 THEN 'video' ELSE 'live' END AS surface, region, 'ios' AS platform,
      strftime(TIMESTAMP '2026-01-05 00:00:00' + INTERVAL (h) HOUR, '%Y-%m-%d') AS dt,
      strftime(TIMESTAMP '2026-01-05 00:00:00' + INTERVAL (h) HOUR, '%H') AS hour
    FROM range(${HOURS}) a(h), ${regions}, range(150) b(i)
    WHERE i < CASE WHEN region = '${SPIKE}' AND h >= ${HOURS - 4} THEN 150 ELSE 30 END
  ) TO '${path.join(LAKE, 'impressions')}' (FORMAT parquet, PARTITION_BY (dt, hour))`);
  await writer.close();
  engine = await DuckDbQueryEngine.open({ lake: LAKE });
});
afterAll(async () => {
  await engine?.close();
});

describe('hostile slice values, end to end', () => {
  it('metrics: each value is its own slice, NULL apart from "(null)", and the stored CSV reads back exactly', async () => {
    const hour = windowsInRange('hour', START, addGrain(START, 'hour', 1));
    const { rows } = await computeMetrics(engine, config, 'hour', hour);
    const regions = rows.filter((r) => r.slice.pairs.length === 1 && r.slice.pairs[0]![0] === 'region');
    expect(regions.map((r) => dimensionValue(r.slice, 'region')).sort()).toEqual(
      [...HOSTILE].sort((a, b) => String(a).localeCompare(String(b))).sort(),
    );
    for (const r of regions) expect(r.value).toBe(30);
    // No key twice in one window, none split into two dimensions.
    const keys = rows.map((r) => r.slice.key);
    expect(new Set(keys).size).toBe(keys.length);
    const store = new MetricStore(new FsObjectStore(path.join(ROOT, 'csv-store')));
    await store.writeWindow('hour', START, rows, new Date());
    const back = (await store.readWindow('hour', START))!;
    expect(back.map((r) => r.slice)).toEqual(rows.map((r) => r.slice));
    expect(back.find((r) => dimensionValue(r.slice, 'region') === BIG)?.value).toBe(30);
    // The CSV holds escaped keys: the separator-holding value is one field, never a second dimension.
    const csv = metricRowsToCsv(rows);
    expect(csv).toContain(',region=BR\\;surface\\=live,');
    expect(csv).toContain(',region=\\(null),');
    expect(csv).toContain(',region=(null),');
  });

  it('k-anonymity counts every hostile slice with its value as a literal (no SQL error, NULL apart)', async () => {
    const slices = HOSTILE.map((v) => sliceFrom({ region: v }));
    const t = START.getTime();
    const users = await countSliceUsers(engine, config, 'hour', [{ metric: 'impressions', t, slices }]);
    for (const s of slices) expect(users.get(JSON.stringify(['impressions', t, s.key])), s.key).toBe(30);
  });

  it('detection, alerts and the report: the spiking slice is named exactly; every run succeeds', async () => {
    const objectStore = new FsObjectStore(path.join(ROOT, 'store'));
    const store = new MetricStore(objectStore);
    const clock = fixedClock(END);
    await runBackfill({
      engine,
      store,
      config,
      grain: 'hour',
      windows: windowsInRange('hour', START, addGrain(END, 'hour', -8)),
      clock,
    });
    const sent: Alert[] = [];
    const sink: AlertSink = { send: async (a) => void sent.push(a) };
    // The last 8 hours tick by tick, as the schedule runs them.
    for (let h = HOURS - 8; h < HOURS; h++) {
      const result = await runHourlyJob({
        engine,
        store,
        objectStore,
        sink,
        config,
        clock,
        hour: addGrain(START, 'hour', h),
      });
      expect(result.failedWindows).toEqual([]);
    }
    const named = sent.flatMap((a) => [a.slice, ...a.topSlices.map((s) => s.slice)]);
    const spike = sliceFrom({ region: SPIKE });
    expect(named).toContain(spike.key);
    expect(parseSliceKey(spike.key).pairs).toEqual([['region', SPIKE]]);
    // Never split: no alert names a `surface=live` pair that came out of the region value.
    for (const a of sent) expect(a.regions).not.toContain('BR;surface');
    const report = await runReportJob({
      objectStore,
      store,
      config,
      from: START,
      to: END,
      alerts: sent,
      now: END,
      engine,
    });
    const html = readFileSync(path.join(objectStore.root, report.key), 'utf8');
    // Every hostile region series has its own card (found by the search), with a distinct id.
    const cards = [
      ...html.matchAll(/<article class="card metric-card slice-card" id="([^"]+)"[^>]*data-slice="([^"]*)"/g),
    ];
    const regionCards = report.data.metrics.filter((m) => m.slice?.startsWith('region='));
    expect(regionCards).toHaveLength(HOSTILE.length);
    expect(new Set(cards.map((c) => c[1])).size).toBe(cards.length);
    for (const inc of report.data.incidents) expect(html).toContain(`id="${incidentAnchor(inc.id)}"`);
    // The separator-holding value is shown as one quoted value.
    expect(html).toContain('region=&quot;BR;surface=live&quot;');
  });
});
