/**
 * The report's CSS, inlined into the page. Palette: Okabe–Ito (colour-blind safe) for marks; text is
 * near-black or #4a525c on white (≥ 7:1) and badges are dark text on light tints (≥ 4.5:1). Meaning
 * never rests on colour alone: badges carry words and icons, markers differ in shape and fill.
 */
export const STYLES = `
:root{--fg:#1b1f24;--muted:#4a525c;--bg:#fff;--surface:#f5f6f8;--border:#d0d5dc;--blue:#0072B2;--link:#005a8c;
--vermillion:#D55E00;--orange:#E69F00;--sky:#56B4E9;--green:#009E73;--grey:#69717b}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
.skip{position:absolute;left:-9999px;top:8px;background:var(--bg);padding:4px 8px}
.skip:focus{left:8px}
a:focus-visible,input:focus-visible{outline:3px solid var(--orange);outline-offset:2px}
.wrap{max-width:1240px;margin:0 auto;padding:0 20px}
header.top{background:var(--surface);border-bottom:1px solid var(--border);padding:20px 0 12px}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 4px}
h2{font-size:1.3rem;margin:0 0 12px;padding-top:28px}
h3{font-size:1.05rem;margin:0;line-height:1.35;overflow-wrap:anywhere}
h4{font-size:.95rem;margin:16px 0 6px}
.meta{color:var(--muted);margin:0;font-size:.92rem}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:10px;font-size:.95rem}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 0;padding:0;list-style:none}
.chips li{background:var(--bg);border:1px solid var(--border);border-radius:8px;padding:6px 12px;font-size:.9rem}
.chips b{font-size:1.15rem;margin-right:4px;font-variant-numeric:tabular-nums}
section{scroll-margin-top:8px}
.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:var(--muted)}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:.8rem;font-weight:600;line-height:1.6;border:1px solid;white-space:nowrap;vertical-align:middle}
.sev-critical{background:#fbd9c6;border-color:var(--vermillion);color:#1b1f24}
.sev-high{background:#fde6bf;border-color:var(--orange);color:#1b1f24}
.sev-medium{background:#fdf4c4;border-color:#b8a200;color:#1b1f24}
.sev-low,.st-neutral{background:#e4eef6;border-color:var(--sky);color:#1b1f24}
.st-good{background:#d3efe5;border-color:var(--green);color:#1b1f24}
.st-bad{background:#fbd9c6;border-color:var(--vermillion);color:#1b1f24}
.st-warn{background:#fdf4c4;border-color:#b8a200;color:#1b1f24}
.card{background:var(--bg);border:1px solid var(--border);border-radius:10px;padding:14px 16px;min-width:0}
.grid-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:14px}
.metric-card{content-visibility:auto;contain-intrinsic-size:auto 300px}
.metric-card header{display:flex;justify-content:space-between;gap:8px;align-items:baseline;flex-wrap:wrap}
.metric-card .slice{color:var(--muted);font-weight:400}
.stat{display:flex;flex-wrap:wrap;gap:2px 14px;margin:4px 0 6px;font-size:.9rem;color:var(--muted)}
.stat b{color:var(--fg);font-size:1.1rem}
.incident{border-left:6px solid var(--orange);margin-bottom:16px}
.incident.sev-critical{border-left-color:var(--vermillion);background:var(--bg)}
.incident.sev-high,.incident.sev-medium,.incident.sev-low{background:var(--bg);color:var(--fg)}
.incident.sev-low{border-left-color:var(--sky)}
.incident.st-resolved{border-left-color:var(--grey)}
.incident header,.experiment header,.policy header{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center}
.incident:target,.dq-row:target{box-shadow:0 0 0 3px var(--orange)}
.summary{margin:8px 0}
.incident h3 .also{font-weight:400}
dl.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:8px;margin:10px 0}
dl.facts div{background:var(--surface);border-radius:8px;padding:6px 10px}
dl.facts dt{font-size:.8rem;color:var(--muted)}
dl.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.two-col{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:18px;align-items:start}
@media (max-width:1000px){.two-col{grid-template-columns:minmax(0,1fr)}}
svg{display:block;width:100%;height:auto;overflow:visible;font-family:inherit}
svg.forest{max-width:540px}
.incident svg.chart{max-width:600px}
.incident svg .tick{font-size:9px}
svg.event-study{max-width:640px}
svg .tick{font-size:11px;fill:var(--muted)}
svg .label{font-size:12.5px;fill:var(--fg)}
svg .empty{font-size:13px;fill:var(--muted)}
svg .grid{stroke:#e3e6ea;stroke-width:1}
svg .hour-tick{stroke:#9aa3ad;stroke-width:1}
.charts{display:grid;gap:8px}
.charts h4{margin:4px 0 0}
.k-anon{background:#f4f1ff;border-left:3px solid #6b5bd2;padding:6px 10px}
.slice-label{overflow-wrap:anywhere}
svg .zero{stroke:var(--grey);stroke-width:1.2;stroke-dasharray:4 3}
svg .band{fill:var(--sky);fill-opacity:.3;stroke:none}
svg .expected{fill:none;stroke:var(--grey);stroke-width:1.3;stroke-dasharray:5 3}
svg .value{fill:none;stroke:var(--blue);stroke-width:1.8;stroke-linejoin:round}
svg .value-dot{fill:var(--blue)}
svg .anomaly{fill:var(--vermillion);stroke:#fff;stroke-width:1}
svg .incident-window{fill:var(--orange);fill-opacity:.14}
svg .launch{stroke:var(--fg);stroke-width:1;stroke-dasharray:2 3}
svg .ci{stroke-width:2.2;stroke:currentColor}
svg .row,.event-study g{color:var(--grey)}
svg .row .est{fill:#fff;stroke:currentColor;stroke-width:2}
svg .row.good,svg .row.significant{color:var(--blue)}
svg .row.bad{color:var(--vermillion)}
svg .row.good .est,svg .row.bad .est,svg .row.significant .est{fill:currentColor}
.event-study .post{color:var(--blue)}
.event-study circle{fill:currentColor}
.event-study .ci{stroke-width:1.6}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.85rem;color:var(--muted);margin:6px 0 10px;padding:0;list-style:none}
.legend li{display:flex;align-items:center;gap:6px}
.sw{display:inline-block;width:22px;height:10px;border-radius:2px}
.sw.value{height:3px;background:var(--blue)}
.sw.expected{height:0;border-top:2px dashed var(--grey)}
.sw.band{background:var(--sky);opacity:.45}
.sw.anomaly{width:10px;height:10px;border-radius:50%;background:var(--vermillion)}
.sw.incident{background:var(--orange);opacity:.3}
.sw.good{width:10px;height:10px;background:var(--blue)}
.sw.bad{width:10px;height:10px;background:var(--vermillion)}
.sw.neutral{width:10px;height:10px;border:2px solid var(--grey);background:#fff}
.table-wrap{overflow-x:auto;margin:6px 0 4px;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--border);vertical-align:top}
th{font-weight:600;background:var(--surface);white-space:nowrap}
td.num,th.num{text-align:right}
.experiment td,.incident td{white-space:nowrap}
.bar{display:inline-block;height:8px;background:var(--blue);border-radius:2px;vertical-align:middle;margin-right:6px}
.bar.neg{background:var(--vermillion)}
.filter{display:flex;gap:8px;align-items:center;margin:0 0 12px;flex-wrap:wrap}
.filter input{font:inherit;padding:6px 10px;border:1px solid var(--grey);border-radius:6px;min-width:0;flex:1 1 220px;max-width:360px}
.ok-note{background:#d3efe5;border:1px solid var(--green);border-radius:8px;padding:8px 12px}
ul.reasons{margin:6px 0;padding-left:20px}
.experiment,.policy{margin-bottom:16px}
footer{color:var(--muted);font-size:.85rem;padding:28px 0 36px}
@media (max-width:600px){
 .wrap{padding:0 12px}
 h1{font-size:1.3rem}
 .grid-cards{grid-template-columns:minmax(0,1fr)}
 .incident svg .tick{font-size:11px}
 svg.forest .tick,svg.event-study .tick{font-size:14px}
 svg.forest .label{font-size:14px}
 svg .label{font-size:15px}
 th,td{padding:5px 7px}
}
@media print{.filter,nav.toc{display:none}.metric-card{content-visibility:visible}}
`;
