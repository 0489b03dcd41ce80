import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { incidentAnchor } from '../../shared/report/model.js';
import { writeReport } from '../../shared/report/write.js';
import { CHROMIUM, hasChromium, launchChromium, openPage } from '../helpers/browser.js';
import { buildFixture } from './fixture.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHOTS = path.join(ROOT, 'screenshots');

if (!hasChromium && !process.env.CI)
  console.warn(
    `[report browser test] SKIPPED: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`,
  );

describe.skipIf(!hasChromium && !process.env.CI)('HTML report in Chromium', () => {
  let contextRef: BrowserContext | undefined;
  let profile: string;
  let tmp: string;

  beforeAll(async () => {
    await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
    tmp = await mkdtemp(path.join(ROOT, '.tmp', 'report-'));
    await mkdir(SHOTS, { recursive: true });
    // One context (with its fresh profile folder) serves every page.
    ({ context: contextRef, profile } = await launchChromium('vigil-chromium-'));
  });

  afterAll(async () => {
    await contextRef?.close();
    await rm(profile, { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
  });

  const open = (url: string, width: number) => openPage(contextRef!, url, width);

  async function loadTiming(page: Page): Promise<number> {
    // Evaluated in the page (the test's tsconfig has no DOM lib).
    return page.evaluate<number>(
      "(() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; })()",
    );
  }

  it('renders every section, chart and link of a realistic report, on desktop and phone', async () => {
    const { data, planted } = buildFixture();
    const store = new FsObjectStore(tmp);
    const written = await writeReport(store, 'daily/report', data);
    expect(written.key).toBe('daily/report/index.html');
    const url = pathToFileURL(written.url).href;

    for (const [width, name] of [
      [1280, 'desktop'],
      [390, 'phone'],
    ] as const) {
      const { page, errors, requests } = await open(url, width);
      expect(errors).toEqual([]);
      // Self-contained: the page itself is the only request.
      expect(requests.filter((r) => r !== url)).toEqual([]);

      // One line chart per metric series and two per incident (zoomed and history), each with an accessible name.
      const charts = await page.$$eval('svg.chart', (els) =>
        els.map((el) => ({
          series: el.getAttribute('data-series') ?? '',
          paths: el.querySelectorAll('path.value, path.expected, path.band').length,
          label: el.querySelector('title')?.textContent ?? '',
          width: el.getBoundingClientRect().width,
          hidden: el.closest('[hidden]') !== null,
        })),
      );
      expect(charts).toHaveLength(data.metrics.length + 2 * data.incidents.length);
      // Slice series are listed hidden until the search asks for them; every total is shown.
      expect(charts.filter((c) => c.hidden)).toHaveLength(data.metrics.filter((m) => m.slice).length);
      for (const c of charts) {
        expect(c.series.split(' ')).toEqual(expect.arrayContaining(['band', 'expected', 'value']));
        expect(c.paths).toBe(3);
        expect(c.label.length).toBeGreaterThan(0);
        if (!c.hidden) expect(c.width).toBeGreaterThan(200);
      }
      // Anomaly markers drawn where the series has anomalies.
      const withAnomalies = data.metrics.filter((m) => m.points.some((p) => p.anomaly)).length;
      expect(await page.locator('#metrics svg.chart path.anomaly').count()).toBe(withAnomalies);

      // Every incident has its anchor (what alerts link to), planted ones included.
      for (const inc of data.incidents)
        expect(await page.locator(`[id="${incidentAnchor(inc.id)}"]`).count()).toBe(1);
      for (const p of planted.filter((x) => x.at + x.length >= 60)) {
        const found = data.incidents.some(
          (i) =>
            (i.metrics?.some((m) => m.metric === p.metric) ?? i.metric === p.metric) &&
            i.slice === p.slice &&
            i.status === 'open',
        );
        expect(found, `${p.metric} ${p.slice}`).toBe(true);
      }

      // An incident of a count and its rate shows both, each with its observed vs expected, on screen.
      const family = data.incidents.find((i) => (i.metrics?.length ?? 0) > 1);
      expect(family, 'the fixture has a count-and-rate incident').toBeDefined();
      const rows = await page
        .locator(`[id="${incidentAnchor(family!.id)}"] .incident-metrics tbody tr`)
        .evaluateAll((trs) =>
          trs.map((tr) => ({
            text: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
            visible: tr.getBoundingClientRect().height > 0,
          })),
        );
      expect(rows.map((r) => r.text[0])).toEqual(family!.metrics!.map((m) => m.metric));
      for (const r of rows) {
        expect(r.visible).toBe(true);
        // Observed, expected and change are numbers, not the missing-value dash.
        for (const cell of r.text.slice(1, 4)) expect(cell).toMatch(/\d/);
      }

      // Forest plots: one per experiment (a row per metric) and per policy; an event study per policy.
      const forests = await page.$$eval('svg.forest', (els) =>
        els.map((el) => el.querySelectorAll('g.row').length),
      );
      expect(forests).toEqual([
        ...data.experiments.map((x) => x.metrics.length),
        ...data.policies.map((p) => (p.synthetic ? 2 : 1)),
      ]);
      expect(await page.locator('svg.event-study circle').count()).toBe(
        data.policies.reduce((n, p) => n + p.eventStudy.length, 0),
      );

      // Every in-page link resolves to an element.
      const dangling = await page.evaluate<string[]>(
        `[...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href').slice(1)).filter((id) => !document.getElementById(id))`,
      );
      expect(await page.locator('a[href^="#"]').count()).toBeGreaterThan(5);
      expect(dangling).toEqual([]);
      // Slice values are data: the script-like slice shows as text, nothing executed.
      expect(await page.locator('text=<script>alert("x")</script>').count()).toBeGreaterThan(0);
      expect(await page.locator('script').count()).toBe(1);

      // No horizontal page scroll on a phone (wide tables scroll inside their own box).
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);

      // Cards off screen are skipped by content-visibility until scrolled to; render all for the capture.
      await page.addStyleTag({ content: '.metric-card{content-visibility:visible}' });
      await page.screenshot({ path: path.join(SHOTS, `report-${name}.png`), fullPage: true });
      if (name === 'desktop') {
        const first = data.incidents.find((i) => i.status === 'open')!;
        await page.goto(`${url}#${incidentAnchor(first.id)}`);
        await page.screenshot({ path: path.join(SHOTS, `report-incident-${name}.png`) });
        const family = data.incidents.find((i) => (i.metrics?.length ?? 0) > 1)!;
        await page
          .locator(`[id="${incidentAnchor(family.id)}"]`)
          .screenshot({ path: path.join(SHOTS, `report-family-incident-${name}.png`) });
      }
      await page.close();
    }
  });

  it('the metric filter narrows the overview', async () => {
    const { data } = buildFixture();
    const written = await writeReport(new FsObjectStore(tmp), 'filter', data);
    const { page, errors } = await open(pathToFileURL(written.url).href, 1280);
    await page.fill('#metric-filter', 'region=br');
    const visible = await page.locator('.metric-card:visible').count();
    expect(visible).toBe(data.metrics.filter((m) => m.slice?.toLowerCase().includes('region=br')).length);
    expect(await page.locator('#metric-count').textContent()).toBe(`${visible} of ${data.metrics.length}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens the large case (200 metrics × 90 days, hourly for a few) in under 2 s', async () => {
    const { data } = buildFixture({ metricCount: 200, days: 90, hourlyCount: 4, seed: 11 });
    const t0 = performance.now();
    const written = await writeReport(new FsObjectStore(tmp), 'large', data);
    const genMs = performance.now() - t0;
    const { page, errors } = await open(pathToFileURL(written.url).href, 1280);
    const loadMs = await loadTiming(page);
    expect(errors).toEqual([]);
    expect(await page.locator('svg.chart').count()).toBe(data.metrics.length + 2 * data.incidents.length);
    console.log(
      `[report large case] ${data.metrics.length} series (${data.metrics.filter((m) => m.grain === 'hour').length} hourly), ` +
        `${data.incidents.length} incidents: generated+written in ${genMs.toFixed(0)} ms, ` +
        `${(written.bytes / 1024).toFixed(0)} KiB, opened in Chromium in ${loadMs.toFixed(0)} ms (navigation start → load end)`,
    );
    expect(loadMs).toBeLessThan(2000);
    await page.screenshot({ path: path.join(SHOTS, 'report-large-desktop.png') });
    await page.close();
  });
});
