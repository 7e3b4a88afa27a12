// `sloctl status --prometheus` on Go services labelled by client_golang's promhttp (handler, method
// in lower case, code; no error class), read through a real Prometheus from the raw series:
//   - `go-ok` has buckets at the contract's thresholds and a contract that maps the labels: 5% 500s
//     (server ×2.5) and 2% 503s (transient ×0.3) are counted, POST /orders is judged at its own
//     300ms, and the p99 ceiling (400ms, between the buckets 0.3 and 0.5) is marked interpolated;
//   - `go-default` has client_golang's default buckets and a contract that does not map the status
//     label: the latency SLO is UNKNOWN naming the buckets there are and the ones to add (the server
//     is asked for the `le` values present), the errors SLO UNKNOWN with "metrics.labels.status:
//     code", never 100% good.
// Each scrape by Prometheus serves one scripted batch, so the numbers are the script's.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import client from 'prom-client';
import { EXIT } from '../src/cli/exit.ts';
import { runCli } from './helpers/cli.ts';
import { findBinary, requireBinary, startPrometheus, type PrometheusServer } from './helpers/prometheus.ts';

const GO_DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Per scrape: GET /products 100 (5 × 500, 2 × 503, 3 in 250ms), POST /orders 20 in 250ms (201). */
const BATCH: Array<[string, string, number, number, string]> = [
  ['get', '/products', 0.05, 90, '200'],
  ['get', '/products', 0.25, 3, '200'],
  ['get', '/products', 0.05, 5, '500'],
  ['get', '/products', 0.05, 2, '503'],
  ['post', '/orders', 0.25, 20, '201'],
];

async function promhttpService(buckets: number[]) {
  const registry = new client.Registry();
  const hist = new client.Histogram({ name: 'http_request_duration_seconds', help: 'A histogram of latencies for requests.', labelNames: ['handler', 'method', 'code'], buckets, registers: [registry] });
  const requests = new client.Counter({ name: 'http_requests_total', help: 'A counter for requests to the wrapped handler.', labelNames: ['handler', 'method', 'code'], registers: [registry] });
  for (const [method, handler, , , code] of BATCH) {
    hist.zero({ handler, method, code });
    requests.inc({ handler, method, code }, 0);
  }
  let scrapes = 0;
  let failing = false;
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/metrics' && failing) {
      res.writeHead(503);
      res.end();
      return;
    }
    if (req.url === '/metrics') {
      if (scrapes > 0) {
        for (const [method, handler, seconds, n, code] of BATCH) {
          for (let i = 0; i < n; i++) hist.observe({ handler, method, code }, seconds);
          requests.inc({ handler, method, code }, n);
        }
      }
      scrapes++;
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    scrapes: () => scrapes,
    /** Answer the scrapes 503: Prometheus marks every series of the target stale. */
    failScrapes: () => { failing = true; },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const contractText = (labels: string, extra = '') => `apiVersion: sloctl/v1
service: { name: orders-go, runtime: go }
window: 1h
bucket: 1m
scrapeInterval: 1s
routes:
  - { name: create-order, method: POST, path: /orders, latency: 300ms }
  - { name: get-product, method: GET, path: /products }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: ${labels}
objectives:
  latency:
    - { name: api-latency, threshold: 200ms, objective: 95%, percentiles: { p99: 400ms } }
  errors: { objective: 99% }
${extra}`;

describe('sloctl status --prometheus on promhttp series', () => {
  let prom: PrometheusServer | undefined;
  const services: Array<Awaited<ReturnType<typeof promhttpService>>> = [];
  let dir: string;

  before(async () => {
    const bin = findBinary('prometheus').path;
    if (bin === undefined) return; // each case calls requireBinary: a skip, or a failure under CI
    const ok = await promhttpService([...GO_DEFAULT_BUCKETS, 0.2, 0.3].sort((a, b) => a - b));
    const plain = await promhttpService(GO_DEFAULT_BUCKETS);
    services.push(ok, plain);
    prom = await startPrometheus(bin, {
      config: [
        'global:',
        '  scrape_interval: 500ms',
        'scrape_configs:',
        '  - job_name: go-ok',
        `    static_configs: [{ targets: ["127.0.0.1:${ok.port}"] }]`,
        '  - job_name: go-default',
        `    static_configs: [{ targets: ["127.0.0.1:${plain.port}"] }]`,
        '',
      ].join('\n'),
    });
    dir = mkdtempSync(join(tmpdir(), 'sloctl-status-promhttp-'));
    writeFileSync(join(dir, 'mapped.yaml'), contractText('{ route: handler, method: method, status: code }', '  availability: { objective: 90% }\n'));
    writeFileSync(join(dir, 'unmapped.yaml'), contractText('{ route: handler }'));
    // Wait (on a condition) until Prometheus holds at least four scrapes of both.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await prom.query('min(count_over_time(http_requests_total{code="500"}[1h]))');
      if (r.length > 0 && Number(r[0].value[1]) >= 4) break;
      assert.ok(Date.now() < deadline, `Prometheus has not scraped both services 4 times in 30s:\n${prom.logs()}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  });

  after(async () => {
    await prom?.stop();
    for (const s of services) await s.close();
  });

  it('counts 500s and 503s from the code label and judges POST /orders at its own threshold', async (t) => {
    if (!requireBinary(t, 'prometheus')) return;
    const r = await runCli(['status', 'mapped.yaml', '--prometheus', prom!.url, '--selector', 'job="go-ok"', '--format', 'json', '--explain'], dir);
    const doc = JSON.parse(r.stdout);
    const by = Object.fromEntries(doc.slos.map((s: { name: string }) => [s.name, s]));
    // Per batch 120 requests; bad = 5 × 2.5 + 2 × 0.3 = 13.1. Extrapolation stretches every series alike.
    assert.ok(Math.abs(by.errors.current - (1 - 13.1 / 120)) < 1e-9, `${by.errors.current}\n${by.errors.explain.join('\n')}`);
    assert.equal(by.errors.state, 'failing');
    // Slow: the 3 GETs at 250ms; the 20 POSTs at 250ms are within 300ms (method="post").
    assert.ok(Math.abs(by['api-latency'].current - 117 / 120) < 1e-9, String(by['api-latency'].current));
    assert.equal(by['api-latency'].state, 'ok');
    // p99 lands in (0.2, 0.25]: below the 400ms ceiling, which has no bucket (between 0.3 and 0.5).
    const p99 = by['api-latency'].percentiles[0];
    assert.deepEqual(p99.interpolated, { below: 0.3, above: 0.5, undecided: false });
    // No gauge and no rules loaded: availability is unknown, and says where it would come from.
    assert.equal(by.availability.state, 'unknown');
    assert.ok(by.availability.notes.some((n: string) => /sloctl:availability:ratio: the gauge, or the composite from its parts.*load the rules/.test(n)), by.availability.notes.join('\n'));
    const table = await runCli(['status', 'mapped.yaml', '--prometheus', prom!.url, '--selector', 'job="go-ok"'], dir);
    assert.equal(table.code, EXIT.FAILED, table.stderr);
    assert.match(table.stdout, /api-latency p99 .* OK; the 400 ms ceiling falls between le=0\.3 and le=0\.5 \(add a bucket at le=0\.4\)/);
  });

  it('a threshold without a bucket and errors without a status label are UNKNOWN, with the fix', async (t) => {
    if (!requireBinary(t, 'prometheus')) return;
    const r = await runCli(['status', 'unmapped.yaml', '--prometheus', prom!.url, '--selector', 'job="go-default"', '--format', 'json'], dir);
    assert.equal(r.code, EXIT.INCONCLUSIVE, r.stderr);
    const doc = JSON.parse(r.stdout);
    const by = Object.fromEntries(doc.slos.map((s: { name: string }) => [s.name, s]));
    assert.equal(by.errors.state, 'unknown');
    assert.equal(by.errors.current, null, 'never 100% good');
    assert.match(by.errors.reason, /errors cannot be measured: no http_requests_total series carries an `error_class` label/);
    assert.match(by.errors.reason, /map the status label: metrics\.labels\.status: code/);
    assert.equal(by['api-latency'].state, 'unknown');
    assert.equal(by['api-latency'].current, null, 'not 0% good');
    assert.match(by['api-latency'].reason, /no bucket at le=0\.2 \(the 200ms threshold of all other routes\); its buckets are 0\.005, 0\.01, 0\.025, 0\.05, 0\.1, 0\.25, 0\.5, 1, 2\.5, 5, 10, \+Inf/);
    assert.match(by['api-latency'].reason, /add 0\.2, 0\.3 to the histogram's buckets/);
  });

  // Last: it stops go-ok's scrapes. A failed scrape (a busy target past its scrape_timeout) writes
  // staleness markers, and an instant query then sees no series: the bucket layout was read as
  // empty and the p99's interpolation note went missing (once in CI, on a busy machine).
  it('after a failed scrape (the series marked stale), the bucket layout is still read: the p99 stays marked interpolated', async (t) => {
    if (!requireBinary(t, 'prometheus')) return;
    services[0].failScrapes();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await prom!.query('up{job="go-ok"}');
      const stale = await prom!.query('count(http_requests_total{job="go-ok"})');
      if (up.length > 0 && Number(up[0].value[1]) === 0 && stale.length === 0) break;
      assert.ok(Date.now() < deadline, `Prometheus did not see go-ok's scrape fail in 30s:\n${prom!.logs()}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    const r = await runCli(['status', 'mapped.yaml', '--prometheus', prom!.url, '--selector', 'job="go-ok"', '--format', 'json'], dir);
    const doc = JSON.parse(r.stdout);
    const latency = doc.slos.find((x: { name: string }) => x.name === 'api-latency');
    assert.notEqual(latency.state, 'unknown', JSON.stringify(latency));
    assert.deepEqual(latency.percentiles[0].interpolated, { below: 0.3, above: 0.5, undecided: false }, JSON.stringify(latency.percentiles[0]));
  });
});
