// A percentile ceiling judged from the service's histogram alone says only what its buckets
// support: over when the ceiling is at or below the bucket the quantile lies in, within when at or
// above it, not judged when the ceiling is inside it (the estimate there is a linear guess). The
// service view is the embedded engine's, fed two scrapes; the client view is empty or synthetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { bucketOfQuantileValue, ceilingSide, quantileBucket } from '../src/engine/histogram.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { renderMarkdown } from '../src/evaluate/render.ts';
import { healthRows, percentileStatus, type SloStatus, type StatusReport } from '../src/evaluate/report.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { LoadResult, RouteResult } from '../src/load/types.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';
import { routeDetail, routeRows, verdictDetail } from '../src/report/format.ts';
import { renderJson } from '../src/report/json.ts';
import { renderMarkdown as renderGateMarkdown } from '../src/report/markdown.ts';
import { renderTable } from '../src/report/table.ts';
import type { GateReport } from '../src/verdicts/types.ts';
import { judgeObjectives } from '../src/verdicts/objectives.ts';
import { routeEvidence, routeReports } from '../src/verdicts/routes.ts';

function contract(percentiles: string): Contract {
  const r = parseContract(`apiVersion: sloctl/v1
service: { name: shop }
routes:
  - { name: view, method: GET, path: /items/:id }
objectives:
  latency:
    - { name: api, threshold: 100ms, objective: 50%, percentiles: ${percentiles} }
`, 'slo.yaml');
  assert.ok(r.contract, JSON.stringify(r.diagnostics));
  return r.contract;
}

/**
 * The service's statuses over one scrape interval in which its histogram (bounds in seconds)
 * recorded `counts` requests per bucket (not cumulative; the last is the +Inf bucket's own).
 */
function serviceSlos(c: Contract, bounds: number[], counts: number[]): SloStatus[] {
  const samples = (scale: number): IngestSample[] => {
    let cumulative = 0;
    const les = [...bounds.map(String), '+Inf'];
    const out: IngestSample[] = les.map((le, i) => {
      cumulative += counts[i] * scale;
      return { name: 'http_server_request_duration_seconds_bucket', labels: { method: 'GET', route: '/items/:id', le }, value: cumulative, type: 'histogram' };
    });
    out.push({ name: 'http_server_request_duration_seconds_count', labels: { method: 'GET', route: '/items/:id' }, value: cumulative, type: 'histogram' });
    out.push({ name: 'process_start_time_seconds', labels: {}, value: 1000, type: 'gauge' });
    return out;
  };
  const store = new SeriesStore();
  const ev = new EmbeddedEvaluator(defineSlos(c));
  ev.attach(store);
  const t0 = Date.UTC(2025, 0, 6, 12);
  store.ingest({ at: t0, samples: samples(0) });
  store.ingest({ at: t0 + 15_000, samples: samples(1) });
  return ev.evaluate(t0 + 15_001);
}

/** A load whose only route answered `latenciesMs` (none: the client saw nothing it can judge). */
function load(latenciesMs: number[]): LoadResult {
  const h = new Histogram();
  for (const ms of latenciesMs) h.record(ms * 1000);
  const n = latenciesMs.length;
  const rows: RouteResult[] = n === 0 ? [] : [{ name: 'view', sent: n, completed: n, statuses: { 200: n }, errors: {}, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() }];
  return { source: 'sloctl', url: 'http://127.0.0.1:1', model: 'open', startedAt: 0, durationMs: 10_000, sent: n, completed: n, errors: 0, timeouts: 0, throughput: n / 10, latency: h.summary(), serviceTime: h.summary(), statuses: {}, routes: rows, notes: [] };
}

function verdict(percentiles: string, bounds: number[], counts: number[], clientMs: number[] = []) {
  const c = contract(percentiles);
  const vs = judgeObjectives(c, { client: load(clientMs), service: { slos: serviceSlos(c, bounds, counts) } });
  const v = vs.find((x) => x.name.startsWith('api p'));
  assert.ok(v, vs.map((x) => x.name).join(', '));
  return v;
}

// 100 requests: 10 at or under 100 ms, 90 in (100 ms, 250 ms], none above: p95 is in (0.1, 0.25],
// and histogram_quantile puts it at 0.1 + 0.15 × 85/90 = 0.2417 s.
const STRADDLE = { bounds: [0.1, 0.25, 0.5], counts: [10, 90, 0, 0] };

test('service view alone, the ceiling inside the quantile\'s bucket: not judged, naming the bucket and the bucket to add', () => {
  const v = verdict('{ p95: 200ms }', STRADDLE.bounds, STRADDLE.counts);
  assert.ok(Math.abs(v.service! - 241.67) < 0.01, String(v.service));
  // The old rule failed it on the estimate (241.7 ms > 200 ms), which cannot tell.
  assert.equal(v.verdict, 'skipped', v.reason);
  assert.match(v.reason, /^p95 is between 100 ms and 250 ms by the service's histogram \(bucket le=0\.25\), which cannot say whether it is within 200 ms/);
  assert.match(v.reason, /add a bucket at le=0\.2 to http_server_request_duration_seconds/);
  assert.match(v.reason, /or let the client measure it \(it got no answer on the objective's routes/);
});

test('service view alone, the ceiling at or below the bucket\'s lower bound: fails', () => {
  for (const ceiling of ['100ms', '80ms']) {
    const v = verdict(`{ p95: ${ceiling} }`, STRADDLE.bounds, STRADDLE.counts);
    assert.equal(v.verdict, 'fail', `${ceiling}: ${v.reason}`);
    assert.match(v.reason, /^p95 242 ms is over the ceiling [\d.]+ ms; no client view: the service's estimate, between 100 ms and 250 ms by the service's histogram \(bucket le=0\.25\), all of it over the ceiling$/);
  }
});

test('service view alone, the ceiling at or above the bucket\'s upper bound: passes', () => {
  // p50 is in (0.1, 0.25] at 0.1 + 0.15 × 40/90 = 166.7 ms: at most 250 ms, whatever the guess.
  for (const ceiling of ['250ms', '400ms']) {
    const v = verdict(`{ p50: ${ceiling} }`, STRADDLE.bounds, STRADDLE.counts);
    assert.equal(v.verdict, 'pass', `${ceiling}: ${v.reason}`);
    assert.match(v.reason, /^p50 167 ms is within \d+ ms; no client view: the service's estimate, between 100 ms and 250 ms by the service's histogram \(bucket le=0\.25\)$/);
  }
});

test('service view alone, the quantile in the +Inf bucket: above the highest bound, not judged above it, failed at or under it', () => {
  // 30 of 100 over 250 ms: p95's rank is in +Inf, and histogram_quantile says 250 ms (the highest finite bound).
  const bounds = [0.1, 0.25];
  const counts = [10, 60, 30];
  const above = verdict('{ p95: 300ms }', bounds, counts);
  assert.equal(above.service, 250);
  // The old rule passed it on 250 ms ≤ 300 ms, though the quantile is anywhere over 250 ms.
  assert.equal(above.verdict, 'skipped', above.reason);
  assert.match(above.reason, /^p95 is above 250 ms by the service's histogram \(its le=\+Inf bucket\), which cannot say whether it is within 300 ms: add a bucket at le=0\.3/);
  // At the highest bound: the estimate equals the ceiling, but the quantile is above it.
  const at = verdict('{ p95: 250ms }', bounds, counts);
  assert.equal(at.verdict, 'fail', at.reason);
  assert.match(at.reason, /above 250 ms by the service's histogram/);
});

test('with a client view, the client decides; the service warns only when its bucket is really over the ceiling', () => {
  const client = Array(100).fill(150);
  // The service's 241.7 ms is a guess in (100, 250]: nothing to warn about (the old rule warned).
  const inside = verdict('{ p95: 200ms }', STRADDLE.bounds, STRADDLE.counts, client);
  assert.equal(inside.verdict, 'pass', inside.reason);
  assert.match(inside.reason, /p95 150 ms is within 200 ms; the service's histogram estimate is 242 ms, between 100 ms and 250 ms by the service's histogram/);
  // The service's quantile is over 250 ms (its +Inf bucket), the ceiling 250 ms: really over, a warning.
  const over = verdict('{ p95: 250ms }', [0.1, 0.25], [10, 60, 30], client);
  assert.equal(over.verdict, 'warn', over.reason);
  assert.match(over.reason, /within 250 ms at the client, but the service's histogram puts it at 250 ms, above 250 ms .*: check the bucket boundaries near the ceiling/);
  // The client over the ceiling fails, whatever the service says.
  const failed = verdict('{ p95: 200ms }', STRADDLE.bounds, STRADDLE.counts, Array(100).fill(300));
  assert.equal(failed.verdict, 'fail');
  assert.match(failed.reason, /p95 300 ms is over the ceiling 200 ms \(the client measured\)/);
});

test('the quantile\'s bucket, as histogram_quantile finds it', () => {
  const b = (pairs: Array<[number, number]>) => pairs.map(([le, count]) => ({ le, count }));
  const lat = b([[0.1, 10], [0.25, 100], [0.5, 100], [Infinity, 100]]);
  assert.deepEqual(quantileBucket(0.95, lat), { lower: 0.1, upper: 0.25 });
  assert.deepEqual(quantileBucket(0.05, lat), { lower: 0, upper: 0.1 });
  assert.deepEqual(quantileBucket(0.95, b([[0.1, 10], [0.25, 70], [Infinity, 100]])), { lower: 0.25, upper: Infinity });
  assert.equal(quantileBucket(0.5, b([[0.1, 0], [Infinity, 0]])), undefined);
  assert.equal(ceilingSide({ lower: 0.1, upper: 0.25 }, 0.2), 'undecided');
  assert.equal(ceilingSide({ lower: 0.1, upper: 0.25 }, 0.25), 'within');
  assert.equal(ceilingSide({ lower: 0.1, upper: 0.25 }, 0.1), 'over');
  assert.equal(ceilingSide({ lower: 0.25, upper: Infinity }, 10), 'undecided');
});

test('sloctl status: a percentile in the +Inf bucket with the ceiling above the highest bound is UNKNOWN, not OK', () => {
  const c = contract('{ p95: 300ms }');
  const slos = serviceSlos(c, [0.1, 0.25], [10, 60, 30]);
  const p = slos[0].percentiles[0];
  assert.deepEqual(p.bucket, { lowerSeconds: 0.25, upperSeconds: Infinity });
  // The old rule: the value (0.25 s, the highest bound) is not inside (0.25, +Inf], so it was judged OK.
  assert.equal(p.interpolated?.undecided, true);
  const row = healthRows(slos).find((h) => h.name === 'api p95');
  assert.equal(row?.meetsObjective, undefined);
});

test('sloctl status: a percentile in the +Inf bucket with the ceiling at the highest bound is FAILING, not OK', () => {
  // 30 of 100 over 250 ms: p95 is above 250 ms, and histogram_quantile says 250 ms (the highest bound).
  const c = contract('{ p95: 250ms }');
  const slos = serviceSlos(c, [0.1, 0.25], [10, 60, 30]);
  const p = slos[0].percentiles[0];
  assert.equal(p.valueSeconds, 0.25);
  assert.deepEqual(p.bucket, { lowerSeconds: 0.25, upperSeconds: Infinity });
  // The old rule: 250 ms <= 250 ms, OK; the quantile is over the ceiling.
  const row = healthRows(slos).find((h) => h.name === 'api p95');
  assert.equal(row?.meetsObjective, false);
  const report: StatusReport = { service: 'shop', at: 0, source: { kind: 'prometheus', url: 'http://127.0.0.1:9090', recordingRules: false }, slos, health: healthRows(slos) };
  const line = renderMarkdown(report).split('\n').find((l) => l.includes('api p95'));
  assert.ok(line, 'a row for the percentile');
  assert.match(line, /\| > 250 ms \| [^|]+ \| <= 250 ms \| p95 > 250 ms \(le=\+Inf\), > 250 ms \| n\/a \|.*\| FAILING \|$/);
});

test('sloctl status from PromQL: only a value at the highest bound may be in +Inf; one under it is inside its bucket', () => {
  const les = [0.1, 0.25, Infinity];
  assert.deepEqual(bucketOfQuantileValue(0.25, les), { lower: 0.1, upper: Infinity });
  // Under the highest bound: histogram_quantile never returns less than the bound for +Inf.
  assert.deepEqual(bucketOfQuantileValue(0.2, les), { lower: 0.1, upper: 0.25 });
  assert.deepEqual(bucketOfQuantileValue(0.05, les), { lower: 0, upper: 0.1 });
  const row = (valueSeconds: number, objectiveSeconds: number) => {
    const p = percentileStatus({ label: 'p95', quantile: 0.95, objectiveSeconds, valueSeconds, over: 'the last 1h' }, les, bucketOfQuantileValue(valueSeconds, les));
    const slo = { ...serviceSlos(contract('{ p95: 250ms }'), [0.1, 0.25], [10, 90, 0])[0], percentiles: [p] };
    const report: StatusReport = { service: 'shop', at: 0, source: { kind: 'prometheus', url: 'http://127.0.0.1:9090', recordingRules: false }, slos: [slo], health: healthRows([slo]) };
    return { health: report.health.find((h) => h.name === 'api p95'), line: renderMarkdown(report).split('\n').find((l) => l.includes('api p95')) ?? '' };
  };
  // 250 ms against a 250 ms ceiling: the top of (100, 250] or anywhere over 250 ms. The old rule said OK.
  const atTop = row(0.25, 0.25);
  assert.equal(atTop.health?.meetsObjective, undefined);
  assert.match(atTop.line, /UNKNOWN: at the highest bound le=0\.25, which histogram_quantile also prints for a quantile in le=\+Inf/);
  // 200 ms against 300 ms: inside (100, 250], within the ceiling. The old rule said UNKNOWN.
  const inside = row(0.2, 0.3);
  assert.equal(inside.health?.meetsObjective, true);
  assert.match(inside.line, /\| OK/);
});

test('the route table prints a service percentile inside the lowest bucket as "≤ 5 ms"; JSON keeps the number', () => {
  const c = contract('{ p50: 50ms }');
  // 100 requests, all at or under 5 ms: histogram_quantile says 2.5 ms for the p50, a guess in (0, 5 ms].
  const service = new Map([['GET /items/:id', { method: 'GET', route: '/items/:id', buckets: new Map([[0.005, 100], [0.25, 100], [Infinity, 100]]), requests: 100, classes: new Map() }]]);
  const client = load(Array(100).fill(0.83));
  const [report] = routeReports(c, routeEvidence(c, client, service), []);
  assert.equal(report.service!.p50, 2.5);
  assert.equal(report.service!.lowestBucketMs, 5);
  const [clientRow, serviceRow] = routeRows([report]);
  assert.deepEqual(clientRow.slice(1, 6), ['client', '100', '0.830 ms', '0.830 ms', '0.830 ms']);
  assert.deepEqual(serviceRow.slice(1, 6), ['service', '100', '≤ 5 ms', '≤ 5 ms', '≤ 5 ms']);
  assert.match(routeDetail(report), /service: 100 requests, p50 ≤ 5 ms, p95 ≤ 5 ms, p99 ≤ 5 ms/);
  // Above the lowest bucket the estimate is printed as it is: p95 0.005 + 0.245 × 45/50 = 225.5 ms.
  const slower = new Map([['GET /items/:id', { ...service.get('GET /items/:id')!, buckets: new Map([[0.005, 50], [0.25, 100], [Infinity, 100]]) }]]);
  const [row2] = routeReports(c, routeEvidence(c, client, slower), []);
  assert.deepEqual(routeRows([row2])[1].slice(3, 5), ['≤ 5 ms', '226 ms']);
});

test('the objectives table and the route table say the same of a service percentile inside the lowest bucket ("≤ 5 ms"), and the reason says it is the histogram\'s bucket', () => {
  const c = contract('{ p50: 50ms }');
  // 93 of 100 requests at or under 5 ms: histogram_quantile guesses the p50 at 5 × 50/93 = 2.69 ms
  // in (0, 5 ms]; the client measured 1.3 ms exactly. A reader saw "2.7 ms" in one table and
  // "≤ 5 ms" in the other, and took them for a disagreement.
  const client = load(Array(100).fill(1.3));
  const slos = serviceSlos(c, [0.005, 0.25, 0.5], [93, 7, 0, 0]);
  const verdicts = judgeObjectives(c, { client, service: { slos } });
  const p50 = verdicts.find((v) => v.name === 'api p50')!;
  assert.ok(Math.abs(p50.service! - 5 * 50 / 93) < 0.01, String(p50.service));
  assert.deepEqual(p50.serviceBucket, { lower: 0, upper: 5 });
  assert.equal(p50.reason, "p50 1.3 ms is within 50.0 ms; the service's histogram puts it at or under 5 ms (its lowest bucket, le=0.005)");
  const routes = routeReports(c, routeEvidence(c, client, new Map([['GET /items/:id', { method: 'GET', route: '/items/:id', buckets: new Map([[0.005, 93], [0.25, 100], [Infinity, 100]]), requests: 100, classes: new Map() }]])), verdicts);
  const report: GateReport = {
    service: 'shop', contractFile: 'slo.yaml', startedAt: 0, finishedAt: 1000, outcome: 'pass', exitCode: 0, reasons: [], notes: [],
    target: { url: 'http://127.0.0.1:8080', started: false }, profile: { rate: 10, durationMs: 10_000, warmupMs: 0, connections: 8, trials: 1, workers: 1 },
    verdicts, routes, trials: [], journal: 'j.jsonl',
  };
  const table = renderTable(report);
  const objectiveRow = table.split('\n').find((l) => /^latency\s+api p50\s/.test(l))!;
  assert.match(objectiveRow, /^latency\s+api p50\s+1\.3 ms\s+≤ 5 ms\s+1\.3 ms\s+<= 50\.0 ms\s/);
  const serviceRoute = table.split('\n').find((l) => /^\s+service\s+100\s/.test(l))!;
  assert.match(serviceRoute, /^\s+service\s+100\s+≤ 5 ms\s/);
  assert.doesNotMatch(table, /2\.69 ms|2\.7 ms/);
  assert.match(renderGateMarkdown(report), /\| latency \| api p50 \| 1\.3 ms \| ≤ 5 ms \| 1\.3 ms \|/);
  assert.match(verdictDetail(p50), /^measured 1\.3 ms \(client 1\.3 ms, service ≤ 5 ms\), objective <= 50\.0 ms/);
  // JSON keeps histogram_quantile's number beside its bucket.
  assert.ok(Math.abs(JSON.parse(renderJson(report)).verdicts.find((v: { name: string }) => v.name === 'api p50').service - 2.688) < 0.01);
});
