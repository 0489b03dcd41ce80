import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../shared/adapters/duckdb/duckdb-engine.js';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { coreCatalog } from '../../shared/config/load.js';
import { runBackfill } from '../../shared/jobs/backfill.js';
import { runReplay } from '../../shared/jobs/replay.js';
import { writeStoredReport } from '../../shared/jobs/report-job.js';
import { MetricStore } from '../../shared/metrics/metric-store.js';
import type { Alert, AlertSink } from '../../shared/ports/alert-sink.js';
import { fixedClock } from '../../shared/ports/clock.js';
import type { ReportData } from '../../shared/report/model.js';
import { incidentAnchor } from '../../shared/report/model.js';
import { windowsInRange } from '../../shared/time/window.js';
import { CHROMIUM, hasChromium, launchChromium, openPage } from '../helpers/browser.js';
import { TMP_ROOT, tinyLake } from '../helpers/lake.js';

/**
 * The report as a replay writes it: a generated lake, the hourly schedule replayed tick by tick over
 * the BR spam wave (the history before it backfilled), then the report from the store, in Chromium.
 */
const FROM = new Date('2026-01-10T06:00:00Z');
const TO = new Date('2026-01-11T00:00:00Z');

// With k-anonymity on (the default), the tiny lake's small slices are not named; with it off every
// card is a named one, so the peak, zoom and root-cause checks below run on both kinds of card.
const SETTINGS = [
  { name: 'k-anonymity on', dir: 'report-replay', privacy: undefined },
  { name: 'k-anonymity off', dir: 'report-replay-all', privacy: { minSliceUsers: 1 } },
] as const;

describe.skipIf(!hasChromium && !process.env.CI).each(SETTINGS)(
  `report of a replay in Chromium (${CHROMIUM}), $name`,
  ({ dir, privacy }) => {
    const DIR = path.join(TMP_ROOT, dir);
    let context: BrowserContext | undefined;
    let profile: string;
    let url: string;
    let data: ReportData;
    const alerts: Alert[] = [];

    beforeAll(async () => {
      await rm(DIR, { recursive: true, force: true });
      await mkdir(DIR, { recursive: true });
      const lake = await tinyLake('core-catalog');
      const engine = await DuckDbQueryEngine.open({ lake: lake.dir });
      try {
        const objectStore = new FsObjectStore(path.join(DIR, 'store'));
        const store = new MetricStore(objectStore);
        const config = coreCatalog();
        const clock = fixedClock(TO);
        await runBackfill({
          engine,
          store,
          config,
          grain: 'hour',
          windows: windowsInRange('hour', new Date(lake.manifest.start), FROM),
          clock,
        });
        const sink: AlertSink = { send: async (a) => void alerts.push(a) };
        await runReplay({
          engine,
          objectStore,
          store,
          sink,
          config,
          clock,
          grain: 'hour',
          from: FROM,
          to: TO,
          ...(privacy ? { privacy } : {}),
        });
        const out = new FsObjectStore(path.join(DIR, 'report'));
        const written = await writeStoredReport({
          objectStore,
          config,
          to: TO,
          days: 3,
          out: { store: out, prefix: '' },
          engine,
          now: TO,
          ...(privacy ? { privacy } : {}),
        });
        data = written.data;
        url = pathToFileURL(path.join(DIR, 'report', written.key)).href;
      } finally {
        await engine.close();
      }
      ({ context, profile } = await launchChromium('vigil-replay-report-'));
    }, 600_000);

    afterAll(async () => {
      await context?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    it('incident cards show the peak, the opening root-cause slices and a zoomed chart with hour ticks', async () => {
      const metricIncidents = data.incidents;
      expect(metricIncidents.length).toBeGreaterThan(0);
      // The spam wave is caught: BR is the incident's slice or its first root cause, or (a tiny lake
      // has few people per BR hour) the incident is on a slice too small to name, and says so.
      const wave = metricIncidents.filter(
        (i) =>
          i.slice === 'region=BR' ||
          i.openingSlices?.[0]?.slice === 'region=BR' ||
          (i.suppressed && /removals|reports/.test(i.metric)),
      );
      expect(wave.length).toBeGreaterThan(0);
      const { page, errors } = await openPage(context!, url, 1280);
      expect(errors).toEqual([]);
      let withCauses = 0;
      let named = 0;
      for (const inc of metricIncidents) {
        const card = page.locator(`[id="${incidentAnchor(inc.id)}"]`);
        expect(await card.count()).toBe(1);
        // Root causes are shown on every card, a k-anonymised incident's too (its nameable slices).
        if ((await card.locator('table tbody tr').count()) > 0) withCauses++;
        if (inc.suppressed) {
          expect(await card.locator('[data-k-anon]').count()).toBe(1);
          continue;
        }
        named++;
        const peak = (await card.locator('[data-fact="peak-observed"]').textContent()) ?? '';
        expect(peak, inc.id).not.toBe('—');
        // The peak is the incident's largest deviation, not the resolution message's values.
        if (inc.peak && inc.status === 'resolved')
          expect(Math.abs(inc.peak.observed! - inc.peak.expected!)).toBeGreaterThanOrEqual(
            Math.abs((inc.observed ?? 0) - (inc.expected ?? 0)) - 1e-9,
          );
        const zoom = card.locator('svg.chart:has(title[id$="-zoom-t"])');
        expect(await zoom.count()).toBe(1);
        expect(await zoom.locator('text.hour').count()).toBeGreaterThanOrEqual(3);
        const shade = zoom.locator('rect.incident-window');
        expect(await shade.count()).toBe(1);
        if (inc.status === 'resolved') expect(await shade.getAttribute('data-to')).not.toBeNull();
      }
      expect(withCauses).toBeGreaterThan(0);
      if (privacy) expect(named).toBe(metricIncidents.length);
      const html = readFileSync(new URL(url), 'utf8');
      const none = html.split('No slice stands out').length - 1;
      expect(none).toBeLessThan(metricIncidents.length);
      await page.close();
    });

    it('the search reaches any slice series the store holds', async () => {
      const slices = data.metrics.filter((m) => m.slice);
      expect(slices.length).toBeGreaterThan(50);
      const { page, errors } = await openPage(context!, url, 1280);
      // Totals are shown, slices wait for the search.
      expect(await page.locator('.slice-card:visible').count()).toBe(0);
      const picks = [slices[0]!, slices[Math.floor(slices.length / 2)]!, slices.at(-1)!];
      for (const m of picks) {
        await page.fill('#metric-filter', m.slice!);
        const card = page.locator(`.slice-card[data-slice="${m.slice}"][data-name*="${m.name}"]`);
        await expect.poll(() => card.first().isVisible()).toBe(true);
      }
      await page.fill('#metric-filter', '');
      expect(await page.locator('.slice-card:visible').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.close();
    });
  },
);
