// `sloctl validate --target URL` (issue 10, "what to build" 2): one scrape of a real target on
// 127.0.0.1, and the live facts the contract depends on, located at the contract line that needs
// them: a bucket at every threshold and percentile ceiling (with the list to add, the runtime's
// way), the mapped labels, the metrics the contract reads (client_golang's way for a Go service,
// the SDK's or prom-client's for a Node one), error classes a status label cannot show.
//
// Targets: a text body written as client_golang writes it (promhttp's usual handlers, curried
// `handler`, DefBuckets), a prom-client Registry with the same Go-like names and DefBuckets, and
// the real Go fixture test/fixtures/gate-go-mux (promhttp.Handler() with Go collectors only).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { Histogram, Registry, Counter } from 'prom-client';
import { instrument } from 'sloctl/sdk';
import sloctlFastify from 'sloctl/sdk/fastify';
import { wrap } from 'sloctl/sdk/http';
import { checkLiveFacts, type LiveSeries } from '../src/contract/live-facts.ts';
import { parseContract } from '../src/contract/load.ts';
import { EXIT } from '../src/errors.ts';
import { parseExposition } from '../src/observe/exposition.ts';
import { runCli } from './helpers/cli.ts';
import { freePort, requireBinary } from './helpers/prometheus.ts';
import { buildGoFile } from './helpers/go-build.ts';

const DEF_BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];

/** What a promhttp-instrumented Go service exposes: the three usual handlers, `handler` curried in, DefBuckets. */
function promhttpBody(o: { buckets?: string[] } = {}): string {
  const buckets = o.buckets ?? DEF_BUCKETS;
  const lines = [
    '# HELP go_goroutines Number of goroutines that currently exist.',
    '# TYPE go_goroutines gauge',
    'go_goroutines 9',
    '# HELP http_request_duration_seconds Request latency.',
    '# TYPE http_request_duration_seconds histogram',
  ];
  for (const handler of ['/orders', '/items']) {
    buckets.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{code="200",handler="${handler}",method="get",le="${le}"} ${i + 1}`));
    lines.push(`http_request_duration_seconds_sum{code="200",handler="${handler}",method="get"} 1.5`);
    lines.push(`http_request_duration_seconds_count{code="200",handler="${handler}",method="get"} ${buckets.length}`);
  }
  lines.push('# HELP http_requests_total Requests.', '# TYPE http_requests_total counter');
  lines.push('http_requests_total{code="200",handler="/orders",method="get"} 12', 'http_requests_total{code="500",handler="/orders",method="post"} 1');
  return `${lines.join('\n')}\n`;
}

/** Serves `bodies[path]` as the Prometheus text format; 404 otherwise. */
async function serve(bodies: Map<string, () => string | Promise<string>>): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const body = bodies.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    void Promise.resolve(body()).then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { server, base: `http://127.0.0.1:${port}` };
}

function contractFile(text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-validate-target-'));
  writeFileSync(join(dir, 'slo.yaml'), text);
  return { dir, file: 'slo.yaml' };
}

/** line:col (1-based) of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string): string {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in the contract`);
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

interface JsonDiag { code: string; severity: string; message: string; hint?: string; line: number; col: number }

async function validateJson(text: string, args: string[]): Promise<{ code: number; diagnostics: JsonDiag[]; report: Record<string, unknown>; stderr: string }> {
  const { dir, file } = contractFile(text);
  const r = await runCli(['validate', file, '--format', 'json', ...args], dir);
  const report = JSON.parse(r.stdout) as { files: Array<{ diagnostics: JsonDiag[] }> };
  return { code: r.code, diagnostics: report.files[0].diagnostics, report, stderr: r.stderr };
}

const GO_MAPPED = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
routes:
  - { name: orders, method: GET, path: /orders }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: { route: handler, method: method, status: code }
objectives:
  latency:
    - name: api
      threshold: 300ms
      objective: 99%
      percentiles: { p50: 100ms, p99: 400ms }
  errors:
    objective: 99%
`;

describe('validate --target: the live facts of a running service', () => {
  let server: Server;
  let base: string;
  const bodies = new Map<string, () => string | Promise<string>>();
  const registry = new Registry();

  before(async () => {
    bodies.set('/metrics', () => promhttpBody());
    bodies.set('/with-300ms/metrics', () => promhttpBody({ buckets: ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.3', '0.4', '0.5', '1', '+Inf'] }));
    // A prom-client registry with Go-like names and labels, and prom-client's default buckets (= DefBuckets).
    const hist = new Histogram({ name: 'http_request_duration_seconds', help: 'latency', labelNames: ['handler', 'method', 'code'], registers: [registry] });
    const reqs = new Counter({ name: 'http_requests_total', help: 'requests', labelNames: ['handler', 'method', 'code'], registers: [registry] });
    hist.observe({ handler: '/orders', method: 'get', code: '200' }, 0.12);
    reqs.inc({ handler: '/orders', method: 'get', code: '200' });
    bodies.set('/prom-client/metrics', () => registry.metrics());
    ({ server, base } = await serve(bodies));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('a threshold with no bucket: an error at the threshold (file:line:col) with the buckets the series have and, for Go, the sorted Buckets list to set', async () => {
    const { dir, file } = contractFile(GO_MAPPED);
    const r = await runCli(['validate', file, '--target', base], dir);
    assert.equal(r.code, EXIT.FAILED, r.stderr);
    const where = at(GO_MAPPED, '300ms');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_BUCKET_MISSING: the threshold of objective "api" is 300ms, and \`http_request_duration_seconds\` on ${base}/metrics has no bucket at 0\\.3 s: its buckets are 0\\.005, 0\\.01, 0\\.025, 0\\.05, 0\\.1, 0\\.25, 0\\.5, 1, 2\\.5, 5, 10, \\+Inf`));
    assert.match(r.stderr, /the generated rules count good requests from the bucket le="0\.3" and find none, so in Prometheus the SLI reads 0 good/);
    assert.match(r.stderr, /Buckets: \[\]float64\{0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.3, 0\.4, 0\.5, 1, 2\.5, 5, 10\}/, 'the list to set, sorted, with every missing bound (0.3 from the threshold, 0.4 from p99)');
    assert.match(r.stderr, /hint: add the buckets 0\.3, 0\.4: /);
    assert.doesNotMatch(r.stderr, /instrument\(\)|prom-client/, 'no Node hint for a Go service');
    // The p99 ceiling of 400 ms lies between 0.25 and 0.5: a warning naming the two.
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${at(GO_MAPPED, '400ms')}: warning SLO_BUCKET_MISSING: the p99 ceiling of objective "api" is 400ms[^\\n]*interpolated between the bounds 0\\.25 s and 0\\.5 s`));
    // p50 = 100ms is a bucket (0.1): nothing about it.
    assert.doesNotMatch(r.stderr, /p50 ceiling/);
    assert.match(r.stdout, /live check: \d+ series scraped from http:\/\/127\.0\.0\.1:\d+\/metrics; `http_request_duration_seconds` has 2 series/);
  });

  it('every threshold and ceiling on a bucket: no bucket finding, and the mapped labels are all there; a bucket only near a threshold (within 1%) is a warning about the rules', async () => {
    const exact = await validateJson(GO_MAPPED, ['--target', `${base}/with-300ms/metrics`]);
    assert.deepEqual(exact.diagnostics.map((d) => `${d.code}: ${d.message}`), []);
    assert.equal(exact.code, EXIT.OK);

    const text = GO_MAPPED.replace('300ms', '299.5ms');
    const r = await validateJson(text, ['--target', `${base}/with-300ms/metrics`]);
    assert.deepEqual(r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col}`), [`warning SLO_BUCKET_MISSING ${at(text, '299.5ms')}`]);
    assert.match(r.diagnostics[0].message, /has a bucket near it \(le="0\.3"\), not at it: status and the gate read it as the threshold, but the generated rules select le="0\.2995" exactly and find no series/);
    assert.equal(r.code, EXIT.OK, 'a warning');
    const live = r.report.liveCheck as { url: string; histogram: { buckets: Array<number | string> } };
    assert.equal(live.url, `${base}/with-300ms/metrics`);
    assert.deepEqual(live.histogram.buckets, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.4, 0.5, 1, '+Inf']);
  });

  it('a mapped label the series do not carry: names the labels they have and the one to map it to', async () => {
    // The SDK's label names (no metrics.labels) on promhttp's series: no `route`, no `error_class`.
    const text = GO_MAPPED.replace('  labels: { route: handler, method: method, status: code }\n', '').replace('300ms', '250ms').replace(', p99: 400ms', '');
    const r = await validateJson(text, ['--target', base]);
    const labels = r.diagnostics.filter((d) => d.code === 'SLO_LABEL_MISSING');
    const route = labels.find((d) => /no `route`/.test(d.message));
    assert.ok(route, JSON.stringify(labels, null, 2));
    // One finding for the label, naming every metric that lacks it.
    assert.match(route.message, new RegExp(`^on ${base}/metrics, \`http_request_duration_seconds\` and \`http_requests_total\` have labels \\{code, handler, method\\}; no \`route\``));
    assert.equal(labels.filter((d) => /no `route`/.test(d.message)).length, 1);
    assert.equal(route.hint, 'map it with `metrics.labels.route: handler`');
    assert.equal(`${route.line}:${route.col}`, at(text, 'routes:'));
    const errors = labels.find((d) => /no `error_class`/.test(d.message));
    assert.ok(errors);
    assert.match(errors.message, /errors SLI counts none and reads 100% good/);
    assert.match(errors.hint!, /^map it with `metrics\.labels\.status: code` \(error classes then come from errorClasses\[\]\.status\)/);
    assert.equal(r.code, EXIT.FAILED);
  });

  it('the SDK\'s metric names on a promhttp service: each missing role names the exposed metric to map it to', async () => {
    const text = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 99% }
  errors: { objective: 99% }
`;
    const r = await validateJson(text, ['--target', base]);
    const missing = r.diagnostics.filter((d) => d.code === 'SLO_METRIC_NOT_EXPOSED');
    assert.deepEqual(missing.map((d) => [/`([^`]+)`/.exec(d.message)![1], `${d.line}:${d.col}`]), [['http_server_request_duration_seconds', at(text, 'latency:')], ['http_server_requests_total', at(text, 'errors:')]]);
    assert.match(missing[0].message, /a labelled metric shows series only after its first observation/);
    assert.match(missing[0].hint!, new RegExp(`^${base}/metrics exposes \`http_request_duration_seconds\`: if that is it, map it with \`metrics: \\{ requestDuration: http_request_duration_seconds \\}\`; otherwise register it with client_golang`));
    assert.match(missing[1].hint!, /exposes `http_requests_total`: if that is it, map it with `metrics: \{ requests: http_requests_total \}`/);
  });

  it('a metric the service does not expose: client_golang\'s way for a Go contract, the SDK\'s and prom-client\'s for a Node one', async () => {
    const go = `${GO_MAPPED.replace(', p99: 400ms', '').replace('300ms', '250ms')}  concurrency:\n    inFlight: { warn: 50, critical: 100 }\n    goroutines: { warn: 500, critical: 1000 }\n    capture: none\n`;
    const g = await validateJson(go, ['--target', base]);
    const missing = g.diagnostics.filter((d) => d.code === 'SLO_METRIC_NOT_EXPOSED');
    assert.deepEqual(missing.map((d) => /`([^`]+)`/.exec(d.message)![1]), ['http_server_active_requests'], 'go_goroutines is exposed; only the in-flight gauge is missing');
    assert.equal(`${missing[0].line}:${missing[0].col}`, at(go, 'inFlight'));
    assert.match(missing[0].hint!, /promauto\.NewGauge\(prometheus\.GaugeOpts\{Name: "http_server_active_requests"\}\)`, and wrap the handler with `promhttp\.InstrumentHandlerInFlight\(gauge, h\)`/);
    assert.doesNotMatch(missing[0].hint!, /instrument\(\)|prom-client/);

    const node = go.replace('runtime: go', 'runtime: node').replace('    goroutines: { warn: 500, critical: 1000 }\n', '');
    const n = await validateJson(node, ['--target', `${base}/prom-client/metrics`]);
    const nodeMissing = n.diagnostics.filter((d) => d.code === 'SLO_METRIC_NOT_EXPOSED');
    assert.deepEqual(nodeMissing.map((d) => /`([^`]+)`/.exec(d.message)![1]), ['http_server_active_requests']);
    assert.match(nodeMissing[0].hint!, /register it \(sloctl\/sdk's instrument\(\) does\), or with prom-client: `new client\.Gauge\(\{ name: 'http_server_active_requests'/);
    assert.doesNotMatch(nodeMissing[0].hint!, /client_golang|promauto/);
    // prom-client's default buckets have 0.25: no bucket finding for the 250ms threshold.
    assert.ok(!n.diagnostics.some((d) => d.code === 'SLO_BUCKET_MISSING'), 'a 250ms threshold is a default bucket');
  });

  it('a Node contract on a prom-client histogram without the threshold: prom-client\'s buckets: [...] fix, and sloctl_availability missing is a note, not an error', async () => {
    const text = `apiVersion: sloctl/v1
service: { name: orders, runtime: node }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: { route: handler, status: code }
objectives:
  latency:
    - { name: api, threshold: 300ms, objective: 99% }
  availability:
    objective: 99%
`;
    const r = await validateJson(text, ['--target', `${base}/prom-client/metrics`]);
    const bucket = r.diagnostics.find((d) => d.code === 'SLO_BUCKET_MISSING');
    assert.ok(bucket);
    assert.equal(`${bucket.line}:${bucket.col}`, at(text, '300ms'));
    assert.match(bucket.hint!, /^add the bucket 0\.3: with prom-client, `new client\.Histogram\(\{ name: 'http_request_duration_seconds', help: '…', labelNames: \[\.\.\.\], buckets: \[0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.3, 0\.5, 1, 2\.5, 5, 10\] \}\)`$/);
    assert.ok(!r.diagnostics.some((d) => /sloctl_availability/.test(d.message)), 'availability is composed from its parts: no finding');
    const live = r.report.liveCheck as { notes: string[] };
    assert.match(live.notes.join('\n'), /does not expose `sloctl_availability` \(the availability objective\): without it, the rules compose availability from its parts/);
  });

  it('unreachable target: exit 3, naming --target and the URL', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { dir, file } = contractFile(GO_MAPPED);
    const r = await runCli(['validate', file, '--target', closed], dir);
    assert.equal(r.code, EXIT.TARGET, r.stderr);
    assert.match(r.stderr, new RegExp(`^sloctl: --target ${closed.replace(/\./g, '\\.')}: scrape of ${closed.replace(/\./g, '\\.')}/metrics failed: connection refused`));
  });

  it('a wrong metrics path: exit 3 with the HTTP status and where the path comes from', async () => {
    const { dir, file } = contractFile(GO_MAPPED);
    const r = await runCli(['validate', file, '--target', `${base}/nothing-here`], dir);
    assert.equal(r.code, EXIT.TARGET);
    assert.match(r.stderr, /--target http:\/\/127\.0\.0\.1:\d+\/nothing-here: scrape of [^ ]+ failed: HTTP 404; check the metrics path/);
  });

  it('a target that is not loopback is refused before anything is sent (exit 2), unless --allow-remote; a bad URL too', async () => {
    const { dir, file } = contractFile(GO_MAPPED);
    const r = await runCli(['validate', file, '--target', 'http://192.0.2.1:9090/metrics'], dir);
    assert.equal(r.code, EXIT.USAGE);
    assert.match(r.stderr, /--target: refusing to scrape http:\/\/192\.0\.2\.1:9090\/metrics: 192\.0\.2\.1 is not a loopback address; sloctl reads only local targets unless told otherwise \(pass --allow-remote/);
    const bad = await runCli(['validate', file, '--target', '127.0.0.1:9090'], dir);
    assert.equal(bad.code, EXIT.USAGE);
    assert.match(bad.stderr, /--target: cannot scrape "127\.0\.0\.1:9090": not an absolute URL/);
    const stray = await runCli(['validate', file, '--allow-remote'], dir);
    assert.equal(stray.code, EXIT.USAGE);
    assert.match(stray.stderr, /--allow-remote applies to --target only/);
  });

  it('OpenTelemetry\'s exporter: the request count is the histogram\'s _count, read as the counter it is (no type finding), labels mapped', () => {
    const text = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
routes:
  - { name: orders, method: POST, path: /orders }
metrics:
  requestDuration: http_server_request_duration_seconds
  requests: http_server_request_duration_seconds_count
  labels: { route: http_route, method: http_request_method, status: http_response_status_code }
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 99% }
  errors: { objective: 99% }
`;
    const loaded = parseContract(text, 'slo.yaml');
    assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
    const labels = 'http_request_method="POST",http_response_status_code="201",http_route="/orders"';
    const body = ['# TYPE http_server_request_duration_seconds histogram', ...DEF_BUCKETS.map((le, i) => `http_server_request_duration_seconds_bucket{${labels},le="${le}"} ${i}`), `http_server_request_duration_seconds_count{${labels}} 11`, `http_server_request_duration_seconds_sum{${labels}} 1`].join('\n');
    const series: LiveSeries[] = parseExposition(`${body}\n`).families.flatMap((f) => f.samples.map((x) => ({ name: x.name, labels: x.labels, type: f.type })));
    assert.deepEqual(checkLiveFacts(loaded.contract, series, 'http://127.0.0.1:1/metrics').findings.map((f) => `${f.code}: ${f.message}`), []);
    // The same exposition read as a gauge would be a type finding: the check does look at types.
    const asGauge = series.map((x) => (x.name.endsWith('_count') ? { ...x, type: 'gauge' } : x));
    assert.deepEqual(checkLiveFacts(loaded.contract, asGauge, 'http://127.0.0.1:1/metrics').findings.map((f) => f.code), ['SLO_METRIC_TYPE']);
  });

  it('errors derived from a status label: a class with no status list is a warning naming it', () => {
    const text = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
metrics:
  labels: { route: handler, status: code }
errorClasses:
  - { name: timeout, weight: 1, errors: [TimeoutError] }
  - { name: server, weight: 2.5, status: [5xx] }
objectives:
  errors: { objective: 99% }
`;
    const loaded = parseContract(text, 'slo.yaml');
    assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
    const series: LiveSeries[] = parseExposition(promhttpBody()).families.flatMap((f) => f.samples.map((s) => ({ name: s.name, labels: s.labels, type: f.type })));
    const facts = checkLiveFacts(loaded.contract, series, 'http://127.0.0.1:1/metrics');
    const unseen = facts.findings.filter((f) => f.code === 'SLO_ERROR_CLASS_UNSEEN');
    assert.equal(unseen.length, 1);
    assert.match(unseen[0].message, /status label `code`, and "timeout" has no `status:` list/);
    assert.equal(unseen[0].severity, 'warning');
  });
});

describe('validate --target on a service instrumented with sloctl/sdk', () => {
  it('no live finding: the SDK exports every metric and label the contract reads, with a bucket at every threshold and ceiling', async () => {
    const text = `apiVersion: sloctl/v1
service: { name: hello, runtime: node }
routes:
  - { name: hello, method: GET, path: /hello, latency: 120ms }
objectives:
  latency:
    - name: api
      threshold: 300ms
      objective: 99%
      percentiles: { p50: 70ms, p99: 400ms }
  errors: { objective: 99% }
  availability: { objective: 99% }
  memory:
    heap: { warn: 256MiB, critical: 512MiB }
  concurrency:
    inFlight: { warn: 50, critical: 100 }
    eventLoopDelay: { warn: 50ms, critical: 100ms }
`;
    const { dir, file } = contractFile(text);
    const sdk = instrument({ contract: join(dir, file), registry: new Registry(), defaultMetrics: true });
    const app = Fastify();
    await app.register(sloctlFastify, { sdk });
    app.get('/hello', async () => ({ hello: 'node' }));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      // One request, so the labelled series exist.
      assert.equal((await fetch(`${url}/hello`)).status, 200);
      const r = await runCli(['validate', file, '--format', 'json', '--target', url], dir);
      const report = JSON.parse(r.stdout) as { files: Array<{ diagnostics: JsonDiag[] }>; liveCheck: { histogram: { name: string; buckets: Array<number | string> }; notes: string[] } };
      assert.deepEqual(report.files[0].diagnostics.map((d) => `${d.code}: ${d.message}`), []);
      assert.equal(r.code, EXIT.OK);
      // The SDK's histogram has the contract's bounds among its buckets.
      for (const b of [0.07, 0.12, 0.3, 0.4]) assert.ok(report.liveCheck.histogram.buckets.includes(b), `${b} in ${report.liveCheck.histogram.buckets.join(', ')}`);
      assert.deepEqual(report.liveCheck.notes, [], 'the SDK exports sloctl_availability');
    } finally {
      await app.close();
    }
  });
});

describe('validate --target on a service instrumented with sloctl/sdk that has served no request yet', () => {
  // The SDK makes each declared route's series at zero at start. A service that exports a labelled
  // metric with `# HELP`/`# TYPE` and no sample yet (prom-client, client_golang) is checked below
  // on an exposition: exposed (not SLO_METRIC_NOT_EXPOSED), its buckets and labels not readable yet.
  const text = `apiVersion: sloctl/v1
service: { name: fresh, runtime: node }
routes:
  - { name: hello, method: GET, path: /hello }
objectives:
  latency:
    - { name: api, threshold: 200ms, objective: 99%, percentiles: { p99: 250ms } }
  errors: { objective: 99.5% }
  availability: { objective: 99% }
`;
  let server: Server;
  let base = '';
  let dir = '';

  before(async () => {
    ({ dir } = contractFile(text));
    const sdk = instrument({ contract: join(dir, 'slo.yaml'), registry: new Registry(), defaultMetrics: true });
    server = createServer(wrap((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"hello":"node"}'); }, sdk));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('the declared routes\' series are there at zero before the first request: validate --target --strict passes, buckets and labels checked', async () => {
    // A CI step "start the service, validate it" failed --strict with SLO_METRIC_NO_SAMPLES until a
    // request happened to arrive (a user trial): the SDK now makes each declared route's series at start.
    const body = await (await fetch(`${base}/metrics`)).text();
    assert.match(body, /^http_server_request_duration_seconds_bucket\{[^}]*route="\/hello"[^}]*le="0\.2"\} 0$/m);
    assert.match(body, /^http_server_requests_total\{[^}]*route="\/hello"[^}]*status_class="2xx"[^}]*\} 0$/m);
    assert.doesNotMatch(body, /^http_server_requests_total\{[^}]*\} [1-9]/m, 'no request served yet');

    const r = await runCli(['validate', 'slo.yaml', '--format', 'json', '--strict', '--target', base], dir);
    const report = JSON.parse(r.stdout) as { files: Array<{ diagnostics: JsonDiag[] }> };
    assert.deepEqual(report.files[0].diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`), []);
    assert.equal(r.code, EXIT.OK, r.stderr);
  });

  it('a metric the service does not declare at all still fails (SLO_METRIC_NOT_EXPOSED, exit 1), and a declared family of the wrong type is still a type error', async () => {
    const other = join(dir, 'other');
    mkdirSync(other, { recursive: true });
    const missing = text.replace('routes:', 'metrics: { requestDuration: orders_latency_seconds }\nroutes:');
    writeFileSync(join(other, 'slo.yaml'), missing);
    const r = await runCli(['validate', 'slo.yaml', '--format', 'json', '--target', base], other);
    const diags = (JSON.parse(r.stdout) as { files: Array<{ diagnostics: JsonDiag[] }> }).files[0].diagnostics;
    const notExposed = diags.filter((d) => d.code === 'SLO_METRIC_NOT_EXPOSED');
    assert.deepEqual(notExposed.map((d) => [d.severity, /`([^`]+)`/.exec(d.message)![1]]), [['error', 'orders_latency_seconds']]);
    assert.match(notExposed[0].message, /not even declared: [^ ]+ lists its metrics with a `# TYPE` line before their first observation, and has none for this one/);
    assert.equal(r.code, EXIT.FAILED);

    const wrongType = text.replace('routes:', 'metrics: { requestDuration: http_server_requests_total }\nroutes:');
    writeFileSync(join(other, 'slo.yaml'), wrongType);
    const w = await runCli(['validate', 'slo.yaml', '--format', 'json', '--target', base], other);
    const wd = (JSON.parse(w.stdout) as { files: Array<{ diagnostics: JsonDiag[] }> }).files[0].diagnostics;
    assert.ok(wd.some((d) => d.code === 'SLO_METRIC_TYPE' && /the latency objectives read `http_server_requests_total` as a histogram, but [^ ]+ exposes it as a counter/.test(d.message)), JSON.stringify(wd, null, 2));
    assert.equal(w.code, EXIT.FAILED);
  });

  it('after one request the same contract has no finding at all', async () => {
    assert.equal((await fetch(`${base}/hello`)).status, 200);
    const r = await runCli(['validate', 'slo.yaml', '--format', 'json', '--target', base], dir);
    const report = JSON.parse(r.stdout) as { files: Array<{ diagnostics: JsonDiag[] }> };
    assert.deepEqual(report.files[0].diagnostics.map((d) => `${d.code}: ${d.message}`), []);
    assert.equal(r.code, EXIT.OK);
  });

  it('an OpenMetrics counter declared without its `_total`, no sample: exposed (checkLiveFacts with the scrape\'s families)', () => {
    const loaded = parseContract(text, 'slo.yaml');
    assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
    const body = '# TYPE http_server_request_duration_seconds histogram\n# TYPE http_server_requests counter\n# TYPE sloctl_availability gauge\nsloctl_availability 1\n# EOF\n';
    const parsed = parseExposition(body);
    const series: LiveSeries[] = parsed.families.flatMap((f) => f.samples.map((x) => ({ name: x.name, labels: x.labels, type: f.type })));
    const families = parsed.families.map((f) => ({ name: f.name, type: f.type, samples: f.samples.length }));
    const facts = checkLiveFacts(loaded.contract, series, 'http://127.0.0.1:1/metrics', families);
    assert.deepEqual(facts.findings.map((f) => `${f.severity} ${f.code}`), ['warning SLO_METRIC_NO_SAMPLES', 'warning SLO_METRIC_NO_SAMPLES']);
    // Without the families (samples only), the same scrape reads as not exposing them.
    assert.deepEqual(checkLiveFacts(loaded.contract, series, 'http://127.0.0.1:1/metrics').findings.map((f) => f.code), ['SLO_METRIC_NOT_EXPOSED', 'SLO_METRIC_NOT_EXPOSED']);
  });
});

describe('validate --target on the real Go fixture (promhttp.Handler(), Go collectors only)', { timeout: 120_000 }, () => {
  let svc: ChildProcess | undefined;
  let base = '';
  let bin: string | undefined;

  after(() => {
    svc?.kill('SIGTERM');
  });

  it('reads client_golang\'s own exposition: go_goroutines is there, the HTTP histogram is not, and the hints are client_golang\'s', async (t) => {
    const go = requireBinary(t, 'go', 'apt-get install golang-go golang-github-prometheus-client-golang-dev');
    if (!go) return;
    const work = mkdtempSync(join(tmpdir(), 'sloctl-validate-go-'));
    bin = buildGoFile(go, 'test/fixtures/gate-go-mux/main.go', work);
    const port = await freePort();
    svc = spawn(bin, [], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    base = `http://127.0.0.1:${port}`;
    // Ready when /metrics answers (polled, no fixed sleep).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await fetch(`${base}/metrics`).then((r) => r.ok, () => false);
      if (ok) break;
      assert.ok(Date.now() < deadline, 'the Go fixture did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }

    const text = `apiVersion: sloctl/v1
service: { name: hello, runtime: go }
objectives:
  latency:
    - { name: api, threshold: 300ms, objective: 99% }
  concurrency:
    goroutines: { warn: 500, critical: 1000 }
    capture: none
`;
    const r = await validateJson(text, ['--target', base]);
    const missing = r.diagnostics.filter((d) => d.code === 'SLO_METRIC_NOT_EXPOSED');
    assert.deepEqual(missing.map((d) => /`([^`]+)`/.exec(d.message)![1]), ['http_server_request_duration_seconds']);
    assert.equal(`${missing[0].line}:${missing[0].col}`, at(text, 'latency:'));
    assert.match(missing[0].hint!, /promauto\.NewHistogramVec\(prometheus\.HistogramOpts\{Name: "http_server_request_duration_seconds", Buckets: \[\]float64\{0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.3, 0\.5, 1, 2\.5, 5, 10\}\}/);
    assert.match(missing[0].hint!, /promhttp\.InstrumentHandlerDuration/);
    assert.doesNotMatch(JSON.stringify(r.diagnostics), /instrument\(\)|prom-client|heap-sampling/);
    const live = r.report.liveCheck as { series: number; histogram: unknown };
    assert.ok(live.series > 20, `client_golang's collectors expose dozens of series, got ${live.series}`);
    assert.equal(live.histogram, null);
    assert.equal(r.code, EXIT.FAILED);
  });
});

/** A promhttp-like exposition: `http_requests_total` and the histogram, one series per (handler, method). */
function promhttpSeries(handlers: Array<{ handler: string; method?: string; label?: string }>): string {
  const lines = ['# TYPE http_request_duration_seconds histogram'];
  const labelsOf = (h: { handler: string; method?: string; label?: string }) => `code="200",${h.label ?? 'handler'}="${h.handler}",method="${h.method ?? 'get'}"`;
  for (const h of handlers) {
    for (const le of DEF_BUCKETS) lines.push(`http_request_duration_seconds_bucket{${labelsOf(h)},le="${le}"} 1`);
    lines.push(`http_request_duration_seconds_sum{${labelsOf(h)}} 0.01`, `http_request_duration_seconds_count{${labelsOf(h)}} 1`);
  }
  lines.push('# TYPE http_requests_total counter');
  for (const h of handlers) lines.push(`http_requests_total{${labelsOf(h)}} 1`);
  return `${lines.join('\n')}\n`;
}

const ROUTES_MAPPED = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
routes:
  - { name: list, method: GET, path: /orders }
  - { name: order, method: GET, path: /orders/:id }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: { route: handler, method: method, status: code }
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 99% }
  errors:
    objective: 99%
`;

describe('validate --target: the contract\'s routes as series of the route label', () => {
  let server: Server;
  let base = '';
  const bodies = new Map<string, () => string>();
  const uuid = '3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b';

  before(async () => {
    // Every router's spelling of the two templates.
    bodies.set('/templates/metrics', () => promhttpSeries([{ handler: '/orders' }, { handler: '/orders/{id:[0-9]+}' }]));
    bodies.set('/gorilla/metrics', () => promhttpSeries([{ handler: '/orders' }, { handler: '/orders/{id}' }]));
    // The raw path as the label (no curried template).
    bodies.set('/raw/metrics', () => promhttpSeries([{ handler: '/orders' }, { handler: '/orders/123' }, { handler: '/orders/456' }, { handler: `/orders/${uuid}` }]));
    // One value for every request.
    bodies.set('/empty/metrics', () => promhttpSeries([{ handler: '' }]));
    // The handler's name, not its path.
    bodies.set('/names/metrics', () => promhttpSeries([{ handler: 'listOrders' }, { handler: 'getOrder' }]));
    // A service that has served only GET /orders (promhttp primes nothing).
    bodies.set('/one-served/metrics', () => promhttpSeries([{ handler: '/orders' }]));
    // The route's path served with another method only.
    bodies.set('/post-only/metrics', () => promhttpSeries([{ handler: '/orders' }, { handler: '/orders/{id}', method: 'post' }]));
    ({ server, base } = await serve(bodies));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const routeFindings = (d: JsonDiag[]) => d.filter((x) => x.code === 'SLO_ROUTE_NO_SERIES' || x.code === 'SLO_ROUTE_LABEL_VALUES');

  it('a label holding each route\'s template in any router\'s spelling: no route finding', async () => {
    for (const path of ['/templates/metrics', '/gorilla/metrics']) {
      const r = await validateJson(ROUTES_MAPPED, ['--target', `${base}${path}`, '--strict']);
      assert.deepEqual(r.diagnostics.map((d) => `${d.code}: ${d.message}`), [], path);
      assert.equal(r.code, EXIT.OK);
    }
  });

  it('raw paths in the route label: a warning at the route naming the raw values, and one at the mapped label; --strict fails', async () => {
    const r = await validateJson(ROUTES_MAPPED, ['--target', `${base}/raw/metrics`]);
    const found = routeFindings(r.diagnostics);
    assert.deepEqual(found.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col}`), [
      `warning SLO_ROUTE_NO_SERIES ${at(ROUTES_MAPPED, '/orders/:id')}`,
      `warning SLO_ROUTE_LABEL_VALUES ${at(ROUTES_MAPPED, 'handler, method')}`,
    ], JSON.stringify(r.diagnostics, null, 2));
    assert.equal(found.length, r.diagnostics.length, 'nothing else');
    const route = found.find((d) => d.code === 'SLO_ROUTE_NO_SERIES')!;
    assert.match(route.message, /^no series for `GET \/orders\/:id` \(route "order"\) on http:\/\/127\.0\.0\.1:\d+\/raw\/metrics: no series of `http_request_duration_seconds` or `http_requests_total` has a `handler` that matches its template/);
    assert.match(route.message, /`handler` has 3 values that look like it with the parameter filled in \("\/orders\/123", "\/orders\/3f1c[^"]*", "\/orders\/456"\): the label holds raw paths/);
    const label = found.find((d) => d.code === 'SLO_ROUTE_LABEL_VALUES')!;
    assert.match(label.message, /^on http:\/\/127\.0\.0\.1:\d+\/raw\/metrics, `handler` looks like it holds raw request paths, not route templates: "\/orders\/123", "\/orders\/3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b", "\/orders\/456" \(3 of its 4 values\)/);
    assert.match(label.hint!, /MustCurryWith\(prometheus\.Labels\{"handler": "\/orders\/\{id\}"\}\)/);
    assert.equal(r.code, EXIT.OK, 'warnings only');
    const strict = await validateJson(ROUTES_MAPPED, ['--target', `${base}/raw/metrics`, '--strict']);
    assert.equal(strict.code, EXIT.FAILED);
  });

  it('one value for every series (route=""): a warning at the label saying so, and each route has no series', async () => {
    const r = await validateJson(ROUTES_MAPPED, ['--target', `${base}/empty/metrics`]);
    const found = routeFindings(r.diagnostics);
    assert.deepEqual(found.map((d) => d.code).sort(), ['SLO_ROUTE_LABEL_VALUES', 'SLO_ROUTE_NO_SERIES', 'SLO_ROUTE_NO_SERIES']);
    const label = found.find((d) => d.code === 'SLO_ROUTE_LABEL_VALUES')!;
    assert.match(label.message, /`handler` is empty on every series of `http_request_duration_seconds` and `http_requests_total`/);
    assert.deepEqual(r.diagnostics.filter((d) => d.code === 'SLO_LABEL_MISSING'), [], 'the label is there, with one value');
  });

  it('a label holding handler names, not paths: named at the label, each route without series', async () => {
    const r = await validateJson(ROUTES_MAPPED, ['--target', `${base}/names/metrics`]);
    const found = routeFindings(r.diagnostics);
    assert.deepEqual(found.map((d) => d.code).sort(), ['SLO_ROUTE_LABEL_VALUES', 'SLO_ROUTE_NO_SERIES', 'SLO_ROUTE_NO_SERIES']);
    assert.match(found.find((d) => d.code === 'SLO_ROUTE_LABEL_VALUES')!.message, /no value of `handler` is a path \("getOrder", "listOrders"\)/);
  });

  it('a route the service has not served yet: a warning to send it a request (exit 0), and --strict fails', async () => {
    const r = await validateJson(ROUTES_MAPPED, ['--target', `${base}/one-served/metrics`]);
    assert.deepEqual(r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col}`), [`warning SLO_ROUTE_NO_SERIES ${at(ROUTES_MAPPED, '/orders/:id')}`]);
    assert.match(r.diagnostics[0].message, /^no series for `GET \/orders\/:id` \(route "order"\) yet on [^:]+:\/\/[^ ]+: no series of `http_request_duration_seconds` or `http_requests_total` has a `handler` that matches its template/);
    assert.match(r.diagnostics[0].hint!, /^send it a request and run again/);
    assert.match(r.diagnostics[0].hint!, /or check the route label: `handler` holds "\/orders"/);
    assert.equal(r.code, EXIT.OK);
    assert.equal((await validateJson(ROUTES_MAPPED, ['--target', `${base}/one-served/metrics`, '--strict'])).code, EXIT.FAILED);
  });

  it('far more distinct values than routes, none an id (slugs): named at the label (checkLiveFacts)', () => {
    const loaded = parseContract(ROUTES_MAPPED, 'slo.yaml');
    assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
    const slugs = Array.from({ length: 30 }, (_, i) => ({ handler: `/orders/blue-shoe-${String.fromCharCode(97 + (i % 26))}${i}` }));
    const read = (handlers: Array<{ handler: string }>) => {
      const series: LiveSeries[] = parseExposition(promhttpSeries(handlers)).families.flatMap((f) => f.samples.map((x) => ({ name: x.name, labels: x.labels, type: f.type })));
      return checkLiveFacts(loaded.contract!, series, 'http://127.0.0.1:1/metrics').findings;
    };
    const found = read([{ handler: '/orders' }, ...slugs]);
    const label = found.filter((f) => f.code === 'SLO_ROUTE_LABEL_VALUES');
    assert.equal(label.length, 1, JSON.stringify(found, null, 2));
    assert.match(label[0].message, /`handler` has 31 distinct values \("\/orders", "\/orders\/blue-shoe-a0", "\/orders\/blue-shoe-a26", … \(31 in all\)\) for the contract's 2 routes: it looks like it holds raw request paths/);
    // 20 templates for 2 contract routes: not flagged (a service may serve more routes than its contract lists).
    const templates = Array.from({ length: 19 }, (_, i) => ({ handler: `/other${i}` }));
    assert.deepEqual(read([{ handler: '/orders' }, { handler: '/orders/{id}' }, ...templates.slice(0, 18)]).map((f) => f.code), []);
  });

  it('the route\'s path served with another method only: the warning names the methods seen', async () => {
    const r = await validateJson(ROUTES_MAPPED, ['--target', `${base}/post-only/metrics`]);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['SLO_ROUTE_NO_SERIES']);
    assert.match(r.diagnostics[0].message, /^no series for `GET \/orders\/:id` \(route "order"\) yet on [^ ]+: its path has series of `http_request_duration_seconds` or `http_requests_total` with `method` "post" only;/);
    assert.match(r.diagnostics[0].hint!, /^send it a GET request and run again/);
  });
});

const DEPS_MAPPED = `apiVersion: sloctl/v1
service: { name: orders, runtime: go }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  dependencyUp: orders_dependency_up
  labels: { route: handler, method: method, status: code }
dependencies:
  - { name: payments, timeout: 100ms }
  - { name: inventory, timeout: 100ms }
  - { name: audit, timeout: 100ms, critical: false }
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 99% }
  errors: { objective: 99% }
  availability: { objective: 99% }
`;

describe('validate --target: the mapped dependency gauge (metrics.dependencyUp)', () => {
  let server: Server;
  let base = '';
  const bodies = new Map<string, () => string>();
  const http = promhttpSeries([{ handler: '/orders' }]);

  before(async () => {
    bodies.set('/none/metrics', () => http);
    bodies.set('/all/metrics', () => `${http}# TYPE orders_dependency_up gauge\norders_dependency_up{dependency="payments"} 1\norders_dependency_up{dependency="inventory"} 0\norders_dependency_up{dependency="audit"} 1\n`);
    bodies.set('/one/metrics', () => `${http}# TYPE orders_dependency_up gauge\norders_dependency_up{dependency="payments"} 1\n`);
    bodies.set('/other-label/metrics', () => `${http}# TYPE orders_dependency_up gauge\norders_dependency_up{name="payments"} 1\norders_dependency_up{name="inventory"} 1\n`);
    ({ server, base } = await serve(bodies));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('every dependency has its series: nothing to say', async () => {
    const r = await validateJson(DEPS_MAPPED, ['--target', `${base}/all/metrics`, '--strict']);
    assert.deepEqual(r.diagnostics.map((d) => `${d.code}: ${d.message}`), []);
    assert.equal(r.code, EXIT.OK);
  });

  it('the mapped gauge not exposed: an error at metrics.dependencyUp, with client_golang\'s way to export it', async () => {
    const r = await validateJson(DEPS_MAPPED, ['--target', `${base}/none/metrics`]);
    assert.deepEqual(r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col}`), [`error SLO_METRIC_NOT_EXPOSED ${at(DEPS_MAPPED, 'orders_dependency_up')}`]);
    assert.match(r.diagnostics[0].message, /the availability objective's dependencies part and the drills read the gauge `orders_dependency_up`, which http:\/\/127\.0\.0\.1:\d+\/none\/metrics does not expose/);
    assert.match(r.diagnostics[0].hint!, /promauto\.NewGaugeVec\(prometheus\.GaugeOpts\{Name: "orders_dependency_up"\}, \[\]string\{"dependency"\}\)/);
    assert.equal(r.code, EXIT.FAILED);
  });

  it('a dependency without a series: a warning at that dependency, per dependency', async () => {
    const r = await validateJson(DEPS_MAPPED, ['--target', `${base}/one/metrics`]);
    assert.deepEqual(r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col}`), [
      `warning SLO_DEPENDENCY_NO_SERIES ${at(DEPS_MAPPED, 'inventory')}`,
      `warning SLO_DEPENDENCY_NO_SERIES ${at(DEPS_MAPPED, 'audit')}`,
    ]);
    assert.match(r.diagnostics[0].message, /^`orders_dependency_up` on [^ ]+ has no series for dependency "inventory" \(`dependency="inventory"`\); it has "payments"/);
    assert.match(r.diagnostics[0].message, /availability composite has no sample while a critical dependency's series is missing/);
    assert.doesNotMatch(r.diagnostics[1].message, /availability/, 'audit is not critical');
    assert.equal(r.code, EXIT.OK);
  });

  it('the gauge declared with no series yet (`# TYPE` only): a warning that its dependencies could not be checked (checkLiveFacts with the families)', () => {
    const loaded = parseContract(DEPS_MAPPED, 'slo.yaml');
    assert.ok(loaded.contract, JSON.stringify(loaded.diagnostics));
    const parsed = parseExposition(`${http}# TYPE orders_dependency_up gauge\n`);
    const series: LiveSeries[] = parsed.families.flatMap((f) => f.samples.map((x) => ({ name: x.name, labels: x.labels, type: f.type })));
    const families = parsed.families.map((f) => ({ name: f.name, type: f.type, samples: f.samples.length }));
    const facts = checkLiveFacts(loaded.contract, series, 'http://127.0.0.1:1/metrics', families);
    assert.deepEqual(facts.findings.map((f) => `${f.severity} ${f.code} ${f.path.join('.')}`), ['warning SLO_METRIC_NO_SAMPLES metrics.dependencyUp']);
    assert.match(facts.findings[0].message, /`orders_dependency_up` is declared on [^ ]+ as a gauge but has no samples yet[^]*its series per dependency/);
  });

  it('the gauge labelled another way: each dependency is missing, and the message names the labels it has', async () => {
    const r = await validateJson(DEPS_MAPPED, ['--target', `${base}/other-label/metrics`]);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['SLO_DEPENDENCY_NO_SERIES', 'SLO_DEPENDENCY_NO_SERIES', 'SLO_DEPENDENCY_NO_SERIES']);
    assert.match(r.diagnostics[0].message, /its series have labels \{name\} and no `dependency`/);
  });
});
