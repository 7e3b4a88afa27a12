// Per-route answers from a real gate run: a service with two routes, one of them slowed to
// 250 ms, and a third contract route the service does not have. The gate fails, and every
// output (table, JSON, Markdown, JUnit) names the slow route with its numbers and says the
// service lacks the missing one. One gate run feeds every assertion (a run takes ~10 s).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../src/cli/main.ts';
import { renderTable } from '../src/gate/render-table.ts';
import type { GateReport, ObjectiveVerdict, RouteReport } from '../src/gate/types.ts';

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

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-gate-routes-'));
  const file = contractFile(dir);
  let stdout = '';
  let stderr = '';
  const code = await main(
    ['node', 'sloctl', 'gate', file, '--trials', '2', '--no-progress', '--json', '--junit', 'junit.xml', '--markdown', 'gate.md', '--journal', 'j.jsonl'],
    { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd: dir, color: false },
  );
  // NaN is written as null in JSON; the table renders NaN as n/a, so revive it as NaN.
  const report = JSON.parse(stdout, (_k, v) => (v === null ? NaN : v)) as GateReport;
  run = { code, stdout, stderr, report, junit: readFileSync(join(dir, 'junit.xml'), 'utf8'), markdown: readFileSync(join(dir, 'gate.md'), 'utf8'), table: renderTable(report) };
});

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
