// The two paths agree: Prometheus evaluating the generated recording rules, and sloctl's embedded
// engine fed by its own scraper, read the same service and report the same good/total ratios,
// burn rates and budget.
//
// Setup. A test service (prom-client, named like sloctl's SDK) serves a scripted traffic pattern:
// each scrape *by Prometheus* first "serves" the next step of the script (a fixed batch of requests),
// so what any scraper sees depends on how many Prometheus scrapes came before, never on the wall
// clock. Right after each Prometheus scrape is answered, the embedded scraper scrapes the same
// /metrics (the next Prometheus scrape waits for it), so both see the identical sequence of
// expositions, a few milliseconds apart. Step 1 is all zeros (every series exists, at 0); steps
// 2..11 are phase A (low error rates); steps 12..31 phase B (high error rates); then nothing more.
//
// Prometheus (real, from the Debian package) scrapes every 500ms and evaluates the rules of
// `sloctl generate prometheus` every 500ms. For each SLO the test waits (polling the query API,
// no fixed sleeps) for the first rule evaluation at least 100ms after the last scripted sample, then
// compares what the rules recorded at that evaluation time with the embedded engine evaluated at
// the same time:
//   - good/total over the SLO window (1h: the whole run): recorded bad_events / total_events;
//   - burn rate over 1m (the whole run, both phases mixed) and over 5s (inside phase B);
//   - error budget remaining.
//
// Why the two may differ at all, and why not here by more than float rounding:
//   - increase() extrapolates: Prometheus stretches the observed growth of each series towards the
//     range edges (up to half a scrape interval, or to where the counter would have been 0), so its
//     event counts are not whole numbers and are larger than the plain increases the embedded
//     engine counts. The test prints both. A ratio of two such increases is unaffected when both
//     series get the same stretch factor, which holds when they are scraped together (same
//     timestamps) and both start at 0 (the zero-point clamp then stops both at their first sample);
//     the SDK creates every series at 0 for that reason, and so does this service.
//   - Scrape alignment: the embedded scrape happens a few ms after Prometheus' scrape of the same
//     state, and sloctl's windows are made of whole 1s buckets aligned to UTC while Prometheus'
//     ranges end exactly at the evaluation time. A window edge can therefore fall between the two
//     scrapes of one state, so one side counts a step the other does not. That moves the ratio
//     only when the traffic mix changes at that edge; the compared windows lie inside one phase or
//     cover the whole run, so every step they could disagree on has the same mix.
//   - Restarts: the embedded engine knows a restart from process_start_time_seconds and counts the
//     new process from zero; increase() only sees drops. This run has no restart.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import client from 'prom-client';
import { parseContract } from '../src/contract/load.ts';
import { renderPrometheusRules } from '../src/emit/prometheus.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { PromqlClient } from '../src/observe/promql-client.ts';
import { Scraper } from '../src/observe/scraper.ts';
import { SeriesStore } from '../src/observe/series-store.ts';
import { requireBinary, startPrometheus } from './helpers/prometheus.ts';

const STEPS = 31;
const PHASE_B = 12;

/** One step of traffic: [method, route, seconds, count, status, error class]. */
type Batch = Array<[string, string, number, number, number, string]>;

function batch(step: number): Batch {
  if (step === 1) return [];
  if (step < PHASE_B) {
    return [
      ['GET', '/products/:id', 0.05, 96, 200, 'none'],
      ['GET', '/products/:id', 0.4, 2, 200, 'none'],
      ['GET', '/products/:id', 0.05, 1, 500, 'server'],
      ['GET', '/products/:id', 0.05, 1, 404, 'client'],
      ['POST', '/orders', 0.25, 10, 200, 'none'],
    ];
  }
  return [
    ['GET', '/products/:id', 0.05, 76, 200, 'none'],
    ['GET', '/products/:id', 0.4, 10, 200, 'none'],
    ['GET', '/products/:id', 0.05, 10, 500, 'server'],
    ['GET', '/products/:id', 0.05, 4, 503, 'transient'],
    ['POST', '/orders', 0.25, 8, 200, 'none'],
    ['POST', '/orders', 0.35, 2, 200, 'none'],
  ];
}

/** Every label combination the script uses, created at 0 in step 1. */
const SERIES: Array<[string, string, number, string]> = [
  ['GET', '/products/:id', 200, 'none'],
  ['GET', '/products/:id', 500, 'server'],
  ['GET', '/products/:id', 404, 'client'],
  ['GET', '/products/:id', 503, 'transient'],
  ['POST', '/orders', 200, 'none'],
];

/** What the script says, by hand: latency good/total and weighted errors bad/total over steps. */
function scripted(from: number, to: number) {
  const weights: Record<string, number> = { server: 2.5, client: 1, transient: 0.3 };
  let total = 0;
  let slow = 0;
  let bad = 0;
  for (let s = from; s <= to; s++) {
    for (const [method, , seconds, n, , cls] of batch(s)) {
      total += n;
      if (seconds > (method === 'POST' ? 0.3 : 0.2)) slow += n;
      bad += (weights[cls] ?? 0) * n;
    }
  }
  return { latency: (total - slow) / total, errors: 1 - bad / total };
}

const CONTRACT = (url: string) => `apiVersion: sloctl/v1
service: { name: shop }
target: { url: "${url}" }
window: 1h
bucket: 1s
scrapeInterval: 500ms
routes:
  - { name: orders, method: POST, path: /orders, latency: 300ms }
  - { name: product, method: GET, path: /products/:id }
objectives:
  latency:
    - name: api-latency
      threshold: 200ms
      objective: 95%
      alerting: { page: [{ burnRate: 14.4, long: 1m, short: 5s }], ticket: false }
  errors:
    objective: 99%
    alerting: { page: [{ burnRate: 14.4, long: 1m, short: 5s }], ticket: false }
`;

function rel(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

describe('agreement: embedded engine vs a real Prometheus with the generated rules', () => {
  it('same good/total ratios, burn rates and budget within 1%', { timeout: 60_000 }, async (t) => {
    const bin = requireBinary(t, 'prometheus');
    if (!bin) return;
    const started = Date.now();

    // --- the test service -------------------------------------------------------------------
    const registry = new client.Registry();
    const hist = new client.Histogram({ name: 'http_server_request_duration_seconds', help: 'Request latency.', labelNames: ['method', 'route', 'status_class'], buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1], registers: [registry] });
    const requests = new client.Counter({ name: 'http_server_requests_total', help: 'Finished requests.', labelNames: ['method', 'route', 'status_class', 'error_class'], registers: [registry] });
    let step = 0;
    let lastStepServedAt = 0;
    let embeddedIdle: Promise<unknown> = Promise.resolve();
    const embeddedAt: number[] = [];
    let scraper!: Scraper;
    const advance = () => {
      step++;
      if (step === 1) {
        for (const [method, route, status, cls] of SERIES) {
          const sc = `${Math.floor(status / 100)}xx`;
          hist.zero({ method, route, status_class: sc });
          requests.inc({ method, route, status_class: sc, error_class: cls }, 0);
        }
      }
      for (const [method, route, seconds, n, status, cls] of batch(step)) {
        const sc = `${Math.floor(status / 100)}xx`;
        for (let i = 0; i < n; i++) hist.observe({ method, route, status_class: sc }, seconds);
        requests.inc({ method, route, status_class: sc, error_class: cls }, n);
      }
    };
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const fromPrometheus = (req.headers['user-agent'] ?? '').startsWith('Prometheus/');
        if (fromPrometheus) {
          await embeddedIdle; // the previous state has been read by both
          if (step < STEPS) {
            advance();
            lastStepServedAt = Date.now();
          }
        }
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
        if (fromPrometheus) {
          res.once('finish', () => {
            embeddedIdle = scraper.scrapeOnce(Date.now()).then((r) => {
              embeddedAt.push(r.at);
              assert.ok(r.ok, r.error?.message);
            });
          });
        }
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    t.after(() => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }));

    // --- the embedded path --------------------------------------------------------------------
    const contract = parseContract(CONTRACT(`http://127.0.0.1:${port}`), 'slo.yaml').contract!;
    const store = new SeriesStore();
    scraper = new Scraper({ url: `http://127.0.0.1:${port}/metrics`, store, intervalMs: 500, timeoutMs: 2000 });
    const evaluator = new EmbeddedEvaluator(defineSlos(contract));
    evaluator.attach(store);

    // --- Prometheus with the generated rules ------------------------------------------------
    const rules = renderPrometheusRules(contract).text;
    const prom = await startPrometheus(bin, {
      config: [
        'global:',
        '  scrape_interval: 500ms',
        '  scrape_timeout: 400ms',
        '  evaluation_interval: 500ms',
        'rule_files: [rules.yml]',
        'scrape_configs:',
        '  - job_name: shop',
        `    static_configs: [{ targets: ["127.0.0.1:${port}"] }]`,
        '',
      ].join('\n'),
      files: { 'rules.yml': rules },
    });
    t.after(() => prom.stop());
    const api = new PromqlClient({ url: prom.url, timeoutMs: 5000 });
    const poll = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
      for (;;) {
        const v = await fn();
        if (v !== undefined) return v;
        assert.ok(Date.now() - started < 50_000, `timed out waiting for ${what}\n${prom.logs()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // The last scripted sample in Prometheus: the raw samples of one counter, with timestamps.
    let finalServer = 0;
    for (let s = 1; s <= STEPS; s++) for (const [, , , n, , cls] of batch(s)) if (cls === 'server') finalServer += n;
    const tLast = await poll('the last scripted sample', async () => {
      const r = await api.query('http_server_requests_total{error_class="server"}[1m]', { time: Date.now() });
      if (r.resultType !== 'matrix' || r.result.length === 0) return undefined;
      const hit = r.result[0].values.find((p) => p.v === finalServer);
      return hit?.t;
    });
    await embeddedIdle;
    assert.equal(step, STEPS);
    assert.equal(store.get('http_server_requests_total', { method: 'GET', route: '/products/:id', status_class: '5xx', error_class: 'server' })!.latest()!.v, finalServer);
    const samples = (await api.query('count_over_time(http_server_requests_total{error_class="server"}[1m])', { time: tLast })) as { resultType: 'vector'; result: Array<{ value: number }> };
    assert.equal(samples.result[0].value, STEPS, 'Prometheus holds every scripted sample');
    // How far apart the two scrapes of one state were: Prometheus stamps at scrape start.
    const promTimes = (await api.query('http_server_requests_total{error_class="server"}[1m]', { time: tLast })) as { resultType: 'matrix'; result: Array<{ values: Array<{ t: number }> }> };
    const offsets = promTimes.result[0].values.map((p) => Math.min(...embeddedAt.map((e) => Math.abs(e - p.t))));
    const maxOffset = Math.max(...offsets);
    assert.ok(maxOffset < 100, `the embedded scrapes trail Prometheus' by up to ${maxOffset}ms`);

    const expectedAll = scripted(2, STEPS);
    const expectedB = scripted(PHASE_B, STEPS);
    const report: string[] = [`Prometheus ${prom.url}; last scripted sample at ${new Date(tLast).toISOString()}; embedded scrapes trail by <= ${maxOffset}ms`];
    for (const slo of ['api-latency', 'errors']) {
      const sel = `{sloctl_service="shop", sloctl_slo="${slo}"}`;
      // The first evaluation of this SLO's rule group at least 100ms after the last sample: by then
      // both sides have that sample (the embedded scrape trails by < 100ms).
      const at = await poll(`an evaluation of ${slo} after the last sample`, async () => {
        const v = await api.scalar(`timestamp(sloctl:burn_rate:5s${sel})`, { time: Date.now() });
        return v !== undefined && v * 1000 >= tLast + 100 ? Math.round(v * 1000) : undefined;
      });
      assert.ok(at - tLast < 3000, `the evaluation compared is ${at - tLast}ms after the last sample; the 5s window must still hold phase B`);
      const rec = async (name: string) => {
        const v = await api.scalar(`${name}${sel}`, { time: at });
        assert.ok(v !== undefined, `${name}${sel} at ${at}`);
        return v;
      };
      const prom1h = { bad: await rec('sloctl:bad_events:increase1h'), total: await rec('sloctl:total_events:increase1h') };
      const promBurn1m = await rec('sloctl:burn_rate:1m');
      const promBurn5s = await rec('sloctl:burn_rate:5s');
      const promRemaining = await rec('sloctl:error_budget_remaining:ratio');

      const s = evaluator.evaluate(at).find((x) => x.name === slo)!;
      const tier = s.alerts!.tiers[0];
      const pairs: Array<[string, number, number, number]> = [
        ['good/total over 1h', 1 - prom1h.bad / prom1h.total, s.current, slo === 'errors' ? expectedAll.errors : expectedAll.latency],
        ['burn rate over 1m', promBurn1m, tier.long!.burnRate, ((1 - (slo === 'errors' ? expectedAll.errors : expectedAll.latency)) / (1 - s.objective))],
        ['burn rate over 5s', promBurn5s, tier.short!.burnRate, ((1 - (slo === 'errors' ? expectedB.errors : expectedB.latency)) / (1 - s.objective))],
        ['budget remaining', promRemaining, s.budget!.remainingRatio, NaN],
      ];
      report.push(`${slo} at ${new Date(at).toISOString()} (${at - tLast}ms after the last sample):`);
      report.push(`  events over 1h: Prometheus bad ${prom1h.bad.toFixed(3)} / total ${prom1h.total.toFixed(3)} (extrapolated ×${(prom1h.total / s.counts.total).toFixed(4)}); embedded bad ${s.counts.bad} / total ${s.counts.total}`);
      for (const [what, p, e, expected] of pairs) {
        const d = rel(p, e);
        report.push(`  ${what}: Prometheus ${p.toPrecision(10)}, embedded ${e.toPrecision(10)}, relative difference ${d.toExponential(2)}${Number.isNaN(expected) ? '' : `, scripted ${expected.toPrecision(10)}`}`);
        assert.ok(d <= 0.01, `${slo} ${what}: Prometheus ${p} vs embedded ${e} differ by ${(d * 100).toFixed(3)}% (> 1%)`);
        if (!Number.isNaN(expected)) assert.ok(rel(e, expected) < 1e-9, `${slo} ${what}: embedded ${e} is not the scripted ${expected}`);
      }
      // The embedded engine counts whole events: exactly the script's steps 2..31.
      assert.ok(Number.isInteger(s.counts.total));
    }
    for (const line of report) t.diagnostic(line);
    if (process.env.SLOCTL_AGREEMENT_REPORT) console.log(report.join('\n'));
  });
});
