// vegeta's results as a LoadResult, so a team already on vegeta can gate with sloctl.
//
// Two inputs:
// - Results, one JSON object per request (`vegeta encode --to json`, or `vegeta attack | vegeta
//   encode`): {attack, seq, code, timestamp, latency (ns), bytes_out, bytes_in, error, body,
//   method, url, headers}. Older vegeta leaves out method, url and headers. Every request is
//   here, so the result has per-route HDR histograms like sloctl's own.
// - The aggregate report (`vegeta report -type=json`): latencies {total, mean, 50th, 90th, 95th,
//   99th, max, min} in ns (90th and min only in newer vegeta), status_codes, requests, rate,
//   throughput, success, errors (distinct messages), earliest/latest/end, duration and wait (ns).
//   Only the summary exists: no histograms, no routes.
//
// vegeta is an open-model generator: its pacer sends on schedule whether or not earlier answers
// came back, and `timestamp` is the time a request was actually sent. When vegeta keeps up, that
// is the intended time, so corrected latency equals service time here. When it falls behind
// (its report's rate below the -rate asked for, or -max-workers reached) the schedule slipped,
// and the queueing that caused it is not in these numbers; the notes say so.
import { EOF_BEFORE_RESPONSE, EOF_MID_RESPONSE } from './failure-kinds.ts';
import { Histogram } from '../measure/histogram.ts';
import { importError, parseRfc3339, shown } from './import-error.ts';
import type { LatencySummary, LoadResult, RouteResult } from './types.ts';

/** Routes beyond this many go into one "other" row: a result file must not grow without bound because paths carry ids. */
export const MAX_ROUTES = 50;
const OTHER_ROUTE = 'other';
/** The route name when vegeta recorded neither method nor URL (versions before 12.8). */
const ALL_ROUTE = 'all requests';

/**
 * Failure kinds from Go's net/http error texts, named like Node's error codes so sloctl's own
 * results and imported ones classify the same way (the contract's error classes match codes).
 */
const GO_ERRORS: Array<[RegExp, string]> = [
  [/Client\.Timeout|deadline exceeded|timeout|timed out/i, 'timeout'],
  [/connection refused/i, 'ECONNREFUSED'],
  [/connection reset/i, 'ECONNRESET'],
  [/broken pipe/i, 'EPIPE'],
  [/no such host/i, 'ENOTFOUND'],
  [/no route to host/i, 'EHOSTUNREACH'],
  [/network is unreachable/i, 'ENETUNREACH'],
  [/too many open files/i, 'EMFILE'],
  // The server closed the connection (a clean close, not a reset): in the middle of a response
  // (Go's "unexpected EOF"), or before answering ("EOF", "server closed idle connection").
  [/unexpected EOF/i, EOF_MID_RESPONSE],
  [/\bEOF\b|server closed/i, EOF_BEFORE_RESPONSE],
];

/** The failure kind of a Go error text: a Node-style code, "timeout", or "other". */
export function goErrorKind(message: string): string {
  for (const [re, kind] of GO_ERRORS) if (re.test(message)) return kind;
  return 'other';
}

const NS_PER_US = 1000;
const NS_PER_MS = 1e6;

interface RouteAcc {
  name: string;
  sent: number;
  completed: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  hist: Histogram;
}

function newRoute(name: string): RouteAcc {
  return { name, sent: 0, completed: 0, statuses: {}, errors: {}, hist: new Histogram() };
}

function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

/** "GET /products/12" from a result's method and URL (the query is left out: it rarely names a route). */
function routeName(method: unknown, url: unknown, attack: unknown): { name: string; origin?: string } {
  if (typeof url === 'string' && url !== '') {
    const m = typeof method === 'string' && method !== '' ? method.toUpperCase() : 'GET';
    try {
      const u = new URL(url);
      return { name: `${m} ${u.pathname}`, origin: u.origin };
    } catch {
      return { name: `${m} ${url}` };
    }
  }
  return { name: typeof attack === 'string' && attack !== '' ? attack : ALL_ROUTE };
}

function errorsTotal(r: { statuses: Record<string, number>; errors: Record<string, number> }): number {
  let n = 0;
  for (const [code, c] of Object.entries(r.statuses)) if (Number(code) >= 400) n += c;
  for (const c of Object.values(r.errors)) n += c;
  return n;
}

function routeResult(acc: RouteAcc): RouteResult {
  const json = acc.hist.toJSON();
  const summary = acc.hist.summary();
  return {
    name: acc.name,
    sent: acc.sent,
    completed: acc.completed,
    statuses: acc.statuses,
    errors: acc.errors,
    latency: summary,
    serviceTime: { ...summary },
    histogram: json,
    serviceHistogram: { ...json, counts: json.counts.map(([i, c]) => [i, c] as [number, number]) },
  };
}

/**
 * The length of the send phase, as sloctl's own results count it (throughput is answers over it):
 * n sends spaced evenly over `spanMs` from first to last take n intervals, so the span times
 * n / (n - 1). A single send has no spacing: first send to last answer.
 */
function sendPhaseMs(n: number, spanMs: number, firstToLastAnswerMs: number): number {
  if (n > 1 && spanMs > 0) return (spanMs * n) / (n - 1);
  return Math.max(firstToLastAnswerMs, 0);
}

const CORRECTED_NOTE =
  'vegeta measures latency from the actual send and sends on schedule (open model), so corrected latency equals service time here; if vegeta fell behind its -rate (see its report, or -max-workers), the queueing behind that is not in these numbers';

/** Parses `vegeta encode --to json` output (one result per line) into a LoadResult. `file` names the file in errors. */
export function fromVegetaLines(text: string, file: string): LoadResult {
  const routes = new Map<string, RouteAcc>();
  const other = newRoute(OTHER_ROUTE);
  const total = new Histogram();
  const origins = new Set<string>();
  const unknownErrors = new Set<string>();
  let sent = 0;
  let earliest = Infinity;
  let latest = -Infinity;
  let end = -Infinity;
  let droppedRoutes = 0;

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    const at = i + 1;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(raw) as Record<string, unknown>;
    } catch (e) {
      throw importError(file, `not JSON: ${(e as Error).message} (each line of vegeta's JSON output is one result object)`, at);
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw importError(file, `expected a vegeta result object, got ${shown(r)}`, at);
    const ts = parseRfc3339(r.timestamp);
    if (ts === undefined) throw importError(file, `"timestamp" must be an RFC 3339 time like "2024-05-01T12:00:00.123456789Z", got ${shown(r.timestamp)}`, at);
    const latency = r.latency;
    if (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0) {
      throw importError(file, `"latency" must be a non-negative number of nanoseconds, got ${shown(latency)}`, at);
    }
    const code = r.code ?? 0;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 999) {
      throw importError(file, `"code" must be an HTTP status (0 when no response came), got ${shown(r.code)}`, at);
    }
    if (r.error !== undefined && r.error !== null && typeof r.error !== 'string') throw importError(file, `"error" must be a string, got ${shown(r.error)}`, at);

    const { name, origin } = routeName(r.method, r.url, r.attack);
    if (origin) origins.add(origin);
    let route = routes.get(name);
    if (!route) {
      if (routes.size < MAX_ROUTES) {
        route = newRoute(name);
        routes.set(name, route);
      } else {
        route = other;
        droppedRoutes++;
      }
    }

    sent++;
    route.sent++;
    earliest = Math.min(earliest, ts);
    latest = Math.max(latest, ts);
    end = Math.max(end, ts + latency / NS_PER_MS);
    const us = latency / NS_PER_US;
    if (code !== 0) {
      // A response, whatever its status; vegeta also fills `error` with the status text for codes outside 200-399.
      route.completed++;
      bump(route.statuses, String(code));
      route.hist.record(us);
      total.record(us);
    } else {
      const message = typeof r.error === 'string' ? r.error : '';
      const kind = message === '' ? 'other' : goErrorKind(message);
      if (kind === 'other' && message !== '' && unknownErrors.size < 5) unknownErrors.add(message);
      // Like sloctl's own runs, histograms hold answered requests only: failures are counted by kind.
      bump(route.errors, kind);
    }
  }
  if (sent === 0) throw importError(file, 'no results: the file is empty (was the attack run, and its output encoded with `vegeta encode --to json`?)');

  const rows = [...routes.values()];
  if (other.sent > 0) rows.push(other);
  const routeResults = rows.map(routeResult);
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let completed = 0;
  for (const r of rows) {
    completed += r.completed;
    for (const [k, n] of Object.entries(r.statuses)) bump(statuses, k, n);
    for (const [k, n] of Object.entries(r.errors)) bump(errors, k, n);
  }
  const durationMs = sendPhaseMs(sent, latest - earliest, end - earliest);
  const summary = total.summary();
  const originList = [...origins];
  const notes = [CORRECTED_NOTE];
  if (sent > 1 && latest > earliest) {
    const rate = (sent - 1) / ((latest - earliest) / 1000);
    notes.push(`sends: ${sent} over ${((latest - earliest) / 1000).toFixed(3)}s, about ${+rate.toPrecision(4)}/s; vegeta does not record the rate it was asked for, so compare this with your -rate`);
  }
  if (end - earliest > durationMs + 1000) notes.push(`the last answer came ${((end - earliest - durationMs) / 1000).toFixed(1)}s after the send phase ended (vegeta's "wait")`);
  if (originList.length > 1) notes.push(`requests went to ${originList.length} origins (${originList.slice(0, 3).join(', ')}${originList.length > 3 ? ', ...' : ''}); url shows the first`);
  if (originList.length === 0) notes.push('the results carry no URL (vegeta before 12.8 does not record it)');
  if (droppedRoutes > 0) notes.push(`more than ${MAX_ROUTES} distinct method+path pairs: ${droppedRoutes} results are in the "${OTHER_ROUTE}" route (paths with ids? sloctl's own runs name routes by template)`);
  if (unknownErrors.size > 0) notes.push(`failures counted as "other": ${[...unknownErrors].map((m) => JSON.stringify(m)).join('; ')}`);
  return {
    source: 'vegeta',
    url: originList[0] ?? '',
    model: 'open',
    startedAt: earliest,
    durationMs,
    sent,
    completed,
    errors: errorsTotal({ statuses, errors }),
    timeouts: errors.timeout ?? 0,
    throughput: durationMs > 0 ? completed / (durationMs / 1000) : 0,
    latency: summary,
    serviceTime: { ...summary },
    statuses,
    routes: routeResults,
    notes,
  };
}

/** The fields of a LatencySummary a vegeta report gives, by its key; the rest are absent. */
const REPORT_LATENCIES: Array<[keyof LatencySummary & string, string]> = [
  ['min', 'min'],
  ['mean', 'mean'],
  ['max', 'max'],
  ['p50', '50th'],
  ['p90', '90th'],
  ['p95', '95th'],
  ['p99', '99th'],
];

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** True when `doc` looks like `vegeta report -type=json` output. */
export function isVegetaReport(doc: Record<string, unknown>): boolean {
  return typeof doc.latencies === 'object' && doc.latencies !== null && 'requests' in doc && 'status_codes' in doc;
}

/** Parses `vegeta report -type=json` output into a LoadResult with the summary only (no histograms, one "all requests" route). */
export function fromVegetaReport(doc: Record<string, unknown>, file: string): LoadResult {
  const requests = num(doc.requests);
  if (requests === undefined || !Number.isInteger(requests) || requests < 0) throw importError(file, `"requests" must be a whole number, got ${shown(doc.requests)}`);
  const lat = doc.latencies as Record<string, unknown>;
  const codes = doc.status_codes;
  if (codes === null || typeof codes !== 'object' || Array.isArray(codes)) throw importError(file, `"status_codes" must be an object of status -> count, got ${shown(codes)}`);

  const latency: LatencySummary = { count: requests, min: 0, mean: 0, stdev: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const absent: NonNullable<LatencySummary['absent']> = ['stdev', 'p999'];
  for (const [field, key] of REPORT_LATENCIES) {
    const v = lat[key];
    if (v === undefined) {
      absent.push(field as (typeof absent)[number]);
      continue;
    }
    const n = num(v);
    if (n === undefined || n < 0) throw importError(file, `"latencies.${key}" must be a non-negative number of nanoseconds, got ${shown(v)}`);
    (latency[field] as number) = n / NS_PER_MS;
  }
  latency.absent = absent;

  const statuses: Record<string, number> = {};
  let noResponse = 0;
  for (const [code, v] of Object.entries(codes as Record<string, unknown>)) {
    const n = num(v);
    if (n === undefined || !Number.isInteger(n) || n < 0) throw importError(file, `"status_codes.${code}" must be a whole number, got ${shown(v)}`);
    if (!/^\d{1,3}$/.test(code)) throw importError(file, `"status_codes" key ${JSON.stringify(code)} is not an HTTP status`);
    if (code === '0') noResponse += n;
    else bump(statuses, code, n);
  }
  // The report keeps distinct error messages, not counts per message: when they all name one
  // kind the count is exact, otherwise the failures are filed under "other" and listed.
  const messages = Array.isArray(doc.errors) ? doc.errors.filter((e): e is string => typeof e === 'string') : [];
  const noResponseKinds = new Set(messages.map(goErrorKind).filter((k) => k !== 'other'));
  const errors: Record<string, number> = {};
  if (noResponse > 0) bump(errors, noResponseKinds.size === 1 ? [...noResponseKinds][0] : 'other', noResponse);

  const earliest = parseRfc3339(doc.earliest);
  const attackMs = (num(doc.duration) ?? 0) / NS_PER_MS;
  const waitMs = (num(doc.wait) ?? 0) / NS_PER_MS;
  const durationMs = sendPhaseMs(requests, attackMs, attackMs + waitMs);
  const completed = requests - noResponse;
  const notes = [
    'from vegeta\'s aggregate report: no per-request data, so no histograms (they are empty) and no routes beyond "all requests"; for those, import the results themselves (`vegeta encode --to json`)',
    `not in vegeta's report: ${absent.join(', ')} (reported as 0, marked absent)`,
    CORRECTED_NOTE,
  ];
  const rate = num(doc.rate);
  if (rate !== undefined) notes.push(`vegeta's send rate: ${+rate.toPrecision(6)}/s; compare it with the -rate you asked for`);
  if (waitMs > 1000) notes.push(`the last answer came ${(waitMs / 1000).toFixed(1)}s after the send phase ended (vegeta's "wait")`);
  if (noResponse > 0 && noResponseKinds.size !== 1 && messages.length > 0) {
    notes.push(`${noResponse} requests got no response; vegeta lists the distinct errors but not their counts: ${messages.slice(0, 5).map((m) => JSON.stringify(m)).join('; ')}`);
  }
  const empty = new Histogram().toJSON();
  const route: RouteResult = {
    name: ALL_ROUTE,
    sent: requests,
    completed,
    statuses,
    errors,
    latency,
    serviceTime: { ...latency, absent: [...absent] },
    histogram: empty,
    serviceHistogram: { ...empty, counts: [] },
  };
  return {
    source: 'vegeta',
    url: '',
    model: 'open',
    startedAt: earliest ?? 0,
    durationMs,
    sent: requests,
    completed,
    errors: errorsTotal({ statuses, errors }),
    timeouts: errors.timeout ?? 0,
    throughput: durationMs > 0 ? completed / (durationMs / 1000) : 0,
    latency: { ...latency, absent: [...absent] },
    serviceTime: { ...latency, absent: [...absent] },
    statuses,
    routes: [route],
    notes: earliest === undefined ? [...notes, 'the report has no "earliest" time: startedAt is 0'] : notes,
  };
}
