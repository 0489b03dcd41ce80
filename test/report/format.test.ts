import { describe, expect, it } from 'vitest';
import { anchorOf } from '../../shared/jobs/detection.js';
import {
  escapeHtml,
  formatAxis,
  formatCi,
  formatCount,
  formatDate,
  formatDateTime,
  formatLift,
  formatPEquals,
  formatPercent,
  formatPValue,
  formatSeconds,
  formatSlice,
  formatValue,
  MISSING,
  relativeChange,
  slug,
} from '../../shared/report/format.js';
import { incidentAnchor } from '../../shared/report/model.js';
import { sliceFrom, sliceLabel } from '../../shared/slices/slice.js';

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;',
    );
  });
  it('escapes an ampersand once (no double escaping of its own output)', () => {
    expect(escapeHtml('a&amp;b')).toBe('a&amp;amp;b');
  });
  it('leaves ordinary text, unicode and slices unchanged', () => {
    expect(escapeHtml('region=BR;surface=live · São Paulo')).toBe('region=BR;surface=live · São Paulo');
  });
  it('renders null and undefined as empty, numbers as text', () => {
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(12)).toBe('12');
  });
  it('output never contains a raw < > " or \' whatever the input', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    expect(escapeHtml(all)).not.toMatch(/[<>"']/);
  });
});

describe('numbers for humans', () => {
  it('counts get thousands separators, one decimal below 100', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(17.5)).toBe('17.5');
    expect(formatCount(1234.6)).toBe('1,235');
    expect(formatCount(-42)).toBe('−42');
    expect(formatCount(5, true)).toBe('+5');
    expect(formatCount(0)).toBe('0');
  });
  it('rates as percentages with sensible precision', () => {
    expect(formatPercent(0.123)).toBe('12.3%');
    expect(formatPercent(0.04)).toBe('4.0%');
    expect(formatPercent(0.0021)).toBe('0.21%');
    expect(formatPercent(0.000052)).toBe('0.0052%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(0)).toBe('0%');
  });
  it('lifts are signed with one decimal, CIs in brackets', () => {
    expect(formatLift(0.123)).toBe('+12.3%');
    expect(formatLift(-0.041)).toBe('−4.1%');
    expect(formatLift(0.02)).toBe('+2.0%');
    expect(formatLift(0.00048)).toBe('+0.048%');
    expect(formatCi(0.123, 0.041, 0.205)).toBe('+12.3% [+4.1%, +20.5%]');
    expect(formatCi(-0.022, -0.037, -0.0077)).toBe('−2.2% [−3.7%, −0.8%]');
    expect(formatCi(0.1, null, 0.2)).toBe('+10.0%');
  });
  it('p-values', () => {
    expect(formatPValue(0.04213)).toBe('0.042');
    expect(formatPValue(0.0004)).toBe('<0.001');
    expect(formatPEquals(0.0004)).toBe('p < 0.001');
    expect(formatPEquals(0.5)).toBe('p = 0.500');
  });
  it('seconds switch to minutes and hours', () => {
    expect(formatSeconds(42.5)).toBe('42.5 s');
    expect(formatSeconds(5400)).toBe('90 min');
    expect(formatSeconds(10_800)).toBe('3 h');
    expect(formatSeconds(11_520)).toBe('3.2 h');
  });
  it('values by unit', () => {
    expect(formatValue(31.94, 'per10k')).toBe('31.9 per 10k');
    expect(formatValue(0.061, 'rate')).toBe('6.1%');
    expect(formatValue(0.86, 'proportion')).toBe('86.0%');
    expect(formatValue(48_000_000, 'count')).toBe('48,000,000');
  });
  it('axis labels are short', () => {
    expect(formatAxis(52_000_000, 'count')).toBe('52M');
    expect(formatAxis(1_500, 'count')).toBe('1.5k');
    expect(formatAxis(225_000, 'count')).toBe('225k');
    expect(formatAxis(0.0025, 'proportion')).toBe('0.25%');
    expect(formatAxis(35, 'per10k')).toBe('35');
  });
  it('missing numbers never print NaN or Infinity', () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(formatCount(v)).toBe(MISSING);
      expect(formatPercent(v)).toBe(MISSING);
      expect(formatLift(v)).toBe(MISSING);
      expect(formatValue(v, 'per10k')).toBe(MISSING);
      expect(formatPValue(v)).toBe(MISSING);
    }
    expect(relativeChange(5, 0)).toBeNull();
    expect(relativeChange(90, 17.5)).toBeCloseTo(4.142857, 5);
  });
});

describe('times, slices and anchors', () => {
  it('UTC dates and hours', () => {
    expect(formatDate('2026-01-05T14:00:00Z')).toBe('2026-01-05');
    expect(formatDateTime(Date.UTC(2026, 0, 5, 14))).toBe('2026-01-05 14:00 UTC');
    expect(formatDate('not a date')).toBe(MISSING);
  });
  it('slices read as their label, a key is never split, the empty slice as total', () => {
    const s = sliceFrom({ region: 'BR', surface: 'live' });
    expect(formatSlice(s.key, sliceLabel(s))).toBe('region=BR · surface=live');
    // A value holding ';' stays one value.
    const hostile = sliceFrom({ region: 'BR;surface=live' });
    expect(formatSlice(hostile.key, sliceLabel(hostile))).toBe('region="BR;surface=live"');
    expect(formatSlice(hostile.key)).toBe('region=BR\\;surface\\=live');
    expect(formatSlice('')).toBe('total');
  });
  it('slugs are safe ids', () => {
    expect(slug('removals region=<b>"x"')).toBe('removals-region-b-x');
    expect(slug('***')).toBe('x');
  });
  it('incident anchors are the ones alerts link to', () => {
    for (const key of [
      'metric_incident:removals:region=BR:2026-01-14T10:00:00Z',
      'data_quality:account_events::2026-01-14T06:00:00Z',
      'metric_incident:user_reports:reason=<script>:2026-01-01T00:00:00Z',
    ]) {
      expect(incidentAnchor(key)).toBe(anchorOf(key));
      expect(incidentAnchor(key)).toMatch(/^incident-[A-Za-z0-9_-]+$/);
    }
  });
  it('anchors of slices that read the same in ASCII differ (non-ASCII, separators)', () => {
    const keys = [
      'region=São',
      'region=Sèo',
      'region=東京',
      'region=大阪',
      'region=a;b',
      'region=a-b',
      'region=a b',
    ].map((v) => `metric_incident:removals:${sliceFrom({ region: v.slice(7) }).key}:2026-01-14T10:00:00Z`);
    const anchors = keys.map(incidentAnchor);
    expect(new Set(anchors).size).toBe(keys.length);
    for (const a of anchors) expect(a).toMatch(/^incident-[A-Za-z0-9_-]+$/);
  });
});
