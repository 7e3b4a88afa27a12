// A LoadResult as the terminal table `sloctl load` prints: what was asked and achieved, latency
// percentiles (corrected and service time), statuses and failures, the routes when there are
// several, the generator's check on itself, and the notes (what an import could not carry over).
import { formatElapsed } from '../contract/units.ts';
import type { GeneratorHealth, LatencySummary, LoadResult } from './types.ts';

export interface LoadTableOptions {
  /** The first line; default: who measured what, from the result itself. */
  title?: string;
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function perSecond(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return `${n >= 100 ? int(n) : String(+n.toPrecision(4))}/s`;
}

/** Milliseconds with 3 significant digits (1,204 for seconds-long values). */
function millis(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 1000 ? int(v) : String(+v.toPrecision(3));
}

function percent(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (part / whole) * 100;
  return `${p === 0 || p >= 10 ? +p.toFixed(1) : +p.toPrecision(2)}%`;
}

function iso(t: number): string {
  return new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** "200 × 29,986, 503 × 4" in key order. */
function counts(m: Record<string, number>): string {
  const entries = Object.entries(m).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} × ${int(n)}`).join(', ');
}

const LATENCY_COLUMNS: Array<[string, keyof LatencySummary & NonNullable<LatencySummary['absent']>[number]]> = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p95', 'p95'],
  ['p99', 'p99'],
  ['p99.9', 'p999'],
  ['max', 'max'],
  ['mean', 'mean'],
];

function latencyCells(s: LatencySummary): string[] {
  return LATENCY_COLUMNS.map(([, f]) => (s.absent?.includes(f) ? 'n/a' : s.count === 0 ? '-' : millis(s[f])));
}

/** Left-aligned first column, right-aligned numbers, two spaces between. */
function grid(rows: string[][], indent = ''): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
}

function defaultTitle(r: LoadResult): string {
  const where = r.url === '' ? 'target not recorded' : r.url;
  const who = r.source === 'sloctl' ? 'sloctl load' : `${r.source} result`;
  const when = r.startedAt > 0 ? ` from ${iso(r.startedAt)}` : '';
  return `${who}: ${where}, ${r.model} model, ${formatElapsed(r.durationMs)}${when}`;
}

function rateLine(r: LoadResult): string {
  const g = r.generator;
  const answered = `answered ${perSecond(r.throughput)}`;
  if (g) {
    const asked = g.requestedRate === null ? 'max (closed model)' : perSecond(g.requestedRate);
    return `asked ${asked}, achieved ${perSecond(g.achievedRate)}, ${answered}`;
  }
  const sentRate = r.durationMs > 0 ? perSecond((r.sent / r.durationMs) * 1000) : 'n/a';
  return `sent ${sentRate}, ${answered}`;
}

function generatorLines(g: GeneratorHealth): string[] {
  const facts = `${int(g.lateSends)} late sends (> ${millis(g.lateThresholdMs)}ms), max lag ${millis(g.maxLagMs)}ms, ${int(g.droppedSends)} dropped, event-loop p99 ${millis(g.eventLoopDelayP99Ms)}ms, CPU ${Math.round(g.cpu * 100)}% of a core, ${g.workers} worker${g.workers === 1 ? '' : 's'}`;
  if (g.ok) return [`generator     OK: ${facts}`];
  return [`generator     FELL SHORT of the profile, so these numbers cannot judge the target: ${facts}`, ...g.reasons.map((x) => `  - ${x}`)];
}

export function renderLoadTable(r: LoadResult, options: LoadTableOptions = {}): string {
  const out: string[] = [options.title ?? defaultTitle(r), ''];
  out.push(`rate          ${rateLine(r)}`);
  out.push(
    `requests      ${int(r.sent)} sent, ${int(r.completed)} answered, ${int(r.errors)} error${r.errors === 1 ? '' : 's'} (${percent(r.errors, r.sent)}), ${int(r.timeouts)} timeout${r.timeouts === 1 ? '' : 's'}`,
  );
  out.push('');
  const header = ['latency (ms)', ...LATENCY_COLUMNS.map(([h]) => h)];
  const sameViews = JSON.stringify(latencyCells(r.latency)) === JSON.stringify(latencyCells(r.serviceTime)) && r.source !== 'sloctl';
  const rows = [header, [sameViews ? 'corrected = service time' : 'corrected', ...latencyCells(r.latency)]];
  if (!sameViews) rows.push(['service time', ...latencyCells(r.serviceTime)]);
  out.push(...grid(rows));
  out.push('');
  const shed = r.routes.reduce((a, route) => a + (route.shed ?? 0), 0);
  out.push(`statuses      ${counts(r.statuses)}${shed > 0 ? ` (${shed} of them shed by the service's limiter: sloctl-shed)` : ''}`);
  const errorKinds: Record<string, number> = {};
  for (const route of r.routes) for (const [k, n] of Object.entries(route.errors)) errorKinds[k] = (errorKinds[k] ?? 0) + n;
  out.push(`no response   ${counts(errorKinds)}`);
  if (r.routes.length > 1) {
    out.push('');
    const routeRows = [['route', 'sent', 'errors', 'p50', 'p95', 'p99', 'max']];
    for (const route of r.routes) {
      const errs = Object.entries(route.statuses).reduce((n, [code, c]) => (Number(code) >= 400 ? n + c : n), 0) + Object.values(route.errors).reduce((a, b) => a + b, 0);
      const cells = latencyCells(route.latency);
      routeRows.push([route.name, int(route.sent), int(errs), cells[0], cells[2], cells[3], cells[5]]);
    }
    out.push(...grid(routeRows));
  }
  if (r.generator) {
    out.push('');
    out.push(...generatorLines(r.generator));
  }
  if (r.notes.length > 0) {
    out.push('', 'notes');
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  return out.join('\n');
}
