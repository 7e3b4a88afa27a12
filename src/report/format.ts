// Words and numbers the gate's renderers (table, Markdown, JUnit) share, so the three say the same
// thing. Values go through format.ts, the same rounding the verdicts' reasons use.
import { formatDuration } from '../contract/units.ts';
import { num } from '../evaluate/report.ts';
import type { GeneratorHealth } from '../measure/types.ts';
import { formatBound, formatValue, formatVerdictValue, lowestBucketBound } from '../verdicts/format.ts';
import { LAG_NOTE_PREFIX } from '../verdicts/generator-lag.ts';
import type { GateOutcome, GateReport, MetricComparison, ObjectiveVerdict, RouteNumbers, RouteReport, Unit, Verdict } from '../verdicts/types.ts';
import { targetText } from './target.ts';

const sig = (x: number, digits = 4) => num(+x.toPrecision(digits));

/**
 * A verdict's value (client, service, measured), or "-" when the view does not exist (NaN, a view
 * that could not be measured, is n/a); a weighted success below 0% reads "0% (weighted errors
 * 1.12× the requests)" (formatVerdictValue).
 */
export function verdictCell(v: Pick<ObjectiveVerdict, 'contract' | 'unit'>, x: number | undefined): string {
  return x === undefined ? '-' : formatVerdictValue(v, x);
}

/**
 * The SERVICE cell: a percentile inside the service histogram's lowest bucket reads as that bucket,
 * "≤ 5 ms", as the route table prints it (percentileCell): histogram_quantile's value there is
 * interpolated from 0 and says nothing, and beside the client's exact "1.3 ms" a "2.7 ms" read as a
 * disagreement. JSON keeps the value and `serviceBucket`.
 */
export function serviceCell(v: Pick<ObjectiveVerdict, 'contract' | 'unit' | 'service' | 'serviceBucket'>): string {
  const lowest = lowestBucketBound(v.serviceBucket);
  if (lowest !== undefined && Number.isFinite(v.service ?? NaN)) return `≤ ${formatBound(lowest)}`;
  return verdictCell(v, v.service);
}

/** The MEASURED cell: the client's value, else the service's as its SERVICE cell says it. */
export function measuredCell(v: Pick<ObjectiveVerdict, 'contract' | 'unit' | 'client' | 'service' | 'serviceBucket' | 'measured'>): string {
  return !Number.isFinite(v.client ?? NaN) && v.measured === v.service ? serviceCell(v) : verdictCell(v, v.measured);
}

/** "<= 250 ms", ">= 99.9%"; a peak judged at two levels: "warn 150, critical 250"; "-" when there is no objective (a section the gate does not judge). */
export function formatObjective(v: Pick<ObjectiveVerdict, 'objective' | 'unit' | 'direction' | 'thresholds'>): string {
  if (v.thresholds) return `warn ${formatValue(v.thresholds.warn, v.unit)}, critical ${formatValue(v.thresholds.critical, v.unit)}`;
  if (Number.isNaN(v.objective)) return '-';
  return `${v.direction === 'lower-is-better' ? '<=' : '>='} ${formatValue(v.objective, v.unit)}`;
}

/** Signed headroom; a ratio's headroom is a difference, so it reads in percentage points. */
export function formatMargin(v: Pick<ObjectiveVerdict, 'margin' | 'unit'>): string {
  return signed(v.margin, v.unit === 'ratio' ? 'points' : v.unit);
}

/** "+68 ms", "-52 ms": the magnitude formatted as any value, then the sign. */
export function signed(x: number, unit: Unit): string {
  if (!Number.isFinite(x) || x === 0) return formatValue(x, unit);
  return `${x > 0 ? '+' : '-'}${formatValue(Math.abs(x), unit)}`;
}

export function verdictLabel(v: Verdict): string {
  return v.toUpperCase();
}

export function outcomeLabel(o: GateOutcome): string {
  return o === 'target-failed' ? 'TARGET FAILED' : o === 'usage' ? 'USAGE ERROR' : o.toUpperCase();
}

/** "FAIL (exit 1)". */
export function outcomeHead(r: GateReport): string {
  return `${outcomeLabel(r.outcome)} (exit ${r.exitCode})`;
}

/**
 * The reasons that decided the outcome; a pass has none, and says "every objective met" only when
 * it has no notes either (a pass beside a route one view never saw must not read that way). The
 * notes (`r.notes`) are shown apart, after the reasons.
 */
export function outcomeReasons(r: GateReport): string[] {
  if (r.reasons.length > 0) return r.reasons;
  return r.outcome === 'pass' && r.notes.length === 0 ? ['every objective met'] : [];
}

/** "200/s for 30s in 3 trials after a 5s warm-up, 64 connections, 1 worker". */
export function profileLine(r: GateReport): string {
  const p = r.profile;
  const rate = p.rate === 'max' ? 'max rate (closed model)' : `${sig(p.rate)}/s`;
  const trials = p.trials > 1 ? ` in ${p.trials} trials` : '';
  const warm = p.warmupMs > 0 ? ` after a ${formatDuration(p.warmupMs)} warm-up` : '';
  const n = (x: number, what: string) => `${x} ${what}${x === 1 ? '' : 's'}`;
  return `${rate} for ${formatDuration(p.durationMs)}${trials}${warm}, ${n(p.connections, 'connection')}, ${n(p.workers, 'worker')}`;
}

/** "checkout (slo.yaml): started `npm run example` at http://127.0.0.1:8080" (src/report/target.ts). */
export function targetLine(r: GateReport): string {
  return `${r.service} (${r.contractFile}): ${targetText(r.target)}`;
}

export function metricLabel(m: MetricComparison['metric']): string {
  return m === 'p95' ? 'p95' : m === 'errorRatio' ? 'error ratio' : 'memory per request';
}

/** A baseline metric's change: "+20%" relative, or "+0.1 pt" absolute for the error ratio. */
export function formatChange(c: Pick<MetricComparison, 'metric' | 'change' | 'baselineMedian' | 'currentMedian'>): string {
  if (c.metric === 'errorRatio') return signed(c.change, 'points');
  // Memory's change is in bytes: a percentage of a median near zero (or of the floor) says nothing.
  if (c.metric === 'memoryPerRequest') return Number.isFinite(c.currentMedian - c.baselineMedian) ? signed(c.currentMedian - c.baselineMedian, 'bytes') : 'n/a';
  if (!Number.isFinite(c.change)) return 'n/a';
  const p = +(c.change * 100).toPrecision(3);
  return `${p > 0 ? '+' : ''}${num(p)}%`;
}

export function formatTolerance(c: Pick<MetricComparison, 'metric' | 'tolerance' | 'allowance'>): string {
  if (c.metric === 'memoryPerRequest' && c.allowance !== undefined) return `+${formatValue(c.allowance, 'bytes')}`;
  return c.metric === 'errorRatio' ? signed(c.tolerance, 'points') : `+${num(+(c.tolerance * 100).toPrecision(3))}%`;
}

export function formatP(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  if (p < 0.001) return '<0.001';
  return String(+p.toPrecision(2));
}

/** "Mann-Whitney U p=0.004 (alpha 0.05)". */
export function formatTest(c: Pick<MetricComparison, 'test' | 'pValue' | 'alpha'>): string {
  return `${c.test} p=${formatP(c.pValue)} (alpha ${c.alpha})`;
}

/** The verdicts and baseline comparisons the generator's lag withdrew ("latency api-latency p99"), by their LAG_NOTE_PREFIX. */
export function lagWithdrawnNames(r: Pick<GateReport, 'verdicts' | 'baseline'>): string[] {
  const lagged = (reason: string) => reason.startsWith(LAG_NOTE_PREFIX);
  return [
    ...r.verdicts.filter((v) => lagged(v.reason)).map((v) => `${v.contract} ${v.name}`),
    ...(r.baseline?.comparisons ?? []).filter((c) => lagged(c.reason)).map((c) => `regression ${c.metric}`),
  ];
}

/**
 * The generator's check on itself in one line of facts; its reasons (when it fell short) are listed
 * apart. Given the report's verdicts, a self-check that passed while its lag withdrew some of them
 * says LAGGED and what, never a plain OK.
 */
export function generatorLine(g: GeneratorHealth, r?: Pick<GateReport, 'verdicts' | 'baseline'>): string {
  const rate = g.requestedRate === null ? `${sig(g.achievedRate)}/s (max)` : `${sig(g.achievedRate)}/s of ${sig(g.requestedRate)}/s`;
  const facts =
    `achieved ${rate}, ${num(g.lateSends)} late sends (> ${sig(g.lateThresholdMs)} ms, worst ${sig(g.maxLagMs)} ms), ` +
    `${num(g.droppedSends)} dropped, event-loop p99 ${sig(g.eventLoopDelayP99Ms)} ms, CPU ${num(Math.round(g.cpu * 100))}% of a core, ` +
    `${g.workers} worker${g.workers === 1 ? '' : 's'}`;
  // Requests that queued in the generator for a connection: their latency holds that wait (connection-queue.ts).
  const w = g.connectionWaits;
  const waits = w ? `; ${num(w.waited)} waited over ${sig(w.waitMs)} ms for one of ${num(w.connections)} connections` : '';
  const withdrew = r ? lagWithdrawnNames(r) : [];
  const status = !g.ok ? 'FELL SHORT' : withdrew.length > 0 ? 'LAGGED' : 'OK';
  const what = withdrew.length > 0 ? `; its lag withdrew ${withdrew.join(', ')} (not judged)` : '';
  return `${status}: ${facts}${waits}${what}`;
}

/**
 * Below the generator line: why its late sends do not void a pass (latency counts from the intended
 * send time), and which verdicts its lag withdrew (src/verdicts/generator-lag.ts marks them).
 */
export function generatorLagLines(r: Pick<GateReport, 'generator' | 'verdicts' | 'baseline'>): string[] {
  if (!r.generator || r.generator.lateSends === 0) return [];
  const out = ['latency counts from each request\'s intended send time, so late sends can only make the service look slower: a pass despite them stands'];
  const names = lagWithdrawnNames(r);
  if (names.length > 0) out.push(`withdrawn (failed, but the generator's lag could have caused it): ${names.join(', ')}`);
  return out;
}

/** What was measured against what, as one line of detail. */
export function verdictDetail(v: ObjectiveVerdict): string {
  const views: string[] = [];
  if (v.client !== undefined) views.push(`client ${formatVerdictValue(v, v.client)}`);
  if (v.service !== undefined) views.push(`service ${serviceCell(v)}`);
  const both = views.length > 0 ? ` (${views.join(', ')})` : '';
  return `measured ${measuredCell(v)}${both}, objective ${formatObjective(v)}, margin ${formatMargin(v)}`;
}

/** What the baseline comparison found, as one line of detail. */
export function comparisonDetail(c: MetricComparison): string {
  const list = (xs: number[]) => xs.map((x) => formatValue(x, c.unit)).join(', ');
  return (
    `median ${formatValue(c.currentMedian, c.unit)} vs baseline ${formatValue(c.baselineMedian, c.unit)} ` +
    `(${formatChange(c)}, tolerance ${formatTolerance(c)}); ${formatTest(c)}; trials [${list(c.current)}], baseline trials [${list(c.baseline)}]`
  );
}

/** "2026-11-25 05:11:51 UTC". */
export function isoTime(t: number): string {
  return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** `\u0007`-style text for a code point that must not reach the output raw. */
export function visibleEscape(c: string): string {
  return `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;
}

/**
 * Text safe for a terminal: control characters (escape sequences could recolor, move the cursor
 * or retitle the window) shown as \u001b; newlines kept only when `multiline`.
 */
export function printable(s: string, multiline = false): string {
  const re = multiline ? /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g : /[\u0000-\u001f\u007f-\u009f]/g;
  return s.replace(re, visibleEscape);
}

/** The per-route table's columns (table and Markdown). */
export const ROUTE_HEAD = ['ROUTE', 'VIEW', 'REQUESTS', 'P50', 'P95', 'P99', 'WITHIN THRESHOLD', 'ERRORS', 'ERRORS BY CLASS', '404/UNMATCHED', 'FAILS'];

/** A count as the tables show it: whole, with thousands separators. */
function count(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}

/**
 * "server 12, unclassified 215": the error events by class, the requests refused a connection
 * named as such ("connection refused 215 (the service was restarting; class unclassified)",
 * "transient 230 (connection refused 215)"): a refusal is not an answer the class's name describes.
 */
export function classesText(n: RouteNumbers): string {
  return Object.entries(n.errorsByClass).map(([k, v]) => {
    const r = n.refusedByClass?.[k] ?? 0;
    if (!(r > 0)) return `${k} ${count(v)}`;
    const why = n.restarting ? 'the service was restarting' : '';
    if (r >= v) return `connection refused ${count(r)} (${why ? `${why}; ` : ''}class ${k})`;
    return `${k} ${count(v)} (connection refused ${count(r)}${why ? `: ${why}` : ''})`;
  }).join(', ');
}

/** Requests that failed: the error events of the classes that weigh more than 0 (errorsByClass). */
function failedCount(n: RouteNumbers): number {
  return Object.values(n.errorsByClass).reduce((a, b) => a + b, 0);
}

/**
 * The ERRORS cell: the share of requests that failed, then the contract-weighted share the errors
 * objective judges ("31.389%, weighted 78.472%": 113 of 360 failed, all server errors at 2.5). The
 * weighted share alone read like the share that failed (and can pass 100%); the ERRORS BY CLASS
 * cell beside it has the counts.
 */
function errorsCell(n: RouteNumbers): string {
  if (!(n.requests > 0)) return 'n/a';
  const failed = failedCount(n);
  if (failed === 0) return formatValue(0, 'ratio');
  return `${formatValue(failed / n.requests, 'ratio')}, weighted ${formatValue(n.errorRatio, 'ratio')}`;
}

/** "113 failed (31.389%: server 113), weighted by error class 282.5 (78.472%)"; "0 failed". */
function errorsText(n: RouteNumbers): string {
  const failed = failedCount(n);
  if (!(n.requests > 0) || failed === 0) return `${count(failed)} failed`;
  const classes = classesText(n);
  return `${count(failed)} failed (${formatValue(failed / n.requests, 'ratio')}: ${classes}), weighted by error class ${formatValue(n.weightedErrors, 'count')} (${formatValue(n.errorRatio, 'ratio')})`;
}

/**
 * A route's percentile as the tables show it. The service's inside its lowest bucket is printed
 * "≤ 5 ms": histogram_quantile interpolates from 0 there, which says nothing (a client p50 of
 * 0.83 ms beside a service "2.5 ms" would read as a disagreement that is not there).
 */
function percentileCell(n: RouteNumbers, ms: number): string {
  if (n.lowestBucketMs !== undefined && Number.isFinite(ms) && ms <= n.lowestBucketMs) return `≤ ${formatBound(n.lowestBucketMs)}`;
  return formatValue(ms, 'ms');
}

/** One line of numbers per route and view: client first, then the service's estimate. */
export function routeRows(routes: readonly RouteReport[]): string[][] {
  const rows: string[][] = [];
  for (const r of routes) {
    const views: Array<['client' | 'service', RouteNumbers]> = [];
    if (r.client) views.push(['client', r.client]);
    if (r.service) views.push(['service', r.service]);
    views.forEach(([view, n], i) => {
      const within = r.thresholdMs === undefined ? '-' : `${formatValue(n.withinThreshold, 'ratio')} <= ${formatValue(r.thresholdMs, 'ms')}`;
      const classes = classesText(n);
      rows.push([
        i === 0 ? r.route : '',
        view,
        count(n.requests),
        percentileCell(n, n.p50),
        percentileCell(n, n.p95),
        percentileCell(n, n.p99),
        within,
        errorsCell(n),
        classes === '' ? '-' : classes,
        count(n.notFound),
        i === 0 && r.causes.length > 0 ? r.causes.join(', ') : '-',
      ]);
    });
  }
  return rows;
}

/** One route's numbers in a line: "client: 1,200 requests, p50 ..., p95 ..., 84% within 100 ms, 12 failed (1%: server 12), weighted ..., ...". */
export function routeDetail(r: RouteReport): string {
  const one = (view: string, n: RouteNumbers) => {
    const within = r.thresholdMs === undefined ? '' : `, ${formatValue(n.withinThreshold, 'ratio')} within ${formatValue(r.thresholdMs, 'ms')}`;
    return `${view}: ${count(n.requests)} requests, p50 ${percentileCell(n, n.p50)}, p95 ${percentileCell(n, n.p95)}, p99 ${percentileCell(n, n.p99)}${within}, ${errorsText(n)}, ${count(n.notFound)} 404/unmatched`;
  };
  return [r.client ? one('client', r.client) : '', r.service ? one('service', r.service) : ''].filter(Boolean).join('; ');
}
