// The gate's outcome says which of its lines decided it (the reasons) and which are notes beside it
// (how to record the first baseline, how the target was stopped...), in every rendering; and a
// route's error numbers read as what they are: the requests that failed and their share, then the
// contract-weighted figure, labelled, as a sum a reader can check. Pure: reports in, text out.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { judgeImported } from '../src/gate/imported.ts';
import { readLoadResult } from '../src/load/import.ts';
import { routeDetail, routeRows, ROUTE_HEAD } from '../src/report/format.ts';
import { htmlFromGate } from '../src/report/html-model.ts';
import { renderJson } from '../src/report/json.ts';
import { renderJunit } from '../src/report/junit.ts';
import { renderMarkdown } from '../src/report/markdown.ts';
import { renderTable } from '../src/report/table.ts';
import { judgeAccept } from '../src/verdicts/accept.ts';
import { judgeObjectives } from '../src/verdicts/objectives.ts';
import { routeEvidence, routeReports } from '../src/verdicts/routes.ts';
import type { HealthStats } from '../src/verdicts/health.ts';
import type { GateReport, ObjectiveVerdict, RouteNumbers } from '../src/verdicts/types.ts';
import { loadOf, routeRow } from './helpers/route-results.ts';

const NO_BASELINE = 'no baseline at .sloctl/baseline.json yet: run with --update-baseline once this build is accepted';
const STOPPED = 'the target `npm start` did not stop within 5s of SIGTERM: sloctl killed it with SIGKILL';

function verdict(over: Partial<ObjectiveVerdict>): ObjectiveVerdict {
  return { contract: 'latency', name: 'api p95', verdict: 'pass', measured: 180, objective: 250, unit: 'ms', direction: 'lower-is-better', margin: 70, client: 180, service: 175, reason: 'p95 180 ms is within 250 ms', ...over };
}

function report(over: Partial<GateReport>): GateReport {
  return {
    service: 'checkout', contractFile: 'slo.yaml', startedAt: 0, finishedAt: 1000, outcome: 'pass', exitCode: 0, reasons: [], notes: [],
    target: { url: 'http://127.0.0.1:8080', started: true, command: 'npm start' }, profile: { rate: 50, durationMs: 3000, warmupMs: 0, connections: 8, trials: 1, workers: 1 },
    verdicts: [verdict({})], trials: [], journal: '.sloctl/runs/j.jsonl', ...over,
  };
}

/** The table from the outcome line on (everything above it is the objectives, routes...). */
function outcomeBlock(text: string, head: RegExp): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => head.test(l));
  assert.ok(at >= 0, text);
  return lines.slice(at).join('\n');
}

const failing = report({
  outcome: 'fail',
  exitCode: 1,
  verdicts: [verdict({ verdict: 'fail', measured: 302, margin: -52, reason: 'p95 302 ms is over the ceiling 250 ms' }), verdict({ contract: 'errors', name: 'errors', unit: 'ratio', direction: 'higher-is-better', measured: 0.97, objective: 0.99, margin: -0.02, verdict: 'fail', reason: 'weighted success 97% is below the objective 99%' })],
  reasons: ['latency api p95: p95 302 ms is over the ceiling 250 ms', 'errors errors: weighted success 97% is below the objective 99%'],
  notes: [NO_BASELINE, STOPPED],
});

describe('the outcome: reasons, then notes apart', () => {
  it('table, FAIL: counts and lists only the reasons, then the notes under "notes:"', () => {
    assert.equal(
      outcomeBlock(renderTable(failing), /^FAIL \(exit 1\)/),
      [
        'FAIL (exit 1): 2 reasons',
        '  - latency api p95: p95 302 ms is over the ceiling 250 ms',
        '  - errors errors: weighted success 97% is below the objective 99%',
        'notes:',
        `  - ${NO_BASELINE}`,
        `  - ${STOPPED}`,
        'journal: .sloctl/runs/j.jsonl',
      ].join('\n'),
    );
  });

  it('table, PASS with notes: the head alone (no "N reasons", no "every objective met"), then the notes', () => {
    const text = renderTable(report({ notes: [NO_BASELINE] }));
    assert.equal(outcomeBlock(text, /^PASS \(exit 0\)/), ['PASS (exit 0)', 'notes:', `  - ${NO_BASELINE}`, 'journal: .sloctl/runs/j.jsonl'].join('\n'));
    // A pass with nothing to note says why it passed.
    assert.match(renderTable(report({})), /^PASS \(exit 0\): every objective met\njournal: /m);
    assert.doesNotMatch(renderTable(report({})), /^notes:/m);
  });

  it('table, INCONCLUSIVE: the reason that withdrew the verdict on the head line; a multi-line note stays indented', () => {
    const withdrawn = 'the load generator could not deliver the profile on time: 12% of sends late; latency api p95 failed: not judged';
    const text = renderTable(report({ outcome: 'inconclusive', exitCode: 4, reasons: [withdrawn], notes: ['the service view is missing (no /metrics)\nsecond line'] }));
    assert.equal(outcomeBlock(text, /^INCONCLUSIVE/), [`INCONCLUSIVE (exit 4): ${withdrawn}`, 'notes:', '  - the service view is missing (no /metrics)', '    second line', 'journal: .sloctl/runs/j.jsonl'].join('\n'));
  });

  it('JSON: notes right after reasons', () => {
    const doc = JSON.parse(renderJson(failing));
    assert.deepEqual(Object.keys(doc).slice(0, 6), ['service', 'contractFile', 'outcome', 'exitCode', 'reasons', 'notes']);
    assert.deepEqual(doc.notes, [NO_BASELINE, STOPPED]);
    assert.equal(doc.reasons.length, 2);
  });

  it('Markdown: the reasons as the outcome\'s bullets, the notes under "Notes:"', () => {
    const md = renderMarkdown(failing);
    assert.match(md, /^\*\*FAIL \(exit 1\)\*\*\n\n- latency api p95: .+\n- errors errors: .+\n\nNotes:\n\n- no baseline at \.sloctl/m);
    const pass = renderMarkdown(report({ notes: [NO_BASELINE] }));
    assert.match(pass, /^\*\*PASS \(exit 0\)\*\*\n\nNotes:\n\n- no baseline at /m);
  });

  it('JUnit: the outcome case and the suite summary say the notes apart from the reasons', () => {
    const xml = renderJunit(report({ outcome: 'inconclusive', exitCode: 4, reasons: ['no load was run'], notes: [NO_BASELINE] }));
    assert.match(xml, /<error message="INCONCLUSIVE \(exit 4\): no load was run" type="inconclusive">INCONCLUSIVE \(exit 4\)\nno load was run\nnotes:\n- no baseline at /);
    assert.match(renderJunit(failing), /<system-out>FAIL \(exit 1\)\n- latency api p95: [^\n]+\n- errors errors: [^\n]+\nnotes:\n- no baseline at [^\n]+\n- the target `npm start` did not stop/);
  });

  it('HTML: the banner holds the reasons; the notes are a section of their own under it', () => {
    const m = htmlFromGate(failing);
    assert.deepEqual(m.verdict.reasons, failing.reasons);
    assert.deepEqual(m.sections[0], { kind: 'text', title: 'Notes', lines: [NO_BASELINE, STOPPED] });
    const pass = htmlFromGate(report({ notes: [NO_BASELINE] }));
    assert.deepEqual(pass.verdict.reasons, [], 'a pass with notes does not claim "every objective met"');
    assert.deepEqual(htmlFromGate(report({})).verdict.reasons, ['every objective met']);
    assert.notEqual(htmlFromGate(report({})).sections[0].title, 'Notes');
  });

  it('accept: a first run without a baseline names the gate\'s note in its regression row', () => {
    const contract = parseContract('apiVersion: sloctl/v1\nservice: { name: s }\nobjectives:\n  errors: { objective: 99% }\n  regression: { trials: 5 }\n', 'slo.yaml').contract!;
    const v = judgeAccept({ contract, gate: report({ notes: [NO_BASELINE] }), notReached: {} });
    const row = v.rows.find((r) => r.contract === 'regression')!;
    assert.equal(row.outcome, 'not-judged');
    assert.equal(row.reason, NO_BASELINE);
  });

  it('--from: what the imported run is (client view only, no self-check) is a note; only failures are reasons', () => {
    const contract = parseContract('apiVersion: sloctl/v1\nservice: { name: imported }\nroutes:\n  - { name: work, method: GET, path: /work }\nobjectives:\n  latency:\n    - { name: api, threshold: 250ms, objective: 99%, percentiles: { p95: 200ms, p99: 300ms } }\n  errors: { objective: 99% }\n', 'slo.yaml').contract!;
    const path = join(import.meta.dirname, 'fixtures', 'load', 'vegeta-results.json');
    const r = judgeImported({ contract, contractFile: 'slo.yaml', result: readLoadResult(path, readFileSync(path, 'utf8')), from: 'vegeta-results.json' });
    assert.equal(r.outcome, 'fail');
    assert.deepEqual(r.reasons, r.verdicts.filter((v) => v.verdict === 'fail').map((v) => `${v.contract} ${v.name}: ${v.reason}`));
    assert.match(r.notes[0], /^judged on vegeta-results\.json \(vegeta, open model\): the client's view only/);
  });
});

describe('a run too short for an objective: INCONCLUSIVE, not a pass', () => {
  const contract = parseContract('apiVersion: sloctl/v1\nservice: { name: short }\nroutes:\n  - { name: work, method: GET, path: /work }\nobjectives:\n  latency:\n    - { name: api, threshold: 100ms, objective: 99% }\n  errors: { objective: 99.9% }\n', 'slo.yaml').contract!;
  const judge = (latencyMs: number) => judgeImported({ contract, contractFile: 'slo.yaml', result: { ...loadOf([routeRow('work', Array(100).fill(latencyMs), { 200: 100 })]), generator: undefined }, from: 'short.json' });

  it('100 clean requests against 99.9%: the errors objective is unmeasurable, and the outcome says so', () => {
    const r = judge(5);
    assert.equal(r.outcome, 'inconclusive');
    assert.equal(r.exitCode, 4);
    assert.equal(r.reasons.length, 1);
    assert.match(r.reasons[0], /^errors errors: not measurable by this run: objective 99\.9% allows 0\.1 bad requests in the 100 this run measured/);
  });

  it('beside a failure that stands, the outcome is FAIL and the unmeasurable objective a note', () => {
    const r = judge(500);
    assert.equal(r.outcome, 'fail');
    assert.match(r.reasons.join('\n'), /^latency api: /);
    assert.ok(r.notes.some((n) => /^errors errors: not measurable by this run/.test(n)), r.notes.join('\n'));
  });
});

describe('a route\'s errors: the requests that failed, then the weighted figure, labelled', () => {
  const contract = parseContract(`apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: transient, weight: 0.3, status: [503] }
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: a, method: GET, path: /a }
  - { name: b, method: GET, path: /b }
objectives:
  errors: { objective: 99% }
`, 'slo.yaml').contract!;
  // /a: 113 of 360 answered 500 (server, 2.5): 282.5 weighted, 78.5% of the requests though only 31.4% failed.
  // /b: 80 x 500 and 70 x 503 of 360.
  const client = loadOf([
    routeRow('a', Array(360).fill(5), { 200: 247, 500: 113 }),
    routeRow('b', Array(360).fill(5), { 200: 210, 500: 80, 503: 70 }),
  ]);
  const verdicts = judgeObjectives(contract, { client, service: { slos: [] } });
  const errors = verdicts.find((v) => v.contract === 'errors')!;

  it('the failing objective names each route with the raw count and share, then the weighted sum', () => {
    assert.equal(errors.verdict, 'fail');
    assert.deepEqual(errors.routes!.map((c) => [c.route, c.value, c.detail]), [
      ['GET /a', 282.5, '113 of 360 requests failed (31.389%); weighted by error class: server 113 × 2.5 = 282.5 (78.472%)'],
      ['GET /b', 221, '150 of 360 requests failed (41.667%); weighted by error class: server 80 × 2.5 + transient 70 × 0.3 = 221 (61.389%)'],
    ]);
    assert.match(errors.reason, /caused by GET \/a: 113 of 360 requests failed \(31\.389%\); weighted by error class: server 113 × 2\.5 = 282\.5 \(78\.472%\)/);
  });

  it('the route table: an ERRORS cell with the failed share and the weighted one; the route line says both', () => {
    const routes = routeReports(contract, routeEvidence(contract, client, undefined), verdicts);
    const col = ROUTE_HEAD.indexOf('ERRORS');
    assert.ok(col > 0 && !ROUTE_HEAD.includes('WEIGHTED ERRORS'), ROUTE_HEAD.join(', '));
    const rows = routeRows(routes);
    assert.equal(rows[0][col], '31.389%, weighted 78.472%');
    assert.equal(rows[0][col + 1], 'server 113');
    assert.equal(rows[1][col], '41.667%, weighted 61.389%');
    assert.match(routeDetail(routes[0]), /, 113 failed \(31\.389%: server 113\), weighted by error class 282\.5 \(78\.472%\), 0 404\/unmatched$/);
    // The numbers themselves are unchanged: only the words around them.
    assert.equal(routes[0].client!.weightedErrors, 282.5);
    assert.equal(routes[0].client!.errorRatio, 282.5 / 360);
  });

  it('a route without errors reads 0% and "0 failed"; one with no requests n/a', () => {
    const none: RouteNumbers = { requests: 100, p50: 1, p95: 1, p99: 1, withinThreshold: NaN, weightedErrors: 0, errorRatio: 0, errorsByClass: {}, notFound: 0 };
    const empty: RouteNumbers = { ...none, requests: 0, errorRatio: NaN };
    const rows = routeRows([{ route: 'GET /ok', method: 'GET', path: '/ok', client: none, service: empty, causes: [] }]);
    const col = ROUTE_HEAD.indexOf('ERRORS');
    assert.deepEqual([rows[0][col], rows[1][col]], ['0%', 'n/a']);
    assert.match(routeDetail({ route: 'GET /ok', method: 'GET', path: '/ok', client: none, causes: [] }), /, 0 failed, 0 404\/unmatched$/);
  });
});

describe('a weighted success below 0%: shown as 0% with the weighted errors per request, the number kept', () => {
  const contract = parseContract(`apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: a, method: GET, path: /a }
objectives:
  errors: { objective: 99% }
`, 'slo.yaml').contract!;
  // 448 of 1,000 answered 500 at 2.5: 1,120 weighted errors, 1 - 1.12 = -12% by the formula.
  const client = loadOf([routeRow('a', Array(1000).fill(5), { 200: 552, 500: 448 })]);
  const verdicts = judgeObjectives(contract, { client, service: { slos: [] } });
  const errors = verdicts.find((v) => v.contract === 'errors')!;
  const r = report({ outcome: 'fail', exitCode: 1, verdicts, reasons: verdicts.filter((v) => v.verdict === 'fail').map((v) => `${v.contract} ${v.name}: ${v.reason}`) });
  const shown = '0% (weighted errors 1.12× the requests)';

  it('the verdict and the JSON keep the formula\'s number', () => {
    assert.equal(errors.verdict, 'fail');
    assert.ok(Math.abs(errors.client! - -0.12) < 1e-9, String(errors.client));
    assert.equal(errors.measured, errors.client);
    assert.ok(Math.abs(JSON.parse(renderJson(r)).verdicts[0].measured - -0.12) < 1e-9);
  });

  it('the reason, the table, Markdown, JUnit and HTML say 0% and why, never -12%', () => {
    assert.match(errors.reason, /^weighted success below the objective 99% as the client measured it \(client 0% \(weighted errors 1\.12× the requests\), service n\/a\)/);
    const table = renderTable(r);
    const row = table.split('\n').find((l) => l.startsWith('errors '))!;
    assert.equal(row.split(shown).length - 1, 2, row); // CLIENT and MEASURED
    assert.match(renderMarkdown(r), new RegExp(`\\| ${shown.replace(/[().×]/g, (c) => `\\${c}`)} \\|`));
    assert.match(renderJunit(r), /measured 0% \(weighted errors 1\.12× the requests\) \(client 0% \(weighted errors 1\.12× the requests\), service n\/a\), objective &gt;= 99%, margin -111 pt/);
    const card = htmlFromGate(r).sections.flatMap((s) => (s.kind === 'cards' ? s.cards : [])).find((c) => c.title.startsWith('errors'))!;
    assert.deepEqual(card.facts.find(([k]) => k === 'client'), ['client', shown]);
    for (const text of [table, renderMarkdown(r), renderJunit(r), JSON.stringify(htmlFromGate(r))]) assert.doesNotMatch(text, /-12(\.0+)?%/);
  });
});

describe('a failure a route causes names the dependencies the contract declares for the route, with what the service said of them', () => {
  const contract = parseContract(`apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: a, method: POST, path: /orders, dependencies: [payments] }
  - { name: b, method: GET, path: /b }
dependencies:
  - { name: payments, url: "http://127.0.0.1:8081", timeout: 150ms }
objectives:
  errors: { objective: 99% }
  availability: { objective: 99% }
`, 'slo.yaml').contract!;
  const client = loadOf([
    routeRow('a', Array(360).fill(5), { 200: 247, 500: 113 }),
    routeRow('b', Array(360).fill(5), { 200: 355, 500: 5 }),
  ]);
  const health: HealthStats = {
    probes: 30, counts: { up: 24, degraded: 6, down: 0, unreachable: 0 }, upShare: 0.8, liveShare: 1,
    checkShares: { liveness: 1, latency: 1, success: 0.8, dependencies: 0.8 },
    failing: [{ name: 'payments', status: 'DOWN', reason: 'circuit breaker open', ms: 6000, share: 0.2 }],
    watchedMs: 30_000, consecutiveFailures: 0,
  };

  it('errors: "caused by POST /orders (calls payments, ...)", the route\'s own numbers after; a route without dependencies as before', () => {
    const verdicts = judgeObjectives(contract, { client, service: { slos: [] }, health });
    const errors = verdicts.find((v) => v.contract === 'errors')!;
    assert.equal(errors.verdict, 'fail');
    assert.deepEqual(errors.routes!.map((c) => [c.route, c.dependencies]), [['POST /orders', ['payments']], ['GET /b', undefined]]);
    assert.match(errors.reason, /caused by POST \/orders \(calls payments, reported failing 20% of the measured time by the health endpoint: circuit breaker open\): 113 of 360 requests failed \(31\.389%\)/);
    assert.match(errors.reason, /; GET \/b: 5 of 360 requests failed/);
    const availability = verdicts.find((v) => v.contract === 'availability')!;
    assert.equal(availability.verdict, 'fail');
    assert.match(availability.reason, /caused by POST \/orders \(calls payments, reported failing 20% of the measured time by the health endpoint: circuit breaker open\): errors: 113 of 360/);
  });

  it('without a health body that says, the dependency is named alone', () => {
    const verdicts = judgeObjectives(contract, { client, service: { slos: [] } });
    assert.match(verdicts.find((v) => v.contract === 'errors')!.reason, /caused by POST \/orders \(calls payments\): 113 of 360 requests failed/);
  });
});
