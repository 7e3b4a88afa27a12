// The code check end to end: a contract against the sources of a TypeScript and a Go service.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { writeProject } from './helpers/project.ts';

async function run(args: string[], cwd: string) {
  return runCli([...args], cwd);
}

function copyFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sloctl-${name}-`));
  cpSync(join('test/fixtures', name), dir, { recursive: true });
  return dir;
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  assert.notEqual(next, text, `the edit of ${file} must apply`);
  writeFileSync(file, next);
}

/** line:col of the first occurrence of `needle` in a file. */
function positionOf(file: string, needle: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `${needle} not in ${file}`);
  return `${line + 1}:${lines[line].indexOf(needle) + 1}`;
}

/** A Go service's contract holding `routes` (YAML list lines). */
const contract = (routes: string) => `apiVersion: sloctl/v1\nservice: { name: shop, runtime: go }\nroutes:\n${routes}`;

describe('validate --project (TypeScript)', () => {
  it('passes when the code registers every metric the contract reads', async () => {
    const r = await run(['validate', 'test/fixtures/ts-service/slo.yaml', '--project', 'test/fixtures/ts-service'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /code check: 3 metrics registered in 3 files under test\/fixtures\/ts-service, plus \d+ runtime defaults/);
  });

  it('counts metrics by name: a second file registering the same ones (a script beside the server) adds none', async () => {
    const dir = copyFixture('ts-service');
    const once = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(once.code, 0, once.stderr);
    const count = (out: string) => /code check: (\d+) metrics? registered in \d+ files? under \., plus (\d+) runtime defaults/.exec(out)?.slice(1).map(Number);
    const before = count(once.stdout);
    assert.ok(before, once.stdout);
    cpSync(join(dir, 'src/metrics.ts'), join(dir, 'src/metrics-copy.ts'));
    const twice = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(twice.code, 0, twice.stderr);
    assert.deepEqual(count(twice.stdout), before, twice.stdout);
  });

  it('reports a metric the contract reads once its registration is removed, at the contract line that needs it', async () => {
    const dir = copyFixture('ts-service');
    edit(join(dir, 'src/metrics.ts'), /export const inFlight = new Gauge\(\{[^}]*\}\);/, 'export const inFlight = { inc() {}, dec() {} };');
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1);
    const where = positionOf(join(dir, 'slo.yaml'), 'inFlight:');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_METRIC_NOT_REGISTERED: the in-flight thresholds read the gauge \`http_server_active_requests\`, which the code under \\. does not register`));
    assert.match(r.stderr, /hint: register it .*metrics: \{ inFlight: <name> \}/);
  });

  it('reports default metrics gone when collectDefaultMetrics() is removed', async () => {
    const dir = copyFixture('ts-service');
    edit(join(dir, 'src/metrics.ts'), /collectDefaultMetrics\([^)]*\);?/, '');
    const r = await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir);
    assert.equal(r.code, 1);
    const missing = JSON.parse(r.stdout).files[0].diagnostics.filter((d: { code: string }) => d.code === 'SLO_METRIC_NOT_REGISTERED').map((d: { message: string }) => /`([^`]+)`/.exec(d.message)![1]).sort();
    assert.deepEqual(missing, ['nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']);
  });

  it('reports a metric registered with another type', async () => {
    const dir = copyFixture('ts-service');
    edit(join(dir, 'src/metrics.ts'), 'new client.Histogram(', 'new client.Summary(');
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error SLO_METRIC_TYPE: the latency objectives read `http_server_request_duration_seconds` as a histogram, but the code registers it as a summary/);
    assert.match(r.stderr, /note: src\/metrics\.ts:\d+:\d+: registered here/);
  });

  it('--strict reports an SLI-looking metric no contract reads, in the source file', async () => {
    const dir = copyFixture('ts-service');
    const extra = "\nexport const checkoutErrors = new Counter({ name: 'checkout_payment_errors_total', help: 'Payment errors.' });\n";
    writeFileSync(join(dir, 'src/metrics.ts'), readFileSync(join(dir, 'src/metrics.ts'), 'utf8') + extra);
    const lax = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(lax.code, 0, lax.stderr);
    const strict = await run(['validate', 'slo.yaml', '--project', '.', '--strict'], dir);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /src\/metrics\.ts:\d+:\d+: warning SLO_METRIC_UNCOVERED: `checkout_payment_errors_total` \(counter\) looks like an SLI, but no contract reads it/);
  });
});

describe('validate --project on the example service', () => {
  it('finds every metric the checkout contract reads in the checkout service', async () => {
    const r = await run(['validate', 'examples/checkout/slo.yaml', '--project', 'examples/checkout'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
  });

  it('reports the custom SLI\'s counter once the service stops registering it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-checkout-'));
    cpSync('examples/checkout', dir, { recursive: true });
    edit(join(dir, 'orders.ts'), "name: 'checkout_orders_total'", "name: 'checkout_orders_created'");
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1);
    const where = positionOf(join(dir, 'slo.yaml'), 'sum(increase(checkout_orders_total{state="confirmed"}');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_METRIC_NOT_REGISTERED: the good query of custom SLI "orders-confirmed" reads \`checkout_orders_total\``));
  });
});

describe('validate --project / --go-module-path: the dependencies the code names through sloctl\'s SDK', () => {
  it('an undeclared name is an error at the call in the code, naming the closest declared one and where it is declared', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-checkout-'));
    cpSync('examples/checkout', dir, { recursive: true });
    edit(join(dir, 'service.ts'), "dependency: sdk.dependency('payments').declared", "dependency: sdk.dependency('paymnets').declared");
    const r = await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir);
    assert.equal(r.code, 1, r.stdout);
    const report = JSON.parse(r.stdout) as { valid: boolean; files: Array<{ codeErrors?: number }>; codeCheck: Array<{ sdkDependencies: number; diagnostics: Array<{ file: string; line: number; col: number; code: string; message: string; hint?: string }> }> };
    assert.equal(report.files[0].codeErrors, 1);
    assert.equal(report.codeCheck[0].sdkDependencies, 4);
    const found = report.codeCheck[0].diagnostics.filter((d) => d.code === 'SLO_DEPENDENCY_UNDECLARED');
    const [line, col] = positionOf(join(dir, 'slo.yaml'), '- name: payments').split(':').map(Number);
    assert.deepEqual(found.map((d) => `${d.file}:${d.line}:${d.col}`), [`service.ts:${positionOf(join(dir, 'service.ts'), "'paymnets'")}`]);
    assert.equal(found[0].message, '`sdk.dependency(\'paymnets\')` names dependency "paymnets", which slo.yaml does not declare: the SDK refuses it when the service starts (`dependency()` throws a ContractError)');
    assert.ok(found[0].hint!.startsWith(`did you mean "payments" (declared at slo.yaml:${line}:${col + '- name: '.length})? Otherwise declare it under \`dependencies:\` in slo.yaml`), found[0].hint);
    // The text report says what was compared.
    const text = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.match(text.stdout, /dependency names \(slo\.yaml\): its code under \. names 3 dependencies through sloctl's SDK \(paymnets, payments, recommendations\), 1 not declared \(paymnets\)/);
  });

  it('Go: MustDependency with a name the contract does not declare is an error at the call; a computed name is a warning', async () => {
    const dir = writeProject({
      'go.mod': 'module example.com/orders\n\ngo 1.22\n',
      'main.go': 'package main\n\nimport "github.com/sloctl/sloctl-go/sloctl"\n\nfunc main() {\n\tsdk, _ := sloctl.New(nil, sloctl.Options{})\n\tsdk.MustDependency("inventory")\n\tsdk.MustDependency("shipping")\n\tsdk.MustDependency(os.Getenv("DEP"))\n}\n',
      'slo.yaml': 'apiVersion: sloctl/v1\nservice: { name: orders, runtime: go }\nroutes: []\ndependencies:\n  - { name: inventory, timeout: 100ms }\nobjectives:\n  errors: { objective: 99% }\n',
    });
    const r = await run(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^main\.go:8:21: error SLO_DEPENDENCY_UNDECLARED: `sdk\.MustDependency\("shipping"\)` names dependency "shipping", which slo\.yaml does not declare: the SDK refuses it when the service starts \(`MustDependency` panics\)\n {2}hint: declare it under `dependencies:` in slo\.yaml with the client timeout the code uses for it/m);
    assert.match(r.stderr, /^main\.go:9:21: warning SLO_SCAN: `sdk\.MustDependency\(os\.Getenv\("DEP"\)\)`: the dependency's name is computed at run time/m);
    assert.doesNotMatch(r.stderr, /"inventory"/);
  });
});

describe('validate --project / --go-module-path: a declared dependency the code never names through sloctl\'s SDK', () => {
  /** The checkout example with recommendations no longer named through the SDK. */
  function checkoutWithoutRecommendations(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-checkout-'));
    cpSync('examples/checkout', dir, { recursive: true });
    edit(join(dir, 'service.ts'), /sdk\.dependency\('recommendations'\)/g, 'recommendationsOf(contract)');
    return dir;
  }
  type Report = { valid: boolean; files: Array<{ diagnostics: Array<{ file: string; line: number; col: number; severity: string; code: string; message: string; hint?: string; related?: Array<{ file: string; line: number; col: number; message: string }> }> }> };
  const unnamed = (r: { stdout: string }) => (JSON.parse(r.stdout) as Report).files[0].diagnostics.filter((d) => d.code === 'SLO_DEPENDENCY_UNNAMED');

  it('Node: a warning at the dependency\'s name in the contract, saying what is lost and the call to write in the code\'s own words; --strict fails it', async () => {
    const dir = checkoutWithoutRecommendations();
    const r = await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir);
    assert.equal(r.code, 0, r.stdout);
    const found = unnamed(r);
    const [line, col] = positionOf(join(dir, 'slo.yaml'), '- name: recommendations').split(':').map(Number);
    assert.deepEqual(found.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity}`), [`slo.yaml:${line}:${col + '- name: '.length} warning`]);
    assert.equal(found[0].message, 'dependency "recommendations" is declared, but its code under ., which uses sloctl\'s SDK, never names it through the SDK: the SDK never learns its state, so `sloctl_dependency_up` has no series for it and the health endpoint reports it UNKNOWN whatever happens, and the code cannot read its `useFallback` in degraded mode; a drill that takes it down shows only in other signals');
    assert.equal(found[0].hint, "name it where the service calls recommendations and attach its breaker or check: `sdk.dependency('recommendations').breaker(circuitBreaker)` or `sdk.dependency('recommendations').check(() => ...)`; or remove it from slo.yaml if the service does not call it");
    assert.deepEqual(found[0].related?.map((n) => `${n.file}:${n.line}:${n.col} ${n.message}`), [`service.ts:${positionOf(join(dir, 'service.ts'), "'payments'")} the code names payments through the SDK, e.g. here: \`sdk.dependency('payments')\``]);
    const text = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.match(text.stdout, /dependency names \(slo\.yaml\): 1 declared dependency never named through sloctl's SDK in its code under \. \(recommendations\)\nvalid: 1 file, 0 errors, 1 warning/);
    const strict = await run(['validate', 'slo.yaml', '--project', '.', '--strict'], dir);
    assert.equal(strict.code, 1, strict.stdout);
  });

  it('Go: an SDK made with sloctl.New that names no dependency: the warning shows MustDependency, with a note where the SDK is made', async () => {
    const dir = writeProject({
      'go.mod': 'module example.com/orders\n\ngo 1.22\n',
      'main.go': 'package main\n\nimport "github.com/sloctl/sloctl-go/sloctl"\n\nfunc main() {\n\tsdk, _ := sloctl.New(nil, sloctl.Options{})\n\t_ = sdk\n}\n',
      'slo.yaml': 'apiVersion: sloctl/v1\nservice: { name: orders, runtime: go }\nroutes: []\ndependencies:\n  - { name: inventory, timeout: 100ms }\nobjectives:\n  errors: { objective: 99% }\n',
    });
    const r = await run(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`^slo\\.yaml:${positionOf(join(dir, 'slo.yaml'), 'inventory')}: warning SLO_DEPENDENCY_UNNAMED: dependency "inventory" is declared, but its code under \\., which uses sloctl's SDK, never names it through the SDK: the SDK never learns its state, so \`sloctl_dependency_up\` has no series for it and the health endpoint reports it UNKNOWN whatever happens; a drill`, 'm'));
    assert.match(r.stderr, /hint: name it where the service calls inventory and attach its breaker or check: `sdk\.MustDependency\("inventory"\)\.Breaker\(func\(\) string \{ return cb\.State\(\)\.String\(\) \}\)` or `sdk\.MustDependency\("inventory"\)\.Check\(/);
    assert.match(r.stderr, /note: main\.go:6:12: the code uses sloctl's SDK here \(github\.com\/sloctl\/sloctl-go\/sloctl New\(\)\), and names no dependency through it/);
  });

  it('says nothing for a service that does not use the SDK (prom-client, promhttp): it names no dependency through sloctl', async () => {
    const node = copyFixture('ts-service');
    edit(join(node, 'slo.yaml'), 'objectives:\n', 'dependencies:\n  - { name: payments, timeout: 150ms }\nobjectives:\n');
    const go = mkdtempSync(join(tmpdir(), 'sloctl-promhttp-'));
    cpSync('go/example/promhttp', go, { recursive: true });
    edit(join(go, 'slo.yaml'), 'objectives:\n', 'dependencies:\n  - { name: inventory, timeout: 100ms }\nobjectives:\n');
    for (const [dir, flag] of [[node, '--project'], [go, '--go-module-path']]) {
      const r = await run(['validate', 'slo.yaml', flag, '.', '--format', 'json'], dir);
      assert.equal(r.code, 0, r.stdout);
      assert.deepEqual(unnamed(r), [], dir);
      const text = await run(['validate', 'slo.yaml', flag, '.'], dir);
      assert.doesNotMatch(text.stdout, /dependency names/);
    }
  });

  it('a computed name says the check could not decide; a declared name passed where the scan does not follow the SDK counts as named', async () => {
    const computed = mkdtempSync(join(tmpdir(), 'sloctl-checkout-'));
    cpSync('examples/checkout', computed, { recursive: true });
    edit(join(computed, 'service.ts'), /sdk\.dependency\('recommendations'\)/g, 'sdk.dependency(RECOMMENDATIONS())');
    const r = await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], computed);
    assert.deepEqual(unnamed(r), []);
    const text = await run(['validate', 'slo.yaml', '--project', '.'], computed);
    assert.match(text.stdout, new RegExp(`dependency names \\(slo\\.yaml\\): not checked that its code names every declared dependency through sloctl's SDK: the name at service\\.ts:${positionOf(join(computed, 'service.ts'), 'RECOMMENDATIONS()')} \\(and 1 other place\\) cannot be read, and may be any of them`));

    const helper = checkoutWithoutRecommendations();
    // Plain JavaScript handed the SDK as an untyped parameter: sloctl does not know `s` is the SDK.
    writeFileSync(join(helper, 'wire.js'), "export function wire(s, breaker) {\n  s.dependency('recommendations').breaker(breaker);\n}\n");
    assert.deepEqual(unnamed(await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], helper)), []);
  });
});

describe('validate --go-module-path (Go)', () => {
  it('passes on the Go fixture: names joined as client_golang joins them, default collectors counted', async () => {
    const r = await run(['validate', 'test/fixtures/go-service/slo.yaml', '--go-module-path', 'test/fixtures/go-service'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
  });

  it('reports the namespaced counter a custom SLI reads once its registration is removed', async () => {
    const dir = copyFixture('go-service');
    edit(join(dir, 'metrics.go'), /var ordersCreated = promauto\.NewCounter\(prom\.CounterOpts\{[^}]*\}\)/, 'var ordersCreated = 0');
    const r = await run(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 1);
    const where = positionOf(join(dir, 'slo.yaml'), 'sum(increase(orders_created_total');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_METRIC_NOT_REGISTERED: the good query of custom SLI "orders-created" reads \`orders_created_total\``));
  });

  it('reports go_goroutines when nothing registers the default collectors', async () => {
    const dir = copyFixture('go-service');
    for (const f of ['main.go', 'metrics.go']) {
      const text = readFileSync(join(dir, f), 'utf8');
      writeFileSync(join(dir, f), text.replace(/promhttp\.Handler\(\)/g, 'http.NotFoundHandler()').replace(/prom\.MustRegister\(requestDuration\)/g, 'prom.NewRegistry().MustRegister(requestDuration)'));
    }
    const r = await run(['validate', 'slo.yaml', '--go-module-path', '.', '--format', 'json'], dir);
    const missing = JSON.parse(r.stdout).files[0].diagnostics.filter((d: { code: string }) => d.code === 'SLO_METRIC_NOT_REGISTERED').map((d: { message: string }) => /`([^`]+)`/.exec(d.message)![1]).sort();
    assert.deepEqual(missing, ['go_goroutines', 'go_memstats_heap_inuse_bytes']);
  });
});

describe('validate --project: the labels the contract maps, against the labels the code registers', () => {
  it('Go promhttp: a contract without metrics.labels reads `route` and `error_class` the Vecs lack; each error names the label to map and where the Vec is declared; mapped, it passes', async () => {
    const main = [
      'package main', '',
      'import (', '\t"net/http"', '', '\t"github.com/prometheus/client_golang/prometheus"', '\t"github.com/prometheus/client_golang/prometheus/promhttp"', ')', '',
      'var duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Buckets: []float64{0.1, 0.25, 1}}, []string{"handler", "code", "method"})',
      'var requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total"}, []string{"handler", "code", "method"})', '',
      'func main() {',
      '\tprometheus.MustRegister(duration, requests)',
      '\tmux := http.NewServeMux()',
      '\th := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})',
      '\tmux.Handle("/orders", promhttp.InstrumentHandlerDuration(duration.MustCurryWith(prometheus.Labels{"handler": "/orders"}), promhttp.InstrumentHandlerCounter(requests.MustCurryWith(prometheus.Labels{"handler": "/orders"}), h)))',
      '\tmux.Handle("/metrics", promhttp.Handler())',
      '\thttp.ListenAndServe("127.0.0.1:8080", mux)',
      '}', '',
    ].join('\n');
    const yaml = (labels: string) => [
      'apiVersion: sloctl/v1', 'service: { name: shop, runtime: go }', 'routes:', '  - { name: orders, method: GET, path: /orders }',
      'metrics:', '  requestDuration: http_request_duration_seconds', '  requests: http_requests_total', labels,
      'objectives:', '  latency:', '    - { name: api, threshold: 250ms, objective: 99% }', '  errors: { objective: 99.5% }', '',
    ].filter((l) => l !== '').join('\n');
    const dir = writeProject({ 'go.mod': 'module example.com/shop\n', 'main.go': main, 'slo.yaml': yaml('') });
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /slo\.yaml:3:1: error SLO_LABEL_MISSING: in the code under \., `http_request_duration_seconds` and `http_requests_total` have labels \{code, handler, method\}; no `route`: the rules and status select each route by it/);
    assert.match(r.stderr, /hint: map it with `metrics\.labels\.route: handler`/);
    assert.match(r.stderr, /note: main\.go:10:142: `http_request_duration_seconds` is registered with these labels \(prometheus\.NewHistogramVec\)/);
    assert.match(r.stderr, /error SLO_LABEL_MISSING: in the code under \., `http_requests_total` has labels \{code, handler, method\}; no `error_class`: the error objective counts errors by it, so the service's errors SLI counts none and reads 100% good/);
    assert.match(r.stderr, /hint: map it with `metrics\.labels\.status: code` \(error classes then come from errorClasses\[\]\.status\)/);
    writeFileSync(join(dir, 'slo.yaml'), yaml('  labels: { route: handler, method: method, status: code }'));
    const ok = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(ok.code, 0, ok.stderr);
    // A mapped label the code does not have is an error at the mapping.
    writeFileSync(join(dir, 'slo.yaml'), yaml('  labels: { route: path, method: method, status: code }'));
    const typo = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /slo\.yaml:8:20: error SLO_LABEL_MISSING: .*no `path`/);
    assert.match(typo.stderr, /hint: map it with `metrics\.labels\.route: handler`/);
  });

  it("prom-client: labelNames read through a const; labels computed at run time are not judged; sloctl's SDK with a contract mapped for another instrumentation is an error", async () => {
    const metrics = (labelNames: string) => [
      "import { Counter, Histogram } from 'prom-client';",
      `const LABELS = ${labelNames};`,
      "export const duration = new Histogram({ name: 'http_request_duration_seconds', help: 'h', labelNames: LABELS, buckets: [0.1, 0.25, 1] });",
      "export const requests = new Counter({ name: 'http_requests_total', help: 'h', labelNames: LABELS });", '',
    ].join('\n');
    const yaml = [
      'apiVersion: sloctl/v1', 'service: { name: shop }', 'routes:', '  - { name: orders, method: GET, path: /orders }',
      'metrics:', '  requestDuration: http_request_duration_seconds', '  requests: http_requests_total', '  labels: { route: route, method: method }',
      'objectives:', '  latency:', '    - { name: api, threshold: 250ms, objective: 99% }', '  errors: { objective: 99.5% }', '',
    ].join('\n');
    const server = "import express from 'express';\nconst app = express();\napp.get('/orders', (req, res) => res.end());\napp.listen(8080);\n";
    const dir = writeProject({ 'package.json': '{"type":"module"}', 'src/metrics.ts': metrics("['method', 'route', 'status_code']"), 'src/server.ts': server, 'slo.yaml': yaml });
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /slo\.yaml:12:3: error SLO_LABEL_MISSING: in the code under \., `http_requests_total` has labels \{method, route, status_code\}; no `error_class`/);
    assert.match(r.stderr, /hint: map it with `metrics\.labels\.status: status_code`/);
    assert.match(r.stderr, /note: src\/metrics\.ts:4:91: `http_requests_total` is registered with these labels \(prom-client new Counter\)/);
    assert.doesNotMatch(r.stderr, /no `route`|no `method`/);
    // Computed: not read, not judged.
    writeFileSync(join(dir, 'src/metrics.ts'), metrics("process.env.LABELS!.split(',')"));
    const computed = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(computed.code, 0, computed.stderr);
    // sloctl's SDK writes `status_class` and `error_class`, not `status`: a contract that maps `status: code` reads nothing.
    const sdk = writeProject({
      'package.json': '{"type":"module"}',
      'src/server.ts': "import { instrument } from 'sloctl/sdk';\nimport express from 'express';\nconst sdk = instrument('slo.yaml');\nconst app = express();\napp.get('/orders', (req, res) => res.end());\napp.listen(8080);\n",
      'slo.yaml': ['apiVersion: sloctl/v1', 'service: { name: shop }', 'routes:', '  - { name: orders, method: GET, path: /orders }', 'metrics:', '  labels: { status: code }', 'objectives:', '  errors: { objective: 99.5% }', ''].join('\n'),
    });
    const s = await run(['validate', 'slo.yaml', '--project', '.'], sdk);
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stderr, /slo\.yaml:6:21: error SLO_LABEL_MISSING: in the code under \., `http_server_requests_total` has labels \{error_class, method, route, status_class\}; no `code`/);
    assert.match(s.stderr, /hint: map it with `metrics\.labels\.status: status_class`/);
  });
});

describe('validate --project on a Go service (a user trial: it scanned only TS/JS and said "no route registrations found")', () => {
  it('scans the Go code as --go-module-path would, saying why, when the directory has a go.mod', async () => {
    const dir = copyFixture('routes-go');
    // Not a Go contract: the go.mod alone makes it Go.
    edit(join(dir, 'slo.yaml'), 'runtime: go', 'runtime: node');
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /code check: 0 metrics registered in 1 file under \. \(Go: go\.mod in \.; scanned as --go-module-path \. would\)/);
    assert.match(r.stdout, /route check \(slo\.yaml\): 3\/3 contract routes found among 3 registered under \./);
    assert.doesNotMatch(r.stdout, /not done/);

    // The same findings as --go-module-path: a route the mux lacks is an error at its path.
    edit(join(dir, 'main.go'), 'mux.HandleFunc("GET /items/{id}", getItem)', '');
    const missing = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    const flagged = await run(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`slo\\.yaml:${positionOf(join(dir, 'slo.yaml'), '/items/:id')}: error SLO_ROUTE_NOT_REGISTERED: route "get-item" \\(GET /items/:id\\)`));
    assert.equal(missing.stderr, flagged.stderr);
  });

  it('a contract that says service.runtime: go makes --project read Go without a go.mod; with --go-module-path on the same directory it scans once', async () => {
    const dir = copyFixture('go-service');
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'go.mod'));
    const r = await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { codeCheck: Array<{ dir: string; metrics: number; routes: number }> };
    assert.deepEqual(report.codeCheck.map((c) => [c.dir, c.routes]), [['.', 2]]);
    assert.ok(report.codeCheck[0].metrics > 0);
    const text = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.match(text.stdout, /\(Go: slo\.yaml says service\.runtime: go; scanned as --go-module-path \. would\)/);
    const both = JSON.parse((await run(['validate', 'slo.yaml', '--project', '.', '--go-module-path', '.', '--format', 'json'], dir)).stdout) as { codeCheck: unknown[] };
    assert.equal(both.codeCheck.length, 1);
  });

  it('a Go directory with a package.json gets both scans when it has JavaScript or TypeScript; one code check line when the package.json only installs sloctl', async () => {
    const dir = copyFixture('routes-go');
    writeFileSync(join(dir, 'package.json'), '{"name":"tools","private":true}\n');
    // Only the package.json (a Go service that installs sloctl with npm): the Go scan alone, one line.
    const only = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(only.code, 0, only.stderr);
    assert.equal(only.stdout.match(/^ {2}code check: /gm)?.length, 1, only.stdout);
    assert.match(only.stdout, /code check: \d+ metrics? registered in \d+ files? under \. .*\(Go: /);
    assert.doesNotMatch(only.stdout, /in 0 files/);
    // A script of its own beside it: both scans.
    writeFileSync(join(dir, 'gen.mjs'), "console.log('tools');\n");
    const r = await run(['validate', 'slo.yaml', '--project', '.', '--format', 'json'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { codeCheck: unknown[] }).codeCheck.length, 2);
  });

  it('a monorepo directory without a package.json, holding a Go and a Node service, reads both (a user trial: the Node scan was skipped and its routes reported "not done")', async () => {
    const dir = writeProject({
      'services/stock/main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /levels", func(w http.ResponseWriter, r *http.Request) {})\n\thttp.ListenAndServe(":8080", mux)\n}\n',
      'services/stock/slo.yaml': contract('  - { name: levels, method: GET, path: /levels }\n'),
      'services/catalog/package.json': '{"name":"catalog"}\n',
      'services/catalog/server.js': "const express = require('express');\nconst app = express();\napp.get('/products', (req, res) => res.json([]));\napp.listen(3000);\n",
      'services/catalog/slo.yaml': 'apiVersion: sloctl/v1\nservice: { name: catalog, runtime: node }\nroutes:\n  - { name: products, method: GET, path: /products }\n  - { name: missing, method: GET, path: /missing }\n',
    }, 'sloctl-mono-');
    const r = await run(['validate', 'services', '--project', 'services', '--format', 'json'], dir);
    const report = JSON.parse(r.stdout) as { codeCheck: Array<{ dir: string }>; files: Array<{ file: string; diagnostics: Array<{ code: string; line: number }> }> };
    assert.equal(report.codeCheck.length, 2, r.stdout);
    // The Node contract is checked against its own code: /missing is not registered there.
    const catalog = report.files.find((f) => f.file.includes('catalog'));
    assert.deepEqual(catalog?.diagnostics.map((d) => [d.code, d.line]), [['SLO_ROUTE_NOT_REGISTERED', 5]]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // The JSON carries the text's summary lines: which checks ran on which code, and which did not.
    const notes = (JSON.parse(r.stdout) as { notes?: string[] }).notes ?? [];
    assert.ok(notes.includes('route check (services/catalog/slo.yaml): 1/2 contract routes found among 1 registered under services/catalog'), JSON.stringify(notes));
    assert.ok(notes.includes('route check (services/stock/slo.yaml): 1/1 contract routes found among 1 registered under services/stock'), JSON.stringify(notes));
  });
});

describe('validate --project at a monorepo root: each contract is credited with its own code\'s metrics (a user trial)', () => {
  it('a service that registers nothing fails, though its neighbour registers the same SDK series; code no contract owns counts for all', async () => {
    const contract = (name: string) => `apiVersion: sloctl/v1\nservice: { name: ${name}, runtime: node }\nroutes:\n  - { name: list, method: GET, path: /${name} }\nobjectives:\n  errors: { objective: 99.5% }\n`;
    const server = (name: string, sdk: string) => `import express from 'express';\n${sdk}const app = express();\napp.get('/${name}', (req, res) => res.end());\napp.listen(3000);\n`;
    const dir = writeProject({
      'package.json': '{"private":true,"type":"module","workspaces":["services/*","packages/*"]}\n',
      'services/orders/slo.yaml': contract('orders'),
      'services/orders/server.js': server('orders', "import { instrument } from 'sloctl/sdk';\nexport const sdk = instrument('slo.yaml');\n"),
      'services/catalog/slo.yaml': contract('catalog'),
      'services/catalog/server.js': server('catalog', ''),
    }, 'sloctl-mono-metrics-');
    const r = await run(['validate', '.', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^services\/catalog\/slo\.yaml:6:3: error SLO_METRIC_NOT_REGISTERED: the error objective reads the counter `http_server_requests_total`, which its code under services\/catalog does not register \(services\/orders\/server\.js:3:\d+ registers it, in the code of services\/orders\/slo\.yaml/m);
    assert.doesNotMatch(r.stderr, /services\/orders\/slo\.yaml:\d+:\d+: error/);
    // Validated alone, catalog fails the same way: the answer no longer depends on what else is validated.
    const alone = await run(['validate', 'services/catalog/slo.yaml', '--project', '.'], dir);
    assert.equal(alone.code, 1, alone.stdout + alone.stderr);
    // The SDK switched on in a shared package no contract owns counts for every service.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'packages/obs'), { recursive: true });
    writeFileSync(join(dir, 'packages/obs/index.js'), "import { instrument } from 'sloctl/sdk';\nexport const sdk = instrument('slo.yaml');\n");
    const shared = await run(['validate', '.', '--project', '.'], dir);
    assert.equal(shared.code, 0, shared.stdout + shared.stderr);
  });
});

describe('validate: routes checked both ways', () => {
  const json = async (args: string[], cwd: string) => {
    const r = await run([...args, '--format', 'json'], cwd);
    return { code: r.code, diagnostics: JSON.parse(r.stdout).files[0].diagnostics as Array<{ code: string; severity: string; message: string; hint?: string; line: number; col: number; related?: Array<{ file: string; line: number; col: number; message: string }> }> };
  };
  /**
   * A Go ServeMux case: `main` (main.go, two patterns) in a module twice: beside a contract of four
   * `served` routes, which --strict must all find, and in bare/ beside a contract of `bare` routes,
   * which must fail; returns bare/'s findings.
   */
  const servedAndNot = async (main: string, served: string, bare: string) => {
    const dir = writeProject({
      'go.mod': 'module example.com/shop\n\ngo 1.22\n',
      'main.go': main,
      'slo.yaml': contract(served),
      'bare/slo.yaml': contract(bare),
      'bare/main.go': main,
    }, 'sloctl-servemux-');
    const ok = await run(['validate', 'slo.yaml', '--go-module-path', '.', '--strict'], dir);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /route check \(slo\.yaml\): 4\/4 contract routes found among 2 registered under \./);
    const found = await json(['validate', 'slo.yaml', '--go-module-path', '.'], join(dir, 'bare'));
    assert.equal(found.code, 1);
    return found;
  };

  it('passes --strict on a Fastify app whose routes sit in plugins registered with prefixes', async () => {
    const r = await run(['validate', 'test/fixtures/routes-fastify/slo.yaml', '--project', 'test/fixtures/routes-fastify', '--strict'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /route check \(test\/fixtures\/routes-fastify\/slo\.yaml\): 3\/3 contract routes found among 4 registered/);
  });

  it('fails a Fastify contract route the app lacks, at the route path in slo.yaml, naming the closest route', async () => {
    const dir = copyFixture('routes-fastify');
    edit(join(dir, 'src/routes/products.ts'), "app.get('/:id', async (req) => ({ id: req.params.id }));", '');
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    const where = positionOf(join(dir, 'slo.yaml'), '"/api/products/{id}"');
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${where}: error SLO_ROUTE_NOT_REGISTERED: route "get-product" \\(GET /api/products/\\{id\\}\\) is not registered by the code under \\.`));
    assert.match(r.stderr, /hint: the closest route the code registers is `GET \/api\/products` \(src\/routes\/products\.ts:5:3\)/);
  });

  it('fails an Express contract route the app lacks (a router mounted with app.use(prefix, router) in another file)', async () => {
    const dir = copyFixture('routes-express');
    edit(join(dir, 'src/users.js'), '.put((req, res) => res.sendStatus(204))', '.patch((req, res) => res.sendStatus(204))');
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    const line = readFileSync(join(dir, 'slo.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('update-user')) + 1;
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${line}:\\d+: error SLO_ROUTE_NOT_REGISTERED: route "update-user" \\(PUT /users/:id\\)`));
    assert.match(r.stderr, /the closest route the code registers is `PATCH \/users\/:userId` \(src\/users\.js:\d+:\d+\)/);
  });

  it('checks a NestJS contract against its controllers: passes as it is, fails a route a controller lacks at the closest decorator', async () => {
    const ok = await run(['validate', 'test/fixtures/routes-nest/slo.yaml', '--project', 'test/fixtures/routes-nest', '--strict'], process.cwd());
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /route check \(test\/fixtures\/routes-nest\/slo\.yaml\): 6\/6 contract routes found among 7 registered/);
    const dir = copyFixture('routes-nest');
    edit(join(dir, 'src/main.ts'), "app.setGlobalPrefix('api',", "app.setGlobalPrefix('v1',");
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    const line = readFileSync(join(dir, 'slo.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('get-cat,')) + 1;
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${line}:\\d+: error SLO_ROUTE_NOT_REGISTERED: route "get-cat" \\(GET /api/cats/\\{id\\}\\) is not registered by the code under \\.`));
    assert.match(r.stderr, /the closest route the code registers is `GET \/v1\/cats\/:id` \(src\/cats\/cats\.controller\.ts:19:3\)/);
  });

  it('fails a contract route a Go net/http mux lacks (Go 1.22 patterns, constants joined with +)', async () => {
    const ok = await run(['validate', 'test/fixtures/routes-go/slo.yaml', '--go-module-path', 'test/fixtures/routes-go', '--strict'], process.cwd());
    assert.equal(ok.code, 0, ok.stderr);
    const dir = copyFixture('routes-go');
    edit(join(dir, 'main.go'), 'mux.HandleFunc("GET /items/{id}", getItem)', '');
    const r = await run(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 1, r.stderr);
    const line = readFileSync(join(dir, 'slo.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('get-item')) + 1;
    assert.match(r.stderr, new RegExp(`slo\\.yaml:${line}:\\d+: error SLO_ROUTE_NOT_REGISTERED: route "get-item" \\(GET /items/:id\\)`));
  });

  it('a Go ServeMux subtree ("/products/") serves the contract routes under it; /products, which ServeMux redirects, is an error saying so', async () => {
    const bare = await servedAndNot(
      'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("/products/", product)\n\tmux.HandleFunc("GET /orders", orders)\n\thttp.ListenAndServe(":8080", mux)\n}\n',
      '  - { name: get-product, method: GET, path: /products/:id }\n  - { name: product-tree, method: GET, path: /products/* }\n  - { name: products-root, method: GET, path: /products/ }\n  - { name: list-orders, method: GET, path: /orders }\n',
      '  - { name: list-products, method: GET, path: /products }\n',
    );
    assert.deepEqual(bare.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code}`), ['4:47 error SLO_ROUTE_NOT_REGISTERED']);
    assert.equal(bare.diagnostics[0].message, 'route "list-products" (GET /products) is not served as written: the code registers the ServeMux subtree `ALL /products/` (main.go:7:2), and Go\'s ServeMux answers /products with a 301 redirect to /products/');
    assert.equal(bare.diagnostics[0].hint, 'write the path clients call: /products/ for that path alone, or /products/* for every path under it; or register /products in the code as well');
  });

  it('a Go ServeMux catch-all ("/") serves / only: a route nothing else registers is a warning naming it, not an error and not a pass', async () => {
    const dir = writeProject({
      'go.mod': 'module example.com/site\n\ngo 1.22\n',
      'main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("GET /items/{id}", item)\n\thttp.HandleFunc("/", index)\n\thttp.ListenAndServe(":8080", nil)\n}\n',
      'slo.yaml': 'apiVersion: sloctl/v1\nservice: { name: site, runtime: go }\nroutes:\n  - { name: home, method: GET, path: / }\n  - { name: get-item, method: GET, path: /items/:id }\n  - { name: about, method: GET, path: /about }\n',
    }, 'sloctl-servemux-');
    const r = await json(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(r.code, 0, JSON.stringify(r.diagnostics));
    assert.deepEqual(r.diagnostics.map((d) => `${d.line} ${d.severity} ${d.code}`), ['6 warning SLO_ROUTE_NOT_REGISTERED']);
    assert.equal(r.diagnostics[0].message, 'route "about" (GET /about) is not registered by the code under .; Go\'s ServeMux sends it to the catch-all `ALL /` (main.go:7:2), which serves it only if that handler dispatches on the path itself');
    assert.match(r.diagnostics[0].hint!, /if the catch-all's handler serves it, register it with a pattern of its own so the route check sees it$/);
  });

  it('Go ServeMux "{$}" and "{rest...}": /products/ and /files/* are served, /products and /files (301 redirects) are errors saying so', async () => {
    const bare = await servedAndNot(
      'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /products/{$}", list)\n\tmux.HandleFunc("GET /files/{path...}", file)\n\thttp.ListenAndServe(":8080", mux)\n}\n',
      '  - { name: list-products, method: GET, path: /products/ }\n  - { name: files-root, method: GET, path: /files/ }\n  - { name: file, method: GET, path: /files/*path }\n  - { name: any-file, method: GET, path: /files/* }\n',
      '  - { name: list-products, method: GET, path: /products }\n  - { name: files, method: GET, path: /files }\n',
    );
    assert.deepEqual(bare.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code}`), ['4:47 error SLO_ROUTE_NOT_REGISTERED', '5:39 error SLO_ROUTE_NOT_REGISTERED']);
    assert.equal(bare.diagnostics[0].message, 'route "list-products" (GET /products) is not served as written: the code registers `GET /products/{$}` (main.go:7:2), and Go\'s ServeMux redirects /products to /products/ ({$}: the pattern matches the path with its / alone): the contract\'s route gets a 301');
    assert.equal(bare.diagnostics[0].hint, 'write /products/, the path the code registers; or register /products in the code as well');
    assert.equal(bare.diagnostics[1].message, 'route "files" (GET /files) is not served as written: the code registers the ServeMux subtree `GET /files/` (main.go:8:2), and Go\'s ServeMux answers /files with a 301 redirect to /files/');
  });

  it('Go gin, echo, gorilla/mux, chi: a contract path that differs from the registration by a trailing / is an error naming what the router answers; a warning where a middleware may rewrite it', async () => {
    const dir = writeProject({
      'gin/go.mod': 'module example.com/gin\n\ngo 1.22\n',
      'gin/main.go': 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/products/", list)\n\tr.POST("/orders", create)\n\tr.Run()\n}\n',
      'gin/slo.yaml': contract('  - { name: list-products, method: GET, path: /products }\n  - { name: create-order, method: POST, path: /orders/ }\n'),
      'echo/go.mod': 'module example.com/echo\n\ngo 1.22\n',
      'echo/main.go': 'package main\n\nimport (\n\t"github.com/labstack/echo/v4"\n\t"github.com/labstack/echo/v4/middleware"\n)\n\nfunc main() {\n\te := echo.New()\n\te.Pre(middleware.AddTrailingSlash())\n\te.GET("/products/", list)\n\te.GET("/orders", orders)\n\te.Start(":8080")\n}\n',
      'echo/slo.yaml': contract('  - { name: list-products, method: GET, path: /products }\n  - { name: orders, method: GET, path: /orders/ }\n'),
      'gorilla/go.mod': 'module example.com/gorilla\n\ngo 1.22\n',
      'gorilla/main.go': 'package main\n\nimport "github.com/gorilla/mux"\n\nfunc main() {\n\tr := mux.NewRouter()\n\tr.HandleFunc("/products/", list).Methods("GET")\n}\n',
      'gorilla/slo.yaml': contract('  - { name: list-products, method: GET, path: /products }\n'),
      'ok/go.mod': 'module example.com/ok\n\ngo 1.22\n',
      'ok/main.go': 'package main\n\nimport "github.com/go-chi/chi/v5"\n\nfunc main() {\n\tr := chi.NewRouter()\n\tr.Get("/products/", list)\n\tr.Route("/api", func(r chi.Router) {\n\t\tr.Get("/", index)\n\t})\n}\n',
      'ok/slo.yaml': contract('  - { name: list-products, method: GET, path: /products/ }\n  - { name: api, method: GET, path: /api }\n'),
    }, 'sloctl-slash-');
    const gin = await json(['validate', 'slo.yaml', '--go-module-path', '.'], join(dir, 'gin'));
    assert.equal(gin.code, 1);
    assert.deepEqual(gin.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`), [
      '4:47 error: route "list-products" (GET /products) is not served as written: the code registers `GET /products/` (main.go:7:2), and gin redirects /products to /products/ (RedirectTrailingSlash, on by default): the contract\'s route gets a 301',
      '5:47 error: route "create-order" (POST /orders/) is not served as written: the code registers `POST /orders` (main.go:8:2), and gin redirects /orders/ to /orders (RedirectTrailingSlash, on by default): the contract\'s route gets a 307',
    ]);
    assert.equal(gin.diagnostics[0].hint, 'write /products/, the path the code registers; or register /products in the code as well');

    const echo = await json(['validate', 'slo.yaml', '--go-module-path', '.'], join(dir, 'echo'));
    assert.equal(echo.code, 1);
    assert.deepEqual(echo.diagnostics.map((d) => `${d.line} ${d.severity}: ${d.message}`), [
      '4 warning: route "list-products" (GET /products) may not be served as written: the code registers `GET /products/` (main.go:11:2), and echo answers /products with a 404 unless middleware.AddTrailingSlash (main.go:10:8) adds the slash before it routes; sloctl does not check which router that middleware wraps',
      '5 error: route "orders" (GET /orders/) is not served as written: the code registers `GET /orders` (main.go:12:2), and echo answers /orders/ with a 404 (without its trailing-slash middleware)',
    ]);

    const gorilla = await json(['validate', 'slo.yaml', '--go-module-path', '.'], join(dir, 'gorilla'));
    assert.deepEqual(gorilla.diagnostics.map((d) => `${d.severity}: ${d.message}`), ['error: route "list-products" (GET /products) is not served as written: the code registers `GET /products/` (main.go:7:2), and gorilla/mux answers /products with a 404 (StrictSlash(false), the default)']);

    // The path as registered passes; chi's Route serves its "/" with and without the slash.
    const ok = await run(['validate', 'slo.yaml', '--go-module-path', '.', '--strict'], join(dir, 'ok'));
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });

  it('Go: a load.mix path that differs from its route only by a trailing / is an error naming the router and the path to write (gin 301, ServeMux subtree 301, ServeMux and chi 404); a warning where a catch-all or a middleware may serve it', async () => {
    const withMix = (routes: string, mix: string) => `${contract(routes)}load:\n  rate: 10/s\n  duration: 10s\n  mix:\n${mix}`;
    const dir = writeProject({
      'gin/go.mod': 'module example.com/gin\n\ngo 1.22\n',
      'gin/main.go': 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/products", list)\n\tr.GET("/products/:id", show)\n\tr.Run()\n}\n',
      'gin/slo.yaml': withMix('  - { name: list-products, method: GET, path: /products }\n  - { name: product, method: GET, path: /products/:id }\n',
        '    - { route: list-products, weight: 1, path: /products/ }\n    - { route: product, weight: 1, path: "/products/{id}/", params: { id: "int(1,9)" } }\n'),
      'mux/go.mod': 'module example.com/mux\n\ngo 1.22\n',
      'mux/main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /orders/", orders)\n\tmux.HandleFunc("GET /items", items)\n\thttp.ListenAndServe(":8080", mux)\n}\n',
      'mux/slo.yaml': withMix('  - { name: orders, method: GET, path: /orders/ }\n  - { name: items, method: GET, path: /items }\n',
        '    - { route: orders, weight: 1, path: /orders }\n    - { route: items, weight: 1, path: "/items/?page=1" }\n'),
      'catchall/go.mod': 'module example.com/catchall\n\ngo 1.22\n',
      'catchall/main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\thttp.HandleFunc("/items", items)\n\thttp.HandleFunc("/", index)\n\thttp.ListenAndServe(":8080", nil)\n}\n',
      'catchall/slo.yaml': withMix('  - { name: items, method: GET, path: /items }\n', '    - { route: items, weight: 1, path: /items/ }\n'),
      'chi/go.mod': 'module example.com/chi\n\ngo 1.22\n',
      'chi/main.go': 'package main\n\nimport "github.com/go-chi/chi/v5"\n\nfunc main() {\n\tr := chi.NewRouter()\n\tr.Get("/products", list)\n}\n',
      'chi/slo.yaml': withMix('  - { name: list-products, method: GET, path: /products }\n', '    - { route: list-products, weight: 1, path: /products/ }\n'),
      'strip/go.mod': 'module example.com/strip\n\ngo 1.22\n',
      'strip/main.go': 'package main\n\nimport (\n\t"github.com/go-chi/chi/v5"\n\t"github.com/go-chi/chi/v5/middleware"\n)\n\nfunc main() {\n\tr := chi.NewRouter()\n\tr.Use(middleware.StripSlashes)\n\tr.Get("/products", list)\n}\n',
      'strip/slo.yaml': withMix('  - { name: list-products, method: GET, path: /products }\n', '    - { route: list-products, weight: 1, path: /products/ }\n'),
      'ok/go.mod': 'module example.com/ok\n\ngo 1.22\n',
      'ok/main.go': 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/products/", list)\n\tr.GET("/orders", orders)\n\tr.GET("/orders/", orders)\n\tr.Run()\n}\n',
      'ok/slo.yaml': withMix('  - { name: list-products, method: GET, path: /products/ }\n  - { name: orders, method: GET, path: /orders }\n',
        '    - { route: list-products, weight: 1, path: "/products/?page=2" }\n    - { route: orders, weight: 1, path: /orders/ }\n'),
      'exact/go.mod': 'module example.com/exact\n\ngo 1.22\n',
      'exact/main.go': 'package main\n\nimport "net/http"\n\nfunc main() {\n\tmux := http.NewServeMux()\n\tmux.HandleFunc("GET /items", items)\n\thttp.ListenAndServe(":8080", mux)\n}\n',
      'exact/slo.yaml': contract('  - { name: items, method: GET, path: /items/ }\n'),
    }, 'sloctl-mix-slash-');
    const mixFindings = async (name: string) => {
      const r = await json(['validate', 'slo.yaml', '--go-module-path', '.'], join(dir, name));
      return { code: r.code, found: r.diagnostics.filter((d) => d.code === 'SLO_MIX_PATH' || d.code === 'SLO_ROUTE_NOT_REGISTERED') };
    };

    const gin = await mixFindings('gin');
    assert.equal(gin.code, 1);
    assert.deepEqual(gin.found.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code}: ${d.message} | ${d.hint}`), [
      '10:48 error SLO_MIX_PATH: load.mix[0] (route "list-products", GET /products) sends /products/, which differs from the path the code registers, `GET /products` (main.go:7:2), by its trailing / alone: gin redirects /products/ to /products (RedirectTrailingSlash, on by default): every request of the entry gets a 301, and the gate reports route "list-products" as not tested | write `path: /products`, the path the code registers',
      '11:42 error SLO_MIX_PATH: load.mix[1] (route "product", GET /products/:id) sends /products/{id}/, which differs from the path the code registers, `GET /products/:id` (main.go:8:2), by its trailing / alone: gin redirects /products/:id/ to /products/:id (RedirectTrailingSlash, on by default): every request of the entry gets a 301, and the gate reports route "product" as not tested | write `path: /products/{id}`, the path the code registers',
    ]);
    assert.deepEqual(gin.found[0].related?.map((n) => `${n.file}:${n.line}:${n.col} ${n.message}`), ['main.go:7:2 GET /products registered here (.GET)']);

    const mux = await mixFindings('mux');
    assert.deepEqual(mux.found.map((d) => `${d.line} ${d.severity}: ${d.message} | ${d.hint}`), [
      '10 error: load.mix[0] (route "orders", GET /orders/) sends /orders, without the trailing / of the ServeMux subtree `GET /orders/` (main.go:7:2) that serves the route: Go\'s ServeMux answers /orders with a 301 redirect to /orders/, so every request of the entry gets a 301 instead of the route\'s answer and the gate reports route "orders" as not tested | write `path: /orders/`, the path the code registers',
      '11 error: load.mix[1] (route "items", GET /items) sends /items/?page=1, which differs from the path the code registers, `GET /items` (main.go:8:2), by its trailing / alone: Go\'s ServeMux answers /items/ with a 404 (a pattern without a trailing / matches that path alone), and the gate reports route "items" as not served | write `path: /items?page=1`, the path the code registers',
    ]);

    // A catch-all "/" gets /items/: its handler may serve it, so a warning that names it.
    const catchall = await mixFindings('catchall');
    assert.deepEqual(catchall.found.map((d) => `${d.severity}: ${d.message}`), [
      'warning: load.mix[0] (route "items", GET /items) sends /items/, which differs from the path the code registers, `ALL /items` (main.go:6:2), by its trailing / alone: Go\'s ServeMux sends /items/ to the catch-all `ALL /` (main.go:7:2) (a pattern without a trailing / matches that path alone), which serves it only if that handler dispatches on the path itself',
    ]);

    const chi = await mixFindings('chi');
    assert.deepEqual(chi.found.map((d) => `${d.severity}: ${d.message} | ${d.hint}`), [
      'error: load.mix[0] (route "list-products", GET /products) sends /products/, which differs from the path the code registers, `GET /products` (main.go:7:2), by its trailing / alone: chi answers /products/ with a 404 (without middleware.StripSlashes), and the gate reports route "list-products" as not served | write `path: /products`, the path the code registers; or have the router strip it: `r.Use(middleware.StripSlashes)` (github.com/go-chi/chi/v5/middleware)',
    ]);
    const strip = await mixFindings('strip');
    assert.deepEqual(strip.found.map((d) => d.severity), ['warning']);
    assert.match(strip.found[0].message, /unless middleware\.StripSlashes \(main\.go:10:8\) removes the slash before it routes/);

    // The path as registered, or both spellings registered: nothing.
    const ok = await mixFindings('ok');
    assert.deepEqual(ok.found, []);
    assert.equal(ok.code, 0);

    // The same ServeMux rule holds a contract route to it: /items/ is not the pattern "GET /items".
    const exact = await mixFindings('exact');
    assert.deepEqual(exact.found.map((d) => `${d.severity} ${d.code}: ${d.message}`), [
      'error SLO_ROUTE_NOT_REGISTERED: route "items" (GET /items/) is not served as written: the code registers `GET /items` (main.go:7:2), and Go\'s ServeMux answers /items/ with a 404 (a pattern without a trailing / matches that path alone)',
    ]);
  });

  it('Node: Fastify keeps /a and /a/ apart, a wildcard route does not serve its root, Express 5 optional parts are spelled out; each error names the router and the option', async () => {
    const node = (routes: string) => `apiVersion: sloctl/v1\nservice: { name: shop, runtime: node }\nroutes:\n${routes}`;
    const dir = writeProject({
      'fastify/app.ts': "import Fastify from 'fastify';\nconst app = Fastify();\napp.get('/orders/', async () => []);\napp.get('/files/*', async () => '');\napp.get('/users', async () => []);\n",
      'fastify/slo.yaml': node('  - { name: orders, method: GET, path: /orders }\n  - { name: files, method: GET, path: /files }\n  - { name: users, method: GET, path: /users }\n'),
      'lenient/app.ts': "import Fastify from 'fastify';\nconst app = Fastify({ ignoreTrailingSlash: true });\napp.get('/orders/', async () => []);\n",
      'lenient/slo.yaml': node('  - { name: orders, method: GET, path: /orders }\n'),
      'express/app.js': "const express = require('express');\nconst app = express();\napp.get('/files/*splat', (req, res) => res.send(''));\napp.get('/users{/:id}', (req, res) => res.send(''));\napp.get('/orders/', (req, res) => res.send(''));\n",
      'express/slo.yaml': node('  - { name: files, method: GET, path: /files/ }\n  - { name: users, method: GET, path: /users }\n  - { name: user, method: GET, path: /users/:id }\n  - { name: orders, method: GET, path: /orders }\n'),
    }, 'sloctl-node-slash-');
    const fastify = await json(['validate', 'slo.yaml', '--project', '.'], join(dir, 'fastify'));
    assert.equal(fastify.code, 1);
    const routeFindings = (r: typeof fastify) => r.diagnostics.filter((d) => d.code === 'SLO_ROUTE_NOT_REGISTERED');
    assert.deepEqual(routeFindings(fastify).map((d) => `${d.line} ${d.severity}: ${d.message}`), [
      '4 error: route "orders" (GET /orders) is not served as written: the code registers `GET /orders/` (app.ts:3:1), and Fastify answers /orders with a 404 (its ignoreTrailingSlash is off, the default: with and without the trailing / are two routes)',
      '5 error: route "files" (GET /files) is not served as written: the code registers `GET /files/*` (app.ts:4:1), and Fastify answers /files with a 404 (a route ending in /* matches /files/ and the paths under it)',
    ]);
    assert.equal(routeFindings(fastify)[0].hint, 'write /orders/, the path the code registers; or register /orders in the code as well');
    // ignoreTrailingSlash: both spellings are served.
    const lenient = await json(['validate', 'slo.yaml', '--project', '.'], join(dir, 'lenient'));
    assert.deepEqual(routeFindings(lenient), []);
    // Express serves /orders for '/orders/' (not strict); '/users{/:id}' is /users and /users/:id; '*splat' needs a character.
    const express = await json(['validate', 'slo.yaml', '--project', '.'], join(dir, 'express'));
    assert.deepEqual(routeFindings(express).map((d) => `${d.line} ${d.severity}: ${d.message}`), [
      '4 error: route "files" (GET /files/) is not served as written: the code registers `GET /files/*splat` (app.js:3:1), and Express answers /files/ with a 404 (the wildcard *splat takes one character or more)',
    ]);
    assert.equal(routeFindings(express)[0].hint, 'write /files/* (every path under /files/) or one such path; or register /files/ in the code as well');
  });

  it('Go: a router mounted under http.StripPrefix serves the contract routes under the prefix; the same router without it keeps its own paths', async () => {
    const main = (handler: string) => `package main\n\nimport (\n\t"net/http"\n\n\t"github.com/gorilla/mux"\n)\n\nfunc main() {\n\tr := mux.NewRouter()\n\tr.HandleFunc("/users/{id}", user).Methods("GET")\n\tsm := http.NewServeMux()\n\tsm.Handle("/api/", ${handler})\n\thttp.ListenAndServe(":8080", sm)\n}\n`;
    const dir = writeProject({
      'go.mod': 'module example.com/shop\n\ngo 1.22\n',
      'main.go': main('http.StripPrefix("/api", r)'),
      'slo.yaml': contract('  - { name: get-user, method: GET, path: /api/users/:id }\n'),
      'plain/main.go': main('r'),
      'plain/slo.yaml': contract('  - { name: get-user, method: GET, path: /api/users/:id }\n'),
    }, 'sloctl-strip-');
    const ok = await run(['validate', 'slo.yaml', '--go-module-path', '.', '--strict'], dir);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /route check \(slo\.yaml\): 1\/1 contract routes found among 1 registered under \.; 0 registered routes not in the contract/);
    // Without StripPrefix the router sees /api/users/42, which its /users/{id} does not match.
    const plain = await json(['validate', 'slo.yaml', '--go-module-path', '.'], join(dir, 'plain'));
    assert.equal(plain.code, 1);
    assert.match(plain.diagnostics[0].message, /^route "get-user" \(GET \/api\/users\/:id\) is not registered by the code under \./);
    assert.match(plain.diagnostics[0].hint!, /the closest route the code registers is `GET \/users\/\{id\}` \(main\.go:11:2\)/);
  });

  it('Go: routes under chi Mount and gorilla PathPrefix mounts pass; a chi Mount("/files/") subtree root or a /docs/* route\'s root without its / is an error naming chi\'s 404; StripPrefix("/shop/") is a warning at the call', async () => {
    const dir = copyFixture('routes-go-mounts');
    writeFileSync(join(dir, 'go.mod'), 'module example.com/mounts\n\ngo 1.22\n');
    const routes = ['/api/users/:id', '/api', '/v2/orders', '/api/items/:id', '/legacy/orders', '/static/app.js', '/cart/', '/blog'];
    writeFileSync(join(dir, 'slo.yaml'), contract(routes.map((path, i) => `  - { name: r${i}, method: GET, path: ${path} }\n`).join('')));
    const ok = await run(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /route check \(slo\.yaml\): 8\/8 contract routes found among 24 registered under \./);
    assert.match(ok.stderr, /servemux\.go:16:22: warning SLO_SCAN: http\.StripPrefix\("\/shop\/", shop\) strips the \/ that shop's paths begin with: .* strip "\/shop" instead/);

    writeFileSync(join(dir, 'slo.yaml'), contract('  - { name: files, method: GET, path: /files }\n  - { name: docs, method: GET, path: /docs }\n  - { name: widgets, method: GET, path: /shop/widgets }\n  - { name: orders, method: GET, path: /orders }\n'));
    const bad = await json(['validate', 'slo.yaml', '--go-module-path', '.'], dir);
    assert.equal(bad.code, 1);
    const missing = bad.diagnostics.filter((d) => d.code === 'SLO_ROUTE_NOT_REGISTERED');
    assert.deepEqual(missing.map((d) => `${d.severity}: ${d.message}`), [
      'error: route "files" (GET /files) is not served as written: the code registers `ALL /files/*` (chi.go:18:2), and chi answers /files with a 404 (a Mount pattern ending in / matches only the paths below it)',
      'error: route "docs" (GET /docs) is not served as written: the code registers `GET /docs/*` (chi.go:19:2), and chi answers /docs with a 404 (a pattern ending in /* matches only the paths below it)',
      'error: route "widgets" (GET /shop/widgets) is not registered by the code under .; a router is mounted at /shop/ with http.StripPrefix("/shop/", …) (servemux.go:16:22), which strips the / its paths begin with, so its routes are not served under it',
      'error: route "orders" (GET /orders) is not served as written: the code registers `GET /orders/` (servemux.go:22:2), and Go\'s ServeMux redirects /orders to /orders/ (the router is mounted at the subtree pattern "/orders/", which ServeMux reaches from /orders/ on): the contract\'s route gets a 301',
    ]);
    assert.equal(missing[3].hint, 'write /orders/, the path the code registers; or register /orders in the code as well');
    assert.equal(missing[0].hint, 'write /files/, the path the code registers; or register /files in the code as well');
    assert.equal(missing[2].hint, 'strip "/shop" instead of "/shop/" at servemux.go:16:22, so the mounted router\'s routes are served under it');
    assert.equal(missing[2].related?.[0].message, "the StripPrefix that leaves the mounted router's paths without their leading / (its warning says what the router answers)");
  });

  it("the Go examples' contracts (a /products/ subtree each) validate against their code with --strict", async () => {
    for (const example of ['middleware', 'promhttp']) {
      const r = await run(['validate', 'slo.yaml', '--go-module-path', '.', '--strict'], join(process.cwd(), 'go/example', example));
      assert.equal(r.code, 0, `${example}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /route check \(slo\.yaml\): 3\/3 contract routes found/);
    }
  });

  it('--strict lists the registered routes no contract route covers, in one finding', async () => {
    const dir = copyFixture('routes-express');
    edit(join(dir, 'src/server.js'), "app.use('/users', users);", "app.use('/users', users);\napp.post('/admin/reset', (_req, res) => res.sendStatus(204));\napp.get('/debug/vars', (_req, res) => res.json({}));");
    const lax = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(lax.code, 0, lax.stderr);
    const strict = await json(['validate', 'slo.yaml', '--project', '.', '--strict'], dir);
    assert.equal(strict.code, 1);
    const uncovered = strict.diagnostics.filter((d) => d.code === 'SLO_ROUTE_UNCOVERED');
    assert.equal(uncovered.length, 1, JSON.stringify(strict.diagnostics));
    assert.match(uncovered[0].message, /^2 routes the code registers are not in the contract: POST \/admin\/reset, GET \/debug\/vars$/);
  });

  it('a path computed at run time makes the check partial: a missing route is a warning that says so, not an error', async () => {
    const dir = copyFixture('routes-express');
    edit(join(dir, 'src/server.js'), "app.get('/hello', (_req, res) => res.send('hello'));", "app.get(process.env.HELLO_PATH, (_req, res) => res.send('hello'));");
    const r = await json(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 0, JSON.stringify(r.diagnostics));
    const missing = r.diagnostics.filter((d) => d.code === 'SLO_ROUTE_NOT_REGISTERED');
    assert.equal(missing.length, 1);
    assert.equal(missing[0].severity, 'warning');
    assert.match(missing[0].message, /route "hello" \(GET \/hello\) is not registered .*; 1 route registered with computed paths was not checked, so it may be one of them/);
    const text = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.match(text.stderr, /src\/server\.js:6:1: warning SLO_ROUTE_PARTIAL: the route check of slo\.yaml is partial: 1 route registered with computed paths was not checked \(process\.env\.HELLO_PATH\)/);
  });

  it('says the route check was not done when the code registers no routes sloctl can see, instead of failing every route', async () => {
    const r = await run(['validate', 'test/fixtures/ts-service/slo.yaml', '--project', 'test/fixtures/ts-service'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /SLO_ROUTE_NOT_REGISTERED/);
    assert.match(r.stdout, /route check \(test\/fixtures\/ts-service\/slo\.yaml\): not done, no route registrations found in its code/);
  });
});

describe('validate --project: which code a contract is checked against', () => {
  it('a contract below the scanned directory is checked against the code in its own directory, and the summary names that directory and where the other routes went', async () => {
    const dir = copyFixture('routes-express');
    mkdirSync(join(dir, 'variants'));
    writeFileSync(join(dir, 'variants', 'route.yaml'), readFileSync(join(dir, 'slo.yaml'), 'utf8').replace('path: /hello', 'path: /helo'));
    const r = await run(['validate', 'variants/route.yaml', '--project', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    // --project . is the working directory: every file under it was scanned...
    assert.match(r.stdout, /code check: \d+ metrics registered in 2 files under \./);
    // ...and the contract's own code is what lies under variants/, not "under .".
    assert.match(r.stdout, /route check \(variants\/route\.yaml\): not done, no route registrations found in its code under variants; the 3 route registrations elsewhere under \. belong to slo\.yaml \(each file belongs to the contract nearest above it: a contract is checked against the code in its own directory and below\)/);
    assert.doesNotMatch(r.stdout, /in its code under \. /);

    // The contract beside the code: compared with it, "under ." as scanned.
    const own = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.match(own.stdout, /route check \(slo\.yaml\): 3\/3 contract routes found among 3 registered under \.$/m);
    // From another working directory, --project is relative to it.
    const nested = await run(['validate', 'route.yaml', '--project', '..'], join(dir, 'variants'));
    assert.match(nested.stdout, /in 2 files under \.\./);
    assert.match(nested.stdout, /no route registrations found in its code under \.; the 3 route registrations elsewhere under \.\. belong to \.\.\/slo\.yaml/);
  });

  it('a missing route names the contract\'s own directory when it is below the scanned one', async () => {
    const dir = copyFixture('routes-express');
    mkdirSync(join(dir, 'svc'));
    cpSync(join(dir, 'src'), join(dir, 'svc', 'src'), { recursive: true });
    writeFileSync(join(dir, 'svc', 'slo.yaml'), readFileSync(join(dir, 'slo.yaml'), 'utf8').replace('path: /hello', 'path: /helo'));
    const r = await run(['validate', 'svc/slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error SLO_ROUTE_NOT_REGISTERED: route "hello" \(GET \/helo\) is not registered by the code under svc\n/);
    assert.match(r.stdout, /route check \(svc\/slo\.yaml\): 2\/3 contract routes found among 3 registered under svc$/m);
  });
});

describe('validate --strict with the SDK', () => {
  it('passes on the repository: examples/checkout/slo.yaml against every source under .', async () => {
    const r = await run(['validate', '--strict', 'examples/checkout/slo.yaml', '--project', '.'], process.cwd());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /route check \(examples\/checkout\/slo\.yaml\): 3\/3 contract routes found/);
  });

  it('does not call the SDK\'s own series (sloctl_weighted_requests_total, ...) uncovered SLIs', async () => {
    const r = await run(['validate', '--strict', 'examples/checkout/slo.yaml', '--project', 'examples/checkout', '--format', 'json'], process.cwd());
    assert.equal(r.code, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /SLO_METRIC_UNCOVERED/);
  });

  it('hints "did you mean" for a metric one edit away from a registered one', async () => {
    const dir = copyFixture('ts-service');
    edit(join(dir, 'src/metrics.ts'), "name: 'http_server_requests_total'", "name: 'http_server_request_total'");
    const r = await run(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SLO_METRIC_NOT_REGISTERED: .*`http_server_requests_total`/);
    assert.match(r.stderr, /hint: did you mean `http_server_request_total`\? \(registered at src\/metrics\.ts:\d+:\d+\)/);
  });
});

// Found by a TypeScript user trial: `validate --project .` in a copy of the service holding only its
// compiled dist/ (a deployed or `npm ci --omit=dev` copy) said the code registers none of the
// metrics the contract reads, with "0 metrics registered in 1 file": dist/ is skipped as build
// output, and nothing said so.
describe('code check: build output left out', () => {
  const CONTRACT = 'apiVersion: sloctl/v1\nservice: { name: shop, runtime: node }\nobjectives:\n  errors: { objective: 99% }\n';
  const SERVER = "import { instrument } from 'sloctl/sdk';\nimport express from 'express';\nimport { middleware } from 'sloctl/sdk/express';\nconst sdk = instrument('slo.yaml');\nconst app = express();\napp.use(middleware(sdk));\napp.get('/orders', (_q, s) => s.json([]));\n";
  it('names dist/ and the flag that checks it when nothing outside it registers a metric or a route', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-dist-only-'));
    writeFileSync(join(dir, 'slo.yaml'), CONTRACT);
    mkdirSync(join(dir, 'dist', 'routes'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'server.js'), SERVER);
    writeFileSync(join(dir, 'dist', 'routes', 'a.js'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'seed.mjs'), 'console.log(1);\n');
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.match(r.stdout, /code check: 0 metrics registered in 1 file under \.; left out, build output: dist\/ \(2 source files\); if the code is only there, check it by name: --project dist/);
    const named = await runCli(['validate', 'slo.yaml', '--project', 'dist'], dir);
    assert.equal(named.code, 0, named.stdout + named.stderr);
    assert.doesNotMatch(named.stdout, /build output/);
  });

  it('says nothing of dist/ when the sources beside it register the metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-dist-src-'));
    writeFileSync(join(dir, 'slo.yaml'), CONTRACT);
    mkdirSync(join(dir, 'dist'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'dist', 'server.js'), SERVER);
    writeFileSync(join(dir, 'src', 'server.ts'), SERVER);
    const r = await runCli(['validate', 'slo.yaml', '--project', '.'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /build output/);
  });
});
