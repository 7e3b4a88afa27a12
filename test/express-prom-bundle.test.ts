// A user trial of an Express service instrumented with express-prom-bundle (`includePath: true`,
// its default normalizePath), the contract mapping its names (`metrics.labels: { route: path,
// method: method, status: status_code }`). express-prom-bundle writes `path="/items/#val"` for
// `/items/42`: url-value-parser's placeholder for a segment that looks like a value, i.e. the route
// `/items/:id`. sloctl read `#val` as a raw path: `validate --target` warned SLO_ROUTE_NO_SERIES
// ("the label holds raw paths, not the template"), the gate's service view recorded nothing under
// GET /items/:id (its latency and errors service sides INCONCLUSIVE), and the rules selected no
// series for the route's own threshold.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import promBundle from 'express-prom-bundle';
import { Registry } from 'prom-client';
import { checkLiveFacts, type LiveSeries } from '../src/contract/live-facts.ts';
import { labelMap, routeMatcher } from '../src/contract/label-map.ts';
import { parseContract } from '../src/contract/load.ts';
import { normalizeRoutePath } from '../src/contract/route-paths.ts';
import type { Contract } from '../src/contract/schema.ts';
import { isRecording, prometheusRules, type AlertingRule } from '../src/emit/prometheus.ts';
import { parseExposition } from '../src/observe/exposition.ts';
import { runCli } from './helpers/cli.ts';

function contract(): Contract {
  const l = parseContract(`apiVersion: sloctl/v1
service: { name: shop, runtime: node }
routes:
  - { name: get-item, method: GET, path: /items/:id }
  - { name: get-quote, method: GET, path: /quote/:sku, latency: 300ms }
  - { name: report, method: GET, path: /report }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_request_duration_seconds_count
  labels: { route: path, method: method, status: status_code }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 95% }
  errors: { objective: 99% }
`, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  return l.contract;
}

describe('express-prom-bundle: `#val` in the path label is a route parameter', () => {
  let server: Server;
  let base: string;
  before(async () => {
    const app = express();
    app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true, promRegistry: new Registry() }));
    app.get('/items/:id', (req, res) => { res.json({ id: req.params.id }); });
    app.get('/quote/:sku', (req, res) => { res.json({ sku: req.params.sku }); });
    app.get('/report', (_req, res) => { res.json({ rows: 1 }); });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const p of ['/items/42', '/items/7', '/quote/123', '/report']) await (await fetch(base + p)).text();
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('the matcher every reader uses (rules, status, the engine) selects `/items/#val` for /items/:id', () => {
    const m = labelMap(contract());
    const x = routeMatcher(m, ['/items/:id']);
    assert.equal(x.op, '=~');
    const re = new RegExp(`^(?:${x.value})$`);
    assert.ok(re.test('/items/#val'), x.value);
    assert.ok(!re.test('/items/#val/extra'));
    assert.ok(!re.test('/quote/#val'));
  });

  it('the gate\'s route key (normalizeRoutePath) is the same for `/items/#val` and /items/:id', () => {
    assert.equal(normalizeRoutePath('/items/#val'), normalizeRoutePath('/items/:id'));
    assert.equal(normalizeRoutePath('/a/#val/b/#val'), normalizeRoutePath('/a/{x}/b/:y'));
  });

  it('validate --target (checkLiveFacts) on the running service: every route has its series, no raw-path warning', async () => {
    const body = await (await fetch(`${base}/metrics`)).text();
    assert.match(body, /path="\/items\/#val"/, 'express-prom-bundle labels the id segment #val');
    const series: LiveSeries[] = parseExposition(body).families.flatMap((f) => f.samples.map((s) => ({ name: s.name, labels: s.labels, type: f.type })));
    const facts = checkLiveFacts(contract(), series, `${base}/metrics`);
    const routeFindings = facts.findings.filter((f) => f.code === 'SLO_ROUTE_NO_SERIES' || f.code === 'SLO_ROUTE_LABEL_VALUES');
    assert.deepEqual(routeFindings.map((f) => `${f.code}: ${f.message}`), []);
  });
});

describe('the rules\' SLIUnmeasurable alert says how to add buckets in the service\'s runtime', () => {
  const description = (c: Contract) => {
    const alert = prometheusRules(c).groups.flatMap((g) => g.rules).find((r): r is AlertingRule => !isRecording(r) && r.alert.endsWith('SLIUnmeasurable') && r.annotations?.description?.includes('bucket') === true);
    assert.ok(alert, 'a latency SLIUnmeasurable alert');
    return alert.annotations!.description!;
  };

  it('a Node service (express-prom-bundle) is not told about client_golang', () => {
    // Before: "Add the thresholds to the histogram's buckets (client_golang: prometheus.HistogramOpts.Buckets)."
    const d = description(contract());
    assert.doesNotMatch(d, /client_golang/);
    assert.match(d, /prom-client: the histogram's `buckets`; express-prom-bundle: its `buckets` option/);
  });

  it('a Go service still is', () => {
    const go = parseContract(`apiVersion: sloctl/v1
service: { name: orders, runtime: go }
routes:
  - { name: get-order, method: GET, path: /orders/:id }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: { route: handler, method: method, status: code }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 95% }
`, 'slo.yaml');
    assert.ok(go.contract);
    assert.match(description(go.contract), /client_golang: prometheus\.HistogramOpts\.Buckets/);
  });
});

describe('a parameter that does not look like an id stays a raw path in express-prom-bundle\'s label', () => {
  it('validate --target names that route\'s own template in the hint (it named the first route with a parameter)', () => {
    const series: LiveSeries[] = [];
    for (const path of ['/items/#val', '/quote/abc', '/report']) {
      const labels = { status_code: '200', method: 'GET', path };
      for (const le of ['0.003', '0.03', '0.1', '0.3', '1.5', '10', '+Inf']) series.push({ name: 'http_request_duration_seconds_bucket', labels: { ...labels, le }, type: 'histogram' });
      series.push({ name: 'http_request_duration_seconds_count', labels, type: 'histogram' });
    }
    const findings = checkLiveFacts(contract(), series, 'http://127.0.0.1:1/metrics').findings.filter((f) => f.code === 'SLO_ROUTE_NO_SERIES');
    assert.equal(findings.length, 1, findings.map((f) => f.message).join('\n'));
    assert.match(findings[0].message, /`GET \/quote\/:sku`.*"\/quote\/abc"/);
    // Before: "label the series with the route template (`/items/:id` in any router's spelling ...".
    assert.match(findings[0].hint ?? '', /label the series with the route template \(`\/quote\/:sku` in any router's spelling/);
  });
});

describe('validate --project on a service instrumented with express-prom-bundle', () => {
  const SERVER = `import express from 'express';
import promBundle from 'express-prom-bundle';
const app = express();
app.use(promBundle({ includeMethod: true, includePath: true, promClient: { collectDefaultMetrics: {} } }));
app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));
app.get('/quote/:sku', (req, res) => res.json({ sku: req.params.sku }));
app.get('/report', (req, res) => res.json({}));
app.listen(3000);
`;
  const CONTRACT = (threshold: string) => `apiVersion: sloctl/v1
service: { name: shop, runtime: node }
routes:
  - { name: get-item, method: GET, path: /items/:id }
  - { name: get-quote, method: GET, path: /quote/:sku, latency: 300ms }
  - { name: report, method: GET, path: /report }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_request_duration_seconds_count
  labels: { route: path, method: method, status: status_code }
objectives:
  latency:
    - { name: api, threshold: ${threshold}, objective: 95% }
  errors: { objective: 99% }
`;
  function project(threshold: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-prom-bundle-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop', type: 'module' }));
    writeFileSync(join(dir, 'server.js'), SERVER);
    writeFileSync(join(dir, 'slo.yaml'), CONTRACT(threshold));
    return dir;
  }

  it('finds the histogram it registers, with its labels and default buckets: valid (it said SLO_METRIC_NOT_REGISTERED, exit 1)', async () => {
    const dir = project('100ms');
    try {
      const r = await runCli(['validate', 'slo.yaml', '--project', '.'], dir);
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout + r.stderr, /SLO_METRIC_NOT_REGISTERED|SLO_LABEL_MISSING/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a threshold its default buckets (0.003, 0.03, 0.1, 0.3, 1.5, 10) have no bound at is named, at the call', async () => {
    const dir = project('200ms');
    try {
      const r = await runCli(['validate', 'slo.yaml', '--project', '.'], dir);
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 1, out);
      assert.match(out, /SLO_BUCKET_MISSING/);
      assert.match(out, /0\.003, 0\.03, 0\.1, 0\.3, 1\.5, 10/);
      assert.match(out, /server\.js:4:9/, 'the buckets are set at the promBundle() call');
      assert.match(out, /hint: add the bucket 0\.2: express-prom-bundle's `buckets` option, `promBundle\(\{ …, buckets: \[0\.003, 0\.03, 0\.1, 0\.2, 0\.3, 1\.5, 10\] \}\)`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sloctl init on a service instrumented with express-prom-bundle', () => {
  const server = (options: string) => `import express from 'express';
import promBundle from 'express-prom-bundle';
const app = express();
app.use(promBundle(${options}));
app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));
app.get('/report', (req, res) => res.json({}));
app.listen(3000);
`;
  function dirWith(options: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-init-bundle-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop', type: 'module' }));
    writeFileSync(join(dir, 'server.js'), server(options));
    return dir;
  }

  it('maps its names under `metrics:` and does not tell the user to add the SDK; the contract passes validate --project', async () => {
    const dir = dirWith('{ includeMethod: true, includePath: true }');
    try {
      const r = await runCli(['init'], dir);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const written = parseContract(readFileSync(join(dir, 'slo.yaml'), 'utf8'), 'slo.yaml');
      // Before: no `metrics:`, so the contract read http_server_request_duration_seconds, which the service does not export.
      assert.deepEqual(written.contract?.metrics, { requestDuration: 'http_request_duration_seconds', requests: 'http_request_duration_seconds_count', labels: { route: 'path', method: 'method', status: 'status_code' } });
      assert.match(r.stdout, /2\. the code instruments itself with express-prom-bundle \(server\.js:4:9\): the contract maps its names under `metrics:`/);
      assert.doesNotMatch(r.stdout, /instrument the service with the SDK/);
      const v = await runCli(['validate', '--project', '.'], dir);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without its path and method labels: says which options to turn on, and writes no mapping it cannot keep', async () => {
    const dir = dirWith('{}');
    try {
      const r = await runCli(['init', '--stdout'], dir);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /^metrics:/m);
      assert.match(r.stderr, /express-prom-bundle \(server\.js:4:9\), but without includeMethod: true, includePath: true: the contract reads sloctl's SDK's series/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
