// The observability verdict (issue 13): pure cases (a metric the contract reads missing, of the
// wrong type, without HELP; series over maxSeries naming the family and the label that grew; the
// INCONCLUSIVE cases), the hostile request sender against a raw server (odd methods arrive as
// sent, the same seed sends the same requests), and the whole phase end to end: a node:http
// service with sloctl's SDK passes (it bounds route labels), one with prom-client and the raw path
// as a label fails, naming the label.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { instrument } from 'sloctl/sdk';
import { wrap } from 'sloctl/sdk/http';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { hostileRequest, sendHostileRequests } from '../src/run/hostile.ts';
import { observabilityPhase, scrapeFamilies } from '../src/run/observability-phase.ts';
import { mulberry32 } from '../src/load/prng.ts';
import { judgeObservability, observabilityInputFor, type HostileResult, type MetricFamily, type ObservabilityInput } from '../src/verdicts/observability.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: obs, owner: team-test, runtime: node }
target: { url: http://127.0.0.1:1, health: /healthz, metrics: /metrics }
errorClasses:
  - { name: not-found, weight: 0, status: [404], good: true }
  - { name: client, weight: 1, status: ["4xx"] }
routes:
  - { name: hello, method: GET, path: /hello }
  - { name: order, method: GET, path: /orders/:id }
objectives:
  latency:
    - { name: api, threshold: 250ms, objective: 90% }
  errors: { objective: 99% }
  observability: { maxSeries: 2000, hostileRequests: 2000, requireHelp: true }
`;

function contract(text = CONTRACT): Contract {
  const l = parseContract(text, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics.map((d) => d.message)));
  return l.contract;
}

function hist(name: string, series: number, help: string | undefined = 'latency', labels: (i: number) => Record<string, string> = () => ({ route: '/hello' })): MetricFamily {
  const samples = [];
  for (let i = 0; i < series; i++) samples.push({ name: `${name}_bucket`, labels: { ...labels(i), le: String(i) } });
  return { name, type: 'histogram', help, samples };
}

function counter(name: string, n: number, labels: (i: number) => Record<string, string> = (i) => ({ route: '/hello', status: String(200 + i) }), type = 'counter', help: string | undefined = 'requests'): MetricFamily {
  return { name, type, help, samples: Array.from({ length: n }, (_, i) => ({ name, labels: labels(i) })) };
}

const HOSTILE: HostileResult = { asked: 1000, sent: 1000, answered: 1000, statuses: { 404: 990, 405: 10 }, errors: {}, durationMs: 900 };

function input(before: MetricFamily[], after: MetricFamily[], over: Partial<ObservabilityInput> = {}): ObservabilityInput {
  return { ...observabilityInputFor(contract())!, before: { ok: true, families: before }, after: { ok: true, families: after }, hostile: HOSTILE, url: 'http://127.0.0.1:9/metrics', ...over };
}

const GOOD = () => [hist('http_server_request_duration_seconds', 20), counter('http_server_requests_total', 5)];

describe('observability verdict (pure)', () => {
  it('passes when the metrics are there with type and HELP and the series stay under maxSeries', () => {
    const v = judgeObservability(input(GOOD(), GOOD()));
    assert.equal(v.outcome, 'pass', v.reason);
    assert.equal(v.verdict, 'pass');
    assert.equal(v.seriesAfter, 25);
    assert.equal(v.margin, 1975);
    assert.match(v.reason, /series went from 25 to 25 after 1,000 hostile requests \(maxSeries 2,000\)/);
  });

  it('fails when a metric the contract reads is missing, naming it', () => {
    const fams = [hist('http_server_request_duration_seconds', 20)];
    const v = judgeObservability(input(fams, fams));
    assert.equal(v.outcome, 'fail');
    assert.match(v.reason, /`http_server_requests_total` \(read by the error objective\) is missing/);
  });

  it('fails on the wrong type, naming both types', () => {
    const fams = [hist('http_server_request_duration_seconds', 20), counter('http_server_requests_total', 3, undefined, 'gauge')];
    const v = judgeObservability(input(fams, fams));
    assert.equal(v.outcome, 'fail');
    assert.match(v.reason, /`http_server_requests_total` \(read by the error objective\) has type gauge, not counter/);
  });

  it('fails on a missing HELP only when requireHelp', () => {
    // No `# HELP` line at all (help undefined), and an empty one.
    const fams = [{ ...hist('http_server_request_duration_seconds', 20), help: undefined }, counter('http_server_requests_total', 3, undefined, 'counter', '')];
    const v = judgeObservability(input(fams, fams));
    assert.equal(v.outcome, 'fail');
    assert.match(v.reason, /`http_server_request_duration_seconds` \(read by the latency objectives\) has no HELP text/);
    assert.match(v.reason, /`http_server_requests_total` \(read by the error objective\) has no HELP text/);
    const base = input(fams, fams);
    const lax = judgeObservability({ ...base, objective: { ...base.objective, requireHelp: false } });
    assert.equal(lax.outcome, 'pass', lax.reason);
  });

  it('a counter exposed as OpenMetrics family `x` (samples `x_total`) is the `x_total` the contract reads', () => {
    const fams = [hist('http_server_request_duration_seconds', 20), { name: 'http_server_requests', type: 'counter', help: 'r', samples: [{ name: 'http_server_requests_total', labels: {} }] }];
    assert.equal(judgeObservability(input(fams, fams)).outcome, 'pass');
  });

  it('fails when series pass maxSeries, naming the family that grew most and its label', () => {
    const after = [...GOOD(), counter('app_hits_total', 2400, (i) => ({ path: `/x/${i}`, method: 'GET' }))];
    const before = [...GOOD(), counter('app_hits_total', 2, (i) => ({ path: `/x/${i}`, method: 'GET' }))];
    const v = judgeObservability(input(before, after));
    assert.equal(v.outcome, 'fail');
    assert.equal(v.seriesBefore, 27);
    assert.equal(v.seriesAfter, 2425);
    assert.equal(v.growth[0].family, 'app_hits_total');
    assert.equal(v.growth[0].label, 'path');
    assert.match(v.reason, /series grew from 27 to 2,425 after 1,000 answered hostile requests \(maxSeries 2,000\): the biggest growth is app_hits_total \+2,398 \(label `path` took 2,398 new values, 2,400 in all\)/);
  });

  it('is INCONCLUSIVE when fewer requests were answered than asked, saying how many', () => {
    const v = judgeObservability(input(GOOD(), GOOD(), { hostile: { ...HOSTILE, answered: 640, errors: { ECONNRESET: 300, timeout: 60 } } }));
    assert.equal(v.outcome, 'inconclusive');
    assert.equal(v.verdict, 'skipped');
    assert.match(v.reason, /640 of 1,000 hostile requests were answered; no answer: ECONNRESET 300, timeout 60/);
  });

  it('is INCONCLUSIVE when a scrape failed, and FAIL still wins on what was read', () => {
    const v = judgeObservability(input(GOOD(), [], { after: { ok: false, error: 'http://127.0.0.1:9/metrics refused the connection; is the service running?' } }));
    assert.equal(v.outcome, 'inconclusive');
    assert.match(v.reason, /after the hostile requests could not be read: .*refused the connection/);
    const missing = [hist('http_server_request_duration_seconds', 20)];
    const f = judgeObservability(input(missing, [], { after: { ok: false, error: 'x' } }));
    assert.equal(f.outcome, 'fail', f.reason);
  });
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('hostile requests', { timeout: 60_000 }, () => {
  it('the same seed draws the same requests; odd methods and junk paths are among them', () => {
    const a = mulberry32(7), b = mulberry32(7);
    const xs = Array.from({ length: 500 }, () => hostileRequest(a));
    assert.deepEqual(xs, Array.from({ length: 500 }, () => hostileRequest(b)));
    const methods = new Set(xs.map((x) => x.method));
    for (const m of ['PURGE', 'PROPFIND', 'get', 'TRACE', 'OPTIONS']) assert.ok(methods.has(m), [...methods].join(' '));
    assert.ok(xs.some((x) => /%[0-9A-F]{2}/.test(x.path)));
    assert.ok(xs.some((x) => /\/[0-9a-f]{8}-[0-9a-f]{4}-4/.test(x.path)));
    assert.ok(xs.some((x) => x.path.length > 200));
  });

  it('sends them as written and counts statuses; refuses a remote host without allowRemote', async () => {
    const seen = new Set<string>();
    const s = await listen((req, res) => {
      seen.add(req.method ?? '');
      res.writeHead(req.method === 'GET' ? 404 : 405);
      res.end();
    });
    try {
      const r = await sendHostileRequests({ url: s.url, requests: 300, seed: 3, concurrency: 8 });
      assert.equal(r.sent, 300);
      assert.equal(r.answered + Object.values(r.errors).reduce((a, b) => a + b, 0), 300);
      assert.ok(r.answered >= 290, JSON.stringify(r));
      assert.ok((r.statuses[404] ?? 0) > 0 && (r.statuses[405] ?? 0) > 0, JSON.stringify(r.statuses));
      // node:http accepts only the methods it knows: the lower-case and unknown ones get its 400,
      // which is still an answer (the scanner's requests reached the service's port).
      assert.ok(seen.has('PURGE') && seen.has('PROPFIND'), [...seen].join(' '));
    } finally {
      await s.close();
    }
    await assert.rejects(sendHostileRequests({ url: 'http://192.0.2.1:80', requests: 1 }), /not a loopback address/);
  });
});

describe('observability phase end to end', { timeout: 60_000 }, () => {
  it('a node:http service with sloctl SDK passes: unmatched paths are one label value', async (t) => {
    const c = contract();
    const sdk = instrument({ contract: c, registry: new Registry(), defaultMetrics: false });
    const s = await listen(wrap((req, res) => {
      if (req.url === '/hello') res.end('hi');
      else if (req.url?.startsWith('/orders/')) res.end('{}');
      else { res.writeHead(404); res.end(); }
    }, sdk));
    try {
      // The labelled metrics show series after their first observation: one request before.
      await fetch(`${s.url}/hello`).then((r) => r.text());
      const t0 = Date.now();
      const v = await observabilityPhase({ contract: c, url: s.url, seed: 11 });
      t.diagnostic(`${v.outcome}: ${v.reason} (${Math.round(v.hostile.durationMs)} ms, statuses ${JSON.stringify(v.hostile.statuses)})`);
      assert.equal(v.hostile.asked, 2000);
      assert.equal(v.outcome, 'pass', v.reason);
      assert.ok(v.seriesAfter < 2000 && v.seriesAfter > 0, v.reason);
      assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
    } finally {
      await s.close();
    }
  });

  it('is INCONCLUSIVE when the metrics path answers 404, and when requests go unanswered', async () => {
    const c = contract();
    let n = 0;
    const s = await listen((req, res) => {
      // Every third request: the connection is cut before any answer.
      if (req.url !== '/metrics' && ++n % 3 === 0) { req.socket.destroy(); return; }
      res.writeHead(404);
      res.end();
    });
    try {
      const v = await observabilityPhase({ contract: c, url: s.url, seed: 5, hostileRequests: 60, concurrency: 4 });
      assert.equal(v.outcome, 'inconclusive', v.reason);
      assert.equal(v.hostile.sent, 60);
      assert.ok(v.hostile.answered < 60 && v.hostile.answered > 0, JSON.stringify(v.hostile));
      assert.match(v.reason, /before the hostile requests could not be read: http:\/\/127\.0\.0\.1:\d+\/metrics answered HTTP 404; check the metrics path/);
      assert.match(v.reason, new RegExp(`${v.hostile.answered} of 60 hostile requests were answered; no answer: `));
    } finally {
      await s.close();
    }
  });

  it('a prom-client service labelling the raw path fails, naming the family and the label', async (t) => {
    const c = contract();
    const reg = new Registry();
    const requests = new Counter({ name: 'http_server_requests_total', help: 'requests', labelNames: ['method', 'path', 'status'], registers: [reg] });
    const duration = new Histogram({ name: 'http_server_request_duration_seconds', help: 'latency', labelNames: ['path'], buckets: [0.1, 0.25, 1], registers: [reg] });
    const s = await listen(async (req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': reg.contentType });
        res.end(await reg.metrics());
        return;
      }
      const path = (req.url ?? '/').split('?')[0];
      const status = path === '/hello' ? 200 : 404;
      res.writeHead(status);
      res.end();
      requests.inc({ method: req.method ?? '', path, status: String(status) });
      duration.observe({ path }, 0.001);
    });
    try {
      await fetch(`${s.url}/hello`).then((r) => r.text());
      const before = await scrapeFamilies(`${s.url}/metrics`);
      assert.ok(before.ok);
      const v = await observabilityPhase({ contract: c, url: s.url, seed: 11 });
      t.diagnostic(`${v.outcome}: ${v.reason} (${Math.round(v.hostile.durationMs)} ms, statuses ${JSON.stringify(v.hostile.statuses)})`);
      assert.equal(v.outcome, 'fail', v.reason);
      assert.ok(v.seriesAfter > 2000, v.reason);
      assert.equal(v.growth[0].family, 'http_server_request_duration_seconds', JSON.stringify(v.growth));
      assert.equal(v.growth[0].label, 'path');
      assert.match(v.reason, /the biggest growth is http_server_request_duration_seconds \+[0-9,]+ \(label `path` took [0-9,]+ new values/);
    } finally {
      await s.close();
    }
  });
});
