import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Histogram } from '../src/measure/histogram.ts';
import { goErrorKind, MAX_ROUTES } from '../src/load/import-vegeta.ts';
import { ImportError, readLoadResult } from '../src/load/import.ts';
import type { LoadResult } from '../src/load/types.ts';

const FIXTURES = new URL('./fixtures/load/', import.meta.url);

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

function read(name: string): LoadResult {
  return readLoadResult(name, fixture(name));
}

function importError(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ImportError, `expected an ImportError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an ImportError');
}

/** Within the histogram's precision (3 significant digits, reported as the bucket's highest value). */
function near(actual: number, expected: number, what: string): void {
  assert.ok(actual >= expected && actual <= expected * 1.001 + 0.001, `${what}: ${actual} is not ${expected} within 0.1%`);
}

describe('vegeta results (JSON lines)', () => {
  const r = read('vegeta-results.json');

  it('counts requests, answers, statuses and failures by kind', () => {
    assert.equal(r.source, 'vegeta');
    assert.equal(r.model, 'open');
    assert.equal(r.url, 'http://127.0.0.1:8080');
    assert.equal(r.sent, 100);
    assert.equal(r.completed, 97);
    assert.deepEqual(r.statuses, { '200': 67, '201': 27, '503': 3 });
    // 3 × 503 + 2 refused + 1 timeout
    assert.equal(r.errors, 6);
    assert.equal(r.timeouts, 1);
    assert.equal(r.startedAt, Date.parse('2024-05-01T12:00:00Z'));
    // The send phase, as sloctl counts it: 100 sends 10 ms apart take 1 s (the 30 s timeout's wait is not in it).
    assert.ok(Math.abs(r.durationMs - 1000) < 0.01, `durationMs ${r.durationMs}`);
    assert.ok(Math.abs(r.throughput - 97) < 0.01, `throughput ${r.throughput}`);
    assert.ok(r.notes.some((n) => /last answer came 29\.8s after the send phase/.test(n)), r.notes.join('\n'));
    assert.equal(r.generator, undefined);
  });

  it('has one route per method and path, with its own histogram', () => {
    assert.deepEqual(r.routes.map((x) => x.name).sort(), ['GET /healthz', 'GET /products', 'POST /orders']);
    const products = r.routes.find((x) => x.name === 'GET /products')!;
    assert.equal(products.sent, 60);
    assert.equal(products.latency.count, 60);
    near(products.latency.p50, 2, 'products p50');
    near(products.latency.p95, 10, 'products p95');
    near(products.latency.max, 10, 'products max');
    assert.deepEqual(Histogram.fromJSON(products.histogram).summary(), products.latency);
    const health = r.routes.find((x) => x.name === 'GET /healthz')!;
    assert.deepEqual(health.errors, { ECONNREFUSED: 2, timeout: 1 });
    assert.deepEqual(health.statuses, { '200': 7 });
    // As in sloctl's own results, histograms hold answered requests only.
    assert.equal(health.latency.count, 7);
    near(health.latency.max, 1, 'healthz max');
  });

  it('takes corrected latency equal to service time, and says why', () => {
    assert.deepEqual(r.latency, r.serviceTime);
    assert.equal(r.latency.absent, undefined);
    near(r.latency.p50, 2, 'p50');
    near(r.latency.p90, 5, 'p90');
    assert.ok(r.notes.some((n) => /corrected latency equals service time/.test(n)));
    assert.ok(r.notes.some((n) => /about 100\/s/.test(n)), r.notes.join('\n'));
  });

  it('round-trips through JSON as a sloctl-readable result', () => {
    const again = readLoadResult('again.json', JSON.stringify(r));
    assert.deepEqual(again, JSON.parse(JSON.stringify(r)));
  });

  it('reads vegeta before 12.8 (no method, url or headers) as one route', () => {
    const old = read('vegeta-results-v12.7.json');
    assert.deepEqual(old.routes.map((x) => x.name), ['all requests']);
    assert.equal(old.url, '');
    assert.equal(old.completed, 5);
    near(old.latency.p50, 5, 'p50');
    assert.ok(old.notes.some((n) => /no URL/.test(n)));
  });

  it('bounds the number of routes', () => {
    const lines = Array.from({ length: MAX_ROUTES + 10 }, (_, i) =>
      JSON.stringify({ seq: i, code: 200, timestamp: '2024-05-01T12:00:00Z', latency: 1e6, error: '', method: 'GET', url: `http://127.0.0.1/items/${i}` }),
    );
    const res = readLoadResult('many.json', lines.join('\n'));
    assert.equal(res.routes.length, MAX_ROUTES + 1);
    assert.equal(res.routes.at(-1)!.name, 'other');
    assert.equal(res.routes.at(-1)!.sent, 10);
    assert.ok(res.notes.some((n) => /10 results are in the "other" route/.test(n)));
  });

  it('names the line of a value JSON.parse stops at (Node 20 gives no position for an unexpected token)', () => {
    const e = importError(() => readLoadResult('r.json', '{\n  "source": "sloctl",\n  "latency": NaN\n}'));
    assert.equal(e.line, 3);
    assert.match(e.message, /^r\.json:3: invalid JSON at column 14: Unexpected token 'N'/);
  });

  it('names the line of a truncated result', () => {
    const e = importError(() => read('vegeta-results-truncated.json'));
    assert.equal(e.line, 4);
    assert.match(e.message, /^vegeta-results-truncated\.json:4: not JSON: /);
  });

  it('names the line and the field of a bad value', () => {
    const e = importError(() => read('vegeta-results-bad-latency.json'));
    assert.equal(e.line, 2);
    assert.match(e.message, /vegeta-results-bad-latency\.json:2: "latency" must be a non-negative number of nanoseconds, got "2ms"/);
  });

  it('names Go network errors like Node error codes', () => {
    assert.equal(goErrorKind('Get "http://x": dial tcp 127.0.0.1:1: connect: connection refused'), 'ECONNREFUSED');
    assert.equal(goErrorKind('Get "http://x": net/http: request canceled (Client.Timeout exceeded while awaiting headers)'), 'timeout');
    assert.equal(goErrorKind('Post "http://x": read tcp 127.0.0.1:5->127.0.0.1:80: read: connection reset by peer'), 'ECONNRESET');
    assert.equal(goErrorKind('Get "http://x": EOF'), 'EOF_BEFORE_RESPONSE');
    assert.equal(goErrorKind('Get "http://x": unexpected EOF'), 'EOF_MID_RESPONSE');
    assert.equal(goErrorKind('Get "http://nope": dial tcp: lookup nope: no such host'), 'ENOTFOUND');
    assert.equal(goErrorKind('something else'), 'other');
  });
});

describe('vegeta report (JSON)', () => {
  it('carries the summary, marks what the report lacks, and has no histograms', () => {
    const r = read('vegeta-report.json');
    assert.equal(r.source, 'vegeta');
    assert.equal(r.sent, 100);
    assert.equal(r.completed, 97);
    assert.deepEqual(r.statuses, { '200': 67, '201': 27, '503': 3 });
    // Two kinds of no-response errors in the list: their split is unknown.
    assert.deepEqual(r.routes[0].errors, { other: 3 });
    assert.equal(r.errors, 6);
    assert.equal(r.latency.p50, 2);
    assert.equal(r.latency.p90, 5);
    assert.equal(r.latency.p95, 10);
    assert.equal(r.latency.p99, 10);
    assert.equal(r.latency.max, 30_000);
    assert.equal(r.latency.min, 0.312);
    assert.ok(Math.abs(r.latency.mean - 304.25624) < 1e-9);
    assert.deepEqual(r.latency.absent, ['stdev', 'p999']);
    assert.equal(r.latency.stdev, 0);
    assert.deepEqual(r.routes[0].histogram.counts, []);
    assert.ok(Math.abs(r.durationMs - 1000) < 1e-3, `durationMs ${r.durationMs}`);
    assert.ok(r.notes.some((n) => /no histograms/.test(n)));
    assert.equal(JSON.stringify(r).includes('null'), false);
  });

  it('reads the older report without 90th and min', () => {
    const r = read('vegeta-report-v6.json');
    assert.deepEqual(r.latency.absent, ['stdev', 'p999', 'min', 'p90']);
    assert.equal(r.latency.p50, 2.854306);
    assert.deepEqual(r.statuses, { '200': 100 });
    assert.deepEqual(r.routes[0].errors, {});
    assert.equal(r.errors, 0);
  });
});

describe('k6 summaries', () => {
  it('reads --summary-export (legacy): closed model, p99 absent, failures and thresholds', () => {
    const r = read('k6-summary-export.json');
    assert.equal(r.source, 'k6');
    assert.equal(r.model, 'closed');
    assert.equal(r.sent, 1200);
    assert.equal(r.errors, 24);
    assert.equal(r.completed, 1176);
    assert.deepEqual(r.routes[0].errors, { http_req_failed: 24 });
    assert.deepEqual(r.statuses, {});
    assert.equal(r.latency.p50, 8.3);
    assert.equal(r.latency.p95, 35.2);
    assert.equal(r.latency.mean, 12.41);
    assert.equal(r.latency.p99, 0);
    assert.deepEqual(r.latency.absent, ['stdev', 'p99', 'p999']);
    // No duration in the legacy export: count / rate gives it back.
    assert.ok(Math.abs(r.durationMs - 30_010) < 0.01, `durationMs ${r.durationMs}`);
    assert.ok(r.notes.some((n) => /threshold failed: http_req_duration p\(95\)<30/.test(n)));
    assert.equal(r.notes.some((n) => /rate<0.05/.test(n)), false);
    assert.ok(r.notes.some((n) => /p\(99\) to summaryTrendStats/.test(n)));
    assert.ok(r.notes.some((n) => /closed model assumed/.test(n)));
    assert.ok(r.notes.some((n) => /checks: 1176 passed, 24 failed/.test(n)));
    assert.equal(JSON.stringify(r).includes('null'), false);
  });

  it('reads handleSummary data: p99, status sub-metrics, dropped iterations make it open', () => {
    const r = read('k6-handle-summary.json');
    assert.equal(r.model, 'open');
    assert.equal(r.durationMs, 30_004.512);
    assert.equal(r.latency.p99, 41.2);
    assert.deepEqual(r.latency.absent, ['stdev', 'p999']);
    assert.deepEqual(r.statuses, { '200': 2990, '503': 10 });
    assert.equal(r.completed, 3000);
    assert.equal(r.errors, 10);
    assert.deepEqual(r.routes[0].errors, {});
    assert.ok(r.notes.some((n) => /dropped 12 iterations/.test(n)));
    assert.ok(r.notes.some((n) => /threshold failed: http_req_failed rate<0.001/.test(n)));
    assert.equal(r.notes.some((n) => /p\(99\)<100/.test(n)), false);
  });

  it('reads the k6 v1 machine-readable summary', () => {
    const r = read('k6-machine-readable.json');
    assert.equal(r.sent, 6000);
    assert.equal(r.errors, 10);
    assert.equal(r.durationMs, 60_002);
    assert.equal(r.startedAt, Date.parse('2025-06-02T08:16:30.5Z') - 60_002);
    assert.equal(r.latency.p95, 14.1);
    assert.ok(Math.abs(r.throughput - 5990 / 60.002) < 1e-9);
  });

  it('says when a summary has no HTTP metrics', () => {
    const e = importError(() => read('k6-no-http.json'));
    assert.match(e.message, /^k6-no-http\.json: no http_req_duration metric/);
  });
});

describe('format detection', () => {
  it('locates invalid JSON by line', () => {
    const e = importError(() => read('k6-broken.json'));
    assert.equal(e.line, 5);
    assert.match(e.message, /^k6-broken\.json:5: invalid JSON at column \d+: /);
  });

  it('lists what it accepts for an unknown document', () => {
    const e = importError(() => readLoadResult('other.json', '{"hello": 1}'));
    assert.match(e.message, /other\.json: a JSON object with keys "hello", which is not a load result; sloctl reads: a sloctl load result .*vegeta.*k6/);
  });

  it('recognises vegeta binary and CSV output, and k6 --out json, with the command that fixes it', () => {
    assert.match(importError(() => readLoadResult('results.bin', '\u0000\u0013\u00ff\ufffd\u0001Result')).message, /vegeta encode --to json results\.bin/);
    assert.match(importError(() => readLoadResult('r.csv', '1714564800000000000,200,2000000,0,10,,b2s=,,0\n')).message, /vegeta's CSV encoding/);
    const k6stream = '{"type":"Metric","data":{"type":"gauge"},"metric":"vus"}\n{"type":"Point","data":{"value":1},"metric":"vus"}\n';
    assert.match(importError(() => readLoadResult('out.json', k6stream)).message, /--summary-export/);
    assert.match(importError(() => readLoadResult('empty.json', '\n\n')).message, /empty\.json: the file is empty/);
  });

  it('checks a sloctl result field by field', () => {
    const good = JSON.parse(JSON.stringify(read('vegeta-results.json'))) as Record<string, unknown> & { routes: Array<Record<string, unknown>> };
    good.source = 'sloctl';
    assert.equal(readLoadResult('ok.json', JSON.stringify(good)).source, 'sloctl');
    const bad = structuredClone(good);
    (bad.routes[1].histogram as { counts: unknown }).counts = [[1, -2]];
    assert.match(importError(() => readLoadResult('bad.json', JSON.stringify(bad))).message, /^bad\.json: routes\[1\]\.histogram: counts\[0\]: count -2/);
    const noP95 = structuredClone(good);
    delete (noP95.latency as Record<string, unknown>).p95;
    assert.match(importError(() => readLoadResult('bad.json', JSON.stringify(noP95))).message, /latency\.p95 must be a number, got nothing/);
    // The optional counts a judge or a note reads (requests sent again, shed, queued timeouts).
    for (const [field, value] of [['replayed', 'many'], ['shed', -1], ['queuedTimeouts', 1.5]] as const) {
      const odd = structuredClone(good);
      odd.routes[0][field] = value;
      assert.match(importError(() => readLoadResult('bad.json', JSON.stringify(odd))).message, new RegExp(`^bad\\.json: routes\\[0\\]\\.${field} must be a whole number, got`));
    }
    const counted = structuredClone(good);
    counted.routes[0].replayed = 3;
    assert.equal(readLoadResult('ok.json', JSON.stringify(counted)).routes[0].replayed, 3);
  });
});
