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
//
// Two services share the one Prometheus (two scrape jobs, both rule sets loaded):
//   - `shop`, labelled as sloctl's SDK labels (method, route, status_class, error_class);
//   - `shop-go`, labelled as client_golang's promhttp labels a Go service (handler, method in lower
//     case, code; no error class), with a contract that maps the labels (`metrics.labels`): error
//     classes come from the code (500 server ×2.5, 503 transient ×0.3, 404 client ×1), POST /orders
//     (`method="post"`) is judged at its own 300ms, and availability, which no gauge exports, is
//     composed from its parts on both sides (embedded.ts per scrape, the rules per evaluation).
//     Its critical dependency has no gauge (promhttp exports none, the contract maps none): both
//     sides leave the dependencies part out and divide the others by their weights, 0.8.
//     The availability composite of the rules is recorded per evaluation and the embedded one per
//     scrape; both tick every 500ms, so they hold the same samples up to one at a window's edge
//     (the test prints the difference).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import client from 'prom-client';
import { parse, stringify } from 'yaml';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { renderPrometheusRules } from '../src/emit/prometheus.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { EmbeddedEvaluator } from '../src/evaluate/embedded.ts';
import { PromqlClient } from '../src/observe/promql-client.ts';
import { Scraper } from '../src/observe/scraper.ts';
import { SeriesStore } from '../src/observe/series-store.ts';
import { findBinary, requireBinary, startPrometheus, type PrometheusServer } from './helpers/prometheus.ts';

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

/**
 * The Go service's script: the same shape, as promhttp labels it (methods in lower case, the status
 * code, no class). Phase A meets both objectives (one 404 in 110 is 0.91% < 1%); phase B misses both.
 */
function goBatch(step: number): Batch {
  if (step === 1) return [];
  if (step < PHASE_B) {
    return [
      ['get', '/products', 0.05, 97, 200, 'none'],
      ['get', '/products', 0.4, 2, 200, 'none'],
      ['get', '/products', 0.05, 1, 404, 'client'],
      ['post', '/orders', 0.25, 10, 201, 'none'],
    ];
  }
  // Phase B misses both objectives by far more than they give by chance from its first scrape on,
  // also over the 2 s of evidence the composite weighs an interval below its objective with (three
  // phase-A intervals and one of B: 48 slow of 440 against the 30 that 95% gives; 79.2 weighted bad
  // against 8.4 at 99%; src/engine/interval-miss.ts), so every phase-B sample of the composite misses.
  return [
    ['get', '/products', 0.05, 30, 200, 'none'],
    ['get', '/products', 0.4, 40, 200, 'none'],
    ['get', '/products', 0.05, 30, 500, 'server'],
    ['get', '/products', 0.05, 4, 503, 'transient'],
    ['post', '/orders', 0.25, 8, 201, 'none'],
    ['post', '/orders', 0.35, 2, 201, 'none'],
  ];
}

const GO_SERIES: Array<[string, string, number, string]> = [
  ['get', '/products', 200, 'none'],
  ['get', '/products', 500, 'server'],
  ['get', '/products', 404, 'client'],
  ['get', '/products', 503, 'transient'],
  ['post', '/orders', 201, 'none'],
];

/** What the script says, by hand: latency good/total and weighted errors bad/total over steps. */
function scripted(script: (step: number) => Batch, from: number, to: number) {
  const weights: Record<string, number> = { server: 2.5, client: 1, transient: 0.3 };
  let total = 0;
  let slow = 0;
  let bad = 0;
  for (let s = from; s <= to; s++) {
    for (const [method, , seconds, n, , cls] of script(s)) {
      total += n;
      if (seconds > (method.toUpperCase() === 'POST' ? 0.3 : 0.2)) slow += n;
      bad += (weights[cls] ?? 0) * n;
    }
  }
  return { latency: (total - slow) / total, errors: 1 - bad / total };
}

const ALERTING = 'alerting: { page: [{ burnRate: 14.4, long: 1m, short: 5s }], ticket: false }';

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
      ${ALERTING}
  errors:
    objective: 99%
    ${ALERTING}
`;

const GO_CONTRACT = (url: string) => `apiVersion: sloctl/v1
service: { name: shop-go, runtime: go }
target: { url: "${url}" }
window: 1h
bucket: 1s
scrapeInterval: 500ms
routes:
  - { name: orders, method: POST, path: /orders, latency: 300ms }
  - { name: product, method: GET, path: /products }
metrics:
  requestDuration: http_request_duration_seconds
  requests: http_requests_total
  labels: { route: handler, method: method, status: code }
dependencies:
  - { name: inventory, timeout: 100ms, critical: true }
health: { window: 500ms }   # the composite's evidence window: max(500ms, 4 scrape intervals) = 2s
objectives:
  latency:
    - name: api-latency
      threshold: 200ms
      objective: 95%
      ${ALERTING}
  errors:
    objective: 99%
    ${ALERTING}
  availability:
    objective: 90%
    ${ALERTING}
`;

function rel(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

interface Case {
  name: 'shop' | 'shop-go';
  port: number;
  contract: Contract;
  evaluator: EmbeddedEvaluator;
  store: SeriesStore;
  step: () => number;
  embeddedIdle: () => Promise<unknown>;
  embeddedAt: number[];
  script: (step: number) => Batch;
  /** The counter series holding the server errors, and its final value. */
  serverSeries: string;
  close: () => Promise<void>;
}

/**
 * A scripted service: each scrape by Prometheus first serves the next step, then the embedded
 * scraper reads the same state (see the header).
 */
async function scriptedService(kind: 'sdk' | 'promhttp'): Promise<Case> {
  const registry = new client.Registry();
  const sdk = kind === 'sdk';
  const hist: client.Histogram<string> = sdk
    ? new client.Histogram({ name: 'http_server_request_duration_seconds', help: 'Request latency.', labelNames: ['method', 'route', 'status_class'], buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1], registers: [registry] })
    : new client.Histogram({ name: 'http_request_duration_seconds', help: 'A histogram of latencies for requests.', labelNames: ['handler', 'method', 'code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  const requests: client.Counter<string> = sdk
    ? new client.Counter({ name: 'http_server_requests_total', help: 'Finished requests.', labelNames: ['method', 'route', 'status_class', 'error_class'], registers: [registry] })
    : new client.Counter({ name: 'http_requests_total', help: 'A counter for requests to the wrapped handler.', labelNames: ['handler', 'method', 'code'], registers: [registry] });
  const histLabels = (method: string, route: string, status: number) => (sdk ? { method, route, status_class: `${Math.floor(status / 100)}xx` } : { handler: route, method, code: String(status) });
  const reqLabels = (method: string, route: string, status: number, cls: string) => (sdk ? { ...histLabels(method, route, status), error_class: cls } : histLabels(method, route, status));
  const script = sdk ? batch : goBatch;
  let step = 0;
  let embeddedIdle: Promise<unknown> = Promise.resolve();
  const embeddedAt: number[] = [];
  let scraper!: Scraper;
  const advance = () => {
    step++;
    if (step === 1) {
      for (const [method, route, status, cls] of sdk ? SERIES : GO_SERIES) {
        hist.zero(histLabels(method, route, status));
        requests.inc(reqLabels(method, route, status, cls), 0);
      }
    }
    for (const [method, route, seconds, n, status, cls] of script(step)) {
      for (let i = 0; i < n; i++) hist.observe(histLabels(method, route, status), seconds);
      requests.inc(reqLabels(method, route, status, cls), n);
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const fromPrometheus = (req.headers['user-agent'] ?? '').startsWith('Prometheus/');
      if (fromPrometheus) {
        await embeddedIdle; // the previous state has been read by both
        if (step < STEPS) advance();
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
  const url = `http://127.0.0.1:${port}`;
  const contract = parseContract(sdk ? CONTRACT(url) : GO_CONTRACT(url), 'slo.yaml').contract!;
  const store = new SeriesStore();
  scraper = new Scraper({ url: `${url}/metrics`, store, intervalMs: 500, timeoutMs: 2000 });
  const evaluator = new EmbeddedEvaluator(defineSlos(contract));
  // The health endpoint is UP throughout, as Prometheus' `up` of the target is 1.
  evaluator.setHealth(true);
  evaluator.attach(store);
  return {
    name: sdk ? 'shop' : 'shop-go',
    port,
    contract,
    evaluator,
    store,
    step: () => step,
    embeddedIdle: () => embeddedIdle,
    embeddedAt,
    script,
    serverSeries: sdk ? 'http_server_requests_total{error_class="server"}' : 'http_requests_total{code="500"}',
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('agreement: embedded engine vs a real Prometheus with the generated rules', () => {
  let bin: string | undefined;
  let prom: PrometheusServer | undefined;
  let api: PromqlClient;
  const cases = new Map<string, Case>();
  let started = 0;

  before(async () => {
    // Each case calls requireBinary (skip with the reason, or fail under CI) when it is missing.
    bin = findBinary('prometheus').path;
    if (bin === undefined) return;
    started = Date.now();
    for (const kind of ['sdk', 'promhttp'] as const) {
      const c = await scriptedService(kind);
      cases.set(c.name, c);
    }
    const sdk = cases.get('shop')!;
    const go = cases.get('shop-go')!;
    // Both rule sets in one file; the Go service's raw selectors are scoped to its job.
    const groups = [
      ...(parse(renderPrometheusRules(sdk.contract).text) as { groups: unknown[] }).groups,
      ...(parse(renderPrometheusRules(go.contract, { selector: 'job="shop-go"' }).text) as { groups: unknown[] }).groups,
    ];
    prom = await startPrometheus(bin, {
      config: [
        'global:',
        '  scrape_interval: 500ms',
        '  scrape_timeout: 400ms',
        '  evaluation_interval: 500ms',
        'rule_files: [rules.yml]',
        'scrape_configs:',
        '  - job_name: shop',
        `    static_configs: [{ targets: ["127.0.0.1:${sdk.port}"] }]`,
        '  - job_name: shop-go',
        `    static_configs: [{ targets: ["127.0.0.1:${go.port}"] }]`,
        '',
      ].join('\n'),
      files: { 'rules.yml': stringify({ groups }) },
    });
    api = new PromqlClient({ url: prom.url, timeoutMs: 5000 });
  });

  after(async () => {
    await prom?.stop();
    for (const c of cases.values()) await c.close();
  });

  const poll = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      assert.ok(Date.now() - started < 50_000, `timed out waiting for ${what}\n${prom!.logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Waits for the last scripted sample of a case in Prometheus and checks both sides hold every step. */
  async function lastSample(c: Case): Promise<{ tLast: number; maxOffset: number }> {
    let finalServer = 0;
    for (let s = 1; s <= STEPS; s++) for (const [, , , n, , cls] of c.script(s)) if (cls === 'server') finalServer += n;
    const tLast = await poll(`the last scripted sample of ${c.name}`, async () => {
      const r = await api.query(`${c.serverSeries}[1m]`, { time: Date.now() });
      if (r.resultType !== 'matrix' || r.result.length === 0) return undefined;
      const hit = r.result[0].values.find((p) => p.v === finalServer);
      return hit?.t;
    });
    await c.embeddedIdle();
    assert.equal(c.step(), STEPS);
    const samples = (await api.query(`count_over_time(${c.serverSeries}[1m])`, { time: tLast })) as { resultType: 'vector'; result: Array<{ value: number }> };
    assert.equal(samples.result[0].value, STEPS, 'Prometheus holds every scripted sample');
    // How far apart the two scrapes of one state were: Prometheus stamps at scrape start.
    const promTimes = (await api.query(`${c.serverSeries}[1m]`, { time: tLast })) as { resultType: 'matrix'; result: Array<{ values: Array<{ t: number }> }> };
    const offsets = promTimes.result[0].values.map((p) => Math.min(...c.embeddedAt.map((e) => Math.abs(e - p.t))));
    const maxOffset = Math.max(...offsets);
    assert.ok(maxOffset < 100, `the embedded scrapes trail Prometheus' by up to ${maxOffset}ms`);
    return { tLast, maxOffset };
  }

  /** Compares one SLO's recorded series with the embedded engine at the first evaluation >= 100ms after the last sample. */
  async function compare(c: Case, slo: string, tLast: number, report: string[], tolerance = 0.01): Promise<void> {
    const expectedAll = scripted(c.script, 2, STEPS);
    const expectedB = scripted(c.script, PHASE_B, STEPS);
    const sel = `{sloctl_service="${c.name}", sloctl_slo="${slo}"}`;
    const at = await poll(`an evaluation of ${c.name} ${slo} after the last sample`, async () => {
      const v = await api.scalar(`timestamp(sloctl:burn_rate:5s${sel})`, { time: Date.now() });
      return v !== undefined && v * 1000 >= tLast + 100 ? Math.round(v * 1000) : undefined;
    });
    assert.ok(at - tLast < 3000, `the evaluation compared is ${at - tLast}ms after the last sample; the 5s window must still hold phase B`);
    const rec = async (name: string) => {
      const v = await api.scalar(`${name}${sel}`, { time: at });
      assert.ok(v !== undefined, `${name}${sel} at ${at}`);
      return v;
    };
    const s = c.evaluator.evaluate(at).find((x) => x.name === slo)!;
    assert.ok(s.state === 'ok' || s.state === 'failing', `${c.name} ${slo}: ${s.state} ${s.reason ?? ''}`);
    const budget = 1 - s.objective;
    const events = slo !== 'availability';
    const prom1h = events ? { bad: await rec('sloctl:bad_events:increase1h'), total: await rec('sloctl:total_events:increase1h') } : undefined;
    const promBurn1m = await rec('sloctl:burn_rate:1m');
    const promBurn5s = await rec('sloctl:burn_rate:5s');
    const promRemaining = await rec('sloctl:error_budget_remaining:ratio');
    const tier = s.alerts!.tiers[0];
    const sli = (kind: 'all' | 'b') => (slo === 'errors' ? (kind === 'all' ? expectedAll : expectedB).errors : slo === 'api-latency' ? (kind === 'all' ? expectedAll : expectedB).latency : NaN);
    const pairs: Array<[string, number, number, number]> = [
      ['good/total over 1h', prom1h ? 1 - prom1h.bad / prom1h.total : 1 - (1 - promRemaining) * budget, s.current, sli('all')],
      ['burn rate over 1m', promBurn1m, tier.long!.burnRate, (1 - sli('all')) / budget],
      ['burn rate over 5s', promBurn5s, tier.short!.burnRate, (1 - sli('b')) / budget],
      ['budget remaining', promRemaining, s.budget!.remainingRatio, NaN],
    ];
    report.push(`${c.name} ${slo} at ${new Date(at).toISOString()} (${at - tLast}ms after the last sample):`);
    if (prom1h) report.push(`  events over 1h: Prometheus bad ${prom1h.bad.toFixed(3)} / total ${prom1h.total.toFixed(3)} (extrapolated ×${(prom1h.total / s.counts.total).toFixed(4)}); embedded bad ${s.counts.bad} / total ${s.counts.total}`);
    else report.push(`  samples of the composite over 1h: embedded ${s.counts.total} (one per scrape with every part known)`);
    if (!events) {
      // Availability: one composite sample per rule evaluation (Prometheus) or per scrape
      // (embedded). The script gives 10 intervals at 1 (phase A: every part met) and 20 at 0.375
      // (phase B: latency and success missed, health 0.3 held, divided by the measured weights 0.8:
      // the dependencies part is left out, no gauge), then k idle intervals at 1 until the compared
      // time. So the SLI over the run (the 1h and the 1m window both hold all of it) is
      // (17.5 + k) / (30 + k) for a whole k on each side: that holds only when
      // every sample is the script's. The two sides may differ by a sample at a window's edge: the
      // embedded engine's windows are whole 1s buckets, Prometheus' end (and start) exactly at the
      // evaluation. That moves a ratio of equally weighted samples, so beyond the sample-exact
      // checks the sides are compared within 1% only where they hold the same samples, and the 5s
      // window (its start edge cuts phase B) only for being made of whole 0.375 and 1 samples.
      const B = 0.3 / 0.8; // a phase-B sample
      const kOf = (v: number) => (10 + 20 * B - 30 * v) / (v - 1);
      const sliOfBurn = (b: number) => 1 - b * budget;
      const ks: Array<[string, number, number]> = [
        ['1h', kOf(pairs[0][1]), kOf(pairs[0][2])],
        ['1m', kOf(sliOfBurn(pairs[1][1])), kOf(sliOfBurn(pairs[1][2]))],
      ];
      for (const [w, kProm, kEmb] of ks) {
        report.push(`  composite samples over ${w}: the script's 30 plus idle ones: Prometheus +${kProm.toFixed(6)}, embedded +${kEmb.toFixed(6)}`);
        for (const [side, k] of [['Prometheus', kProm], ['embedded', kEmb]] as const) {
          assert.ok(Math.abs(k - Math.round(k)) < 1e-6 && Math.round(k) >= 0, `${side} over ${w}: the availability is not (17.5 + k) / (30 + k) for a whole k >= 0: a composite sample differs from the script's`);
        }
        assert.ok(Math.abs(Math.round(kProm) - Math.round(kEmb)) <= 1, `over ${w} the two sides hold ${kProm} and ${kEmb} idle samples`);
      }
      assert.equal(s.counts.total, 30 + Math.round(ks[0][2]));
      // The 5s window: b phase-B samples (0.375) and i idle ones (1), a whole number of each.
      const mix = (burn5: number) => {
        const bad = burn5 * budget; // 1 - v = 0.625 b / (b + i)
        // About 10 samples in 5s at 500ms: the count nearest 10 that fits (5 of 8 fits 10 of 16 too).
        const counts = Array.from({ length: 20 }, (_, j) => j + 1).sort((x, y) => Math.abs(x - 10) - Math.abs(y - 10));
        for (const n of counts) for (let b = 1; b <= n; b++) if (Math.abs(((1 - B) * b) / n - bad) < 1e-9) return `${b} at ${+B.toFixed(3)} + ${n - b} at 1`;
        return undefined;
      };
      for (const [side, v] of [['Prometheus', pairs[2][1]], ['embedded', pairs[2][2]]] as const) {
        const m = mix(v);
        assert.ok(m !== undefined, `${side}: the 5s availability burn ${v} is not made of whole phase-B and idle samples`);
        report.push(`  5s window, ${side}: ${m}`);
      }
      for (const [what, p, e] of pairs) report.push(`  ${what}: Prometheus ${p.toPrecision(10)}, embedded ${e.toPrecision(10)}, relative difference ${rel(p, e).toExponential(2)}`);
      if (Math.round(ks[0][1]) !== Math.round(ks[0][2])) return;
      pairs.splice(2, 1); // the 5s window: checked sample by sample above
    }
    for (const [what, p, e, expected] of pairs) {
      const d = rel(p, e);
      report.push(`  ${what}: Prometheus ${p.toPrecision(10)}, embedded ${e.toPrecision(10)}, relative difference ${d.toExponential(2)}${Number.isNaN(expected) ? '' : `, scripted ${expected.toPrecision(10)}`}`);
      assert.ok(d <= tolerance, `${c.name} ${slo} ${what}: Prometheus ${p} vs embedded ${e} differ by ${(d * 100).toFixed(3)}% (> ${tolerance * 100}%)`);
      if (!Number.isNaN(expected)) assert.ok(rel(e, expected) < 1e-9, `${c.name} ${slo} ${what}: embedded ${e} is not the scripted ${expected}`);
    }
    // The embedded engine counts whole events: exactly the script's steps 2..31.
    assert.ok(Number.isInteger(s.counts.total));
  }

  it('SDK labels: same good/total ratios, burn rates and budget within 1%', { timeout: 60_000 }, async (t) => {
    if (!requireBinary(t, 'prometheus')) return;
    const c = cases.get('shop')!;
    const { tLast, maxOffset } = await lastSample(c);
    const report: string[] = [`Prometheus ${prom!.url}; last scripted sample at ${new Date(tLast).toISOString()}; embedded scrapes trail by <= ${maxOffset}ms`];
    for (const slo of ['api-latency', 'errors']) await compare(c, slo, tLast, report);
    for (const line of report) t.diagnostic(line);
    if (process.env.SLOCTL_AGREEMENT_REPORT) console.log(report.join('\n'));
  });

  it('promhttp labels mapped in the contract: errors from the code label, POST at its own threshold, availability from its parts, within 1%', { timeout: 60_000 }, async (t) => {
    if (!requireBinary(t, 'prometheus')) return;
    const c = cases.get('shop-go')!;
    const { tLast, maxOffset } = await lastSample(c);
    const report: string[] = [`Prometheus ${prom!.url}; last scripted sample at ${new Date(tLast).toISOString()}; embedded scrapes trail by <= ${maxOffset}ms`];
    for (const slo of ['api-latency', 'errors', 'availability']) await compare(c, slo, tLast, report);
    // compare() checked the embedded numbers against the script, which weighs 500s 2.5, 503s 0.3,
    // 404s 1 and judges the POSTs (method="post") at 300ms: the rules agree with both.
    // The unmeasurable alert is written, and does not fire: every request series carries `code`.
    const pending = await api.query('ALERTS{sloctl_service="shop-go", alertname=~".*SLIUnmeasurable"}', { time: Date.now() });
    assert.equal(pending.resultType === 'vector' ? pending.result.length : -1, 0, 'no SLIUnmeasurable alert is pending or firing');
    for (const line of report) t.diagnostic(line);
    if (process.env.SLOCTL_AGREEMENT_REPORT) console.log(report.join('\n'));
  });
});
