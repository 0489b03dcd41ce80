import { describe, expect, it } from 'vitest';
import { BODY_MAX_BYTES, renderAlertMessage, truncateUtf8 } from '../../shared/alerting/message.js';
import { makeAlert, makeFamilyAlert } from './fixtures.js';

describe('renderAlertMessage', () => {
  it('renders a subject, a body and filter attributes', () => {
    // Prepare
    const alert = makeAlert();
    // Act
    const msg = renderAlertMessage(alert);
    // Assess
    expect(msg.subject).toBe('[Vigil HIGH] INCIDENT removals region=BR up since 2026-01-14T10:00:00Z');
    expect(msg.attributes).toEqual({
      severity: 'high',
      metric: 'removals',
      region: 'BR',
      grain: 'hour',
      team: '',
      owner: '',
    });
    expect(msg.body).toContain('region=BR: 94.0%');
    expect(msg.body).toContain(alert.reportUrl);
  });

  it('says a traffic notice is one, in the subject and the body', () => {
    const msg = renderAlertMessage(
      makeAlert({ metric: 'impressions', slice: '', cause: 'traffic', severity: 'low' }),
    );
    expect(msg.subject).toBe('[Vigil LOW] TRAFFIC impressions total up since 2026-01-14T10:00:00Z');
    expect(msg.body).toContain('cause:       traffic');
    expect(renderAlertMessage(makeAlert()).body).not.toContain('cause:');
  });

  it('names every metric of a count-and-rate incident, with each one’s observed vs expected', () => {
    const body = renderAlertMessage(makeFamilyAlert()).body;
    expect(body).toContain('metric:      removals_per_10k_impressions\n');
    expect(body).toContain('metrics:     removals_per_10k_impressions, removals\n');
    expect(body).toContain('observed:    30.0\n');
    expect(body).toContain(
      "The incident's other metrics at region=BR in this window:\n  removals 90.0 vs expected 45.0 (+100%)\n",
    );
    // An incident of one metric has no such lines.
    expect(renderAlertMessage(makeAlert()).body).not.toMatch(/metrics:|other metrics/);
  });

  it('keeps the subject within 100 printable ASCII characters', () => {
    const msg = renderAlertMessage(
      makeAlert({ metric: `m_${'x'.repeat(150)}`, slice: 'region=BR;surface=vidéo' }),
    );
    expect(msg.subject.length).toBeLessThanOrEqual(100);
    expect(msg.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(msg.subject.endsWith('...')).toBe(true);
  });

  it('truncates a huge body to 256 KB of UTF-8 with a pointer to the report', () => {
    // Prepare: multi-byte characters make a cut inside a character possible.
    const alert = makeAlert({ summary: 'é€😀'.repeat(60_000) });
    // Act
    const msg = renderAlertMessage(alert);
    // Assess
    const bytes = new TextEncoder().encode(msg.body).length;
    expect(bytes).toBeLessThanOrEqual(BODY_MAX_BYTES);
    expect(bytes).toBeGreaterThan(BODY_MAX_BYTES - 16);
    expect(msg.body).not.toContain('\uFFFD');
    expect(msg.body).toContain(`full incident is in the report: ${alert.reportUrl}`);
  });

  it('names every region, or ALL when none is named', () => {
    expect(renderAlertMessage(makeAlert({ regions: ['BR', 'ID'] })).attributes.region).toBe('BR,ID');
    expect(renderAlertMessage(makeAlert({ regions: [] })).attributes.region).toBe('ALL');
  });

  it('truncateUtf8 leaves short text alone', () => {
    expect(truncateUtf8('abc', 10, '…')).toBe('abc');
    expect(new TextEncoder().encode(truncateUtf8('ab😀cd', 6, '.')).length).toBeLessThanOrEqual(6);
  });
});
