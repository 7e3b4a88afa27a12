// A contract route the client got answers on and the service's metrics recorded nothing under (its
// route label is the raw path, not the template): the gate says so, a WARN naming the route and the
// numbers, and the objectives covering it do not let the service's side pass for it. Pure first
// (synthetic client rows and service series), then one gate run against a node:http service
// instrumented with the SDK's http adapter that labels one route with its raw path.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { instrument } from 'sloctl/sdk';
import { wrap } from 'sloctl/sdk/http';
import { runCli } from './helpers/cli.ts';
import { parseContract } from '../src/contract/load.ts';
import type { SloStatus } from '../src/evaluate/report.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';
import { judgeObjectives, unrecordedRouteReasons } from '../src/verdicts/objectives.ts';
import { routeEvidence, UNRECORDED_MIN_REQUESTS } from '../src/verdicts/routes.ts';
import type { ServiceRoute, ServiceRoutes } from '../src/verdicts/service-routes.ts';
import type { GateReport } from '../src/verdicts/types.ts';

const CONTRACT = `
apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: not-found, weight: 0, status: [404], good: true }
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: item, method: GET, path: /api/items/:id }
  - { name: order, method: GET, path: /v1/users/:uid/orders/:oid }
  - { name: gone, method: GET, path: /gone }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 99%, percentiles: { p95: 150ms } }
    - { name: items-only, threshold: 100ms, objective: 99%, routes: [item] }
  errors: { objective: 99% }
`;

/** `n` requests at `ms` each. */
const row = (name: string, n: number, ms: number, statuses: Record<string, number>) => routeRow(name, new Array<number>(n).fill(ms), statuses);
const load = loadOf;

/** A service series: `requests` finished, all within the 0.1 s bucket, no errors. */
function series(route: string, requests: number): ServiceRoute {
  return { method: 'GET', route, buckets: new Map([[0.05, requests], [0.1, requests], [Infinity, requests]]), requests, classes: new Map([['none', requests]]) };
}

const services = (...rs: ServiceRoute[]): ServiceRoutes => new Map(rs.map((r) => [`${r.method} ${r.route}`, r]));

/** The service's own statuses: every objective met, as its embedded evaluator read its series. */
const passing = (name: string, kind: 'latency' | 'errors'): SloStatus => ({ name, kind, counts: { good: 100, bad: 0, total: 100 }, state: 'ok', percentiles: kind === 'latency' ? [{ label: 'p95', valueSeconds: 0.005 }] : [], notes: [] }) as unknown as SloStatus;
const serviceView = { slos: [passing('api', 'latency'), passing('items-only', 'latency'), passing('errors', 'errors')] };

describe('a route the service recorded nothing under (pure)', () => {
  const parsed = parseContract(CONTRACT, 'slo.yaml');
  assert.ok(parsed.contract, JSON.stringify(parsed.diagnostics));
  const contract = parsed.contract;
  const client = load([row('item', 100, 5, { 200: 100 }), row('order', 100, 5, { 200: 100 })]);
  // The service labels /v1/users/:uid/orders/:oid with the raw path: two labels, 60 and 40 requests.
  const rawLabels = services(series('/api/items/:id', 100), series('/v1/users/3/orders/7', 60), series('/v1/users/4/orders/:oid', 40));

  it('warns on the route, with the client\'s numbers, what the service recorded instead, and the fix', () => {
    const routes = routeEvidence(contract, client, rawLabels);
    const vs = judgeObjectives(contract, { client, service: serviceView, routes });
    const w = vs.filter((v) => v.contract === 'routes');
    assert.deepEqual(w.map((v) => [v.name, v.verdict, v.client, v.service]), [['GET /v1/users/:uid/orders/:oid', 'warn', 100, 0]]);
    assert.equal(w[0].reason,
      'the client sent 100 requests to GET /v1/users/:uid/orders/:oid and got 100 answers (100 x 200), but the service\'s metrics recorded none under that route: '
      + 'its route label does not match the contract\'s template /v1/users/:uid/orders/:oid; its series hold 100 GET requests under 2 labels with the template\'s parameters filled in, '
      + '"/v1/users/3/orders/7" (60), "/v1/users/4/orders/:oid" (40): the label it uses is the raw path (or part of it), not the template; '
      + 'so the service\'s view cannot judge GET /v1/users/:uid/orders/:oid: label its requests with the template /v1/users/:uid/orders/:oid');
    // The notes beside the outcome carry it, so a pass does not read "every objective met".
    assert.deepEqual(unrecordedRouteReasons(vs), [`routes GET /v1/users/:uid/orders/:oid: ${w[0].reason}`]);
  });

  it('the objectives covering the route: the service side is INCONCLUSIVE, not a pass; one that does not cover it passes', () => {
    const vs = judgeObjectives(contract, { client, service: serviceView, routes: routeEvidence(contract, client, rawLabels) });
    const by = (name: string) => vs.find((v) => v.name === name)!;
    for (const name of ['api', 'errors']) {
      const v = by(name);
      assert.equal(v.verdict, 'warn', `${name}: ${v.reason}`);
      assert.ok(Number.isNaN(v.service), `${name}: the service's ratio is not shown as its verdict: ${v.service}`);
      assert.match(v.reason, /at the client \(client 100%\), but the service side is INCONCLUSIVE: the client got answers to 100 requests to GET \/v1\/users\/:uid\/orders\/:oid and the service's metrics recorded none under that route/);
    }
    assert.equal(by('items-only').verdict, 'pass', by('items-only').reason);
    assert.equal(by('items-only').service, 1);
    // The client decides a ceiling; the service's estimate beside it says what it leaves out.
    assert.equal(by('api p95').verdict, 'pass');
    assert.match(by('api p95').reason, /the service's estimate leaves out GET \/v1\/users\/:uid\/orders\/:oid/);
    // A client failure still fails, with the service side's note.
    const slow = load([row('item', 100, 5, { 200: 100 }), row('order', 100, 300, { 200: 100 })]);
    const failed = judgeObjectives(contract, { client: slow, service: serviceView, routes: routeEvidence(contract, slow, rawLabels) }).find((v) => v.name === 'api')!;
    assert.equal(failed.verdict, 'fail');
    assert.match(failed.reason, /as the client measured it .*the service side is INCONCLUSIVE/);
  });

  it('every answer a redirect: the router answered before the route ran (a trailing / in load.mix), not the route label', () => {
    const withMix = parseContract(`${CONTRACT}load:
  rate: 100/s
  duration: 5s
  mix:
    - { route: item, path: /api/items/1, weight: 1 }
    - { route: gone, path: /gone/, weight: 1 }
`, 'slo.yaml');
    assert.ok(withMix.contract, JSON.stringify(withMix.diagnostics));
    const redirected = load([row('item', 100, 5, { 200: 100 }), row('gone', 100, 1, { 301: 100 })]);
    const gone = routeEvidence(withMix.contract, redirected, services(series('/api/items/:id', 100))).find((e) => e.label === 'GET /gone')!;
    assert.equal(gone.unrecorded,
      'the client sent 100 requests to GET /gone and every answer was a redirect (100 x 301), which the service\'s metrics recorded none of: its router redirected them before the route ran '
      + '(a path that differs from the registered one by a trailing /: gin\'s RedirectTrailingSlash, gorilla\'s StrictSlash(true) and Go\'s ServeMux answer 301; or a redirect the service means), '
      + 'so GET /gone was not tested: load.mix sends /gone/ for /gone, which differs from it by a trailing / the route does not have; write the path as the code registers it');
    // One answer that is not a redirect: the route label, as before.
    const mixed = load([row('item', 100, 5, { 200: 100 }), row('gone', 100, 1, { 301: 99, 200: 1 })]);
    assert.match(routeEvidence(withMix.contract, mixed, services(series('/api/items/:id', 100))).find((e) => e.label === 'GET /gone')!.unrecorded!, /its route label does not match the contract's template \/gone/);
  });

  it('labels no contract route has and no raw path: named as what the service recorded instead', () => {
    const [, order] = routeEvidence(contract, client, services(series('/api/items/:id', 100), series('/:uid/orders/:oid', 100)));
    assert.match(order.unrecorded!, /the label it uses may be the raw path, or lack a router's mount prefix; its GET series hold 100 requests under labels no contract route has: "\/:uid\/orders\/:oid" \(100\)/);
  });

  it('says nothing when the service recorded the route, when too few requests were answered, or when the service recorded nothing at all', () => {
    const right = routeEvidence(contract, client, services(series('/api/items/:id', 100), series('/v1/users/:uid/orders/:oid', 100)));
    assert.ok(right.every((e) => e.unrecorded === undefined));
    const thin = load([row('item', 100, 5, { 200: 100 }), row('order', UNRECORDED_MIN_REQUESTS - 1, 5, { 200: UNRECORDED_MIN_REQUESTS - 1 })]);
    assert.ok(routeEvidence(contract, thin, rawLabels).every((e) => e.unrecorded === undefined));
    const atMin = load([row('item', 100, 5, { 200: 100 }), row('order', UNRECORDED_MIN_REQUESTS, 5, { 200: UNRECORDED_MIN_REQUESTS })]);
    assert.equal(routeEvidence(contract, atMin, rawLabels)[1].unrecordedCount, UNRECORDED_MIN_REQUESTS);
    // Series without a request in the window: no service view to compare with, nothing to say per route.
    assert.ok(routeEvidence(contract, client, services(series('/api/items/:id', 0))).every((e) => e.unrecorded === undefined));
    // No service view at all (an import, metrics unreadable).
    assert.ok(routeEvidence(contract, client, undefined).every((e) => e.unrecorded === undefined));
  });

  it('a route the service does not have (every answer 404) still fails as missing, not this warning', () => {
    const c = load([row('item', 100, 5, { 200: 100 }), row('gone', 100, 1, { 404: 100 })]);
    const routes = routeEvidence(contract, c, services(series('/api/items/:id', 100), { ...series('unmatched', 100), classes: new Map([['not-found', 100]]) }));
    const vs = judgeObjectives(contract, { client: c, service: serviceView, routes });
    const gone = vs.filter((v) => v.contract === 'routes');
    assert.deepEqual(gone.map((v) => [v.name, v.verdict]), [['GET /gone', 'fail']]);
    assert.match(gone[0].reason, /^the service does not have GET \/gone: all 100 answered requests got 404/);
    assert.equal(routes[1].unrecorded, undefined);
  });
});

// One gate run: /api/items/:id labelled with its template, /v1/users/:uid/orders/:oid with the raw path.
describe('gate: a route the service labels with its raw path', { timeout: 60_000 }, () => {
  it('warns on it, with the numbers, and its objectives\' service side is INCONCLUSIVE (it passed silently before)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-unrecorded-'));
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, `apiVersion: sloctl/v1
service: { name: unrecorded-route }
routes:
  - { name: item, method: GET, path: /api/items/:id }
  - { name: order, method: GET, path: /v1/users/:uid/orders/:oid }
load:
  rate: 60/s
  duration: 3s
  warmup: 1s
  mix:
    - { route: item, weight: 1, path: "/api/items/{id}", params: { id: "int(1,5)" } }
    - { route: order, weight: 1, path: "/v1/users/{uid}/orders/{oid}", params: { uid: "int(1,3)", oid: "int(1,3)" } }
objectives:
  latency: [{ name: lat, threshold: 250ms, objective: 99% }]
  errors: { objective: 99% }
`);
    const sdk = instrument({ contract: file, registry: new Registry(), defaultMetrics: false });
    const path = (url = '') => url.split('?')[0];
    // The bug under test: the orders route is labelled with the request's path, not its template.
    const server = createServer(wrap((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }, sdk, { route: (req) => (path(req.url).startsWith('/api/items/') ? '/api/items/:id' : path(req.url).startsWith('/v1/users/') ? path(req.url) : undefined) }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await runCli(['gate', file, '--target', url, '--trials', '1', '--no-progress', '--json', '--journal', join(dir, 'j.jsonl')], dir);
      const report = JSON.parse(r.stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
      // The client saw both routes answered; the service has nothing under the orders template.
      const order = report.routes!.find((x) => x.route === 'GET /v1/users/:uid/orders/:oid')!;
      assert.ok(order.client!.requests >= UNRECORDED_MIN_REQUESTS, JSON.stringify(order.client));
      assert.equal(order.service!.requests, 0);
      assert.ok(report.routes!.find((x) => x.route === 'GET /api/items/:id')!.service!.requests > 0);
      const w = report.verdicts.find((v) => v.contract === 'routes' && v.name === 'GET /v1/users/:uid/orders/:oid');
      assert.ok(w, `no routes verdict: ${report.verdicts.map((v) => `${v.contract} ${v.name} ${v.verdict}`).join(', ')}`);
      assert.equal(w.verdict, 'warn');
      assert.match(w.reason, /^the client sent [0-9,]+ requests to GET \/v1\/users\/:uid\/orders\/:oid and got [0-9,]+ answers \([0-9,]+ x 200\), but the service's metrics recorded none under that route: its route label does not match the contract's template .*its series hold [0-9,]+ GET requests under [0-9]+ labels? with the template's parameters filled in, "\/v1\/users\/\d\/orders\/\d"/);
      for (const name of ['lat', 'errors']) {
        const v = report.verdicts.find((x) => x.name === name)!;
        assert.equal(v.verdict, 'warn', `${name}: ${v.reason}`);
        assert.match(v.reason, /the service side is INCONCLUSIVE: the client got answers to [0-9,]+ requests to GET \/v1\/users\/:uid\/orders\/:oid/);
      }
      // Nothing failed, the client's view met every objective: a pass, whose notes name the route.
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(report.reasons, []);
      assert.ok(report.notes.some((x) => x.startsWith('routes GET /v1/users/:uid/orders/:oid: the client sent')), report.notes.join('\n'));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
