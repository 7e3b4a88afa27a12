// The HTML report (`--html PATH` on `sloctl gate` and `sloctl drill`): ONE self-contained file a
// reviewer opens from a CI artifact. Inline CSS, charts drawn here as SVG strings, no script, no
// font, no image: opening it fetches nothing (a report read offline or behind a strict CSP still
// shows everything). Pure: report data in, one string out; no I/O, no clock.
//
// Two steps, so `sloctl accept` can build one page from a gate and drills: an adapter turns a
// report into an HtmlReportModel (title, verdict, sections; src/report/html-model.ts), and
// renderHtml draws any model. Every string that came from the contract or the service (route
// names, reasons, paths) is escaped where it is written into the page, and nowhere else.
import type { HtmlBand, HtmlReportModel, HtmlSection, HtmlSeries } from './html-model.ts';

export type { HtmlReportModel, HtmlSection } from './html-model.ts';
export { htmlFromDrill, htmlFromGate } from './html-model.ts';

/** Text for an element or an attribute: the five characters HTML gives a meaning, and control characters (not valid in HTML) dropped. */
export function esc(s: unknown): string {
  return String(s)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f6f9}
main{max-width:1040px;margin:0 auto;padding:20px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px}
.sub{color:#5a6272;margin:0 0 14px;font-size:13px}
.banner{border-radius:8px;padding:14px 18px;color:#fff;margin:10px 0 6px}
.banner b{font-size:22px;letter-spacing:.5px}
.banner ul{margin:6px 0 0;padding-left:20px}
.o-pass{background:#1f8a4c}.o-fail,.o-target-failed{background:#c0392b}.o-inconclusive,.o-usage{background:#b7791f}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px}
.card{background:#fff;border-radius:8px;padding:10px 12px;border-left:5px solid #9aa3b2;box-shadow:0 1px 2px #0001}
.card h3{font-size:14px;margin:0 0 4px;display:flex;justify-content:space-between;gap:6px}
.card .k{color:#5a6272}.card p{margin:6px 0 0;font-size:12px;color:#3a4150;overflow-wrap:anywhere}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:0;font-size:12px}.card dd{margin:0;text-align:right}
.v-pass{border-color:#1f8a4c}.v-warn{border-color:#d69e2e}.v-fail{border-color:#c0392b}.v-skipped{border-color:#c3c8d1}.v-inconclusive{border-color:#b7791f}
.tag{font-size:11px;font-weight:600;padding:1px 6px;border-radius:9px;color:#fff;background:#9aa3b2;white-space:nowrap;height:fit-content}
.tag.v-pass{background:#1f8a4c}.tag.v-warn{background:#d69e2e}.tag.v-fail{background:#c0392b}.tag.v-inconclusive{background:#b7791f}
figure{background:#fff;border-radius:8px;margin:0;padding:10px;box-shadow:0 1px 2px #0001}
figcaption,.note{font-size:12px;color:#5a6272;margin-top:4px}
svg{display:block;width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#5a6272}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:8px;margin-right:4px;vertical-align:middle}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px;box-shadow:0 1px 2px #0001;border-radius:8px;overflow:hidden}
th,td{padding:6px 8px;text-align:left;border-bottom:1px solid #e6e9ef;vertical-align:top}th{background:#eef1f5;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
footer{margin-top:28px;font-size:12px;color:#5a6272;overflow-wrap:anywhere}
`;

const SERIES_COLORS = ['#2b6cb0', '#d69e2e', '#c0392b', '#6b46c1', '#2f855a'];
const BAND_COLORS: Record<HtmlBand['kind'], string> = { phase: '#2b6cb0', fault: '#c0392b', recovery: '#2f855a' };

/** A number for an SVG coordinate: two decimals at most, never NaN. */
const c = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');

/** A round step for ~`n` ticks over [0, max]. */
function tickStep(max: number, n: number): number {
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** Text cut to about `px` pixels of 11 px type ("…" marks the cut); "" when not even a few characters fit. */
function fit(text: string, px: number): string {
  const n = Math.floor(px / 6.2);
  if (n < 4) return '';
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

function secondsLabel(ms: number): string {
  return `${+(ms / 1000).toFixed(1)}s`;
}

/** Latency (or any value) over time: one line per series, phases and fault windows shaded behind, reference lines dashed. */
function timelineSvg(s: Extract<HtmlSection, { kind: 'timeline' }>): string {
  const W = 960;
  const H = 260;
  const L = 56;
  const R = 12;
  const T = 22;
  const B = 28;
  const pts = s.series.flatMap((x) => x.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = [...pts.map((p) => p.x), ...s.bands.flatMap((b) => [b.fromMs, b.toMs])];
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(x0 + 1, ...xs);
  const dataMax = Math.max(0, ...pts.map((p) => p.y));
  // A reference far above the data would flatten every line against the axis: those are named under the chart instead.
  const refs = s.references.filter((r) => Number.isFinite(r.y) && r.y <= Math.max(dataMax, 1e-9) * 3);
  const yMaxRaw = Math.max(dataMax, ...refs.map((r) => r.y)) * 1.1 || 1;
  const step = tickStep(yMaxRaw, 4);
  const yMax = Math.ceil(yMaxRaw / step) * step;
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - y / yMax) * (H - T - B);
  const out: string[] = [`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(s.title)}" class="chart timeline">`];
  for (const b of s.bands) {
    const color = BAND_COLORS[b.kind];
    out.push(`<rect class="band band-${b.kind}" x="${c(px(b.fromMs))}" y="${T}" width="${c(Math.max(1, px(b.toMs) - px(b.fromMs)))}" height="${H - T - B}" fill="${color}" fill-opacity="${b.kind === 'phase' ? 0.06 : 0.14}"><title>${esc(`${b.label}: ${secondsLabel(b.fromMs)}–${secondsLabel(b.toMs)}`)}</title></rect>`);
    // The label fits its band or is cut (the full one is the band's tooltip): neighbours never overlap.
    const label = fit(b.label, px(b.toMs) - px(b.fromMs) - 6);
    if (label) out.push(`<text x="${c(px(b.fromMs) + 3)}" y="${T - 6}" style="fill:${color}">${esc(label)}</text>`);
  }
  for (let y = 0; y <= yMax + step / 2; y += step) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${c(py(y))}" y2="${c(py(y))}" stroke="#e6e9ef"/><text x="${L - 6}" y="${c(py(y) + 4)}" text-anchor="end">${esc(`${+y.toPrecision(4)}${s.unit === 'ms' ? ' ms' : ''}`)}</text>`);
  }
  const xStep = tickStep(x1 - x0, 8);
  for (let x = Math.ceil(x0 / xStep) * xStep; x <= x1; x += xStep) out.push(`<text x="${c(px(x))}" y="${H - 8}" text-anchor="middle">${esc(secondsLabel(x))}</text>`);
  for (const r of refs) out.push(`<line class="ref" x1="${L}" x2="${W - R}" y1="${c(py(r.y))}" y2="${c(py(r.y))}" stroke="#c0392b" stroke-dasharray="5 4"/><text x="${W - R - 4}" y="${c(py(r.y) - 4)}" text-anchor="end" style="fill:#c0392b">${esc(r.label)}</text>`);
  s.series.forEach((line: HtmlSeries, i) => {
    const p = line.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
    if (p.length === 0) return;
    const d = p.map((q, j) => `${j === 0 ? 'M' : 'L'}${c(px(q.x))} ${c(py(q.y))}`).join(' ');
    out.push(`<path class="series" data-points="${p.length}" d="${d}" fill="none" stroke="${SERIES_COLORS[i % SERIES_COLORS.length]}" stroke-width="1.8" stroke-linejoin="round"/>`);
  });
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#9aa3b2"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#9aa3b2"/></svg>`);
  const hidden = s.references.filter((r) => !refs.includes(r));
  const legend = s.series.map((x, i) => `<span><i style="background:${SERIES_COLORS[i % SERIES_COLORS.length]}"></i>${esc(x.label)}</span>`);
  const kinds = [...new Set(s.bands.map((b) => b.kind))].map((k) => `<span><i style="background:${BAND_COLORS[k]};opacity:.35"></i>${k === 'phase' ? 'load phase' : k === 'fault' ? 'fault window' : 'recovery watch'}</span>`);
  const notes = [...(s.note ? [s.note] : []), ...(hidden.length ? [`off the chart (far above the measured values): ${hidden.map((r) => r.label).join(', ')}`] : [])];
  return `<figure>${out.join('')}<div class="legend">${[...legend, ...kinds].join('')}</div>${notes.map((n) => `<figcaption>${esc(n)}</figcaption>`).join('')}</figure>`;
}

/** The error budget: the share spent as the run went (a line from 0 toward 100%), the whole budget dashed. */
function budgetSvg(s: Extract<HtmlSection, { kind: 'budget' }>): string {
  const W = 960;
  const H = 200;
  const L = 56;
  const R = 12;
  const T = 16;
  const B = 28;
  const x1 = Math.max(1, ...s.points.map((p) => p.x));
  const yMax = Math.max(1.1, ...s.points.map((p) => p.spent).filter(Number.isFinite)) ;
  const px = (x: number) => L + (x / x1) * (W - L - R);
  const py = (y: number) => T + (1 - y / yMax) * (H - T - B);
  const out: string[] = [`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(s.title)}" class="chart budget">`];
  for (const y of [0, 0.25, 0.5, 0.75, 1]) out.push(`<line x1="${L}" x2="${W - R}" y1="${c(py(y))}" y2="${c(py(y))}" stroke="${y === 1 ? '#c0392b' : '#e6e9ef'}"${y === 1 ? ' stroke-dasharray="5 4"' : ''}/><text x="${L - 6}" y="${c(py(y) + 4)}" text-anchor="end">${y * 100}%</text>`);
  const xStep = tickStep(x1, 8);
  for (let x = 0; x <= x1; x += xStep) out.push(`<text x="${c(px(x))}" y="${H - 8}" text-anchor="middle">${esc(secondsLabel(x))}</text>`);
  const p = s.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.spent));
  if (p.length > 0) {
    const d = p.map((q, j) => `${j === 0 ? 'M' : 'L'}${c(px(q.x))} ${c(py(q.spent))}`).join(' ');
    const spent = p[p.length - 1].spent;
    out.push(`<path class="series" data-points="${p.length}" d="${d}" fill="none" stroke="${spent > 1 ? '#c0392b' : '#2b6cb0'}" stroke-width="2"/>`);
  }
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#9aa3b2"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#9aa3b2"/></svg>`);
  return `<figure>${out.join('')}<figcaption>${esc(s.note)}</figcaption></figure>`;
}

/** Detection and recovery per drill: a bar per time, its limit as a tick; a time never seen fills to the limit, hatched in red. */
function barsSvg(s: Extract<HtmlSection, { kind: 'bars' }>): string {
  const W = 960;
  const row = 26;
  const L = 300;
  const R = 150;
  const H = s.rows.length * row + 30;
  const max = Math.max(1, ...s.rows.flatMap((r) => [r.limitMs * 1.15, Number.isFinite(r.ms ?? NaN) ? r.ms! * 1.05 : 0]));
  const px = (ms: number) => L + (ms / max) * (W - L - R);
  const out: string[] = [`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(s.title)}" class="chart bars">`];
  s.rows.forEach((r, i) => {
    const y = 8 + i * row;
    const seen = r.ms !== undefined && Number.isFinite(r.ms);
    const color = r.met === false ? '#c0392b' : r.met === true ? '#1f8a4c' : '#9aa3b2';
    out.push(`<text x="${L - 8}" y="${y + 14}" text-anchor="end">${esc(fit(r.label, L - 12))}</text>`);
    out.push(`<rect class="bar" x="${L}" y="${y + 3}" width="${c(Math.max(2, px(seen ? r.ms! : r.limitMs) - L))}" height="${row - 10}" fill="${color}" fill-opacity="${seen ? 0.85 : 0.25}"><title>${esc(r.text)}</title></rect>`);
    out.push(`<line x1="${c(px(r.limitMs))}" x2="${c(px(r.limitMs))}" y1="${y}" y2="${y + row - 4}" stroke="#1d2330" stroke-width="2"/>`);
    const at = px(Math.max(r.limitMs, seen ? r.ms! : 0)) + 8;
    out.push(`<text x="${c(at)}" y="${y + 14}">${esc(fit(r.text, W - at))}</text>`);
  });
  const xStep = tickStep(max, 6);
  for (let x = 0; x <= max; x += xStep) out.push(`<text x="${c(px(x))}" y="${H - 6}" text-anchor="middle">${esc(secondsLabel(x))}</text>`);
  out.push('</svg>');
  return `<figure>${out.join('')}<figcaption>${esc(s.note ?? 'bar: the measured time; black tick: the limit the contract sets')}</figcaption></figure>`;
}

function sectionHtml(s: HtmlSection): string {
  const head = `<h2>${esc(s.title)}</h2>`;
  switch (s.kind) {
    case 'cards':
      return `<section>${head}<div class="cards">${s.cards
        .map((k) => `<div class="card v-${esc(k.verdict)}"><h3><span>${esc(k.title)}</span><span class="tag v-${esc(k.verdict)}">${esc(k.verdict.toUpperCase())}</span></h3>${k.facts.length ? `<dl>${k.facts.map(([a, b]) => `<dt class="k">${esc(a)}</dt><dd>${esc(b)}</dd>`).join('')}</dl>` : ''}${k.lines.map((l) => `<p>${esc(l)}</p>`).join('')}</div>`)
        .join('')}</div></section>`;
    case 'timeline':
      return `<section>${head}${timelineSvg(s)}</section>`;
    case 'budget':
      return `<section>${head}${budgetSvg(s)}</section>`;
    case 'bars':
      return `<section>${head}${barsSvg(s)}</section>`;
    case 'table':
      return `<section>${head}<table><thead><tr>${s.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${s.rows
        .map((r) => `<tr>${r.map((cell, i) => `<td${s.numeric?.includes(i) ? ' class="n"' : ''}>${esc(cell)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>${s.note ? `<p class="note">${esc(s.note)}</p>` : ''}</section>`;
    case 'text':
      return `<section>${head}${s.lines.map((l) => `<p>${esc(l)}</p>`).join('')}</section>`;
  }
}

/** The page. `default-src 'none'` with inline styles allowed: the browser itself refuses any fetch a future change might add. */
export function renderHtml(m: HtmlReportModel): string {
  const v = m.verdict;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(`${m.title}: ${v.label}`)}</title>`,
    `<style>${CSS}</style></head><body><main>`,
    `<h1>${esc(m.title)}</h1>`,
    ...m.subtitle.map((l) => `<p class="sub">${esc(l)}</p>`),
    `<div class="banner o-${esc(v.outcome)}" id="verdict"><b>${esc(v.label)}</b>${v.reasons.length ? `<ul>${v.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : ''}</div>`,
    ...m.sections.map(sectionHtml),
    `<footer>${m.footer.map((l) => `<div>${esc(l)}</div>`).join('')}</footer>`,
    '</main></body></html>',
    '',
  ].join('\n');
}
