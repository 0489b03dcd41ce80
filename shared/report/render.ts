import { eventStudyChart, type ForestRow, forestPlot, type Verdict } from './forest-plot.js';
import {
  escapeHtml as e,
  formatAxis,
  formatCi,
  formatCount,
  formatDate,
  formatDateTime,
  formatLift,
  formatPEquals,
  formatPercent,
  formatPValue,
  formatSlice,
  formatValue,
  formatValueBare,
  formatWindow,
  MISSING,
  relativeChange,
  slug,
  toMs,
} from './format.js';
import {
  type ExperimentDecision,
  type Grain,
  incidentAnchor,
  type MetricUnit,
  type ReportAnalysis,
  type ReportData,
  type ReportDataQuality,
  type ReportExperiment,
  type ReportExperimentMetric,
  type ReportIncident,
  type ReportMetric,
  type ReportPolicy,
  type ReportSliceContribution,
  type Severity,
  uniqueId,
} from './model.js';
import { STYLES } from './styles.js';
import { lineChart } from './svg-chart.js';

/**
 * Filters the metric cards by name, slice key or label as you type (the only script; without it the
 * totals show). An empty filter shows the totals; a query shows every matching series, slices too.
 */
const SCRIPT = `(()=>{const i=document.getElementById('metric-filter');if(!i)return;const c=[...document.querySelectorAll('.metric-card')];const n=document.getElementById('metric-count');const f=()=>{const q=i.value.trim().toLowerCase();let k=0;for(const x of c){const h=q===''?x.classList.contains('slice-card'):!x.dataset.name.includes(q);x.hidden=h;if(!h)k++}n.textContent=k+' of '+c.length};i.addEventListener('input',f);f()})();`;

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const SEVERITY_ICON: Record<Severity, string> = { critical: '▲▲', high: '▲', medium: '●', low: '○' };

const DECISION: Record<ExperimentDecision, { label: string; cls: string }> = {
  ship: { label: '✓ Ship', cls: 'st-good' },
  dont_ship: { label: "✕ Don't ship", cls: 'st-bad' },
  keep_running: { label: '… Keep running', cls: 'st-neutral' },
  invalid_srm: { label: '⚠ Invalid: sample ratio mismatch', cls: 'st-warn' },
};

/** Allocates page-unique ids from readable stems. */
class Ids {
  private readonly used = new Set<string>();
  take(stem: string): string {
    let id = stem;
    for (let n = 2; this.used.has(id); n++) id = `${stem}-${n}`;
    this.used.add(id);
    return id;
  }
}

function capitalise(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1).replace(/_/g, ' ') : s;
}

function legend(items: readonly [cls: string, label: string][]): string {
  return `<ul class="legend" aria-label="Legend">${items.map(([c, l]) => `<li><span class="sw ${c}" aria-hidden="true"></span>${e(l)}</li>`).join('')}</ul>`;
}

function table(
  head: readonly (string | { text: string; num: true })[],
  rows: readonly string[][],
  caption?: string,
  numeric?: readonly boolean[],
): string {
  const th = head
    .map((h) =>
      typeof h === 'string'
        ? `<th scope="col">${e(h)}</th>`
        : `<th scope="col" class="num">${e(h.text)}</th>`,
    )
    .join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((cell, i) => `<td${numeric?.[i] ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<div class="table-wrap"><table>${caption ? `<caption>${e(caption)}</caption>` : ''}<thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function fact(label: string, value: string): string {
  return `<div><dt>${e(label)}</dt><dd>${value}</dd></div>`;
}

function metricTitle(name: string, slice: string | undefined, label?: string): string {
  return slice ? `${name} (${formatSlice(slice, label)})` : name;
}

function lastDefined(m: ReportMetric) {
  for (let i = m.points.length - 1; i >= 0; i--) {
    const p = m.points[i]!;
    if (typeof p.value === 'number' && Number.isFinite(p.value)) return p;
  }
  return undefined;
}

// ---------------------------------------------------------------- sections

function renderHeader(d: ReportData, sections: readonly [string, string][]): string {
  const open = d.incidents.filter((i) => i.status !== 'resolved').length;
  const dqIssues = d.dataQuality.filter((q) => q.status !== 'ok').length;
  const chips: [number, string][] = [
    [open, open === 1 ? 'open incident' : 'open incidents'],
    [d.metrics.length, d.metrics.length === 1 ? 'metric series' : 'metric series'],
    [dqIssues, dqIssues === 1 ? 'data-quality issue' : 'data-quality issues'],
    [d.experiments.length, d.experiments.length === 1 ? 'experiment' : 'experiments'],
    [d.policies.length, d.policies.length === 1 ? 'policy launch' : 'policy launches'],
  ];
  return `<header class="top"><div class="wrap">
<h1>${e(d.title)}</h1>
<p class="meta">Window ${e(formatDateTime(d.window.from))} – ${e(formatDateTime(d.window.to))} · generated ${e(formatDateTime(d.generatedAt))}</p>
<ul class="chips">${chips.map(([n, l]) => `<li><b>${e(formatCount(n))}</b>${e(l)}</li>`).join('')}</ul>
<nav class="toc" aria-label="Sections">${sections.map(([id, label]) => `<a href="#${id}">${e(label)}</a>`).join('')}</nav>
</div></header>`;
}

function unitOf(d: ReportData, metric: string, fallback?: MetricUnit): MetricUnit {
  return fallback ?? d.metrics.find((m) => m.name === metric)?.unit ?? 'count';
}

function sliceTable(slices: readonly ReportSliceContribution[], unit: MetricUnit): string {
  const total = slices.reduce((m, s) => Math.max(m, Math.abs(s.contribution)), 0) || 1;
  return table(
    [
      'Slice',
      { text: 'Observed', num: true },
      { text: 'Expected', num: true },
      { text: 'Change', num: true },
      'Share of move',
    ],
    slices.map((s) => [
      `<span class="slice-label">${e(s.slice === 'other' ? 'other (small slices merged, fewer than k people each)' : formatSlice(s.slice, s.sliceLabel))}</span>`,
      e(formatValue(s.observed, unit)),
      e(formatValue(s.expected, unit)),
      e(formatLift(relativeChange(s.observed, s.expected))),
      `<span class="bar${s.contribution < 0 ? ' neg' : ''}" style="width:${Math.round((Math.abs(s.contribution) / total) * 80)}px" aria-hidden="true"></span><span class="num">${e(formatPercent(s.contribution, true))}</span>`,
    ]),
    undefined,
    [false, true, true, true, false],
  );
}

/**
 * Every metric the incident covers (a count and its own rate) with its latest observed vs expected
 * at the incident's slice; none for an incident of one metric (its facts say it).
 */
function incidentMetrics(inc: ReportIncident, grain: Grain): string {
  if (!inc.metrics || inc.metrics.length < 2) return '';
  const rows = inc.metrics.map((m) => [
    `<span data-covered-metric="${e(m.metric)}">${e(m.metric)}</span>${m.moved ? '' : ' <span class="muted">(did not move)</span>'}`,
    `<span data-fact="observed">${e(formatValue(m.observed, m.unit ?? 'count'))}</span>`,
    `<span data-fact="expected">${e(formatValue(m.expected, m.unit ?? 'count'))}</span>`,
    e(formatLift(relativeChange(m.observed, m.expected))),
    e(formatWindow(m.t, grain)),
  ]);
  return `<div class="incident-metrics"><h4>Metrics in this incident</h4>${table(
    [
      'Metric',
      { text: 'Observed', num: true },
      { text: 'Expected', num: true },
      { text: 'Change', num: true },
      'Window',
    ],
    rows,
    undefined,
    [false, true, true, true, false],
  )}</div>`;
}

/** Hours of context either side of an incident in its zoomed chart. */
const ZOOM_CONTEXT = 12;

function renderIncident(d: ReportData, inc: ReportIncident, ids: Ids): string {
  const unit = unitOf(d, inc.metric, inc.unit);
  const grain = inc.grain ?? d.metrics.find((m) => m.name === inc.metric)?.grain ?? 'hour';
  const anchor = ids.take(incidentAnchor(inc.id));
  const label = inc.suppressed ? 'a small slice (not named)' : formatSlice(inc.slice, inc.sliceLabel);
  const title = `${inc.metric} (${label})`;
  const sinceMs = toMs(inc.since);
  const resolvedMs = inc.resolvedAt === undefined ? Number.NaN : toMs(inc.resolvedAt);
  const shade = {
    ...(Number.isFinite(sinceMs) ? { highlightFrom: sinceMs } : {}),
    ...(Number.isFinite(resolvedMs) ? { highlightTo: resolvedMs } : {}),
  };
  const step = grain === 'day' ? 86_400_000 : 3_600_000;
  const zoomFrom = sinceMs - ZOOM_CONTEXT * step;
  const zoomTo = (Number.isFinite(resolvedMs) ? resolvedMs : Number.POSITIVE_INFINITY) + ZOOM_CONTEXT * step;
  const zoomPoints = inc.points.filter((p) => toMs(p.t) >= zoomFrom && toMs(p.t) <= zoomTo);
  const period = Number.isFinite(resolvedMs)
    ? `${formatWindow(inc.since, grain)} – ${formatWindow(resolvedMs, grain)} (resolved)`
    : `since ${formatWindow(inc.since, grain)}`;
  const charts = inc.suppressed
    ? `<p class="k-anon" data-k-anon="true">This incident is on a slice of fewer than k people (k-anonymity): the slice is not named and its series is not shown. The metric's total and its other slices are in the metrics section.</p>`
    : `<div class="charts"><h4>Around the incident (${e(grain === 'day' ? 'days' : 'hours')})</h4>${lineChart(
        {
          id: `${anchor}-zoom`,
          title: `${title}: the incident ${period}, zoomed`,
          points: zoomPoints,
          unit,
          grain,
          height: 170,
          hourTicks: grain === 'hour',
          ...shade,
        },
      )}<h4>History</h4>${lineChart({
        id: `${anchor}-chart`,
        title: `${title}: observed vs expected band, incident ${period}`,
        points: inc.points,
        unit,
        grain,
        height: 140,
        ...shade,
      })}</div>`;
  const peak = inc.peak ?? { t: inc.since, observed: inc.observed, expected: inc.expected };
  const opening = inc.openingSlices ?? inc.topSlices;
  const atPeak = inc.peakSlices ?? [];
  const none = '<p class="muted">No slice stands out: the move is spread across slices.</p>';
  const samePeak = JSON.stringify(atPeak.map((s) => s.slice)) === JSON.stringify(opening.map((s) => s.slice));
  const causes = `<h4>Root-cause slices when it opened</h4>${opening.length ? sliceTable(opening, unit) : none}${
    atPeak.length && !samePeak
      ? `<h4>Root-cause slices at the peak (${e(formatWindow(peak.t, grain))})</h4>${sliceTable(atPeak, unit)}`
      : atPeak.length
        ? `<p class="muted">Same slices at the peak (${e(formatWindow(peak.t, grain))}).</p>`
        : ''
  }`;
  const statusCls = inc.status === 'resolved' ? ' st-resolved' : '';
  const also = (inc.metrics ?? []).filter((m) => m.moved && m.metric !== inc.metric).map((m) => m.metric);
  return `<article class="card incident sev-${e(inc.severity)}${statusCls}" id="${anchor}" data-metric="${e(inc.metric)}" data-slice="${e(inc.slice)}">
<header><span class="badge sev-${e(inc.severity)}"><span aria-hidden="true">${SEVERITY_ICON[inc.severity] ?? ''} </span>${e(capitalise(inc.severity))}</span><span class="badge st-neutral">${e(capitalise(inc.status))}</span><h3>${e(inc.metric)}${also.length ? ` <span class="also">+ ${e(also.join(' + '))}</span>` : ''} <span class="muted slice-label">${e(inc.suppressed ? 'small slice (k-anonymity)' : inc.slice ? label : 'total')}</span></h3></header>
<p class="summary">${e(inc.summary)}</p>${knownEvents(inc, grain)}
<dl class="facts">${inc.team ? fact('Team', e(inc.team)) : ''}${inc.owner ? fact('Owner', e(inc.owner)) : ''}${fact('Peak observed', `<span data-fact="peak-observed">${e(formatValue(peak.observed, unit))}</span>`)}${fact('Expected at peak', `<span data-fact="peak-expected">${e(formatValue(peak.expected, unit))}</span>`)}${fact('Change at peak', e(formatLift(relativeChange(peak.observed, peak.expected))))}${fact('Peak window', e(formatWindow(peak.t, grain)))}${fact('Period', e(period))}</dl>${incidentMetrics(inc, grain)}
<div class="two-col"><div>${charts}</div><div>${causes}</div></div>
</article>`;
}

/** Known events of the calendar the incident fell in: readers should weigh the move against them. */
function knownEvents(inc: ReportIncident, grain: Grain): string {
  if (!inc.events?.length) return '';
  const items = inc.events.map(
    (ev) =>
      `<li data-known-event="${e(ev.id)}"><strong>${e(ev.title)}</strong> <span class="muted">(${e(ev.kind)}, ${e(formatWindow(ev.start, grain))} – ${e(formatWindow(ev.end, grain))}${ev.regions?.length ? `, ${e(ev.regions.join(', '))}` : ''})</span></li>`,
  );
  return `<div class="known-events"><p class="muted">During a known event (calendar; its windows are not learned as normal):</p><ul>${items.join('')}</ul></div>`;
}

function renderIncidents(d: ReportData, ids: Ids): string {
  const sorted = [...d.incidents].sort(
    (a, b) =>
      Number(a.status === 'resolved') - Number(b.status === 'resolved') ||
      (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) ||
      toMs(b.since) - toMs(a.since),
  );
  const body = sorted.length
    ? legend([
        ['value', 'observed'],
        ['expected', 'expected'],
        ['band', 'expected band'],
        ['anomaly', 'anomalous window'],
        ['incident', 'incident period'],
      ]) + sorted.map((i) => renderIncident(d, i, ids)).join('\n')
    : '<p class="ok-note">No open incidents in the window.</p>';
  return `<section id="incidents" aria-labelledby="incidents-h"><div class="wrap"><h2 id="incidents-h">Incidents</h2>${body}</div></section>`;
}

function renderMetricCard(m: ReportMetric, ids: Ids): string {
  const id = ids.take(m.slice ? uniqueId('metric', `${m.name}\u0000${m.slice}`) : `metric-${slug(m.name)}`);
  const last = lastDefined(m);
  const anomalies = m.points.filter((p) => p.anomaly).length;
  const change = last ? relativeChange(last.value, last.expected) : null;
  const title = metricTitle(m.name, m.slice, m.sliceLabel);
  const chart = lineChart({
    id: `${id}-chart`,
    title: `${title} by ${m.grain}, with the expected band`,
    points: m.points,
    unit: m.unit,
    grain: m.grain,
    precision: 0,
  });
  const stats = last
    ? `<b class="num">${e(formatValue(last.value, m.unit))}</b><span>latest ${e(formatWindow(last.t, m.grain))}</span>` +
      (last.expected != null
        ? `<span>expected <span class="num">${e(formatValue(last.expected, m.unit))}</span> (${e(formatLift(change))})</span>`
        : '')
    : '<span>no data</span>';
  const flag = anomalies
    ? `<span class="badge sev-high">${e(formatCount(anomalies))} anomal${anomalies === 1 ? 'y' : 'ies'}</span>`
    : '';
  // Slice series are many: listed hidden, found by the filter (name, key or label).
  const search = `${m.name} ${m.slice ?? ''} ${m.sliceLabel ?? ''}`.toLowerCase();
  return `<article class="card metric-card${m.slice ? ' slice-card' : ''}" id="${id}" data-name="${e(search)}"${m.slice ? ` data-slice="${e(m.slice)}" hidden` : ''}>
<header><h3>${e(m.name)}${m.slice ? ` <span class="slice slice-label">${e(formatSlice(m.slice, m.sliceLabel))}</span>` : ''}</h3>${flag}</header>
${m.description ? `<p class="meta">${e(m.description)}</p>` : ''}<div class="stat">${stats}</div>${chart}</article>`;
}

function renderMetrics(d: ReportData, ids: Ids): string {
  const filter =
    d.metrics.length > 8 || d.metrics.some((m) => m.slice)
      ? `<div class="filter"><label for="metric-filter">Find a metric or slice</label><input id="metric-filter" type="search" placeholder="name or slice, e.g. region=BR" autocomplete="off"><span id="metric-count" class="muted" aria-live="polite">${e(formatCount(d.metrics.filter((m) => !m.slice).length))} of ${e(formatCount(d.metrics.length))}</span></div>`
      : '';
  const body = d.metrics.length
    ? `${legend([
        ['value', 'observed'],
        ['expected', 'expected'],
        ['band', 'expected band'],
        ['anomaly', 'anomalous window'],
      ])}${filter}<div class="grid-cards">${d.metrics.map((m) => renderMetricCard(m, ids)).join('\n')}</div>`
    : '<p class="muted">No metric series in this report.</p>';
  return `<section id="metrics" aria-labelledby="metrics-h"><div class="wrap"><h2 id="metrics-h">Core metrics</h2>${body}</div></section>`;
}

const DQ_STATUS: Record<string, { label: string; cls: string }> = {
  ok: { label: '✓ OK', cls: 'st-good' },
  missing: { label: '✕ Missing', cls: 'st-bad' },
  late: { label: '⏱ Late', cls: 'st-warn' },
  low_volume: { label: '▼ Low volume', cls: 'st-warn' },
};

function renderDataQuality(d: ReportData, ids: Ids): string {
  const issues = d.dataQuality.filter((q) => q.status !== 'ok');
  const okCount = d.dataQuality.length - issues.length;
  const row = (q: ReportDataQuality) => {
    const s = DQ_STATUS[q.status] ?? { label: `⚠ ${capitalise(q.status)}`, cls: 'st-warn' };
    const idAttr = q.id ? ` id="${ids.take(incidentAnchor(q.id))}"` : '';
    const part = q.hour === null ? q.dt : `${q.dt} ${String(q.hour).padStart(2, '0')}:00`;
    return `<tr class="dq-row"${idAttr}><td>${e(q.source)}</td><td class="num">${e(part)}</td><td><span class="badge ${s.cls}">${e(s.label)}</span></td><td>${e(q.detail)}</td></tr>`;
  };
  let body: string;
  if (d.dataQuality.length === 0) body = '<p class="muted">No data-quality checks reported.</p>';
  else {
    const note = issues.length
      ? `<p>${e(formatCount(issues.length))} partition${issues.length === 1 ? '' : 's'} with issues; their windows are held back from detection (not alerted, not learned).${okCount ? ` ${e(formatCount(okCount))} checked partitions are OK.` : ''}</p>`
      : `<p class="ok-note">All ${e(formatCount(okCount))} checked partitions are OK.</p>`;
    const rows = [...issues].sort((a, b) => (a.dt + (a.hour ?? 0)).localeCompare(b.dt + (b.hour ?? 0)));
    body =
      note +
      (rows.length
        ? `<div class="table-wrap"><table><thead><tr><th scope="col">Source</th><th scope="col" class="num">Partition (UTC)</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead><tbody>${rows.map(row).join('')}</tbody></table></div>`
        : '');
  }
  return `<section id="data-quality" aria-labelledby="dq-h"><div class="wrap"><h2 id="dq-h">Data quality</h2>${body}</div></section>`;
}

function verdictOf(m: ReportExperimentMetric): Verdict {
  if (m.status !== 'ok' || m.lift == null || m.liftCiLow == null || m.liftCiHigh == null) return 'unknown';
  if (m.liftCiLow <= 0 && m.liftCiHigh >= 0) return 'neutral';
  const up = m.liftCiLow > 0;
  if (!m.direction) return 'neutral';
  return up === (m.direction === 'increase') ? 'good' : 'bad';
}

function renderExperiment(x: ReportExperiment, ids: Ids): string {
  const id = ids.take(`experiment-${slug(x.id)}`);
  const dec = DECISION[x.decision] ?? { label: capitalise(x.decision), cls: 'st-neutral' };
  const srm = x.srm.ok
    ? `<span class="badge st-good">✓ SRM check passed</span> <span class="muted">${e(formatPEquals(x.srm.pValue))}</span>`
    : `<span class="badge st-bad">✕ Sample ratio mismatch</span> <span class="muted">${e(formatPEquals(x.srm.pValue))}: assignment is broken, effects are not trustworthy</span>`;
  const units = x.units
    ? Object.entries(x.units)
        .map(([v, n]) => `${v}: ${formatCount(n)}`)
        .join(' · ')
    : '';
  const roleOrder = { primary: 0, guardrail: 1, secondary: 2 } as const;
  const metrics = [...x.metrics].sort((a, b) => (roleOrder[a.role] ?? 3) - (roleOrder[b.role] ?? 3));
  const multiVariant = new Set(metrics.map((m) => m.variant)).size > 1;
  const rows: ForestRow[] = metrics.map((m) => ({
    label: multiVariant ? `${m.name} · ${m.variant}` : m.name,
    estimate: m.status === 'ok' ? m.lift : null,
    low: m.status === 'ok' ? m.liftCiLow : null,
    high: m.status === 'ok' ? m.liftCiHigh : null,
    verdict: verdictOf(m),
  }));
  const plot = rows.length
    ? forestPlot({
        id: `${id}-forest`,
        title: `${x.id}: relative lift by metric with 95% confidence intervals`,
        rows,
        format: (n) => formatLift(n),
      })
    : '';
  const tbl = table(
    [
      'Metric',
      'Role',
      'Variant',
      { text: 'Lift [95% CI]', num: true },
      { text: 'p', num: true },
      { text: 'Adj. p', num: true },
      'CUPED',
      'Status',
    ],
    metrics.map((m) => [
      e(m.name),
      e(m.role),
      e(m.variant),
      e(formatCi(m.lift, m.liftCiLow, m.liftCiHigh)),
      e(formatPValue(m.pValue)),
      e(formatPValue(m.adjustedPValue)),
      m.cupedApplied
        ? `✓ ${e(m.varianceReduction == null ? '' : `${formatPercent(-Math.abs(m.varianceReduction))} variance`)}`
        : '—',
      m.status === 'ok' ? 'ok' : `<span class="badge st-warn">${e(m.status.replace(/_/g, ' '))}</span>`,
    ]),
    undefined,
    [false, false, false, true, true, true, false, false],
  );
  return `<article class="card experiment" id="${id}">
<header><h3>${e(x.id)}</h3><span class="badge ${dec.cls}">${e(dec.label)}</span></header>
<p class="meta">${x.asOf !== undefined ? `as of ${e(formatDateTime(x.asOf))} · ` : ''}${e(units)}</p>
<p>${srm}</p>
${x.reasons?.length ? `<ul class="reasons">${x.reasons.map((r) => `<li>${e(r)}</li>`).join('')}</ul>` : ''}
${plot}${tbl}</article>`;
}

function renderExperiments(d: ReportData, ids: Ids): string {
  const body = d.experiments.length
    ? legend([
        ['good', 'significant, good direction'],
        ['bad', 'significant, bad direction'],
        ['neutral', 'not significant'],
      ]) + d.experiments.map((x) => renderExperiment(x, ids)).join('\n')
    : '<p class="muted">No experiment readouts.</p>';
  return `<section id="experiments" aria-labelledby="exp-h"><div class="wrap"><h2 id="exp-h">Experiments</h2>${body}</div></section>`;
}

function renderPolicy(d: ReportData, p: ReportPolicy, ids: Ids): string {
  const id = ids.take(`policy-${slug(p.id)}`);
  const unit = unitOf(d, p.metric, p.unit);
  const fmt = (n: number | null | undefined) => formatValueBare(n, unit, true);
  const axis = (n: number) => formatAxis(n, unit);
  const unitNote = unit === 'per10k' ? ', per 10k impressions' : '';
  const sig = p.ciLow > 0 || p.ciHigh < 0;
  const rows: ForestRow[] = [
    {
      label: 'Difference in differences',
      estimate: p.att,
      low: p.ciLow,
      high: p.ciHigh,
      verdict: sig ? 'significant' : 'neutral',
    },
  ];
  if (p.synthetic)
    rows.push({
      label: 'Synthetic control',
      estimate: p.synthetic.estimate,
      low: null,
      high: null,
      verdict: 'neutral',
    });
  const plot = forestPlot({
    id: `${id}-forest`,
    title: `${p.id}: effect on ${p.metric} in ${p.region}`,
    rows,
    format: axis,
  });
  const es = p.eventStudy.length
    ? `<h4>Event study (effect by day relative to launch)</h4>${eventStudyChart({ id: `${id}-es`, title: `${p.id}: event study of ${p.metric}, 95% CIs`, points: p.eventStudy, format: axis })}`
    : '';
  const preTrendBad = p.preTrendP != null && p.preTrendP < 0.05;
  const rel = formatCi(p.relativeEffect, p.relCiLow, p.relCiHigh);
  return `<article class="card policy" id="${id}">
<header><h3>${e(p.id)}</h3><span class="badge st-neutral">${e(p.region)}</span><span class="muted">${e(p.metric)}</span>${p.launch !== undefined ? `<span class="muted">launched ${e(formatDate(p.launch))}</span>` : ''}</header>
<dl class="facts">${fact(`Effect (DiD ATT${unitNote}) [95% CI]`, e(formatCi(p.att, p.ciLow, p.ciHigh, fmt)))}${fact('Relative effect', e(rel))}${p.pValue != null ? fact('p', e(formatPValue(p.pValue))) : ''}${fact('Pre-trend test p', `${e(formatPValue(p.preTrendP))}${preTrendBad ? ' <span class="badge st-warn">⚠ pre-trends differ</span>' : ''}`)}${fact('Synthetic control', e(p.synthetic ? fmt(p.synthetic.estimate) : MISSING))}</dl>
<div class="two-col"><div>${plot}</div><div>${es}</div></div>
${p.notes?.length ? `<ul class="reasons">${p.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : ''}
</article>`;
}

function renderPolicies(d: ReportData, ids: Ids): string {
  const body = d.policies.length
    ? d.policies.map((p) => renderPolicy(d, p, ids)).join('\n')
    : '<p class="muted">No policy launch readouts.</p>';
  return `<section id="policies" aria-labelledby="pol-h"><div class="wrap"><h2 id="pol-h">Policy launches</h2>${body}</div></section>`;
}

function cell(v: unknown): { html: string; num: boolean } {
  if (typeof v === 'number') {
    const text = Number.isInteger(v)
      ? formatCount(v)
      : Math.abs(v) < 1
        ? String(Number(v.toPrecision(3)))
        : formatCount(v);
    return { html: e(text), num: true };
  }
  if (typeof v === 'boolean') return { html: v ? 'yes' : 'no', num: false };
  if (v === null || v === undefined) return { html: MISSING, num: false };
  return { html: e(v), num: false };
}

function renderAnalysis(a: ReportAnalysis, ids: Ids): string {
  const id = ids.take(`analysis-${slug(a.title.toLowerCase())}`);
  const cells = a.rows.map((r) => a.columns.map((_, i) => cell(r[i])));
  const numericCol = a.columns.map(
    (_, i) => cells.length > 0 && cells.every((r) => r[i]!.num || r[i]!.html === MISSING),
  );
  const head = a.columns.map((c, i) => (numericCol[i] ? { text: c, num: true as const } : c));
  return `<article class="card" id="${id}" style="margin-bottom:16px"><h3>${e(a.title)}</h3>${a.description ? `<p class="meta">${e(a.description)}</p>` : ''}${table(
    head,
    cells.map((r) => r.map((c) => c.html)),
    undefined,
    numericCol,
  )}</article>`;
}

function renderAnalyses(d: ReportData, ids: Ids): string {
  return `<section id="analyses" aria-labelledby="an-h"><div class="wrap"><h2 id="an-h">Analyses</h2>${(d.analyses ?? []).map((a) => renderAnalysis(a, ids)).join('\n')}</div></section>`;
}

/** The whole report as one self-contained HTML page (no network: CSS, SVG and script are inline). Pure. */
export function renderReport(data: ReportData): string {
  const ids = new Ids();
  for (const s of ['incidents', 'metrics', 'data-quality', 'experiments', 'policies', 'analyses'])
    ids.take(s);
  const sections: [string, string][] = [
    ['incidents', 'Incidents'],
    ['metrics', 'Core metrics'],
    ['data-quality', 'Data quality'],
    ['experiments', 'Experiments'],
    ['policies', 'Policy launches'],
  ];
  if (data.analyses?.length) sections.push(['analyses', 'Analyses']);
  const body = [
    renderIncidents(data, ids),
    renderMetrics(data, ids),
    renderDataQuality(data, ids),
    renderExperiments(data, ids),
    renderPolicies(data, ids),
    data.analyses?.length ? renderAnalyses(data, ids) : '',
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light">
<title>${e(data.title)}</title>
<style>${STYLES.replace(/\n/g, '')}</style>
</head>
<body>
<a href="#main" class="skip">Skip to content</a>
${renderHeader(data, sections)}
<main id="main">
${body}
</main>
<footer><div class="wrap">Vigil · all times UTC · intervals are 95% confidence intervals · generated ${e(formatDateTime(data.generatedAt))}</div></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
