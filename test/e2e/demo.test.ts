import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, openPage } from '../helpers/browser.js';
import { vigil } from '../helpers/cli.js';
import { TMP_ROOT } from '../helpers/lake.js';

/**
 * The whole local run as a user starts it: `vigil demo` on a tiny lake, then its alerts and its
 * report opened in Chromium (the demo's own output, not a fixture).
 */
const dir = path.join(TMP_ROOT, 'e2e-demo');
let summary: {
  alerts: string;
  report: string;
  metrics: number;
  detection: { metric_incidents: number; data_alerts: number; missing_partitions_found: number };
  effects: { kind: string; estimate: number | null }[];
};
let alertsText: string;
let alerts: { dedupeKey: string; severity: string; reportUrl: string; subject: string }[];

beforeAll(async () => {
  await rm(dir, { recursive: true, force: true });
  const r = vigil(['demo', '--dir', dir, '--scale', 'tiny', '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  summary = JSON.parse(r.stdout);
  alertsText = readFileSync(summary.alerts, 'utf8');
  alerts = alertsText
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}, 180_000);

describe('vigil demo end to end', () => {
  it('writes the lake, alerts as JSONL and the report where the design says', () => {
    expect(existsSync(path.join(dir, 'lake', '_manifest.json'))).toBe(true);
    expect(summary.alerts).toBe(path.join(dir, 'alerts.jsonl'));
    expect(summary.report).toBe(path.join(dir, 'report', 'index.html'));
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      expect(a).toMatchObject({
        dedupeKey: expect.any(String),
        severity: expect.any(String),
        reportUrl: expect.any(String),
      });
      expect(a.subject.length).toBeLessThanOrEqual(100);
    }
    // The planted missing hour is a data alert, and no user, content or event id is in any alert.
    expect(summary.detection.missing_partitions_found).toBe(1);
    expect(alertsText).not.toMatch(/\bu[A-Z]{2}_\d+|\b(imp|dec|rep)_\d+|"c\d+"|"cr\d+"/);
    expect(summary.effects.map((e) => e.kind).sort()).toEqual(['experiment', 'policy']);
  });

  describe.skipIf(!hasChromium && !process.env.CI)('its report in Chromium', () => {
    let profile: string;
    afterAll(async () => {
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    it('renders a chart per metric and per incident, with no console errors, and every alert link resolves', async () => {
      const launched = await launchChromium('vigil-e2e-');
      profile = launched.profile;
      const context = launched.context;
      try {
        const { page, errors } = await openPage(context, pathToFileURL(summary.report).href);
        const svgs = await page.locator('svg').count();
        expect(svgs).toBeGreaterThanOrEqual(summary.metrics + summary.detection.metric_incidents);
        for (const a of alerts) {
          const anchor = decodeURIComponent(new URL(a.reportUrl).hash.slice(1));
          expect(await page.locator(`[id="${anchor}"]`).count(), anchor).toBe(1);
        }
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  });
});
