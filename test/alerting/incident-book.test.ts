import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../shared/adapters/fs/fs-object-store.js';
import { IncidentBookStore } from '../../shared/alerting/incident-book.js';
import {
  incidentKey,
  keyOfIncident,
  type OpenIncident,
  stepIncident,
} from '../../shared/alerting/incidents.js';
import { sliceFrom } from '../../shared/slices/slice.js';

const DIR = mkdtempSync(path.join(tmpdir(), 'vigil-book-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('the incident book', () => {
  it('keeps a family incident under its family key, so the count and its rate find it after a restart', async () => {
    const slice = sliceFrom({ region: 'BR' });
    const { open } = stepIncident(
      undefined,
      {
        kind: 'metric_incident',
        // Headed by the count (a move its rate has no slice for), keyed by the family all the same.
        metric: 'removals',
        family: 'removals_per_10k_impressions',
        metrics: ['removals'],
        t: Date.parse('2026-01-05T10:00:00Z'),
        slice,
        observed: 6,
        expected: 3,
        score: 0.9,
        direction: 'up',
        severity: 'medium',
        slices: [slice],
        topSlices: [],
      },
      {
        t: Date.parse('2026-01-05T10:00:00Z'),
        grain: 'hour',
        resolveAfter: 2,
        cooldown: 3,
        reportUrl: () => '',
      },
    );
    const books = new IncidentBookStore(new FsObjectStore(DIR));
    const key = incidentKey('metric_incident', 'removals_per_10k_impressions', slice, 'up');
    expect(keyOfIncident(open!)).toBe(key);
    // Written by a version that keyed incidents without their direction: read back under today's key.
    const older = incidentKey('metric_incident', 'removals_per_10k_impressions', slice);
    expect(older).not.toBe(key);
    const etag = await books.save('hour', { open: { [older]: open! } }, undefined);
    expect(Object.keys((await books.load('hour')).book.open)).toEqual([key]);
    await books.save('hour', { open: { [key]: open! } }, etag);
    const { book } = await books.load('hour');
    expect(Object.keys(book.open)).toEqual([key]);
    const back = book.open[key] as OpenIncident;
    expect(back.metric).toBe('removals');
    expect(back.metrics).toEqual(['removals']);
    expect(back.family).toBe('removals_per_10k_impressions');
  });
});
