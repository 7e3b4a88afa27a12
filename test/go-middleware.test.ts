// The Go middleware's own tests (go/: the classifier, the route matcher, net/http, gin and echo),
// run with Debian's Go in GOPATH mode against /usr/share/gocode, counted by Node's runner: the
// file fails when `go vet` or `go test` does, with go's output. Also: the contract JSON the Go
// tests read (go/sloctl/testdata/contract.json) is what `sloctl generate contract` writes today.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { generateContract, goWork, ROOT } from './fixtures/go-middleware-service/harness.ts';

describe('go/: the Go middleware package', { timeout: 240_000 }, () => {
  it('go vet and go test ./... pass in GOPATH mode (core, sloctlgin, sloctlecho)', (t) => {
    const w = goWork(t);
    if (!w) return;
    // -stdmethods=false: Go 1.19's vet wants Unwrap() error only; Unwrap() []error is Go 1.20's
    // multi-error interface, which the classifier walks and its tests use on purpose.
    const vet = spawnSync(w.go, ['vet', '-stdmethods=false', './...'], { cwd: w.pkg, encoding: 'utf8', env: { ...w.env, PWD: w.pkg } });
    assert.equal(vet.status, 0, `go vet failed:\n${vet.stdout}${vet.stderr}`);
    const test = spawnSync(w.go, ['test', '-count=1', '-v', './...'], { cwd: w.pkg, encoding: 'utf8', env: { ...w.env, PWD: w.pkg }, timeout: 100_000 });
    const out = `${test.stdout}${test.stderr}`;
    assert.equal(test.status, 0, `go test failed:\n${out}`);
    for (const pkg of ['sloctl', 'sloctlgin', 'sloctlecho']) assert.match(out, new RegExp(`^ok\\s+github.com/sloctl/sloctl-go/${pkg}\\s`, 'm'), `${pkg} was tested:\n${out}`);
    const passed = out.match(/^--- PASS: /gm)?.length ?? 0;
    t.diagnostic(`${passed} Go tests passed`);
    assert.ok(passed >= 6, out);
  });

  it('the core package imports only the standard library and client_golang (gin and echo stay in their adapters)', (t) => {
    const w = goWork(t);
    if (!w) return;
    const list = spawnSync(w.go, ['list', '-deps', '-f', '{{if not .Standard}}{{.ImportPath}}{{end}}', './sloctl'], { cwd: w.pkg, encoding: 'utf8', env: { ...w.env, PWD: w.pkg } });
    assert.equal(list.status, 0, list.stderr);
    const deps = list.stdout.split('\n').filter(Boolean);
    const foreign = deps.filter((d) => !d.startsWith('github.com/sloctl/sloctl-go/sloctl') && !/^github.com\/(prometheus|beorn7|cespare|golang\/protobuf|matttproud)\/|^google.golang.org\/protobuf|^golang.org\/x\/sys/.test(d));
    assert.deepEqual(foreign, [], `non-client_golang dependencies of the core package: ${foreign.join(', ')}`);
  });

  it('go/sloctl/testdata/contract.json is what `sloctl generate contract` writes for the conformance contract', async (t) => {
    const out = join(mkdtempSync(join(tmpdir(), 'sloctl-contract-json-')), 'contract.json');
    await generateContract(join(ROOT, 'test/sdk/fixtures/slo.yaml'), out);
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    const kept = JSON.parse(readFileSync(join(ROOT, 'go/sloctl/testdata/contract.json'), 'utf8')) as Record<string, unknown>;
    delete fresh.source;
    delete kept.source;
    assert.deepEqual(kept, fresh, 'regenerate: cd test/sdk/fixtures && sloctl generate contract slo.yaml -o ../../../go/sloctl/testdata/contract.json');
    t.diagnostic(`buckets ${(fresh.bucketsMs as number[]).join(', ')} ms`);
  });
});

describe('sloctl generate contract: the contract as normalized JSON', () => {
  const contract = `apiVersion: sloctl/v1
service: { name: json-test, runtime: go }
errorClasses:
  - { name: transient, weight: 0.3, status: [503, "500-502"], codes: [ECONNRESET] }
  - { name: missing, weight: 0, status: [404], good: true }
  - { name: server, weight: 2.5, status: ["5xx"], errors: [DeadlockError] }
probes: [/readyz, { path: /livez, userAgent: kube-probe/ }]
routes:
  - { name: slow-report, method: GET, path: /reports/:id, latency: 1h30m }
  - { name: covered, method: POST, path: /orders }
  - { name: other, method: GET, path: /other }
dependencies:
  - { name: db, timeout: 1.5s }
objectives:
  latency:
    - { name: orders, routes: [covered], threshold: 300ms, objective: 99.9% }
    - { name: api, threshold: 200ms, objective: 99% }
  errors: { objective: 99.5% }
`;

  it('resolves units (durations in ms, ratios 0..1), applies defaults, orders keys stably, and carries schemaVersion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-gen-contract-'));
    writeFileSync(join(dir, 'slo.yaml'), contract);
    const r = await runCli(['generate', 'contract', 'slo.yaml'], dir);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    assert.deepEqual(Object.keys(j), ['schemaVersion', 'source', 'service', 'paths', 'errorClasses', 'probes', 'routes', 'defaultThresholdMs', 'dependencies', 'health', 'latencyThresholdsMs', 'bucketsMs', 'metricNames']);
    assert.equal(j.schemaVersion, 1);
    assert.equal(j.source, 'slo.yaml');
    assert.deepEqual(j.paths, { health: '/healthz', metrics: '/metrics' }, 'defaults applied');
    assert.deepEqual(j.errorClasses[0].status, [[503, 503], [500, 502]]);
    assert.deepEqual(j.errorClasses[1], { name: 'missing', weight: 0, good: true, status: [[404, 404]], errors: [], codes: [] });
    assert.deepEqual(j.errorClasses[2].status, [[500, 599]]);
    assert.deepEqual(j.probes, [{ path: '/readyz', method: null, userAgent: null }, { path: '/livez', method: null, userAgent: 'kube-probe/' }]);
    assert.deepEqual(j.routes.map((r: { name: string; thresholdMs: number }) => [r.name, r.thresholdMs]), [['slow-report', 5_400_000], ['covered', 300], ['other', 200]], 'own, covering objective, general objective');
    assert.equal(j.routes[0].sliClass, 'default');
    assert.equal(j.defaultThresholdMs, 200);
    assert.deepEqual(j.dependencies, [{ name: 'db', critical: true, timeoutMs: 1500, url: null, breaker: null }]);
    // The ratios are the parser's own numbers (99.9% parses to 0.9990000000000001), the ones the Node SDK judges with.
    const { latencyObjective, ...health } = j.health;
    assert.ok(Math.abs(latencyObjective - 0.999) < 1e-12, `the strictest latency objective: ${latencyObjective}`);
    assert.deepEqual(health, { weights: { health: 0.3, latency: 0.25, success: 0.25, dependencies: 0.2 }, successObjective: 0.995, windowMs: 30000, minRequests: 20, downBelow: 0.5 });
    for (const th of [200, 300, 5_400_000]) assert.ok(j.bucketsMs.includes(th), `${th} ms is a bucket`);
    assert.equal(j.metricNames.requests, 'http_server_requests_total');
    const again = await runCli(['generate', 'contract', 'slo.yaml'], dir);
    assert.equal(again.stdout, r.stdout, 'the same bytes every time');
  });

  it('-o writes the file atomically and says so; an invalid contract writes nothing and exits 2 with the located error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-gen-contract-'));
    writeFileSync(join(dir, 'slo.yaml'), contract);
    const r = await runCli(['generate', 'contract', 'slo.yaml', '-o', 'slo.json'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote contract JSON to slo\.json/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'slo.json'), 'utf8')).service.name, 'json-test');
    assert.deepEqual(readdirSync(dir).sort(), ['slo.json', 'slo.yaml'], 'no temporary file left');
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x }\nobjectives:\n  errors: { objective: 150% }\n');
    const bad = await runCli(['generate', 'contract', 'bad.yaml', '-o', 'bad.json'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:4:/);
    assert.match(bad.stderr, /nothing generated/);
    assert.ok(!readdirSync(dir).includes('bad.json'));
  });
});
