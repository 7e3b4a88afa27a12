// A mapped route label written in another router's spelling of the contract's template: promhttp
// curried with gorilla/mux's or Go 1.22 ServeMux's `handler="/orders/{id}"` for the contract's
// `/orders/:id` (a trial of a Go service, defect 4). Every reader of the service's series selects
// a route through label-map.ts routeMatcher, which now takes every spelling (route-paths.ts
// routePathRegex), so the route's own threshold applies:
//   - the matcher itself, on the spellings routers write (JavaScript's regex and, in the promtool
//     test, Prometheus' RE2);
//   - the generated rules in a real promtool;
//   - the embedded engine (`status --target`);
//   - the gate's service view: the objective row agrees with the route row.
//
// The scenario, per 15 s scrape: GET /orders/{id} 20 requests, 1 at 120 ms (over its own 100 ms,
// within the 150 ms default); GET /files/{rest...} (contract /files/*, own 100 ms) 10 requests, 1
// at 120 ms; GET /orders 10 requests, all within 100 ms. 40 requests, 2 slow: 95% good. Matched
// verbatim, the two slow ones fell in the 150 ms group and the SLI read 100%.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { labelMap, routeMatcher } from '../src/contract/label-map.ts';
import { parseContract } from '../src/contract/load.ts';
import { routePathRegex } from '../src/contract/route-paths.ts';
import type { Contract } from '../src/contract/schema.ts';
import { prometheusRules } from '../src/emit/prometheus.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import type { LoadResult, RouteResult } from '../src/load/types.ts';
import { Histogram } from '../src/measure/histogram.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';
import { judgeObjectives } from '../src/verdicts/objectives.ts';
import { routeEvidence, routeReports } from '../src/verdicts/routes.ts';
import { requireBinary, run } from './helpers/prometheus.ts';

function contractOf(labels = '  labels: { route: handler, status: code }'): Contract {
  const l = parseContract(`apiVersion: sloctl/v1
service: { name: orders-go, runtime: go }
window: 1h
bucket: 1m
scrapeInterval: 15s
errorClasses:
  - { name: server, weight: 1, status: ["5xx"] }
routes:
  - { name: get-order, method: GET, path: /orders/:id, latency: 100ms }
  - { name: file, method: GET, path: /files/*, latency: 100ms }
  - { name: list-orders, method: GET, path: /orders }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
${labels}
objectives:
  latency:
    - { name: api, threshold: 150ms, objective: 99% }
  errors: { name: errors, objective: 99% }
`, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  return l.contract;
}

const BOUNDS = [0.05, 0.1, 0.15, 0.25, Infinity];
const le = (b: number) => (b === Infinity ? '+Inf' : String(b));
/** Per scrape: [handler as the router spells it, requests, of them at 120 ms (the rest at 40 ms)]. */
const PER_SCRAPE: Array<[string, number, number]> = [
  ['/orders/{id}', 20, 1],
  ['/files/{rest...}', 10, 1],
  ['/orders', 10, 0],
];

/** client_golang's series after `k` scrape intervals, {handler, method="get", code="200"}. */
function samples(k: number): IngestSample[] {
  const out: IngestSample[] = [];
  for (const [handler, n, slow] of PER_SCRAPE) {
    const labels = { handler, method: 'get', code: '200' };
    for (const b of BOUNDS) out.push({ name: 'http_request_duration_seconds_bucket', labels: { ...labels, le: le(b) }, value: k * (b >= 0.12 ? n : b >= 0.04 ? n - slow : 0), type: 'histogram' });
    out.push({ name: 'http_request_duration_seconds_count', labels, value: k * n, type: 'histogram' });
    out.push({ name: 'http_request_duration_seconds_sum', labels, value: k * ((n - slow) * 0.04 + slow * 0.12), type: 'histogram' });
    out.push({ name: 'http_requests_total', labels, value: k * n, type: 'counter' });
  }
  return out;
}

function exposition(k: number): string {
  const lines = ['# TYPE http_request_duration_seconds histogram', '# TYPE http_requests_total counter'];
  for (const s of samples(k)) lines.push(`${s.name}{${Object.entries(s.labels).map(([a, v]) => `${a}="${v}"`).join(',')}} ${s.value}`);
  return `${lines.join('\n')}\n`;
}

describe('routeMatcher: every spelling of a route template', () => {
  it('a mapped label matches the template as routers write it, and nothing else', () => {
    const cases: Array<[string, string[], string[]]> = [
      ['/orders/:id', ['/orders/:id', '/orders/{id}', '/orders/{orderId}', '/orders/{id:[0-9]+}', '/orders/{id:[0-9]{3}}', '/orders/:id(\\d+)', '/orders/:id?'], ['/orders', '/orders/', '/orders/123', '/orders/{rest...}', '/orders/*', '/orders/:id/items', '/orders/{id}/']],
      ['/orders/{id}', ['/orders/:id', '/orders/{id}'], ['/orders/x']],
      ['/files/*', ['/files/*', '/files/*rest', '/files/{rest...}', '/files/{*rest}'], ['/files/:id', '/files/{id}', '/files/a']],
      ['/products/', ['/products/', '/products/{$}'], ['/products']],
      ['/', ['/', '/{$}'], ['', '/x']],
      ['/v1.2/:from-:to', ['/v1.2/:from-:to', '/v1.2/{from}-{to}'], ['/v1x2/:from-:to']],
    ];
    for (const [path, yes, no] of cases) {
      const re = new RegExp(`^(?:${routePathRegex(path)})$`, 'su');
      for (const s of yes) assert.match(s, re, `${path} should select ${s}`);
      for (const s of no) assert.doesNotMatch(s, re, `${path} should not select ${s}`);
    }
    assert.equal(routePathRegex('/orders'), undefined, 'one spelling only: matched with =');
  });

  it('the SDK\'s own label keeps the contract\'s spelling (=); a literal path stays =', () => {
    const sdk = labelMap(contractOf(''));
    assert.deepEqual(routeMatcher(sdk, ['/orders/:id']), { name: 'route', op: '=', value: '/orders/:id' });
    const mapped = labelMap(contractOf());
    assert.deepEqual(routeMatcher(mapped, ['/orders']), { name: 'handler', op: '=', value: '/orders' });
    const m = routeMatcher(mapped, ['/orders/:id', '/orders']);
    assert.equal(m.op, '=~');
    const re = new RegExp(`^(?:${m.value})$`);
    for (const s of ['/orders', '/orders/{id}', '/orders/:id']) assert.match(s, re);
    assert.doesNotMatch('/orders/1', re);
    assert.equal(routeMatcher(mapped, ['/orders/:id'], true).op, '!~');
  });
});

describe('promtool: the rules judge handler="/orders/{id}" at the route\'s own threshold', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'sloctl-route-spellings-')); });
  after(() => { if (!process.env.SLOCTL_KEEP_TMP) rmSync(dir, { recursive: true, force: true }); });

  it('2 of 40 requests a scrape are slow at 100 ms: bad 2/40, not 0', async (t) => {
    const bin = requireBinary(t, 'promtool');
    if (!bin) return;
    const STEPS = 80; // 20 minutes at 15 s
    const input_series = samples(1).filter((s) => s.name !== 'http_request_duration_seconds_sum').map((s) => ({
      series: `${s.name}{job="orders", ${Object.entries(s.labels).map(([a, v]) => `${a}="${v}"`).join(', ')}}`,
      values: `0+${s.value}x${STEPS}`,
    }));
    const rules = prometheusRules(contractOf(), { selector: 'job="orders"' });
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rules.groups }, { lineWidth: 0 }));
    const rec = (kind: 'bad' | 'total', slo: string) => `sum(sloctl:${kind}_events:increase1h{sloctl_slo="${slo}"})`;
    const value = (expr: string, v: number) => ({ expr, eval_time: '20m', exp_samples: [{ labels: '{}', value: v }] });
    const promql_expr_test = [
      value(rec('total', 'api'), 40 * STEPS),
      // GET /orders/{id} 1 and /files/{rest...} 1 a scrape over their own 100 ms.
      value(rec('bad', 'api'), 2 * STEPS),
    ];
    const testPath = join(dir, 'test.yaml');
    writeFileSync(testPath, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: [{ interval: '15s', input_series, promql_expr_test }] }, { lineWidth: 0 }));
    const r = await run(bin, ['test', 'rules', testPath], { cwd: dir });
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });
});

describe('the embedded engine (status --target) on handler="/orders/{id}"', () => {
  it('reads 95% good (2 of 40 a scrape over their own 100 ms), not 100%', () => {
    const c = contractOf();
    const store = new SeriesStore();
    const ev = new EmbeddedEvaluator(defineSlos(c));
    ev.attach(store);
    const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
    for (let k = 0; k <= 4; k++) store.ingest({ at: T0 + k * 15_000, samples: samples(k) });
    const lat = ev.report(T0 + 4 * 15_000 + 1).slos.find((s) => s.name === 'api')!;
    assert.deepEqual([lat.counts.total, lat.counts.bad], [160, 8]);
    assert.equal(lat.current, 0.95);
    assert.equal(lat.state, 'failing');
  });
});

describe('the gate: the objective row agrees with the route rows', () => {
  let server: Server;
  let url = '';
  let k = 0;
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(exposition(k));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  function clientRow(name: string, n: number, slow: number): RouteResult {
    const h = new Histogram();
    for (let i = 0; i < n; i++) h.record((i < slow ? 120 : 40) * 1000);
    return { name, sent: n, completed: n, statuses: { 200: n }, errors: {}, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() };
  }

  it('service 95% on the objective, GET /orders/:id 95% within its 100 ms', async () => {
    const c = contractOf();
    let clock = 1_800_000_000_000;
    const watch = new ServiceWatch(c, { metricsUrl: url, intervalMs: 1000, timeoutMs: 2000, allowRemote: false, now: () => clock });
    k = 0;
    const start = await watch.scrape();
    clock += 10_000;
    k = 10;
    await watch.scrape();
    const view = watch.view(start);
    const rows = [clientRow('get-order', 200, 10), clientRow('file', 100, 10), clientRow('list-orders', 100, 0)];
    const all = new Histogram();
    for (const r of rows) all.merge(Histogram.fromJSON(r.histogram));
    const client = {
      source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs: 10_000, sent: 400, completed: 400,
      errors: 0, timeouts: 0, throughput: 40, latency: all.summary(), serviceTime: all.summary(), statuses: {}, routes: rows, notes: [],
    } as unknown as LoadResult;
    const ev = routeEvidence(c, client, watch.routes());
    const verdicts = judgeObjectives(c, { client, service: view, routes: ev });
    const api = verdicts.find((v) => v.contract === 'latency' && v.name === 'api')!;
    assert.equal(api.service, 0.95, api.reason);
    const row = routeReports(c, ev, verdicts).find((r) => r.route === 'GET /orders/:id')!;
    assert.equal(row.thresholdMs, 100);
    assert.equal(row.service!.withinThreshold, 0.95);
  });
});
