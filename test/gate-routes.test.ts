// Per-route answers from a real gate run: a service with two routes, one of them slowed to
// 250 ms, and a third contract route the service does not have. The gate fails, and every
// output (table, JSON, Markdown, JUnit) names the slow route with its numbers and says the
// service lacks the missing one. One gate run feeds every assertion (a run takes ~10 s).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { parseContract } from '../src/contract/load.ts';
import { renderTable } from '../src/report/table.ts';
import { normalizeRoutePath } from '../src/contract/route-paths.ts';
import { routeEvidence } from '../src/verdicts/routes.ts';
import type { GateReport, ObjectiveVerdict, RouteReport } from '../src/verdicts/types.ts';
import { judgeObjectives } from '../src/verdicts/objectives.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';

const REPO = resolve(import.meta.dirname, '..');
const SERVICE = join(REPO, 'test/fixtures/gate-routes/service.ts');

function contractFile(dir: string): string {
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, `apiVersion: sloctl/v1
service: { name: gate-routes }
target:
  run: ${JSON.stringify(`node --import tsx ${SERVICE}`)}
  cwd: ${JSON.stringify(REPO)}
  env: ${JSON.stringify({ CONTRACT: file, SLOW_MS: '250' })}
  startTimeout: 30s
errorClasses:
  - { name: not-found, weight: 0, status: [404], good: true }
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: fast, method: GET, path: /fast }
  - { name: slow, method: GET, path: /slow, latency: 100ms }
  - { name: missing, method: GET, path: /missing }
load:
  rate: 60/s
  duration: 6s
  warmup: 1s
  connections: 32
  timeout: 2s
  mix:
    - { route: fast, weight: 2 }
    - { route: slow, weight: 1 }
    - { route: missing, weight: 1 }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 95%, percentiles: { p95: 200ms } }
  errors: { objective: 99% }
  throughput: { minimum: 5/s }
`);
  return file;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  report: GateReport;
  junit: string;
  markdown: string;
  table: string;
}

let run: Run;

async function runGateOnce(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-gate-routes-'));
  const file = contractFile(dir);
  const { code, stdout, stderr } = await runCli(['gate', file, '--trials', '2', '--no-progress', '--json', '--junit', 'junit.xml', '--markdown', 'gate.md', '--journal', 'j.jsonl'], dir);
  // NaN is written as null in JSON; the table renders NaN as n/a, so revive it as NaN.
  const report = JSON.parse(stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
  run = { code, stdout, stderr, report, junit: readFileSync(join(dir, 'junit.xml'), 'utf8'), markdown: readFileSync(join(dir, 'gate.md'), 'utf8'), table: renderTable(report) };
}

const verdict = (name: string): ObjectiveVerdict => {
  const v = run.report.verdicts.find((x) => x.name === name);
  assert.ok(v, `verdict ${name} in ${run.report.verdicts.map((x) => x.name).join(', ')}`);
  return v;
};
const route = (label: string): RouteReport => {
  const r = run.report.routes?.find((x) => x.route === label);
  assert.ok(r, `route ${label} in ${run.report.routes?.map((x) => x.route).join(', ')}`);
  return r;
};

describe('gate per-route answers (a slowed route, a missing route)', () => {
  before(runGateOnce);
  it('fails (exit 1)', () => {
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.report.outcome, 'fail');
  });

  it('JSON: a row per route with both views, the slow route\'s own numbers, and what it causes', () => {
    const slow = route('GET /slow');
    const fast = route('GET /fast');
    assert.equal(slow.thresholdMs, 100, 'the route\'s own threshold');
    assert.equal(fast.thresholdMs, 100, 'the objective\'s threshold');
    for (const [label, r] of [['slow', slow], ['fast', fast]] as const) {
      assert.ok(r.client && r.client.requests > 50, `${label} client requests: ${JSON.stringify(r.client)}`);
      assert.ok(r.service && r.service.requests > 50, `${label} service requests: ${JSON.stringify(r.service)}`);
    }
    // Client: exact; the slow route's p50 is its 250 ms timer, the fast one's a few ms.
    assert.ok(slow.client!.p50 >= 250 && slow.client!.p95 < 400, JSON.stringify(slow.client));
    assert.ok(slow.client!.withinThreshold < 0.05, JSON.stringify(slow.client));
    assert.ok(fast.client!.p95 < 100 && fast.client!.withinThreshold > 0.95, JSON.stringify(fast.client));
    // Service: its histogram says the same, between bucket bounds.
    assert.ok(slow.service!.p50 >= 200 && slow.service!.withinThreshold < 0.05, JSON.stringify(slow.service));
    assert.ok(fast.service!.withinThreshold > 0.95, JSON.stringify(fast.service));
    // Client and service count the same requests (within what a scrape boundary can shift).
    assert.ok(Math.abs(slow.client!.requests - slow.service!.requests) <= 0.2 * slow.client!.requests, `${slow.client!.requests} vs ${slow.service!.requests}`);
    assert.deepEqual(slow.causes.sort(), ['latency api', 'latency api p95']);
    assert.deepEqual(fast.causes, []);
  });

  it('JSON: the failing latency objectives name the slow route first, with its numbers, and not the fast one', () => {
    for (const name of ['api', 'api p95']) {
      const v = verdict(name);
      assert.equal(v.verdict, 'fail', v.reason);
      assert.equal(v.routes?.[0].route, 'GET /slow', JSON.stringify(v.routes));
      assert.ok(!v.routes?.some((c) => c.route === 'GET /fast'), JSON.stringify(v.routes));
      assert.match(v.reason, /caused by GET \/slow: p95 2\d\d(\.\d)? ms, [0-9.]+% within 100 ms/);
    }
    assert.equal(verdict('api p95').routes![0].unit, 'ms');
    assert.ok(verdict('api p95').routes![0].value >= 250);
  });

  it('JSON: the contract route the service lacks fails, named, though its 404s are a good class', () => {
    const v = verdict('GET /missing');
    assert.equal(v.contract, 'routes');
    assert.equal(v.verdict, 'fail');
    assert.match(v.reason, /the service does not have GET \/missing: all [0-9,]+ answered requests got 404, and the service counted [0-9,]+ GET requests as unmatched and none for \/missing/);
    assert.ok(run.report.reasons.some((r) => r.startsWith('routes GET /missing: the service does not have GET /missing')), run.report.reasons.join('\n'));
    const missing = route('GET /missing');
    assert.ok(missing.client!.notFound > 0 && missing.client!.notFound === missing.client!.requests, JSON.stringify(missing.client));
    assert.ok(missing.service!.requests === 0 && missing.service!.notFound > 0, JSON.stringify(missing.service));
    assert.deepEqual(missing.causes, ['routes GET /missing']);
    // Its "good" 404s no longer raise the throughput: the good weighted rate counts /fast only
    // (and none of /slow, all over its threshold), about half of the 60/s sent.
    const t = verdict('throughput');
    const fastRate = (route('GET /fast').client!.requests * route('GET /fast').client!.withinThreshold) / (run.report.load!.durationMs / 1000);
    assert.ok(Math.abs(t.measured - fastRate) < 0.05 * fastRate + 0.5, `throughput ${t.measured} vs /fast good ${fastRate}`);
  });

  it('table: a row per route and view, and the failure line names the slow route and its numbers', () => {
    assert.match(run.table, /^ROUTE +VIEW +REQUESTS +P50 +P95 +P99 +WITHIN THRESHOLD/m);
    assert.match(run.table, /^GET \/slow +client +[0-9,]+ +2\d\d(\.\d)? ms .* latency api, latency api p95$/m);
    assert.match(run.table, /^ +service +[0-9,]+ /m);
    assert.match(run.table, /^GET \/missing +client .* routes GET \/missing$/m);
    assert.match(run.table, /^FAIL latency api p95: .*caused by GET \/slow: p95 2\d\d(\.\d)? ms, [0-9.]+% within 100 ms/m);
  });

  it('Markdown: a routes table, and the failing objective\'s reason names the slow route', () => {
    assert.match(run.markdown, /^\| Route \| View \| Requests \| P50 \| P95 \| P99 \| Within threshold \|/m);
    assert.match(run.markdown, /^\| GET \/slow \| client \| [0-9,]+ \| 2\d\d(\.\d)? ms \|.*\*\*latency api, latency api p95\*\* \|$/m);
    assert.match(run.markdown, /^- latency api p95: .*caused by GET \/slow: p95 2\d\d(\.\d)? ms, [0-9.]+% within 100 ms/m);
    assert.match(run.markdown, /^- routes GET \/missing: the service does not have GET \/missing/m);
  });

  it('JUnit: the slow route is a failed test case with its numbers; the fast one passes; the missing one fails once', () => {
    const slow = /<testcase name="GET \/slow" classname="sloctl\.gate\.gate-routes\.route" time="0">\s*<failure message="([^"]*)" type="route">([^<]*)<\/failure>/.exec(run.junit);
    assert.ok(slow, run.junit);
    assert.match(slow[1], /^GET \/slow makes latency api \(p95 .*\); latency api p95 \(p95 2\d\d(\.\d)? ms, [0-9.]+% within 100 ms\) fail$/);
    assert.match(slow[2], /client: [0-9,]+ requests, p50 2\d\d(\.\d)? ms, p95 .*; service: [0-9,]+ requests/);
    assert.match(run.junit, /<testcase name="GET \/fast" classname="sloctl\.gate\.gate-routes\.route" time="0">\s*<system-out>PASS: client: /);
    assert.match(run.junit, /<testcase name="api p95" classname="sloctl\.gate\.gate-routes\.latency" time="0">\s*<failure message="[^"]*caused by GET \/slow: p95 2\d\d(\.\d)? ms/);
    assert.equal([...run.junit.matchAll(/<testcase name="GET \/missing"/g)].length, 1, 'the missing route is one test case, its routes verdict');
    assert.match(run.junit, /<testcase name="GET \/missing" classname="sloctl\.gate\.gate-routes\.routes" time="0">\s*<failure message="the service does not have GET \/missing/);
  });
});

// Pure: synthetic load results in, verdicts out (no service, no clock).
const PURE = `
apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: not-found, weight: 0, status: [404], good: true }
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: a, method: GET, path: /a }
  - { name: b, method: GET, path: /b/:id }
  - { name: c, method: POST, path: /c, latency: 500ms }
  - { name: gone, method: GET, path: /gone }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 90%, percentiles: { p95: 150ms } }
  errors: { objective: 99% }
  throughput: { minimum: 1/s }
`;

const row = routeRow;
const load = loadOf;

const fill = (n: number, ms: number) => Array(n).fill(ms) as number[];

describe('route attribution (pure)', () => {
  const parsed = parseContract(PURE, 'slo.yaml');
  assert.ok(parsed.contract, JSON.stringify(parsed.diagnostics));
  const contract = parsed.contract;

  it('names the routes that fail an objective, worst first, and leaves out the routes that hold', () => {
    // a: 1000 requests, 400 over 100 ms (p95 300 ms); b: 100 requests, 90 over (p95 900 ms);
    // c: 50 requests at 400 ms, within its own 500 ms threshold, but over the p95 ceiling.
    const client = load([
      row('a', [...fill(600, 10), ...fill(400, 300)], { 200: 1000 }),
      row('b', [...fill(10, 10), ...fill(90, 900)], { 200: 95, 500: 5 }),
      row('c', fill(50, 400), { 201: 50 }),
    ]);
    const vs = judgeObjectives(contract, { client, service: { slos: [] } });
    const share = vs.find((v) => v.name === 'api')!;
    assert.equal(share.verdict, 'fail');
    // By requests over the threshold: a (400) before b (90); c is within its own threshold.
    assert.deepEqual(share.routes!.map((c) => c.route), ['GET /a', 'GET /b/:id']);
    assert.deepEqual(share.routes!.map((c) => c.value), [400, 90]);
    assert.match(share.reason, /caused by GET \/a: p95 30\d ms, 60% within 100 ms \(400 of 1,000 requests over it\); GET \/b\/:id: p95 9\d\d ms, 10% within 100 ms/);
    const p95 = vs.find((v) => v.name === 'api p95')!;
    assert.equal(p95.verdict, 'fail');
    // By their own p95, highest first: b (900), c (400), a (300).
    assert.deepEqual(p95.routes!.map((c) => c.route), ['GET /b/:id', 'POST /c', 'GET /a']);
    assert.match(p95.routes![1].detail, /^p95 40\d ms, 100% within 500 ms$/, 'c is judged at its own threshold');
    const errors = vs.find((v) => v.name === 'errors')!;
    assert.equal(errors.verdict, 'fail');
    assert.deepEqual(errors.routes!.map((c) => [c.route, c.detail]), [['GET /b/:id', '5 of 100 requests failed (5%); weighted by error class: server 5 × 2.5 = 12.5 (12.5%)']]);
  });

  it('a passing objective names no route; a mix where no route fails alone names the biggest contributors', () => {
    const ok = judgeObjectives(contract, { client: load([row('a', fill(100, 10), { 200: 100 })]), service: { slos: [] } });
    assert.ok(ok.every((v) => v.routes === undefined), JSON.stringify(ok.map((v) => v.routes)));
    // Each route is 91% within 100 ms on its own (objective 90%) but the p95 ceiling fails overall.
    const together = judgeObjectives(contract, { client: load([row('a', [...fill(910, 10), ...fill(90, 200)], { 200: 1000 }), row('b', [...fill(91, 10), ...fill(9, 200)], { 200: 100 })]), service: { slos: [] } });
    const p95 = together.find((v) => v.name === 'api p95')!;
    assert.equal(p95.verdict, 'fail');
    assert.deepEqual(p95.routes!.map((c) => c.route), ['GET /a', 'GET /b/:id'], 'most requests over the ceiling first');
  });

  it('a route answered 404 every time fails as missing, and its "good" 404s do not count as throughput', () => {
    const client = load([row('a', fill(100, 10), { 200: 100 }), row('gone', fill(100, 1), { 404: 100 })]);
    const vs = judgeObjectives(contract, { client, service: { slos: [] } });
    const gone = vs.find((v) => v.contract === 'routes')!;
    assert.equal(gone.name, 'GET /gone');
    assert.equal(gone.verdict, 'fail');
    assert.match(gone.reason, /^the service does not have GET \/gone: all 100 answered requests got 404; its 404s fall in the error class "not-found", which weighs 0.*add the route to the service/);
    assert.equal(vs.find((v) => v.name === 'throughput')!.measured, 10, 'only /a\'s 100 requests in 10 s');
    // Some 404s among 200s is a route that exists (a lookup that found nothing).
    const some = judgeObjectives(contract, { client: load([row('gone', fill(100, 1), { 404: 50, 200: 50 })]), service: { slos: [] } });
    assert.equal(some.find((v) => v.contract === 'routes'), undefined);
  });

  it('matches the service\'s route labels whatever the parameter syntax; all-404 on a route the service matched says so', () => {
    assert.equal(normalizeRoutePath('/b/:id'), normalizeRoutePath('/b/{productId}'));
    assert.equal(normalizeRoutePath('/b/'), '/b');
    const client = load([row('b', fill(10, 1), { 404: 10 })]);
    const seen = (requests: number) => new Map([['GET /b/{productId}', { method: 'GET', route: '/b/{productId}', buckets: new Map([[0.1, requests], [Infinity, requests]]), requests, classes: new Map([['not-found', requests]]) }]]);
    const [matched] = routeEvidence(contract, client, seen(10));
    assert.match(matched.missing!, /^every one of the 10 answered requests to GET \/b\/:id got 404, although the service matched the route/);
    assert.equal(matched.missingKind, 'untested');
    assert.equal(matched.service!.total, 10);
    const [unmatched] = routeEvidence(contract, client, new Map([['GET unmatched', { method: 'GET', route: 'unmatched', buckets: new Map([[Infinity, 10]]), requests: 10, classes: new Map() }]]));
    assert.match(unmatched.missing!, /^the service does not have GET \/b\/:id: all 10 answered requests got 404, and the service counted 10 GET requests as unmatched and none for \/b\/:id$/);
    assert.equal(unmatched.missingKind, 'absent');
  });
});
