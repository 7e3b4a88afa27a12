// Clocks that repeat or step back (issue 15, item 5). Sample order comes from a monotonic clock;
// a wall clock that stands still or jumps back (NTP, a resumed VM, a hand-set date) must neither
// crash the scraper, `status` or the gate's scrape loop, nor reorder or lose samples.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import client from 'prom-client';
import { parseContract } from '../src/contract/load.ts';
import { HTTP_ROLES } from '../src/contract/metric-names.ts';
import { EXIT, type CliContext } from '../src/cli/exit.ts';
import { runStatus } from '../src/cli/status.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';
import { monotonicClock, Scraper, type ScrapeReport } from '../src/observe/scraper.ts';
import { SeriesStore } from '../src/observe/series-store.ts';

// The CLI from the sources (bin/ may run a built dist/ that predates them).
const MAIN = new URL('../src/cli/main.ts', import.meta.url).href;

/** A wall clock that gives each value twice, then steps back a second: 1000, 1000, 0, 0, -1000, ... */
function badClock(start: number): () => number {
  let reads = 0;
  return () => start - Math.floor(reads++ / 2) * 1000;
}

/**
 * A service whose every GET /metrics first "serves" 100 good requests (GET /products/:id, 50 ms,
 * 200), so the numbers any scraper sees depend only on how many scrapes came before.
 */
async function testService() {
  const registry = new client.Registry();
  const hist = new client.Histogram({
    name: HTTP_ROLES.requestDuration.name, help: 'Request latency in seconds.',
    labelNames: ['method', 'route', 'status_class'], buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1], registers: [registry],
  });
  const requests = new client.Counter({
    name: HTTP_ROLES.requests.name, help: 'Finished requests.',
    labelNames: ['method', 'route', 'status_class', 'error_class'], registers: [registry],
  });
  const start = new client.Gauge({ name: 'process_start_time_seconds', help: 'Start time.', registers: [registry] });
  start.set(1_700_000_000);
  let batches = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      batches++;
      for (let i = 0; i < 100; i++) hist.observe({ method: 'GET', route: '/products/:id', status_class: '2xx' }, 0.05);
      requests.inc({ method: 'GET', route: '/products/:id', status_class: '2xx', error_class: 'none' }, 100);
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
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    batches: () => batches,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const contractText = (targetUrl: string) => `apiVersion: sloctl/v1
service: { name: shop }
target: { url: "${targetUrl}" }
window: 1h
bucket: 1m
scrapeInterval: 1s
routes:
  - { name: product, method: GET, path: /products/:id }
objectives:
  latency:
    - { name: api-latency, threshold: 200ms, objective: 95% }
  errors: { objective: 99% }
`;

const requestsTotal = (store: SeriesStore) => store.select(HTTP_ROLES.requests.name).at(0)!.samples();

describe('clocks that repeat or step back', () => {
  let svc: Awaited<ReturnType<typeof testService>>;
  let dir: string;
  before(async () => {
    svc = await testService();
    dir = mkdtempSync(join(tmpdir(), 'sloctl-clock-'));
    writeFileSync(join(dir, 'slo.yaml'), contractText(svc.url));
  });
  after(() => svc.close());

  it('monotonicClock reads the wall clock once and then only moves forward', () => {
    let mono = 50;
    const wall = badClock(1_000_000);
    const clock = monotonicClock(wall, () => mono);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      seen.push(clock());
      wall(); // the wall clock keeps repeating and stepping back meanwhile
      mono += 0.5;
    }
    assert.deepEqual(seen, [1_000_000, 1_000_000.5, 1_000_001, 1_000_001.5, 1_000_002, 1_000_002.5]);
  });

  it('the scraper loop keeps going on an injected clock that repeats and steps back, every sample kept in order', async () => {
    const reports: ScrapeReport[] = [];
    const N = 6;
    let done!: () => void;
    const enough = new Promise<void>((r) => { done = r; });
    const before = svc.batches();
    const scraper = new Scraper({
      url: `${svc.url}/metrics`,
      intervalMs: 5,
      timeoutMs: 5000,
      now: badClock(5_000_000),
      onScrape: (r) => {
        reports.push(r);
        if (reports.length === N) done();
      },
    });
    scraper.start();
    await enough;
    await scraper.stop();
    const n = reports.length;
    assert.ok(reports.every((r) => r.ok), 'every scrape read the target');
    assert.ok(reports.every((r, i) => i === 0 || r.at > reports[i - 1].at), `stamps strictly increase: ${reports.map((r) => r.at).join(', ')}`);
    assert.ok(reports.some((r) => r.clockStep !== undefined), 'the repeated and stepped-back stamps were seen and reported');
    assert.ok(reports.every((r) => r.ingest?.late === undefined && r.ingest?.outOfOrder === 0), 'nothing reached the store out of order');
    const samples = requestsTotal(scraper.store);
    assert.equal(samples.length, n, 'one sample per scrape, none dropped');
    // 100 requests per scrape: the counter moves by exactly 100 between consecutive samples.
    assert.deepEqual(samples.map((s) => s.v), Array.from({ length: n }, (_, i) => (before + i + 1) * 100));
    assert.equal(scraper.failures, 0);
  });

  it('explicit stamps that repeat or step back are moved forward by the time that really passed', async () => {
    const scraper = new Scraper({ url: `${svc.url}/metrics` });
    const stamps = [10_000, 10_000, 9_000, 20_000];
    const at: number[] = [];
    for (const s of stamps) {
      const r = await scraper.scrapeOnce(s);
      assert.equal(r.ok, true, r.error?.message);
      at.push(r.at);
    }
    assert.equal(at[0], 10_000);
    assert.ok(at[1] > 10_000 && at[2] > at[1], `moved forward: ${at.join(', ')}`);
    assert.equal(at[3], 20_000, 'a stamp after the previous one is kept as given');
    assert.equal(requestsTotal(scraper.store).length, 4);
  });

  it('the store refuses a late batch as a whole: nothing appended, nothing marked stale', () => {
    const store = new SeriesStore();
    const sample = (v: number) => ({ name: 'x_total', labels: {}, value: v, type: 'counter' as const });
    store.ingest({ at: 2000, samples: [sample(1), { name: 'y', labels: {}, value: 1, type: 'gauge' }] });
    const late = store.ingest({ at: 2000, samples: [sample(5)] });
    assert.deepEqual(late.late, { previousAt: 2000 });
    assert.equal(late.outOfOrder, 1);
    assert.equal(late.stale.length, 0);
    assert.equal(store.get('y', {})!.stale, false, 'a late batch without y does not make y stale');
    const lateFail = store.markAllStale(1000);
    assert.deepEqual(lateFail.late, { previousAt: 2000 });
    assert.equal(store.get('x_total', {})!.stale, false);
    const next = store.ingest({ at: 3000, samples: [sample(4)] });
    assert.equal(next.late, undefined);
    assert.deepEqual(store.get('x_total', {})!.samples(), [{ t: 2000, v: 1 }, { t: 3000, v: 4 }]);
    assert.equal(store.get('y', {})!.stale, true, 'an in-order batch without y still makes it stale');
  });

  it("the gate's service watch measures the span on its clock, whatever the injected clock does", async () => {
    const contract = parseContract(contractText(svc.url), 'slo.yaml').contract!;
    const watch = new ServiceWatch(contract, { metricsUrl: `${svc.url}/metrics`, intervalMs: 1000, timeoutMs: 2000, allowRemote: false, now: badClock(7_000_000) });
    const first = await watch.scrape();
    const marks = [first];
    for (let i = 0; i < 3; i++) marks.push(await watch.scrape());
    assert.ok(marks.every((m, i) => i === 0 || m.at > marks[i - 1].at), `marks in order: ${marks.map((m) => m.at).join(', ')}`);
    assert.deepEqual(watch.scrapeFailures, []);
    const view = watch.view(first);
    assert.equal(view.unavailable, undefined);
    assert.equal(view.requests, 300, 'three intervals of 100 requests');
    const errors = view.slos.find((s) => s.kind === 'errors');
    assert.equal(errors?.counts.total, 300);
    assert.equal(errors?.state, 'ok');
  });

  it('status (in process) reads a good service as OK on a wall clock that repeats and steps back', async () => {
    let stdout = '';
    let stderr = '';
    const ctx: CliContext = { exitCode: -1, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, cwd: dir, color: false };
    await runStatus('slo.yaml', { format: 'json', samples: '4', interval: '1ms', timeout: '5s' }, ctx, { now: badClock(Date.now()) });
    assert.equal(ctx.exitCode, EXIT.OK, stderr);
    const report = JSON.parse(stdout) as { slos: Array<{ name: string; state: string; total?: number }> };
    assert.deepEqual(report.slos.map((s) => s.state), ['ok', 'ok']);
  });

  it('status (a sloctl process) exits 0, not 1, when Date.now() repeats and steps back under it', async () => {
    // A preload that breaks the wall clock of the whole process before sloctl starts, and main()
    // run as bin/ runs it: an uncaught error would end the process with exit 1.
    const preload = join(dir, 'bad-clock.mjs');
    writeFileSync(preload, `const real = Date.now; const base = real(); let reads = 0;
Date.now = () => base - Math.floor(reads++ / 2) * 1000;
`);
    const runner = join(dir, 'sloctl.mjs');
    writeFileSync(runner, `const { main } = await import(${JSON.stringify(MAIN)});
process.exitCode = await main(process.argv);
`);
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--import', preload, runner, 'status', 'slo.yaml', '--samples', '4', '--interval', '1ms', '--format', 'json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.doesNotMatch(stderr, /RangeError|not after the previous scrape/);
    assert.equal(code, EXIT.OK, `exit ${code}\n${stderr}`);
    const report = JSON.parse(stdout) as { slos: Array<{ state: string }>; source: { scrapes: number; failures: number } };
    assert.deepEqual(report.slos.map((s) => s.state), ['ok', 'ok']);
    assert.equal(report.source.scrapes, 4);
    assert.equal(report.source.failures, 0);
  });
});
