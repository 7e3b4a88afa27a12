// Verdicts from both views: synthetic load results and service statuses in, verdicts out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import type { SloStatus } from '../src/evaluate/report.ts';
import { concurrencyReads, observeScrape } from '../src/verdicts/concurrency.ts';
import { formatObjective } from '../src/report/format.ts';
import { caveatReasons, judgeObjectives, type ServiceView } from '../src/verdicts/objectives.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { LoadResult, RouteResult } from '../src/load/types.ts';

const CONTRACT = `
apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: transient, weight: 0.3, status: [503], codes: [ECONNRESET], errors: [TimeoutError] }
  - { name: not-found, weight: 0, status: [404], good: true }
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: buy, method: POST, path: /buy, weight: 5, latency: 300ms }
  - { name: view, method: GET, path: /items/:id, weight: 1 }
objectives:
  latency:
    - name: api
      threshold: 100ms
      objective: 99%
      percentiles: { p50: 50ms, p99: 400ms }
  errors: { objective: 99% }
  throughput: { minimum: 100/s }
  availability: { objective: 99%, weights: { health: 0.5, latency: 0.25, success: 0.25, dependencies: 0 } }
  memory:
    heap: { warn: 100MiB, critical: 200MiB }
    perRequest: 1KiB
slis:
  - { name: custom, good: 'sum(x)', total: 'sum(y)', objective: 90% }
`;

function contract(text = CONTRACT): Contract {
  const r = parseContract(text, 'slo.yaml');
  assert.ok(r.contract, JSON.stringify(r.diagnostics));
  return r.contract;
}

/** A route row whose corrected latencies are `latenciesMs`, all answered with the given statuses. */
function row(name: string, latenciesMs: number[], statuses: Record<string, number>, errors: Record<string, number> = {}): RouteResult {
  const h = new Histogram();
  for (const ms of latenciesMs) h.record(ms * 1000);
  const completed = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { name, sent: completed, completed, statuses, errors, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() };
}

function load(rows: RouteResult[], durationMs = 10_000): LoadResult {
  const all = new Histogram();
  for (const r of rows) all.merge(Histogram.fromJSON(r.histogram));
  const completed = rows.reduce((n, r) => n + r.completed, 0);
  return {
    source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs, sent: completed, completed,
    errors: 0, timeouts: 0, throughput: completed / (durationMs / 1000), latency: all.summary(), serviceTime: all.summary(),
    statuses: {}, routes: rows, notes: [],
  };
}

const noService: ServiceView = { slos: [] };

function byName(vs: ReturnType<typeof judgeObjectives>, name: string) {
  const v = vs.find((x) => x.name === name);
  assert.ok(v, `no verdict named ${name}: ${vs.map((x) => x.name).join(', ')}`);
  return v;
}

test('a healthy run passes every objective it can judge, and skips the custom PromQL SLI', () => {
  const views = { client: load([row('view', Array(2000).fill(10), { 200: 2000 }), row('buy', Array(500).fill(20), { 201: 500 })]), healthUpShare: 1, service: { ...noService, heapMaxBytes: 50 * 2 ** 20, heapGrowthBytes: 1000, requests: 2500 } };
  const vs = judgeObjectives(contract(), views);
  assert.deepEqual(vs.map((v) => [v.name, v.verdict]), [
    ['api', 'pass'], ['api p50', 'pass'], ['api p99', 'pass'], ['errors', 'pass'], ['throughput', 'pass'], ['availability', 'pass'],
    ['heap', 'pass'], ['per-request', 'pass'], ['custom', 'skipped'],
  ]);
  // 2000 view × weight 1 + 500 buy × weight 5 over 10 s.
  assert.equal(byName(vs, 'throughput').measured, 450);
});

test('latency: the route\'s own threshold applies, and a slow share fails with the view named', () => {
  // buy answers in 250 ms: inside its own 300 ms threshold; view has 2% over 100 ms.
  const views = { client: load([row('view', [...Array(990).fill(10), ...Array(10).fill(150)], { 200: 1000 }), row('buy', Array(1000).fill(250), { 200: 1000 })]), service: noService };
  const v = byName(judgeObjectives(contract(), views), 'api');
  assert.equal(v.client, 1990 / 2000);
  assert.equal(v.verdict, 'pass');
  const slow = { client: load([row('view', [...Array(950).fill(10), ...Array(50).fill(150)], { 200: 1000 })]), service: noService };
  const f = byName(judgeObjectives(contract(), slow), 'api');
  assert.equal(f.verdict, 'fail');
  assert.match(f.reason, /the client/);
  assert.ok(f.margin < 0);
});

test('a service view below the objective fails even when the client passes', () => {
  const service: SloStatus = { name: 'api', kind: 'latency', counts: { good: 90, bad: 10, total: 100 }, state: 'failing', percentiles: [], notes: [] } as unknown as SloStatus;
  const views = { client: load([row('view', Array(1000).fill(10), { 200: 1000 })]), service: { slos: [service] } };
  const v = byName(judgeObjectives(contract(), views), 'api');
  assert.equal(v.verdict, 'fail');
  assert.match(v.reason, /the service/);
  assert.equal(v.service, 0.9);
});

test('a failure only the service saw shows the service\'s value and a negative margin, not the passing client\'s', () => {
  // The gate's table printed `MEASURED 100%  REQUIRED >= 99.9%  MARGIN +0.1 pt  FAIL` for an
  // availability the service measured at 92.857%: the client's passing value beside the verdict.
  const service: SloStatus = { name: 'api', kind: 'latency', counts: { good: 90, bad: 10, total: 100 }, state: 'failing', percentiles: [], notes: [] } as unknown as SloStatus;
  const views = { client: load([row('view', Array(1000).fill(10), { 200: 1000 })]), service: { slos: [service] } };
  const v = byName(judgeObjectives(contract(), views), 'api');
  assert.equal(v.verdict, 'fail');
  assert.equal(v.client, 1);
  assert.equal(v.measured, 0.9);
  assert.ok(Math.abs(v.margin - (0.9 - 0.99)) < 1e-9, `margin ${v.margin}`);
});

test('latency: requests without an answer are named as such in the route\'s cause, not as requests over the threshold', () => {
  // A service stopped mid-gate: the cause read "p95 9.1 ms, 57.322% within 100 ms (102 of 239
  // requests over it)" for 102 connections refused, none of them slow.
  const refused = { client: load([row('view', Array(900).fill(10), { 200: 900 }, { ECONNREFUSED: 100 })]), service: noService };
  const v = byName(judgeObjectives(contract(), refused), 'api');
  assert.equal(v.verdict, 'fail');
  assert.match(v.reason, /100 of 1,000 requests without an answer, none answered over it/);
  assert.doesNotMatch(v.reason, /requests over it\)/);
  const both = { client: load([row('view', [...Array(850).fill(10), ...Array(50).fill(150)], { 200: 900 }, { ECONNREFUSED: 100 })]), service: noService };
  assert.match(byName(judgeObjectives(contract(), both), 'api').reason, /\(50 of 1,000 requests over it, 100 without an answer\)/);
});

test('errors are weighted by class: 404 is good, 503 weighs 0.3, 500 weighs 2.5, timeouts are transient', () => {
  const views = { client: load([row('view', Array(1000).fill(10), { 200: 990, 404: 5, 503: 2, 500: 2 }, { timeout: 1 })]), service: noService };
  const v = byName(judgeObjectives(contract(), views), 'errors');
  // bad = 2×0.3 + 2×2.5 + 1×0.3 = 5.9 over 1000 answered + 1 failed.
  assert.ok(Math.abs(v.client! - (1 - 5.9 / 1000)) < 1e-12, String(v.client));
  assert.equal(v.verdict, 'pass');
  assert.match(v.reason, /server 2/);
  const bad = { client: load([row('view', Array(1000).fill(10), { 200: 995, 500: 5 })]), service: noService };
  assert.equal(byName(judgeObjectives(contract(), bad), 'errors').verdict, 'fail');
});

test('percentile ceilings: the client decides; a pass close to the ceiling warns', () => {
  const close = { client: load([row('view', Array(1000).fill(47), { 200: 1000 })]), service: noService };
  const p50 = byName(judgeObjectives(contract(), close), 'api p50');
  assert.equal(p50.verdict, 'warn');
  const over = { client: load([row('view', Array(1000).fill(60), { 200: 1000 })]), service: noService };
  const f = byName(judgeObjectives(contract(), over), 'api p50');
  assert.equal(f.verdict, 'fail');
  assert.match(f.reason, /over the ceiling 50\.0 ms/);
});

test('throughput below the minimum fails; a profile that cannot reach it is skipped, not passed', () => {
  const slow = { client: load([row('view', Array(500).fill(10), { 200: 500 })]), service: noService };
  assert.equal(byName(judgeObjectives(contract(), slow), 'throughput').verdict, 'fail');
  const skipped = byName(judgeObjectives(contract(), slow, { offeredWeightedRate: 60 }), 'throughput');
  assert.equal(skipped.verdict, 'skipped');
  assert.match(skipped.reason, /raise load\.rate/);
});

test('availability: missing parts are left out and said; a down health check pulls it under', () => {
  const views = { client: load([row('view', Array(1000).fill(10), { 200: 1000 })]), service: noService };
  const v = byName(judgeObjectives(contract(), views), 'availability');
  assert.match(v.reason, /health not measured: left out, the other weights renormalised/);
  assert.equal(v.verdict, 'pass');
  const down = byName(judgeObjectives(contract(), { ...views, healthUpShare: 0.9 }), 'availability');
  assert.equal(down.verdict, 'fail');
});

test('memory: heap over critical fails, growth per request over the limit only warns, missing gauges skip', () => {
  const client = load([row('view', Array(100).fill(10), { 200: 100 })]);
  const vs = judgeObjectives(contract(), { client, service: { slos: [], heapMaxBytes: 300 * 2 ** 20, heapGrowthBytes: 10 * 2 ** 20, requests: 100 } });
  assert.equal(byName(vs, 'heap').verdict, 'fail');
  assert.equal(byName(vs, 'per-request').verdict, 'warn');
  const none = judgeObjectives(contract(), { client, service: { slos: [], unavailable: 'scrapes failed' } });
  assert.equal(byName(none, 'heap').verdict, 'skipped');
  assert.match(byName(none, 'heap').reason, /scrapes failed/);
});

test('a service ratio interpolated inside a bucket (no bucket at the threshold) warns instead of failing', () => {
  const service = { name: 'api', kind: 'latency', counts: { good: 30, bad: 70, total: 100 }, state: 'failing', percentiles: [], notes: ['the histogram has no bucket at le=0.1: good requests were interpolated inside the bucket (an estimate; give the histogram a bucket at the threshold)'] } as unknown as SloStatus;
  const views = { client: load([row('view', Array(1000).fill(10), { 200: 1000 })]), service: { slos: [service] } };
  const v = byName(judgeObjectives(contract(), views), 'api');
  assert.equal(v.verdict, 'warn');
  assert.match(v.reason, /no bucket at the threshold/);
});

const CONCURRENCY = `
apiVersion: sloctl/v1
service: { name: shop, runtime: go }
routes:
  - { name: view, method: GET, path: /items/:id }
metrics: { inFlight: myapp_in_flight_requests }
objectives:
  concurrency:
    goroutines: { warn: 100, critical: 500 }
    inFlight: { warn: 50, critical: 200 }
    eventLoopDelay: { warn: 50ms, critical: 200ms }
    handles: { warn: 1000, critical: 5000 }
    pprof: /debug/pprof
  dependencies: { requireTimeout: true }
  observability: { maxSeries: 500 }
  drift:
    action: shed
    signals: [{ signal: inFlight, threshold: 100 }]
`;

test('concurrency: each declared signal\'s peak is judged against warn and critical, with the trial it happened in; unexported signals skip with the series and role', () => {
  const reads = concurrencyReads(contract(CONCURRENCY));
  // The contract's metrics: override is the series read for inFlight; the others are the defaults.
  assert.deepEqual(reads.map((r) => [r.signal, r.series]), [
    ['goroutines', 'go_goroutines'], ['inFlight', 'myapp_in_flight_requests'], ['eventLoopDelay', 'nodejs_eventloop_lag_p99_seconds'], ['handles', 'nodejs_active_handles_total'],
  ]);
  const peaks = new Map();
  const scrapes: Array<{ trial: number; offsetMs: number; values: Record<string, number[]> }> = [
    { trial: 1, offsetMs: 0, values: { go_goroutines: [12], myapp_in_flight_requests: [150], nodejs_eventloop_lag_p99_seconds: [5] } },
    { trial: 1, offsetMs: 2000, values: { go_goroutines: [180], myapp_in_flight_requests: [3, 4] } },
    { trial: 2, offsetMs: 4000, values: { go_goroutines: [640], myapp_in_flight_requests: [10, 50] } },
    { trial: 3, offsetMs: 6000, values: { go_goroutines: [600], myapp_in_flight_requests: [1] } },
  ];
  scrapes.forEach((s, i) => observeScrape(peaks, reads, { opening: i === 0, trial: s.trial, trials: 3, offsetMs: s.offsetMs }, (name) => s.values[name]));
  const vs = judgeObjectives(contract(CONCURRENCY), { client: load([row('view', Array(100).fill(10), { 200: 100 })]), service: { slos: [], concurrency: [...peaks.values()] } }).filter((v) => v.contract === 'concurrency');
  assert.deepEqual(vs.map((v) => [v.name, v.verdict, v.measured]), [
    ['goroutines', 'fail', 640], ['inFlight', 'warn', 150], ['eventLoopDelay', 'skipped', NaN], ['handles', 'skipped', NaN], ['pprof', 'skipped', NaN],
  ]);
  const g = vs[0];
  assert.equal(g.reason, 'goroutines peaked at 640 in trial 2 of 3, 4 s into the measured phase, at or over critical 500 (warn 100; go_goroutines, 4 scrapes)');
  assert.deepEqual([g.thresholds, g.peakAt, g.series, g.objective, g.margin], [{ warn: 100, critical: 500 }, { trial: 2, trials: 3, offsetMs: 4000 }, 'go_goroutines', 500, -140]);
  // The table's REQUIRED column shows both levels.
  assert.equal(formatObjective(g), 'warn 100, critical 500');
  // Series of one name add up for a count (two in-flight series: 10 + 50 = 60 < 150 at the opening scrape).
  assert.match(vs[1].reason, /^requests in flight peaked at 150 in trial 1 of 3, 0 s into the measured phase, at or over warn 50 \(critical 200; myapp_in_flight_requests/);
  // The delay is an interval signal: the opening scrape (5 s of warm-up lag) does not count, and no later scrape had it.
  assert.match(vs[2].reason, /^the service does not export nodejs_eventloop_lag_p99_seconds: none of the 3 scrapes of the measured phase had it, .*metrics: \{ eventLoopDelay: <name> \}/);
  assert.match(vs[3].reason, /^the service does not export nodejs_active_handles_total: none of the 4 scrapes/);
  // No capture ran (judged from peaks alone): the pprof row says so; a live gate puts the files on the signal rows instead.
  assert.match(vs[4].reason, /^goroutines and inFlight crossed a threshold, but no capture ran/);
});

test('concurrency: a peak under warn passes, at warn warns; without a service view every signal skips with the reason', () => {
  const text = `
apiVersion: sloctl/v1
service: { name: shop }
routes: [{ name: view, method: GET, path: /v }]
objectives:
  concurrency:
    eventLoopUtilization: { warn: 70%, critical: 90% }
    handles: { warn: 100, critical: 200 }
`;
  const c = contract(text);
  const client = load([row('view', Array(10).fill(10), { 200: 10 })]);
  const peaks = [
    { signal: 'eventLoopUtilization' as const, series: 'nodejs_eventloop_utilization', scrapes: 3, judgedScrapes: 3, peak: 0.42, trial: 1, trials: 1, offsetMs: 1000 },
    { signal: 'handles' as const, series: 'nodejs_active_handles_total', scrapes: 4, judgedScrapes: 4, peak: 100, trial: 1, trials: 1, offsetMs: 0 },
  ];
  const vs = judgeObjectives(c, { client, service: { slos: [], concurrency: peaks } }).filter((v) => v.contract === 'concurrency');
  assert.deepEqual(vs.map((v) => [v.name, v.verdict]), [['eventLoopUtilization', 'pass'], ['handles', 'warn']]);
  assert.match(vs[0].reason, /^event-loop utilization peaked at 42(\.0)?% in trial 1 of 1, 1 s into the measured phase, under warn 70(\.0)?%/);
  const none = judgeObjectives(c, { client, service: { slos: [], unavailable: 'fewer than two successful scrapes of http://x/metrics' } }).filter((v) => v.contract === 'concurrency');
  assert.deepEqual(none.map((v) => v.verdict), ['skipped', 'skipped']);
  assert.match(none[1].reason, /^active handles \(nodejs_active_handles_total\) not judged: fewer than two successful scrapes/);
});

test('sections the gate does not judge are listed as skipped with the command that judges them, never left out', () => {
  const vs = judgeObjectives(contract(CONCURRENCY), { client: load([row('view', Array(10).fill(10), { 200: 10 })]), service: { slos: [] } });
  const rows = vs.filter((v) => ['dependencies', 'drift', 'observability', 'resilience'].includes(v.contract));
  assert.deepEqual(rows.map((v) => [v.contract, v.verdict]), [['dependencies', 'skipped'], ['drift', 'skipped'], ['observability', 'skipped']]);
  for (const v of rows) assert.match(v.reason, /judged by sloctl accept( \/ drill)?, not by the gate/);
  // No objective to show in the table: "-", not "<= n/a".
  assert.deepEqual(rows.map((v) => formatObjective(v)), ['-', '-', '-']);
  // The default contract declares none of them: no such rows.
  assert.equal(judgeObjectives(contract(), { client: load([row('view', Array(10).fill(10), { 200: 10 })]), service: { slos: [] } }).some((v) => ['dependencies', 'drift', 'observability', 'resilience', 'concurrency'].includes(v.contract)), false);
});

test('a run too short for a ratio objective (its budget under one request) measures nothing: unmeasurable, never a pass; many bad ones still fail it', () => {
  const strict = contract(CONTRACT.replace('errors: { objective: 99% }', 'errors: { objective: 99.9% }'));
  // 100 clean requests: 99.9% allows 0.1 bad of them; none bad cannot say the objective was met.
  const clean = judgeObjectives(strict, { client: load([row('view', Array(100).fill(10), { 200: 100 })]), healthUpShare: 1, service: noService });
  const errors = byName(clean, 'errors');
  assert.equal(errors.verdict, 'skipped');
  assert.equal(errors.unmeasurable, true);
  assert.match(errors.reason, /allows 0\.1 bad requests in the 100 this run measured.*send at least 1000 requests/);
  // The 99% latency objective allows 1 bad of 100: measurable, and passed.
  assert.equal(byName(clean, 'api').verdict, 'pass');
  assert.equal(byName(clean, 'api').unmeasurable, undefined);
  // One 500 (weight 2.5) in 100: 97.5% < 99.9%, but one bad in 100 happens 9.5% of the time at 99.9%: not a failure it can show.
  const one = byName(judgeObjectives(strict, { client: load([row('view', Array(100).fill(10), { 200: 99, 500: 1 })]), healthUpShare: 1, service: noService }), 'errors');
  assert.equal(one.verdict, 'skipped');
  assert.match(one.reason, /it saw 1 bad \(probability 0\.095 even if it were met\)/);
  // Ten 500s in 100 cannot happen at 99.9% (P < 1e-10): the failure stands.
  const ten = byName(judgeObjectives(strict, { client: load([row('view', Array(100).fill(10), { 200: 90, 500: 10 })]), healthUpShare: 1, service: noService }), 'errors');
  assert.equal(ten.verdict, 'fail');
  assert.match(ten.reason, /the run was short for this objective .* the failure stands/);
  // 1,000 requests give 99.9% a budget of one: judged as before.
  assert.equal(byName(judgeObjectives(strict, { client: load([row('view', Array(1000).fill(10), { 200: 1000 })]), healthUpShare: 1, service: noService }), 'errors').verdict, 'pass');
});

test('what a pass must not hide: a warned verdict, and a ratio the service could not speak to while it was scraped', () => {
  const c = contract();
  // Ten 500s (x 2.5) in 2,500 requests: 99.0% against 99%, less than a tenth of the budget left,
  // warns; the service's statuses carry no availability value.
  const views = { client: load([row('view', Array(2000).fill(10), { 200: 1990, 500: 10 }), row('buy', Array(500).fill(20), { 201: 500 })]), healthUpShare: 1, service: { ...noService, heapMaxBytes: 50 * 2 ** 20 } };
  const vs = judgeObjectives(c, views);
  const caveats = caveatReasons(vs, views.service);
  assert.ok(caveats.some((n) => /^errors errors: weighted success meets 99% with less than 10% of the allowed bad share left/.test(n)), caveats.join('\n'));
  assert.ok(caveats.some((n) => /^availability availability: judged on the client's view alone; the service's view is missing/.test(n)), caveats.join('\n'));
  // No service view at all: said once elsewhere (the gate's note), not per objective.
  assert.ok(!caveatReasons(vs, { slos: [], unavailable: 'no scrape' }).some((n) => /view is missing/.test(n)));
});
