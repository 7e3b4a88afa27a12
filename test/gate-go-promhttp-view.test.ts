// The gate's service view of promhttp-labelled series, without a Go toolchain: a local /metrics
// serves client_golang-style expositions ({handler, method="get"/"post", code}, no error class),
// the gate's ServiceWatch scrapes it twice, and the per-route evidence and the verdicts are read
// from it. What the Go end-to-end test (gate-go-promhttp.test.ts) shows on a real process, here in
// milliseconds and with exact counts:
// - the mapped route label and the method in any case make one row per contract route;
// - error classes come from `code` through the contract's classes (label-map.ts), first match wins;
// - without the label the mapping reads errors from, the service side is INCONCLUSIVE with the
//   fix (the label the series do carry), and the verdict is never PASS;
// - a route threshold with no bucket has no service-side share, and the latency verdict names the
//   buckets there and the one to add.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { routeEvidence, routeReports } from '../src/verdicts/routes.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';
import { judgeObjectives, routeLabelNote, type ServiceView } from '../src/verdicts/objectives.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { LoadResult, RouteResult } from '../src/load/types.ts';

const BOUNDS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.2', '0.25', '0.3', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** One promhttp series set: [handler, method, code, requests, seconds each]. */
type Series = Array<[string, string, string, number, number]>;

function exposition(series: Series): string {
  const out = ['# HELP http_requests_total HTTP requests.', '# TYPE http_requests_total counter'];
  for (const [h, m, c, n] of series) out.push(`http_requests_total{code="${c}",handler="${h}",method="${m}"} ${n}`);
  out.push('# HELP http_request_duration_seconds Duration.', '# TYPE http_request_duration_seconds histogram');
  for (const [h, m, c, n, s] of series) {
    for (const le of BOUNDS) out.push(`http_request_duration_seconds_bucket{code="${c}",handler="${h}",method="${m}",le="${le}"} ${le === '+Inf' || Number(le) >= s ? n : 0}`);
    out.push(`http_request_duration_seconds_sum{code="${c}",handler="${h}",method="${m}"} ${n * s}`);
    out.push(`http_request_duration_seconds_count{code="${c}",handler="${h}",method="${m}"} ${n}`);
  }
  return `${out.join('\n')}\n`;
}

// Between the two scrapes: 400 GETs of /products (20 of them 500s, 4 of them 503s), 100 POSTs at 250 ms.
const FIRST: Series = [
  ['/products/:id', 'get', '200', 100, 0.004],
  ['/products/:id', 'get', '500', 5, 0.002],
  ['/products/:id', 'get', '503', 1, 0.002],
  ['/orders', 'post', '201', 20, 0.25],
];
const SECOND: Series = [
  ['/products/:id', 'get', '200', 476, 0.004],
  ['/products/:id', 'get', '500', 25, 0.002],
  ['/products/:id', 'get', '503', 5, 0.002],
  ['/orders', 'post', '201', 120, 0.25],
];

function contract(labels: string | undefined, orderLatency = '300ms', extraClass = ''): Contract {
  const text = `apiVersion: sloctl/v1
service: { name: go-promhttp, owner: team-test, runtime: go }
errorClasses:
${extraClass}  - { name: transient, weight: 0.3, status: [429, 503, 504] }
  - { name: server, weight: 1, status: ["5xx"] }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
${labels === undefined ? '' : `  labels: ${labels}\n`}routes:
  - { name: product, method: GET, path: /products/:id }
  - { name: order, method: POST, path: /orders, latency: ${orderLatency} }
objectives:
  latency:
    - { name: api, threshold: 200ms, objective: 95% }
  errors: { name: errors, objective: 99% }
`;
  const r = parseContract(text, 'slo.yaml');
  assert.ok(r.contract, JSON.stringify(r.diagnostics));
  return r.contract;
}

/** The client's rows: every request answered, `errors` of them with 500, latencies in ms. */
function clientRow(name: string, n: number, ms: number, statuses: Record<string, number>): RouteResult {
  const h = new Histogram();
  for (let i = 0; i < n; i++) h.record(ms * 1000);
  return { name, sent: n, completed: n, statuses, errors: {}, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() };
}

function clientLoad(productErrors: number): LoadResult {
  const rows = [clientRow('product', 400, 5, productErrors > 0 ? { 200: 400 - productErrors, 500: productErrors } : { 200: 400 }), clientRow('order', 100, 255, { 201: 100 })];
  const all = new Histogram();
  for (const r of rows) all.merge(Histogram.fromJSON(r.histogram));
  return {
    source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs: 10_000, sent: 500, completed: 500,
    errors: 0, timeouts: 0, throughput: 50, latency: all.summary(), serviceTime: all.summary(), statuses: {}, routes: rows, notes: [],
  } as unknown as LoadResult;
}

describe('the gate\'s service view of promhttp-labelled series', () => {
  let server: Server;
  let url = '';
  let body = exposition(FIRST);
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  let clock = 1_800_000_000_000;
  /** `noRoute`: promhttp's handlers without a curried `handler` label, series {method, code} only. */
  async function watched(c: Contract, noRoute = false): Promise<{ watch: ServiceWatch; view: ServiceView }> {
    const watch = new ServiceWatch(c, { metricsUrl: url, intervalMs: 1000, timeoutMs: 2000, allowRemote: false, now: () => clock });
    const page = (x: Series) => (noRoute ? exposition(x).replace(/handler="[^"]*",/g, '') : exposition(x));
    body = page(FIRST);
    const start = await watch.scrape();
    clock += 10_000;
    body = page(SECOND);
    await watch.scrape();
    clock += 10_000;
    return { watch, view: watch.view(start) };
  }

  it('reads routes, methods in any case and error classes from `code` through the mapping', async () => {
    const c = contract('{ route: handler, status: code }');
    const { watch, view } = await watched(c);
    assert.equal(view.errorsUnseen, undefined);
    const routes = watch.routes()!;
    assert.deepEqual([...routes.keys()].sort(), ['GET /products/:id', 'POST /orders']);
    const get = routes.get('GET /products/:id')!;
    assert.equal(get.requests, 400);
    // 503 is transient (the first class that matches), not server, though it is a 5xx.
    assert.deepEqual(Object.fromEntries(get.classes), { server: 20, transient: 4 });
    const post = routes.get('POST /orders')!;
    assert.equal(post.requests, 100);
    assert.equal(post.buckets.get(0.3), 100);
    assert.equal(post.buckets.get(0.2), 0);

    const ev = routeEvidence(c, clientLoad(24), routes);
    const verdicts = judgeObjectives(c, { client: clientLoad(24), service: view, routes: ev });
    const rows = routeReports(c, ev, verdicts);
    const getRow = rows.find((r) => r.route === 'GET /products/:id')!;
    assert.equal(getRow.service!.weightedErrors, 20 + 4 * 0.3);
    assert.equal(getRow.service!.errorRatio, 21.2 / 400);
    const postRow = rows.find((r) => r.route === 'POST /orders')!;
    assert.equal(postRow.thresholdMs, 300);
    assert.equal(postRow.service!.withinThreshold, 1, 'POST at its own 300 ms: every request in the 0.3 bucket');
    const errors = verdicts.find((v) => v.contract === 'errors')!;
    assert.equal(errors.verdict, 'fail');
    assert.ok(errors.routes?.some((r) => r.route === 'GET /products/:id'), errors.reason);
  });

  it('without the mapping: errors INCONCLUSIVE from the service side, naming `code` as the label to map; never PASS', async () => {
    const c = contract(undefined);
    const { view } = await watched(c);
    assert.equal(view.errorsUnseen, "the service's request counter http_requests_total has no `error_class` label (its series carry {code, handler, method}), so its side cannot tell errors from successes: map its status-code label in slo.yaml (`metrics: { labels: { status: code } }`), or export `error_class` (sloctl's SDK does)");
    // The client sees no error: a warning, not a pass.
    const passing = judgeObjectives(c, { client: clientLoad(0), service: view }).find((v) => v.contract === 'errors')!;
    assert.equal(passing.verdict, 'warn');
    assert.ok(Number.isNaN(passing.service));
    assert.equal(passing.reason, `weighted success meets 99% at the client (client 100%), but the service side is INCONCLUSIVE: ${view.errorsUnseen}`);
    // The client sees errors: it fails, the service side still says why it cannot.
    const failing = judgeObjectives(c, { client: clientLoad(24), service: view }).find((v) => v.contract === 'errors')!;
    assert.equal(failing.verdict, 'fail');
    assert.match(failing.reason, /as the client measured it .*; the service side is INCONCLUSIVE: the service's request counter/);
    // No client view at all (an imported result with no rows): no verdict, never a pass.
    const alone = judgeObjectives(c, { client: { ...clientLoad(0), routes: [] }, service: view }).find((v) => v.contract === 'errors')!;
    assert.equal(alone.verdict, 'skipped');
    assert.match(alone.reason, /^no weighted success measured by the client, and the service side is INCONCLUSIVE/);
  });

  it('`metrics.labels` with the route only: errors are read from error_class, and the fix names `code`', async () => {
    const { view } = await watched(contract('{ route: handler }'));
    assert.match(view.errorsUnseen!, /has no `error_class` label .*: `metrics.labels` names no status or errorClass label, so errors are read from `error_class`; its status code is in `code` \(`metrics: \{ labels: \{ status: code \} \}`\)$/);
  });

  it('a class a status label cannot show (errors: only) is named in the errors verdict: only the client counts it', async () => {
    const c = contract('{ route: handler, status: code }', '300ms', '  - { name: timeout, weight: 1, errors: [TimeoutError] }\n');
    const { watch, view } = await watched(c);
    assert.equal(view.errorsUnseen, undefined);
    const v = judgeObjectives(c, { client: clientLoad(24), service: view, routes: routeEvidence(c, clientLoad(24), watch.routes()) }).find((x) => x.contract === 'errors')!;
    assert.match(v.reason, /; the service's status label cannot show the class timeout \(no `status:`\): only the client counts it/);
  });

  // Last session's Go trial: promhttp without a `handler` label and a mapping without a route label
  // passed the gate with no word that POST /orders was judged at the 200 ms default, not its 300 ms.
  it('series without the route label: one note naming the histogram and the label, and what the client\'s view alone judged', async () => {
    const c = contract('{ status: code }');
    const { watch, view } = await watched(c, true);
    assert.deepEqual(view.routeLabelMissing, { metric: 'http_request_duration_seconds', kind: 'histogram', label: 'route', mapped: false, carried: ['code', 'method'] });
    assert.equal(watch.routes(), undefined, 'no per-route service rows');
    assert.equal(routeLabelNote(c, view.routeLabelMissing!), "the service's histogram http_request_duration_seconds has no `route` label (its series carry {code, method}; `metrics.labels` names no route label, so sloctl reads `route`), so its side cannot tell the routes apart: latency api (its side would hold POST /orders to 200ms, not its own 300ms) was judged by the client's view alone; the route table shows the client's view alone. To judge each route on its own, label the requests with the route template and map that label (`metrics: { labels: { route: <label> } }`); with promhttp, curry it into each route's handler: `duration.MustCurryWith(prometheus.Labels{\"handler\": \"/orders\"})` and `metrics: { labels: { route: handler } }`");
    // A mapped label the series do not carry, while they carry `handler`: map that one.
    const path = contract('{ route: path, status: code }');
    const { view: mis } = await watched(path);
    assert.deepEqual(mis.routeLabelMissing, { metric: 'http_request_duration_seconds', kind: 'histogram', label: 'path', mapped: true, carried: ['code', 'handler', 'method'] });
    assert.match(routeLabelNote(path, mis.routeLabelMissing!)!, /has no `path` label \(its series carry \{code, handler, method\}; the contract maps `metrics.labels.route: path`\).*To judge each route on its own, if `handler` holds the route template, map it: `metrics: \{ labels: \{ route: handler \} \}`$/);
    // The label is there: nothing to say.
    assert.equal((await watched(contract('{ route: handler, status: code }'))).view.routeLabelMissing, undefined);
  });

  // Without the route label the "every other route" selector takes every request: the POSTs, within
  // their own 300 ms at 250 ms, were held to the 200 ms of api, and the service side alone failed it.
  it('series without the route label: a route with its own threshold does not fail the objective from the service side; INCONCLUSIVE there, the client decides', async () => {
    const c = contract('{ status: code }');
    const { view } = await watched(c, true);
    const api = judgeObjectives(c, { client: clientLoad(0), service: view }).find((v) => v.contract === 'latency' && v.name === 'api')!;
    assert.equal(api.client, 1, 'the client: every GET within 200 ms, every POST within its own 300 ms');
    assert.equal(api.verdict, 'warn', api.reason);
    assert.ok(Number.isNaN(api.service));
    assert.match(api.reason, /the service side is INCONCLUSIVE: the service's http_request_duration_seconds has no `route` label, so its share held every route's requests to 200ms, POST \/orders's \(its own threshold 300ms\) too$/);
    // The label there: the service's own share stands (and passes).
    const labelled = contract('{ route: handler, status: code }');
    const withRoutes = judgeObjectives(labelled, { client: clientLoad(0), service: (await watched(labelled)).view }).find((v) => v.contract === 'latency' && v.name === 'api')!;
    assert.equal(withRoutes.verdict, 'pass', withRoutes.reason);
  });

  it('a mapped status label the series do not carry names the one they do', async () => {
    const { view } = await watched(contract('{ route: handler, status: status_code }'));
    assert.match(view.errorsUnseen!, /has no `status_code` label .*: the contract maps `metrics.labels.status: status_code`; its status code is in `code` \(`metrics: \{ labels: \{ status: code \} \}`\)$/);
  });

  it('a route threshold with no bucket: no service-side share for the route, the latency verdict names the buckets and the one to add', async () => {
    const c = contract('{ route: handler, status: code }', '150ms');
    const { watch, view } = await watched(c);
    const ev = routeEvidence(c, clientLoad(0), watch.routes());
    const verdicts = judgeObjectives(c, { client: clientLoad(0), service: view, routes: ev });
    const api = verdicts.find((v) => v.contract === 'latency' && v.name === 'api')!;
    // The client has POST at 255 ms, over 150 ms: 100 of 500 over, 80% < 95%: the client fails it.
    assert.equal(api.verdict, 'fail');
    assert.ok(Number.isNaN(api.service));
    assert.match(api.reason, /; the service side is INCONCLUSIVE: POST \/orders at 150 ms: the service's histogram http_request_duration_seconds has buckets at 0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.2, 0\.25, 0\.3, 0\.5, 1, 2\.5, 5, 10 \(seconds\) and none at 0\.15, so its share within the threshold would be a guess: add 0\.15 to its buckets/);
    const rows = routeReports(c, ev, verdicts);
    assert.ok(Number.isNaN(rows.find((r) => r.route === 'POST /orders')!.service!.withinThreshold));
    assert.equal(rows.find((r) => r.route === 'GET /products/:id')!.service!.withinThreshold, 1);
  });

  // Trial report, defect 7: the service's availability, with no gauge, is composed from its parts
  // at each scrape (embedded.ts), with liveness from the gate's health watch.
  async function watchedHealthy(c: Contract): Promise<ServiceView> {
    const watch = new ServiceWatch(c, { metricsUrl: url, intervalMs: 1000, timeoutMs: 2000, allowRemote: false, now: () => clock, healthUp: () => true });
    body = exposition(FIRST);
    const start = await watch.scrape();
    clock += 10_000;
    body = exposition(SECOND);
    await watch.scrape();
    clock += 10_000;
    return watch.view(start);
  }
  const withAvailability = (c: Contract, dependency: boolean): Contract => {
    const text = `apiVersion: sloctl/v1
service: { name: go-promhttp, owner: team-test, runtime: go }
errorClasses:
  - { name: transient, weight: 0.3, status: [429, 503, 504] }
  - { name: server, weight: 1, status: ["5xx"] }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: { route: handler, status: code }
routes:
  - { name: product, method: GET, path: /products/:id }
  - { name: order, method: POST, path: /orders, latency: ${c.routes[1].latency === 150 ? '150ms' : '300ms'} }
${dependency ? 'dependencies:\n  - { name: inventory, timeout: 100ms, critical: true }\n' : ''}objectives:
  latency:
    - { name: api, threshold: 200ms, objective: 95% }
  errors: { name: errors, objective: 99% }
  availability: { objective: 99% }
`;
    const r = parseContract(text, 'slo.yaml');
    assert.ok(r.contract, JSON.stringify(r.diagnostics));
    return r.contract;
  };

  it('availability without the gauge, a critical dependency and no dependency gauge: the service side is composed from health, latency and success, renormalised', async () => {
    const c = withAvailability(contract('{ route: handler, status: code }'), true);
    const view = await watchedHealthy(c);
    const a = view.slos.find((s) => s.kind === 'availability')!;
    // One interval: live (0.3), latency met (0.25), success missed (21.2 of 400 + 100 weighted bad,
    // 4.24% > 1%: 0), the dependencies part left out: (0.3 + 0.25) / 0.8 = 0.6875.
    assert.equal(a.counts.total, 1, `${a.state} ${a.reason ?? ''} ${a.notes.join('; ')}`);
    assert.ok(Math.abs(a.current - 0.6875) < 1e-12, String(a.current));
    assert.ok(a.notes.some((n) => /availability leaves out its dependencies part \(weight 0\.2\)/.test(n)), a.notes.join('\n'));
    const verdicts = judgeObjectives(c, { client: clientLoad(24), service: view, routes: routeEvidence(c, clientLoad(24), undefined) });
    const v = verdicts.find((x) => x.contract === 'availability')!;
    // One sample cannot judge 99% (it needs 100 observations): the service side is INCONCLUSIVE,
    // saying the value it read; the client's view decides.
    assert.ok(Number.isNaN(v.service!), v.reason);
    assert.match(v.reason, /the service side is INCONCLUSIVE: its composite read 68\.75% from 1 sample over/);
  });

  it('availability without the gauge and a threshold with no bucket: the service side is UNKNOWN naming the latency part, not "no data"', async () => {
    const c = withAvailability(contract('{ route: handler, status: code }', '150ms'), false);
    const view = await watchedHealthy(c);
    const a = view.slos.find((s) => s.kind === 'availability')!;
    assert.equal(a.state, 'unknown');
    assert.match(a.reason ?? '', /^no sloctl_availability gauge, and the composite could not be composed from its parts at any scrape: latency \(the api SLO cannot be measured from these series: see it\)$/);
  });
});
