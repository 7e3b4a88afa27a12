// The embedded engine on a Go service instrumented with client_golang's promhttp, as Go teams do it:
// `http_request_duration_seconds{handler, method, code, le}` and `http_requests_total{handler,
// method, code}`, the route curried in as `handler`, methods in lower case ("post"), no error class.
// The contract maps the labels (`metrics.labels`), and every number below is checked by hand.
//
// The exposition is prom-client's text with promhttp's label names, parsed by sloctl's own parser
// and fed to the series store, one scrape per batch of scripted requests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client from 'prom-client';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { renderStatus } from '../src/evaluate/render.ts';
import type { SloStatus, StatusReport } from '../src/evaluate/report.ts';
import { parseExposition } from '../src/observe/exposition.ts';
import { SeriesStore, type IngestSample } from '../src/observe/series-store.ts';

/** client_golang's prometheus.DefBuckets. */
const GO_DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The same plus the contract's thresholds and ceilings, as a Go team would add them. */
const WITH_THRESHOLDS = [...GO_DEFAULT_BUCKETS, 0.2, 0.3, 0.4].sort((a, b) => a - b);

function contract(labels: string, extra = ''): Contract {
  const l = parseContract(`apiVersion: sloctl/v1
service: { name: orders-go, runtime: go }
window: 1h
bucket: 1m
scrapeInterval: 15s
${extra}
routes:
  - { name: create-order, method: POST, path: /orders, latency: 300ms }
  - { name: get-product, method: GET, path: /products }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
${labels}
objectives:
  latency:
    - { name: api-latency, threshold: 200ms, objective: 95%, percentiles: { p99: 400ms } }
  errors: { objective: 99% }
`, 'slo.yaml');
  assert.ok(l.contract, JSON.stringify(l.diagnostics));
  return l.contract;
}

const PROMHTTP = '  labels: { route: handler, method: method, status: code }';

/** One batch of requests: [method as promhttp writes it, handler, seconds, count, code]. */
type Batch = Array<[string, string, number, number, string]>;

/**
 * Per scrape interval: GET /products 100 requests, of which 5 are 500s (5%) and 2 are 503s, and 3
 * take 250ms (slow at the 200ms threshold); POST /orders 20 requests in 250ms, answered 201 (good at
 * the route's own 300ms threshold, slow at 200ms).
 */
const BATCH: Batch = [
  ['get', '/products', 0.05, 90, '200'],
  ['get', '/products', 0.25, 3, '200'],
  ['get', '/products', 0.05, 5, '500'],
  ['get', '/products', 0.05, 2, '503'],
  ['post', '/orders', 0.25, 20, '201'],
];

/** A promhttp-labelled service: its exposition after each batch, as IngestSamples. */
function promhttpService(buckets: number[], opts: { withCode?: boolean } = {}) {
  const withCode = opts.withCode ?? true;
  const registry = new client.Registry();
  const labelNames = withCode ? ['handler', 'method', 'code'] : ['handler', 'method'];
  const hist = new client.Histogram({ name: 'http_request_duration_seconds', help: 'A histogram of latencies for requests.', labelNames, buckets, registers: [registry] });
  const requests = new client.Counter({ name: 'http_requests_total', help: 'A counter for requests to the wrapped handler.', labelNames, registers: [registry] });
  const labels = (method: string, handler: string, code: string) => (withCode ? { handler, method, code } : { handler, method });
  // Every series exists at 0 from the first scrape, as the curried promhttp handlers leave them after one request each.
  for (const [method, handler, , , code] of BATCH) {
    hist.zero(labels(method, handler, code));
    requests.inc(labels(method, handler, code), 0);
  }
  return {
    serve(batch: Batch): void {
      for (const [method, handler, seconds, n, code] of batch) {
        for (let i = 0; i < n; i++) hist.observe(labels(method, handler, code), seconds);
        requests.inc(labels(method, handler, code), n);
      }
    },
    async samples(): Promise<IngestSample[]> {
      const parsed = parseExposition(await registry.metrics());
      assert.deepEqual(parsed.errors, []);
      return parsed.families.flatMap((f) => f.samples.map((s) => ({ name: s.name, labels: s.labels, value: s.value, type: f.type })));
    },
  };
}

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

/** Scrapes `intervals` + 1 times (a baseline, then one batch per interval) and evaluates. */
async function run(c: Contract, buckets: number[], intervals: number, opts: { withCode?: boolean; batch?: Batch } = {}): Promise<{ slos: SloStatus[]; report: StatusReport }> {
  const svc = promhttpService(buckets, opts);
  const store = new SeriesStore();
  const ev = new EmbeddedEvaluator(defineSlos(c));
  ev.attach(store);
  store.ingest({ at: T0, samples: await svc.samples() });
  for (let i = 1; i <= intervals; i++) {
    svc.serve(opts.batch ?? BATCH);
    store.ingest({ at: T0 + i * 15_000, samples: await svc.samples() });
  }
  const at = T0 + intervals * 15_000 + 1;
  const r = ev.report(at);
  const report: StatusReport = { service: c.service.name, at, source: { kind: 'scrape', url: 'http://127.0.0.1:1/metrics', scrapes: intervals + 1, failures: 0, restarts: 0, errors: [] }, slos: r.slos, health: r.health };
  return { slos: r.slos, report };
}

describe('embedded engine on promhttp series', () => {
  it('derives error classes from the code label: 5% 500s are server errors at 2.5, 503s transient at 0.3', async () => {
    const { slos } = await run(contract(PROMHTTP), WITH_THRESHOLDS, 4);
    const err = slos.find((s) => s.name === 'errors')!;
    // 4 intervals × 120 requests; bad = 4 × (5 × 2.5 + 2 × 0.3) = 52.4.
    assert.equal(err.counts.total, 480);
    assert.ok(Math.abs(err.counts.bad - 52.4) < 1e-9, String(err.counts.bad));
    assert.ok(Math.abs(err.current - (1 - 52.4 / 480)) < 1e-12);
    assert.equal(err.state, 'failing');
    const text = err.explain.join('\n');
    assert.match(text, /bad over the scrapes: server 20 × 2\.5 = 50 \+ transient 8 × 0\.3 = 2\.4 = 52\.4/);
    assert.match(text, /classes derived from the code label/);
  });

  it('judges POST /orders, written method="post", at its own 300ms threshold', async () => {
    const { slos } = await run(contract(PROMHTTP), WITH_THRESHOLDS, 4);
    const lat = slos.find((s) => s.name === 'api-latency')!;
    // Per interval: 120 requests, slow = the 3 GETs at 250ms; the 20 POSTs at 250ms are within 300ms.
    // Were POST judged at the default 200ms (rules selecting method="POST" miss "post"), good would be 97/120.
    assert.deepEqual([lat.counts.total, lat.counts.bad], [480, 12]);
    assert.equal(lat.current, 1 - 12 / 480);
    assert.equal(lat.state, 'ok');
    assert.match(lat.explain.join('\n'), /method=~"\[Pp\]\[Oo\]\[Ss\]\[Tt\]", handler="\/orders"/);
  });

  it('says the errors SLI cannot be measured, and how to fix it, when no series carries the label it reads', async () => {
    // The contract maps the route but not the status: classes are read from error_class, which promhttp has not.
    for (const labels of ['  labels: { route: handler }', '']) {
      const { slos, report } = await run(contract(labels), WITH_THRESHOLDS, 3);
      const err = slos.find((s) => s.name === 'errors')!;
      assert.equal(err.state, 'unknown', `${labels || 'no labels'}: ${err.reason}`);
      assert.ok(Number.isNaN(err.current), 'never 100% good');
      assert.equal(err.budget, undefined);
      assert.equal(err.alerts, undefined);
      assert.match(err.reason!, /errors cannot be measured: no http_requests_total series carries an `error_class` label/);
      assert.match(err.reason!, /map the status label: metrics\.labels\.status: code/);
      // Neither "0 bad" nor 100%: the bad count is unknown.
      assert.match(renderStatus(report, 'table', false), /errors +n\/a +45s +99% .* n\/a \/ 360 +UNKNOWN: errors cannot be measured/);
    }
    // Mapped to `code`, but the service does not export it.
    const { slos } = await run(contract(PROMHTTP), WITH_THRESHOLDS, 3, { withCode: false });
    const err = slos.find((s) => s.name === 'errors')!;
    assert.equal(err.state, 'unknown');
    assert.match(err.reason!, /no http_requests_total series carries the status label `code`/);
  });

  it('a threshold with no histogram bucket reads UNKNOWN with the buckets there are and the one to add, not 0% good', async () => {
    const { slos, report } = await run(contract(PROMHTTP), GO_DEFAULT_BUCKETS, 3);
    const lat = slos.find((s) => s.name === 'api-latency')!;
    assert.equal(lat.state, 'unknown');
    assert.ok(Number.isNaN(lat.current));
    assert.match(lat.reason!, /no bucket at le=0\.2 \(the 200ms threshold of all other routes\); its buckets are 0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.5, 1, 2\.5, 5, 10, \+Inf/);
    assert.match(lat.reason!, /no bucket at le=0\.3 \(the 300ms threshold of create-order\)/);
    assert.match(lat.reason!, /add 0\.2, 0\.3 to the histogram's buckets/);
    // The errors SLO is unaffected.
    assert.equal(slos.find((s) => s.name === 'errors')!.state, 'failing');
    const table = renderStatus(report, 'table', false);
    assert.match(table, /api-latency +n\/a +45s +95% .* n\/a \/ 360 +UNKNOWN: the histogram http_request_duration_seconds cannot measure this SLO/);
  });

  it('marks a percentile whose ceiling falls between buckets as interpolated, and does not judge it when the value lands in that bucket', async () => {
    // Every request takes 110ms: p99 is 110ms, but with Go's default buckets histogram_quantile
    // interpolates inside (0.1, 0.25] and reads about 248ms, above a 200ms ceiling.
    const contract2 = contract(PROMHTTP);
    contract2.objectives.latency![0].percentiles = { p99: 200 };
    const batch: Batch = [['get', '/products', 0.11, 100, '200']];
    const { slos, report } = await run(contract2, GO_DEFAULT_BUCKETS, 2, { batch });
    const p = slos.find((s) => s.name === 'api-latency')!.percentiles[0];
    assert.ok(p.valueSeconds > 0.2, `interpolated p99 ${p.valueSeconds}`);
    assert.deepEqual(p.interpolated, { below: 0.1, above: 0.25, undecided: true });
    const table = renderStatus(report, 'table', true);
    assert.match(table, /api-latency p99 .*UNKNOWN: interpolated between le=0\.1 and le=0\.25 \(add a bucket at le=0\.2\)/);
    assert.doesNotMatch(table, /api-latency p99 .*FAILING/);
    assert.match(table, /p99 = .* the 200 ms ceiling falls between the buckets le=0\.1 and le=0\.25; histogram_quantile interpolates linearly/);
    // With a bucket at the ceiling, nothing is interpolated.
    const exact = await run(contract2, [...GO_DEFAULT_BUCKETS, 0.2].sort((a, b) => a - b), 2, { batch });
    assert.equal(exact.slos.find((s) => s.name === 'api-latency')!.percentiles[0].interpolated, undefined);
  });

  it('names the classes a status code cannot show', async () => {
    const c = contract(PROMHTTP, `errorClasses:
  - { name: timeout, weight: 1, errors: [TimeoutError] }
  - { name: transient, weight: 0.3, status: [429, 503, 504] }
  - { name: server, weight: 2.5, status: [5xx] }`);
    const { slos, report } = await run(c, WITH_THRESHOLDS, 2);
    const err = slos.find((s) => s.name === 'errors')!;
    assert.ok(err.notes.some((n) => /cannot see .*: timeout/.test(n)), err.notes.join('\n'));
    assert.match(renderStatus(report, 'table', false), /errors: note: error classes the label mapping cannot see.*timeout/);
    // 2 intervals: 10 server × 2.5 + 4 transient × 0.3 = 26.2 (500 is server: 5xx; 503 transient first).
    assert.ok(Math.abs(err.counts.bad - 26.2) < 1e-9, String(err.counts.bad));
  });
});
