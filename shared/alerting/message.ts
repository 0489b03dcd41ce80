import type { Alert } from '../ports/alert-sink.js';
import { escapeControl } from '../text/escape.js';
import { formatEvidence, formatNumber } from './incidents.js';

/**
 * The one message format of every sink (file, stdout, webhook, SNS). The limits are SNS's: a subject
 * of at most 100 printable ASCII characters, a body of at most 256 KB of UTF-8; the attributes feed
 * subscriber filter policies. Alerts carry aggregates and slice names only, never ids.
 */
export interface AlertMessage {
  readonly subject: string;
  readonly body: string;
  readonly attributes: {
    readonly severity: string;
    readonly metric: string;
    /** The one region the alert is about, its regions joined by ',' or 'ALL' when none is named. */
    readonly region: string;
    readonly grain: string;
    /** The metric's team and owner ('' when not declared; SNS leaves empty attributes out). */
    readonly team: string;
    readonly owner: string;
  };
}

export const SUBJECT_MAX_CHARS = 100;
export const BODY_MAX_BYTES = 256 * 1024;

const ENC = new TextEncoder();
const DEC = new TextDecoder();

/** Every metric an alert's incident covers, its head first (a count and its own rate are one incident). */
export function metricsOf(alert: Pick<Alert, 'metric' | 'metrics'>): readonly string[] {
  return alert.metrics?.length ? alert.metrics : [alert.metric];
}

export function renderAlertMessage(alert: Alert, maxBodyBytes = BODY_MAX_BYTES): AlertMessage {
  return {
    subject: subjectOf(alert),
    body: truncateUtf8(
      bodyOf(alert),
      maxBodyBytes,
      `\n\n[truncated: the full incident is in the report: ${alert.reportUrl}]\n`,
    ),
    attributes: {
      severity: alert.severity,
      metric: alert.metric,
      region: alert.regions.length ? alert.regions.join(',') : 'ALL',
      grain: alert.grain,
      team: alert.team ?? '',
      owner: alert.owner ?? '',
    },
  };
}

function subjectOf(a: Alert): string {
  const opened = a.cause === 'traffic' ? 'TRAFFIC' : 'INCIDENT';
  const status = a.status === 'open' ? opened : a.status === 'update' ? 'UPDATE' : 'RESOLVED';
  const what =
    a.kind === 'data_quality' ? `data missing/late: ${a.metric}` : `${a.metric} ${a.slice || 'total'}`;
  const dir = a.direction === 'none' ? '' : ` ${a.direction}`;
  const text = escapeControl(`[Vigil ${a.severity.toUpperCase()}] ${status} ${what}${dir} since ${a.since}`);
  // SNS subjects are printable ASCII without line breaks.
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX_CHARS ? ascii : `${ascii.slice(0, SUBJECT_MAX_CHARS - 3)}...`;
}

function bodyOf(a: Alert): string {
  const lines = bodyLines(a).map((l) => escapeControl(l));
  return `${lines.join('\n')}\n`;
}

/** The body's lines; each is made display-safe as one line, so data can never start a new one. */
function bodyLines(a: Alert): string[] {
  const lines = [
    a.summary,
    '',
    `status:      ${a.status}`,
    `severity:    ${a.severity}`,
    `kind:        ${a.kind}`,
    ...(a.cause ? [`cause:       ${a.cause}`] : []),
    `metric:      ${a.metric}`,
    ...(metricsOf(a).length > 1 ? [`metrics:     ${metricsOf(a).join(', ')}`] : []),
    `slice:       ${a.slice || '(total)'}`,
    `grain:       ${a.grain}`,
    `since:       ${a.since}`,
    `window:      ${a.windowStart}`,
    `observed:    ${formatNumber(a.observed)}`,
    `expected:    ${formatNumber(a.expected)}`,
    `score:       ${a.score.toFixed(3)}`,
    `direction:   ${a.direction}`,
    `dedupe key:  ${a.dedupeKey}`,
  ];
  if (a.team) lines.push(`team:        ${a.team}`);
  if (a.owner) lines.push(`owner:       ${a.owner}`);
  if (a.evidence?.length) {
    lines.push('', `The incident's other metrics at ${a.slice || 'the total'} in this window:`);
    for (const e of a.evidence) lines.push(`  ${formatEvidence(e)}`);
  }
  if (a.events?.length) {
    lines.push('', 'Known events in this window (calendar; not learned as normal):');
    for (const e of a.events)
      lines.push(
        `  ${e.title} (${e.kind}, ${e.start} to ${e.end}${e.regions ? `, ${e.regions.join(',')}` : ''})`,
      );
  }
  if (a.topSlices.length) {
    lines.push('', 'Top contributing slices (share of the deviation):');
    for (const s of a.topSlices)
      lines.push(
        `  ${s.slice}: ${(s.contribution * 100).toFixed(1)}% (observed ${formatNumber(s.observed)}, expected ${formatNumber(s.expected)})`,
      );
  }
  lines.push('', `Report: ${a.reportUrl}`);
  return lines;
}

/** Cuts text to at most maxBytes of UTF-8 (suffix included), never inside a character. */
export function truncateUtf8(text: string, maxBytes: number, suffix: string): string {
  const bytes = ENC.encode(text);
  if (bytes.length <= maxBytes) return text;
  let cut = Math.max(0, maxBytes - ENC.encode(suffix).length);
  // Step back over UTF-8 continuation bytes (10xxxxxx) to a character boundary.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return `${DEC.decode(bytes.subarray(0, cut))}${suffix}`;
}
