// Verdicts from both views: synthetic load results and service statuses in, verdicts out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import type { SloStatus } from '../src/evaluate/report.ts';
import { judgeObjectives, type ServiceView } from '../src/gate/verdicts.ts';
import { Histogram } from '../src/load/histogram.ts';
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
