// k6's end-of-test summary as a LoadResult, so a team already on k6 can gate with sloctl.
//
// Three shapes of the same numbers, all read here:
// - `k6 run --summary-export FILE` (the legacy export): {root_group, metrics: {name: values}},
//   a trend as {avg, min, med, max, "p(90)", "p(95)", thresholds?: {expr: failed}}, a counter as
//   {count, rate}, a rate metric as {passes, fails, value}.
// - handleSummary's `data` written as JSON: {root_group, options, state: {testRunDurationMs},
//   metrics: {name: {type, contains, values, thresholds?: {expr: {ok}}}}}, a rate as {rate, passes, fails}.
// - k6 v1's `--new-machine-readable-summary` export: {version, metadata: {generatedAt, k6Version},
//   config: {duration (s), execution, script}, results: {metrics: [{name, type, contains, values}],
//   checks}}, a counter as {count}, a rate as {matches, rate, total}.
// Times are milliseconds in all three.
//
// What cannot be known from a summary, and how it is represented:
// - Percentiles k6 did not compute (p99 unless summaryTrendStats asked for it, p99.9, stdev) hold
//   0 and are named in `latency.absent`: a number, never NaN or null, so the JSON stays plain and
//   a consumer that checks `absent` knows not to judge them. The notes say how to get them.
// - No histograms (empty), no routes beyond "all requests", no status counts unless the test had
//   `http_reqs{status:NNN}` sub-metrics (a threshold on them makes k6 report them).
// - No split of failures: k6's http_req_failed counts responses outside expected_response (by
//   default status >= 400) and requests without a response together. They are filed under
//   errors["http_req_failed"], and `completed` counts the requests that did not fail.
// - The model: k6's default executors are closed (a VU waits for its answer before the next
//   request), and its http_req_duration is measured from the actual send, so under a closed model
//   it hides the queueing a slow server causes (coordinated omission); corrected latency is set to
//   the service time and the notes say so. Only the arrival-rate executors are open; the summary
//   does not name the executor, but `dropped_iterations` exists only under them.
import { Histogram } from '../measure/histogram.ts';
import { importError, parseRfc3339, shown } from './import-error.ts';
import type { LatencySummary, LoadResult, RouteResult } from './types.ts';

type Values = Record<string, unknown>;

interface K6Summary {
  shape: 'summary-export' | 'handleSummary' | 'machine-readable';
  values: Map<string, Values>;
  /** Thresholds by metric: expression and whether it held. */
  thresholds: Array<{ metric: string; expr: string; ok: boolean }>;
  durationMs?: number;
  startedAt?: number;
  checks?: { passes: number; fails: number };
}

const ALL_ROUTE = 'all requests';
/** The failure kind of k6's http_req_failed: HTTP errors and failures without a response together. */
export const K6_FAILED_KIND = 'http_req_failed';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** True when `doc` is one of k6's summary shapes. */
export function isK6Summary(doc: Record<string, unknown>): boolean {
  if (isObject(doc.results) && Array.isArray(doc.results.metrics) && 'version' in doc) return true;
  return isObject(doc.metrics) && ('root_group' in doc || 'state' in doc || 'http_reqs' in doc.metrics || 'http_req_duration' in doc.metrics);
}

function normalize(doc: Record<string, unknown>, file: string): K6Summary {
  const values = new Map<string, Values>();
  const thresholds: K6Summary['thresholds'] = [];

  if (isObject(doc.results) && Array.isArray(doc.results.metrics)) {
    const metrics = doc.results.metrics as unknown[];
    metrics.forEach((m, i) => {
      if (!isObject(m) || typeof m.name !== 'string' || !isObject(m.values)) throw importError(file, `results.metrics[${i}] must be {name, type, contains, values}, got ${shown(m)}`);
      const v: Values = { ...m.values };
      // v1 names a rate's counts matches/total; the other shapes passes/fails.
      if (m.type === 'rate' && 'matches' in v) {
        v.passes = v.matches;
        v.fails = (num(v.total) ?? 0) - (num(v.matches) ?? 0);
      }
      values.set(m.name, v);
    });
    const config = isObject(doc.config) ? doc.config : {};
    const seconds = num(config.duration);
    const generated = isObject(doc.metadata) ? parseRfc3339(doc.metadata.generatedAt) : undefined;
    const durationMs = seconds === undefined ? undefined : seconds * 1000;
    return {
      shape: 'machine-readable',
      values,
      thresholds,
      durationMs,
      startedAt: generated !== undefined && durationMs !== undefined ? generated - durationMs : undefined,
    };
  }

  const metrics = doc.metrics as Record<string, unknown>;
  let shape: K6Summary['shape'] = 'summary-export';
  for (const [name, m] of Object.entries(metrics)) {
    if (!isObject(m)) throw importError(file, `metrics.${name} must be an object, got ${shown(m)}`);
    if (isObject(m.values) && typeof m.type === 'string') {
      shape = 'handleSummary';
      const v: Values = { ...m.values };
      values.set(name, v);
      if (isObject(m.thresholds)) {
        for (const [expr, t] of Object.entries(m.thresholds)) thresholds.push({ metric: name, expr, ok: isObject(t) ? t.ok !== false : true });
      }
    } else {
      const v: Values = { ...m };
      // The legacy export writes a rate metric's ratio as `value`, and a threshold as expr -> failed.
      if (isObject(m.thresholds)) {
        for (const [expr, failed] of Object.entries(m.thresholds)) thresholds.push({ metric: name, expr, ok: failed !== true });
        delete v.thresholds;
      }
      values.set(name, v);
    }
  }
  const state = isObject(doc.state) ? doc.state : {};
  let durationMs = num(state.testRunDurationMs);
  if (durationMs === undefined) {
    // The legacy export has no duration: http_reqs' count over its rate gives it back.
    const reqs = values.get('http_reqs');
    const count = num(reqs?.count);
    const rate = num(reqs?.rate);
    if (count !== undefined && rate !== undefined && rate > 0) durationMs = (count / rate) * 1000;
  }
  const checks = values.get('checks');
  return {
    shape,
    values,
    thresholds,
    durationMs,
    checks: checks && num(checks.passes) !== undefined ? { passes: num(checks.passes)!, fails: num(checks.fails) ?? 0 } : undefined,
  };
}

/** k6 trend stats -> LatencySummary fields. */
const TREND_FIELDS: Array<[NonNullable<LatencySummary['absent']>[number], string]> = [
  ['min', 'min'],
  ['mean', 'avg'],
  ['max', 'max'],
  ['p50', 'med'],
  ['p90', 'p(90)'],
  ['p95', 'p(95)'],
  ['p99', 'p(99)'],
  ['p999', 'p(99.9)'],
];

function latencyFrom(trend: Values, count: number, file: string): LatencySummary {
  const out: LatencySummary = { count, min: 0, mean: 0, stdev: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const absent: NonNullable<LatencySummary['absent']> = ['stdev'];
  for (const [field, key] of TREND_FIELDS) {
    let v = trend[key];
    // p(50) is med under another name; some exports only have one of them.
    if (v === undefined && key === 'med') v = trend['p(50)'];
    if (v === undefined) {
      absent.push(field);
      continue;
    }
    const n = num(v);
    if (n === undefined || n < 0) throw importError(file, `http_req_duration ${key} must be a non-negative number of milliseconds, got ${shown(v)}`);
    out[field] = n;
  }
  out.absent = absent;
  return out;
}

/** Parses any of k6's summary shapes into a LoadResult (summary only: see the file comment for what is lost). */
export function fromK6Summary(doc: Record<string, unknown>, file: string): LoadResult {
  const s = normalize(doc, file);
  const duration = s.values.get('http_req_duration');
  const reqs = s.values.get('http_reqs');
  if (!duration || !reqs) {
    throw importError(file, `no ${!duration ? 'http_req_duration' : 'http_reqs'} metric in this k6 summary: did the test make HTTP requests? (sloctl reads k6's HTTP metrics)`);
  }
  const sent = num(reqs.count);
  if (sent === undefined || !Number.isInteger(sent) || sent < 0) throw importError(file, `http_reqs count must be a whole number, got ${shown(reqs.count)}`);
  const failedMetric = s.values.get('http_req_failed');
  const failed = failedMetric ? num(failedMetric.passes) : undefined;

  // Status counts exist only as sub-metrics (`http_reqs{status:200}`), when the test defined them.
  const statuses: Record<string, number> = {};
  let statusTotal = 0;
  for (const [name, v] of s.values) {
    const m = /^http_reqs\{status:"?(\d{1,3})"?\}$/.exec(name);
    const n = num(v.count);
    if (m && n !== undefined && n > 0) {
      statuses[m[1]] = (statuses[m[1]] ?? 0) + n;
      statusTotal += n;
    }
  }
  const notes: string[] = [];
  const errors: Record<string, number> = {};
  let completed: number;
  let errorCount: number;
  if (statusTotal === sent && sent > 0) {
    // Every request has its status: status 0 is k6's "no response".
    const none = statuses['0'] ?? 0;
    delete statuses['0'];
    if (none > 0) errors.other = none;
    completed = sent - none;
    errorCount = none + Object.entries(statuses).reduce((n, [code, c]) => (Number(code) >= 400 ? n + c : n), 0);
    notes.push('statuses from the http_reqs{status:...} sub-metrics; failures without a response are under errors["other"] (k6 does not say why they failed)');
  } else {
    for (const k of Object.keys(statuses)) delete statuses[k];
    completed = sent - (failed ?? 0);
    errorCount = failed ?? 0;
    if (failed && failed > 0) errors[K6_FAILED_KIND] = failed;
    notes.push(
      failed === undefined
        ? 'no http_req_failed metric (k6 before 0.31): failures are unknown and counted as 0'
        : 'k6 reports no status counts and does not split failures: its http_req_failed (by default status >= 400 or no response) are under errors["http_req_failed"], and completed counts the requests that did not fail',
    );
  }

  const latency = latencyFrom(duration, sent, file);
  const missing = latency.absent!.filter((f) => f !== 'stdev');
  notes.push(`not in the k6 summary: ${latency.absent!.join(', ')} (reported as 0, marked absent)${missing.includes('p99') ? '; add p(99) to summaryTrendStats (--summary-trend-stats "avg,min,med,max,p(90),p(95),p(99)") to have it' : ''}`);
  notes.push('k6 summaries have no per-request data: no histograms (they are empty) and no routes beyond "all requests"');

  const dropped = num(s.values.get('dropped_iterations')?.count);
  const model = dropped !== undefined ? 'open' : 'closed';
  if (dropped !== undefined) {
    notes.push(`open model: the summary has dropped_iterations, which only the arrival-rate executors produce; k6 dropped ${dropped} iterations because it ran out of VUs, so it did not deliver its rate (raise preAllocatedVUs / maxVUs)`);
    notes.push('k6 measures from the actual send; under an arrival-rate executor that is close to the schedule, so corrected latency is taken equal to service time');
  } else {
    notes.push(
      'closed model assumed: k6\'s default executors wait for each answer before the next request, and the summary does not name the executor (with constant-arrival-rate and no dropped iterations it was open); corrected latency is set to the service time k6 measured, which under a closed model hides queueing (coordinated omission)',
    );
  }
  for (const t of s.thresholds) if (!t.ok) notes.push(`k6 threshold failed: ${t.metric} ${t.expr}`);
  if (s.checks && s.checks.passes + s.checks.fails > 0) notes.push(`k6 checks: ${s.checks.passes} passed, ${s.checks.fails} failed`);
  const durationMs = s.durationMs ?? 0;
  if (s.durationMs === undefined) notes.push('the summary gives no test duration: durationMs and throughput are 0');
  if (s.startedAt === undefined) notes.push('k6 summaries carry no start time: startedAt is 0');

  const empty = new Histogram().toJSON();
  const route: RouteResult = {
    name: ALL_ROUTE,
    sent,
    completed,
    statuses: { ...statuses },
    errors: { ...errors },
    latency: { ...latency, absent: [...latency.absent!] },
    serviceTime: { ...latency, absent: [...latency.absent!] },
    histogram: empty,
    serviceHistogram: { ...empty, counts: [] },
  };
  return {
    source: 'k6',
    url: '',
    model,
    startedAt: s.startedAt ?? 0,
    durationMs,
    sent,
    completed,
    errors: errorCount,
    timeouts: 0,
    throughput: durationMs > 0 ? completed / (durationMs / 1000) : 0,
    latency,
    serviceTime: { ...latency, absent: [...latency.absent!] },
    statuses,
    routes: [route],
    notes: [...notes, `read from k6's ${s.shape} JSON; k6 has no timeout count (timeouts: 0)`],
  };
}
