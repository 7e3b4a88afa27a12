import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import client from 'prom-client';
import { EXIT } from '../src/cli/exit.ts';
import { runCli } from './helpers/cli.ts';
import { parseContract } from '../src/contract/load.ts';
import { renderPrometheusRules } from '../src/emit/prometheus.ts';
import { defineSlos } from '../src/evaluate/definitions.ts';
import { percentileAgainstCeiling, renderStatus } from '../src/evaluate/render.ts';
import { evaluateSlo, healthRows, type EventSource, type StatusReport } from '../src/evaluate/report.ts';
import { requireBinary, startPrometheus } from './helpers/prometheus.ts';

/** The CLI as users run it: main() maps errors to exit codes (src/errors.ts). */
async function run(args: string[], cwd: string) {
  const { code, stdout, stderr } = await runCli(args, cwd);
  // Progress lines ("sloctl status: sampling ...") apart from the messages the tests read exactly.
  const lines = stderr.split(/(?<=\n)/);
  const progress = lines.filter((l) => l.startsWith('sloctl status: ')).join('');
  return { code, stdout, stderr: lines.filter((l) => !l.startsWith('sloctl status: ')).join(''), progress };
}

/**
 * A service instrumented with prom-client the way sloctl's SDK names things. Its traffic is
 * scripted per scrape, not per second: every GET /metrics first "serves" one more batch of
 * requests, so the numbers any scraper sees depend only on how many scrapes came before.
 *
 * One batch: GET /products/:id 100 requests (95 in 50ms, 3 in 250ms, 2 failing in 600ms with a 500,
 * class server), POST /orders 10 requests in 250ms (good: the route's own threshold is 300ms).
 */
async function testService(options: { routeLabel?: boolean } = {}) {
  // Without the route label: prom-client with no `route` in labelNames, every route's requests in one series per status.
  const routed = options.routeLabel !== false;
  const registry = new client.Registry();
  const hist = new client.Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Request latency in seconds.',
    labelNames: routed ? ['method', 'route', 'status_class'] : ['method', 'status_class'],
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1],
    registers: [registry],
  });
  const requests = new client.Counter({
    name: 'http_server_requests_total',
    help: 'Finished requests.',
    labelNames: routed ? ['method', 'route', 'status_class', 'error_class'] : ['method', 'status_class', 'error_class'],
    registers: [registry],
  });
  const start = new client.Gauge({ name: 'process_start_time_seconds', help: 'Start time.', registers: [registry] });
  start.set(1_700_000_000);
  const serve = (method: string, route: string, seconds: number, n: number, status = 200, errorClass = 'none') => {
    const status_class = `${Math.floor(status / 100)}xx`;
    const r = routed ? { route } : {};
    for (let i = 0; i < n; i++) hist.observe({ method, ...r, status_class }, seconds);
    requests.inc({ method, ...r, status_class, error_class: errorClass }, n);
  };
  let batches = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      batches++;
      serve('GET', '/products/:id', 0.05, 95);
      serve('GET', '/products/:id', 0.25, 3);
      serve('GET', '/products/:id', 0.6, 2, 500, 'server');
      serve('POST', '/orders', 0.25, 10);
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
      return;
    }
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"UP"}');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    batches: () => batches,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const contractText = (targetUrl: string, window = '1h') => `apiVersion: sloctl/v1
service: { name: shop }
target: { url: "${targetUrl}" }
window: ${window}
bucket: 1m
scrapeInterval: 1s
routes:
  - { name: orders, method: POST, path: /orders, latency: 300ms }
  - { name: product, method: GET, path: /products/:id }
objectives:
  latency:
    - { name: api-latency, threshold: 200ms, objective: 95%, percentiles: { p95: 250ms } }
  errors: { objective: 99% }
`;

describe('sloctl status (scraping the target)', () => {
  let svc: Awaited<ReturnType<typeof testService>>;
  let dir: string;
  before(async () => {
    svc = await testService();
    dir = mkdtempSync(join(tmpdir(), 'sloctl-status-'));
    writeFileSync(join(dir, 'slo.yaml'), contractText(svc.url));
  });
  after(async () => {
    await svc.close();
  });

  it('scrapes the target and prints the ranked health table', async () => {
    const r = await run(['status', 'slo.yaml', '--samples', '3', '--interval', '10ms'], dir);
    assert.equal(r.code, EXIT.FAILED, r.stderr);
    // While it samples, stderr says so (stdout holds only the report).
    assert.equal(r.progress, `sloctl status: sampling ${svc.url}/metrics: 3 scrapes, 10ms apart (about 20ms)\nsloctl status: scrape 2 of 3\nsloctl status: scrape 3 of 3\n`);
    const quiet = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '10ms', '--no-progress'], dir);
    assert.equal(quiet.progress, '');
    const lines = r.stdout.split('\n');
    // A span under a second in ms with 3 significant digits ("57.8ms"), as every duration prints.
    assert.match(lines[0], new RegExp(`^shop: 2 SLOs from 3 scrapes of ${svc.url}/metrics over \\d+(\\.\\d+)?ms \\(`));
    // Two scrape intervals of one batch each (the first scrape only sets the baselines).
    const table = lines.slice(2, 6).join('\n');
    assert.match(table, /^#\s+SLO\s+SLI\s+WINDOW\s+OBJECTIVE\s+ACHIEVED\s+BUDGET LEFT\s+BURN\s+ALERT\s+BAD \/ TOTAL\s+STATE$/m);
    // WINDOW: what the counts cover, the first scrape (the baseline) to the last, as the headline says.
    const span = / over (\S+) \(/.exec(lines[0])![1];
    // errors: 2 server errors per batch weigh 2.5: 1 - (2 × 2 × 2.5) / 220 = 95.4545%; the budget
    // allows 2.2, 10 were spent: -354.55% left, the most urgent row.
    // ALERT: sloctl's own evaluation of the tiers; nothing was sent to anyone, so it "would fire".
    assert.match(table, new RegExp(`^1\\s+errors\\s+95\\.4545%\\s+${span.replace('.', '\\.')}\\s+99%\\s+96\\.42%\\s+-354\\.55%\\s+4\\.55x\\s+ticket would fire\\s+10 / 220\\s+FAILING$`, 'm'));
    // latency: GETs are good within 200ms (95 per batch), POST /orders within its own 300ms (10 per
    // batch): 210 / 220 = 95.4545% >= 95%, OK with 9.09% of the budget left.
    assert.match(table, /^\d\s+api-latency\s+95\.4545%\s+\S+\s+95%\s+100\.48%\s+9\.09%\s+0\.909x\s+ok\s+10 \/ 220\s+OK$/m);
    // p95: a value against its ceiling, not an achievement rate (ceiling / value). Per batch 95 GETs
    // in the 50 ms bucket, 3 GETs and 10 POSTs in (200 ms, 300 ms], 2 in (500 ms, 1 s]: rank 104.5 of
    // 110 interpolates to 200 + 100 × 9.5 / 13 = 273 ms. The 250 ms ceiling has no bucket and the
    // value lands in the bucket that holds it: histogram_quantile's interpolation cannot say which
    // side of the ceiling p95 is, so the row is UNKNOWN, naming the buckets and the one to add.
    const p95 = lines.find((l) => / api-latency p95 /.test(l)) ?? '';
    assert.match(p95, /^\d\s+api-latency p95\s+~273 ms\s+\S+\s+<= 250 ms\s+p95 ~273 ms \? 250 ms\s+n\/a\s+-\s+-\s+-\s+UNKNOWN: interpolated between le=0\.2 and le=0\.3 \(add a bucket at le=0\.25\)$/);
    assert.doesNotMatch(p95, /\d{3,}%/, "no achievement rate like 1997%");
  });

  it('--explain prints the arithmetic a user can check by hand', async () => {
    const r = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '1ms', '--explain'], dir);
    const text = r.stdout;
    assert.match(text, /errors: weighted success ≥ 99% of requests \(transient ×0\.3; client ×1; server ×2\.5; unclassified ×1; shed ×0\.3\)/);
    assert.match(text, /bad over the scrapes: server 2 × 2\.5 = 5\n/);
    assert.match(text, /scraped: 1 scrape interval\(s\) with data, covering \d+ms of the 1h window \(\S+ to \S+\); the rest of the window is unknown to sloctl/);
    assert.match(text, /events \(plain increases between scrapes, reset-corrected\): bad 5 of 110 requests; good = 110 - 5 = 105/);
    assert.match(text, /SLI = 1 - 5 \/ 110 = 95\.4545% \(objective 99%\)/);
    assert.match(text, /budget: allowed = \(1 - 99%\) × 110 = 1\.1 bad requests; spent 5; remaining 1\.1 - 5 = -3\.9 \(-354\.55% of the budget\)/);
    assert.match(text, /burn rate over the window = \(5 \/ 110\) \/ \(1 - 99%\) = 4\.55x/);
    assert.match(text, /good: http_server_request_duration_seconds_bucket\{le="0\.2"\} over \{method!="POST", route!="unmatched"\} or \{method="POST", route!="\/orders", route!="unmatched"\} \(all other routes\) \+ http_server_request_duration_seconds_bucket\{le="0\.3"\} over \{method="POST", route="\/orders"\} \(orders\)/);
    assert.match(text, /alert page-1m \(page: burn > 14\.4x over 1m and 1m/);
    assert.match(text, /window: rolling 1h, .*; data in 1 of its 60 buckets of 1m/);
  });

  it('--format json and markdown', async () => {
    const j = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '1ms', '--format', 'json'], dir);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.service, 'shop');
    assert.equal(doc.source.kind, 'scrape');
    const errors = doc.slos.find((s: { name: string }) => s.name === 'errors');
    assert.deepEqual([errors.counts.bad, errors.counts.total, errors.state], [5, 110, 'failing']);
    assert.equal(errors.explain, undefined, 'the arithmetic only with --explain');
    assert.equal(doc.health[0].name, 'errors');
    const m = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '1ms', '--format', 'markdown'], dir);
    assert.match(m.stdout, /^\| # \| SLO \| SLI \| WINDOW \| OBJECTIVE \|/m);
    assert.match(m.stdout, /^\| 1 \| errors \| 95\.4545% \|/m);
  });

  it('--target overrides the contract; a full metrics URL is used as is', async () => {
    writeFileSync(join(dir, 'no-target.yaml'), contractText(svc.url).replace(/target: .*\n/, ''));
    const r = await run(['status', 'no-target.yaml', '--target', `${svc.url}/metrics`, '--samples', '2', '--interval', '1ms'], dir);
    assert.match(r.stdout, new RegExp(`from 2 scrapes of ${svc.url}/metrics`));
    const none = await run(['status', 'no-target.yaml'], dir);
    assert.equal(none.code, EXIT.USAGE);
    assert.equal(none.stderr, 'sloctl: no target to read: pass --target URL, set target.url in no-target.yaml, or read through Prometheus with --prometheus URL\n');
  });

  it('an unreachable target is one line with the URL and what to do, exit 3', async () => {
    const gone = await testService();
    await gone.close();
    const r = await run(['status', 'slo.yaml', '--target', gone.url, '--samples', '2', '--interval', '1ms'], dir);
    assert.equal(r.code, EXIT.TARGET);
    assert.equal(r.stderr, `sloctl: scrape of ${gone.url}/metrics failed: connection refused; is the service running and listening on that port?\n`);
    assert.equal(r.stdout, '');
  });

  it('a target serving garbage is exit 3 with the located parser error', async () => {
    const bad = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html>\n<p>hi</p>\n');
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
    const r = await run(['status', 'slo.yaml', '--target', url, '--samples', '2', '--interval', '1ms'], dir);
    bad.close();
    assert.equal(r.code, EXIT.TARGET);
    assert.match(r.stderr, /^sloctl: scrape of http:\/\/127\.0\.0\.1:\d+\/metrics failed: not a valid exposition: line 1:1: expected a metric name or '#', found '<' \(and 1 more error\); is this the metrics endpoint\?\n$/);
  });

  it('bad flags and contracts are usage errors (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['status', 'slo.yaml', '--format', 'xml'], /--format must be table, json or markdown, got "xml"/],
      [['status', 'slo.yaml', '--samples', '1'], /--samples: must be at least 2 \(an increase needs two scrapes\), got 1/],
      [['status', 'slo.yaml', '--interval', '5 seconds'], /--interval: invalid duration "5 seconds"/],
      [['status', 'slo.yaml', '--target', 'http://10.0.0.1:8080'], /refusing to scrape http:\/\/10\.0\.0\.1:8080\/metrics: 10\.0\.0\.1 is not a loopback address/],
      [['status', 'slo.yaml', '--target', 'x', '--prometheus', 'http://127.0.0.1:9'], /--target and --prometheus are alternatives/],
      [['status', 'missing.yaml'], /cannot read missing\.yaml: no such file/],
      [['status', 'slo.yaml', '--prometheus', 'nope'], /--prometheus: "nope" is not an absolute URL/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args, dir);
      assert.equal(r.code, EXIT.USAGE, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    writeFileSync(join(dir, 'invalid.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x }\nobjectives:\n  errors: { objective: 150% }\n');
    const r = await run(['status', 'invalid.yaml'], dir);
    assert.equal(r.code, EXIT.USAGE);
    assert.match(r.stderr, /invalid\.yaml:4:/);
    assert.match(r.stderr, /sloctl: invalid\.yaml has 1 error: fix it/);
  });

  it('an unreachable Prometheus is one line, exit 3', async () => {
    const gone = await testService();
    await gone.close();
    const r = await run(['status', 'slo.yaml', '--prometheus', gone.url], dir);
    assert.equal(r.code, EXIT.TARGET);
    assert.equal(r.stderr, `sloctl: cannot reach Prometheus at ${gone.url}: connection refused; is it running, and is the port right?\n`);
  });
});

describe('sloctl status: series without a route label (prom-client without `route`)', () => {
  // One batch: GET /products/:id 95 in 50ms, 3 in 250ms, 2 in 600ms (500); POST /orders 10 in 250ms.
  // Without the route label, the selector for POST /orders at its own 300ms selects nothing and the
  // one for every other route selects all 110 requests at 200ms: 95 / 110 = 86.4%, FAILING, though
  // every POST was within its own threshold. The objective cannot be judged from these series.
  const text = (url: string, routes: string, threshold: string) => `apiVersion: sloctl/v1
service: { name: shop }
target: { url: "${url}" }
window: 1h
bucket: 1m
scrapeInterval: 1s
routes:
${routes}objectives:
  latency:
    - { name: api-latency, threshold: ${threshold}, objective: 95% }
  errors: { objective: 90% }
`;
  let svc: Awaited<ReturnType<typeof testService>>;
  before(async () => {
    svc = await testService({ routeLabel: false });
  });
  after(async () => {
    await svc.close();
  });

  it('a route with a threshold of its own: the latency SLO is UNKNOWN naming the metric, the label and the route (exit 4); errors over all routes is still judged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-status-noroute-'));
    writeFileSync(join(dir, 'slo.yaml'), text(svc.url, '  - { name: orders, method: POST, path: /orders, latency: 300ms }\n  - { name: product, method: GET, path: /products/:id }\n', '200ms'));
    const r = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '1ms', '--format', 'json'], dir);
    assert.equal(r.code, EXIT.INCONCLUSIVE, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as StatusReport;
    const latency = report.slos.find((x) => x.name === 'api-latency')!;
    assert.equal(latency.state, 'unknown');
    assert.equal(latency.alerts, undefined, 'no burn-rate alert from blended numbers');
    assert.equal(latency.reason, "the service's histogram http_server_request_duration_seconds has no `route` label (its series carry {method, status_class}), so it cannot tell the routes apart: latency api-latency's share would hold POST /orders to 200ms, not its own 300ms");
    const errors = report.slos.find((x) => x.kind === 'errors')!;
    // 2 server errors weigh 2.5: 1 - 5 / 110 = 95.45% >= 90%.
    assert.equal(errors.state, 'ok');
    assert.ok(report.notes?.some((n) => n.startsWith('not judged: latency api-latency: the service\'s histogram http_server_request_duration_seconds has no `route` label; to judge each route on its own, label the requests with the route template')), JSON.stringify(report.notes));
    const table = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '1ms'], dir);
    assert.match(table.stdout, /api-latency .*UNKNOWN: the service's histogram http_server_request_duration_seconds has no `route` label/);
  });

  it('every route at the objective\'s threshold: blended series still judge it (OK, exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-status-noroute-'));
    writeFileSync(join(dir, 'slo.yaml'), text(svc.url, '  - { name: orders, method: POST, path: /orders }\n  - { name: product, method: GET, path: /products/:id }\n', '300ms'));
    const r = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '1ms', '--format', 'json'], dir);
    assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as StatusReport;
    // 95 + 3 + 10 of 110 within 300ms.
    const latency = report.slos.find((x) => x.name === 'api-latency')!;
    assert.equal(latency.state, 'ok');
    assert.equal(latency.current, 108 / 110);
    assert.equal(report.notes, undefined);
  });
});

describe('sloctl status --prometheus (real Prometheus with the generated rules)', () => {
  it('reads the recording rules and agrees with the scripted traffic', async (t) => {
    const bin = requireBinary(t, 'prometheus');
    if (!bin) return;
    const svc = await testService();
    t.after(() => svc.close());
    const text = contractText(svc.url);
    const contract = parseContract(text, 'slo.yaml').contract!;
    const prom = await startPrometheus(bin, {
      config: `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: shop\n    static_configs: [{ targets: ["127.0.0.1:${svc.port}"] }]\n`,
      // Generated with the scrape job's selector: `status --selector` confirms it through the rules API.
      files: { 'rules.yml': renderPrometheusRules(contract, { selector: 'job="shop"' }).text },
    });
    t.after(() => prom.stop());
    // Wait (on a condition, not a fixed time) until the rules have recorded the SLO window over at
    // least three scrapes, and the ticket tiers' alert is pending (burn 4.55x > 3x; `for: 2m`).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await prom.query('sloctl:total_events:increase1h{sloctl_slo="errors"}');
      const pending = await prom.query('ALERTS{sloctl_slo="errors", alertstate="pending"}');
      if (svc.batches() >= 4 && r.length > 0 && Number(r[0].value[1]) > 0 && pending.length > 0) break;
      assert.ok(Date.now() < deadline, `no recorded series after 30s:\n${prom.logs()}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-status-prom-'));
    writeFileSync(join(dir, 'slo.yaml'), text);
    const r = await run(['status', 'slo.yaml', '--prometheus', prom.url, '--format', 'json', '--explain'], dir);
    // Without --selector the raw queries match every job's series: one warning line.
    assert.match(r.stderr, /^sloctl: warning: without a selector the raw queries match http_server_request_duration_seconds and http_server_requests_total of every job this Prometheus scrapes .*; set `metrics: \{ selector: 'job="shop"' \}` in the contract \(the service's scrape job\), or pass --selector 'job="shop"'\n$/);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.source.recordingRules, true);
    const by = Object.fromEntries(doc.slos.map((s: { name: string }) => [s.name, s]));
    // Extrapolation stretches good and total alike (same scrapes, same timestamps), so the ratios
    // are the scripted ones: 105/110 good by latency, 1 - 5/110 weighted success.
    assert.ok(Math.abs(by['api-latency'].current - 105 / 110) < 1e-9, String(by['api-latency'].current));
    assert.ok(Math.abs(by.errors.current - (1 - 5 / 110)) < 1e-9, String(by.errors.current));
    assert.match(by.errors.explain.join('\n'), /total over 1h: sloctl:total_events:increase1h\{sloctl_service="shop", sloctl_slo="errors"\} = /);
    assert.match(by.errors.explain.join('\n'), /burn rate over 1m: sloctl:burn_rate:1m\{sloctl_service="shop", sloctl_slo="errors"\} = /);
    const table = await run(['status', 'slo.yaml', '--prometheus', prom.url], dir);
    assert.match(table.stdout, /read from http:\/\/127\.0\.0\.1:\d+ \(recording rules\)/);
    // ALERT: Prometheus holds the ticket alert pending (its `for` has not passed): not "ticket".
    assert.match(table.stdout, /^1\s+errors\s+95\.4545%\s+1h\s+99%.*\s+ticket pending\s+/m);
    assert.deepEqual(by.errors.prometheusAlerts.map((a: { state: string; severity: string }) => [a.state, a.severity]), [['pending', 'ticket'], ['pending', 'ticket']]);

    // --selector as the rules were generated: the rules API confirms it, the recorded series are read.
    const same = await run(['status', 'slo.yaml', '--prometheus', prom.url, '--selector', 'job="shop"', '--format', 'json'], dir);
    assert.equal(same.stderr, '');
    const sameDoc = JSON.parse(same.stdout);
    assert.equal(sameDoc.source.recordingRules, true, JSON.stringify(sameDoc.notes));
    assert.ok(Math.abs(sameDoc.slos.find((s: { name: string }) => s.name === 'errors').current - (1 - 5 / 110)) < 1e-9);
    // Another selector: the recorded series (and alerts) of these rules cannot answer for it. Every
    // row reads the raw series with it (none here), none from the recorded ones.
    const other = await run(['status', 'slo.yaml', '--prometheus', prom.url, '--selector', 'job="nope"', '--format', 'json', '--explain'], dir);
    assert.equal(other.code, EXIT.INCONCLUSIVE, other.stdout);
    const otherDoc = JSON.parse(other.stdout);
    assert.equal(otherDoc.source.recordingRules, false);
    assert.deepEqual(otherDoc.slos.map((s: { state: string }) => s.state), ['unknown', 'unknown']);
    assert.match(otherDoc.notes[0], /the recording rules sloctl-shop-api-latency \(.*rules\.yml\), sloctl-shop-errors \(.*rules\.yml\) do not read job="nope"/);
    assert.doesNotMatch(otherDoc.slos.flatMap((s: { explain: string[] }) => s.explain).join('\n'), /sloctl:|ALERTS/);
  });
});

describe('status: a percentile objective reads as value against ceiling', () => {
  it('a fast route is "p95 10 ms ≤ 200 ms", not "achieved 1997%"; a slow one ">"; unmeasured n/a', () => {
    assert.equal(percentileAgainstCeiling('p95', 10.015, 200), 'p95 10.0 ms ≤ 200 ms');
    assert.equal(percentileAgainstCeiling('p95', 200, 200), 'p95 200 ms ≤ 200 ms');
    assert.equal(percentileAgainstCeiling('p99', 254.4, 200), 'p99 254 ms > 200 ms');
    assert.equal(percentileAgainstCeiling('p95', NaN, 200), 'p95 n/a (ceiling 200 ms)');
  });
});

describe('status: a weighted success below 0% reads as 0% and why; the number and the arithmetic stay', () => {
  it('1,120 weighted errors over 1,000 requests (server faults at 2.5): SLI "0% (weighted errors 1.12× the requests)", JSON -0.12', () => {
    const contract = parseContract(`apiVersion: sloctl/v1
service: { name: shop }
errorClasses:
  - { name: server, weight: 2.5, status: ["5xx"] }
objectives:
  errors: { objective: 99%, alerting: { page: false, ticket: false } }
`, 'slo.yaml').contract!;
    const def = defineSlos(contract).find((d) => d.kind === 'errors')!;
    const at = Date.UTC(2026, 11, 1);
    const counts = (start: number, end: number) => ({ good: -120, bad: 1120, total: 1000, start, end });
    const source: EventSource = { range: counts, over: (ms, end) => counts(end - ms, end), describe: () => [], countedBy: 'test counts', unit: 'requests' };
    const status = evaluateSlo(def, source, at);
    assert.ok(Math.abs(status.current - -0.12) < 1e-9, String(status.current));
    const report: StatusReport = { service: 'shop', at, source: { kind: 'prometheus', url: 'http://127.0.0.1:9090', recordingRules: true }, slos: [status], health: healthRows([status]) };
    const table = renderStatus(report, 'table', true);
    assert.match(table, /^1\s+errors\s+0% \(weighted errors 1\.12× the requests\)\s+\S+\s+99%\s/m);
    assert.match(renderStatus(report, 'markdown', false), /\| errors \| 0% \(weighted errors 1\.12× the requests\) \| [^|]+ \| 99% \|/);
    // The arithmetic stays true, and says why it is below 0.
    assert.match(table, /SLI = 1 - 1,120 \/ 1,000 = -12% \(objective 99%\); below 0%: the weighted errors outnumber the requests \(error classes weigh over 1\), shown as 0%/);
    assert.ok(Math.abs(JSON.parse(renderStatus(report, 'json', false)).slos[0].current - -0.12) < 1e-9);
  });
});

describe('sloctl status: availability right after start (few scrapes of the SDK gauge)', () => {
  // A service just started: 1,000 clean requests between scrapes, and the SDK's availability gauge
  // at 1 then 0.75 (its 10 s health window holds a burst from before the first scrape). A user
  // trial read `availability 83.3% 0.5 / 3 FAILING` (exit 1) beside `errors 0 / 2,000`, and
  // "availability: error budget overspent" under the table, from 3 scrapes.
  let server: Server;
  let dir: string;
  before(async () => {
    let scrapes = 0;
    server = createServer((req, res) => {
      if (req.url === '/metrics') {
        scrapes++;
        const requests = 1000 * scrapes;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end([
          '# TYPE http_server_requests_total counter',
          `http_server_requests_total{method="GET",route="/work",status_class="2xx",error_class="none"} ${requests}`,
          '# TYPE sloctl_availability gauge',
          `sloctl_availability ${scrapes === 1 ? 1 : 0.75}`,
          '',
        ].join('\n'));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"UP"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'sloctl-status-avail-'));
    writeFileSync(join(dir, 'slo.yaml'), `apiVersion: sloctl/v1
service: { name: fresh }
target: { url: "http://127.0.0.1:${(server.address() as AddressInfo).port}" }
health: { window: 10s }
routes:
  - { name: work, method: GET, path: /work }
objectives:
  errors: { objective: 99% }
  availability: { objective: 99.9% }
`);
  });
  after(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));

  it('3 scrapes: availability UNKNOWN with the samples it needs (exit 4, not 1), its cell says samples, the legend says what ACHIEVED and its samples are, no budget verdict under the table', async () => {
    const r = await run(['status', 'slo.yaml', '--samples', '3', '--interval', '10ms', '--no-progress'], dir);
    assert.equal(r.code, EXIT.INCONCLUSIVE, r.stdout);
    const row = r.stdout.split('\n').find((l) => /^\d\s+availability\s/.test(l)) ?? '';
    assert.match(row, /\s83\.3333%\s.*\s0\.5 \/ 3 samples\s+UNKNOWN: not measurable yet: objective 99\.9% allows 0\.001 bad samples in the 1 independent one the span held \(3 samples, 0\.5 bad, over [\d.]+ms, 1 independent observation: samples closer than the 10s health window the gauge judges count as one, since they judge the same span\), .* it needs at least 1,000 samples at least 10s apart \(2h47m of scraping/);
    assert.match(r.stdout, /^\d\s+errors\s+100%\s.*\s0 \/ 2,000\s+OK$/m);
    assert.match(r.stdout, /^ACHIEVED = SLI ÷ OBJECTIVE \(100% is exactly at it; a percentile row: its value against its ceiling\)\. WINDOW: the span sloctl watched\.$/m);
    assert.match(r.stdout, /^availability: one sample per scrape, the service's own composite over its last 10s \(health\.window\), so the first samples also judge requests from before the WINDOW the request rows count; samples under 10s apart judge the same requests and count as one observation of the 1,000 its objective needs\.$/m);
    assert.doesNotMatch(r.stdout, /availability: error budget/);
    const md = await run(['status', 'slo.yaml', '--samples', '2', '--interval', '10ms', '--no-progress', '--format', 'markdown'], dir);
    assert.match(md.stdout, /^ACHIEVED = SLI ÷ OBJECTIVE/m);
  });

  it('a burst of 150 scrapes 10 ms apart at 99% (the old rule\'s 100 samples and more): UNKNOWN with the observations it had and needs, not FAILING', async () => {
    // Before: `availability 75.17% 37.25 / 150 samples FAILING` (exit 1): 150 samples allowed 1.5 bad
    // ones, though all of them judged the same 10 s health window.
    writeFileSync(join(dir, 'burst.yaml'), readFileSync(join(dir, 'slo.yaml'), 'utf8').replace('availability: { objective: 99.9% }', 'availability: { objective: 99% }'));
    const r = await run(['status', 'burst.yaml', '--samples', '150', '--interval', '10ms', '--no-progress', '--format', 'json'], dir);
    assert.equal(r.code, EXIT.INCONCLUSIVE, r.stdout);
    const a = JSON.parse(r.stdout).slos.find((x: { kind: string }) => x.kind === 'availability');
    assert.equal(a.counts.total, 150);
    assert.equal(a.state, 'unknown');
    assert.match(a.reason, /^not measurable yet: objective 99% allows 0\.0[1-2] bad samples in the [12] independent ones? the span held \(150 samples, [\d.]+ bad, over [\d.]+s, [12] independent observations?: samples closer than the 10s health window the gauge judges count as one, since they judge the same span\), .* it needs at least 100 samples at least 10s apart \(16m40s of scraping/);
    assert.equal(a.thinSamples.needed, 100);
  });
});
