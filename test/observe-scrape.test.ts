import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { Scraper, ScrapeError, checkTargetUrl, isLoopbackHost, SCRAPE_ACCEPT } from '../src/observe/scraper.ts';
import { SeriesStore } from '../src/observe/series-store.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A target whose next answer the test sets; no timing involved. */
async function target(): Promise<{ url: string; set: (h: Handler) => void; body: (text: string, contentType?: string) => void; requests: IncomingMessage[]; close: () => Promise<void>; server: Server }> {
  let handler: Handler = (_req, res) => res.end('');
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    server,
    requests,
    set: (h) => {
      handler = h;
    },
    body: (text, contentType = 'text/plain; version=0.0.4; charset=utf-8') => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(text);
      };
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const exposition = (requests: number, errors: number, start = 1000) => `# HELP process_start_time_seconds Start time.
# TYPE process_start_time_seconds gauge
process_start_time_seconds ${start}
# HELP http_server_requests_total Requests.
# TYPE http_server_requests_total counter
http_server_requests_total{route="/a",error_class="none"} ${requests - errors}
http_server_requests_total{route="/a",error_class="server"} ${errors}
`;

describe('scraper', () => {
  let t: Awaited<ReturnType<typeof target>>;
  before(async () => {
    t = await target();
  });
  after(async () => {
    await t.close();
  });

  it('scrapes into the store with the injected time, negotiating OpenMetrics or text', async () => {
    const scraper = new Scraper({ url: t.url });
    t.body(exposition(10, 1));
    const r = await scraper.scrapeOnce(1_000_000);
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(r.at, 1_000_000);
    assert.equal(r.samples, 3);
    assert.equal(r.format, 'prometheus');
    assert.equal(t.requests.at(-1)!.headers.accept, SCRAPE_ACCEPT);
    const s = scraper.store.get('http_server_requests_total', { route: '/a', error_class: 'none' })!;
    assert.deepEqual(s.samples(), [{ t: 1_000_000, v: 9 }]);

    t.body(`# TYPE http_server_requests counter\nhttp_server_requests_total{route="/a",error_class="none"} 12.0\n# EOF\n`, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const r2 = await scraper.scrapeOnce(1_001_000);
    assert.equal(r2.format, 'openmetrics');
    assert.equal(s.lastIncrease, 3);
  });

  it('handles a restart: a dropped counter is a reset; a changed start time counts from zero', async () => {
    const scraper = new Scraper({ url: t.url });
    const inc = () => scraper.store.get('http_server_requests_total', { route: '/a', error_class: 'none' })!.lastIncrease;
    t.body(exposition(100, 0, 1000));
    await scraper.scrapeOnce(1000);
    t.body(exposition(150, 0, 1000));
    await scraper.scrapeOnce(2000);
    assert.equal(inc(), 50);
    // Restart, and the new process has already counted 7: the counter dropped.
    t.body(exposition(7, 0, 1500));
    let r = await scraper.scrapeOnce(3000);
    assert.deepEqual(r.restart, { previousStart: 1000, start: 1500 });
    assert.equal(r.ingest!.resets, 2, 'both counters of the restarted process');
    assert.equal(inc(), 7);
    // Restart again, and the new process already counted more than the old one had: no drop, but
    // the start time says so; PromQL's increase would say +13, the truth is +20.
    t.body(exposition(20, 0, 1600));
    r = await scraper.scrapeOnce(4000);
    assert.ok(r.restart);
    assert.equal(inc(), 20);
    assert.equal(scraper.restarts, 2);
  });

  it('marks series missing from a scrape stale', async () => {
    const scraper = new Scraper({ url: t.url });
    t.body(exposition(10, 1));
    await scraper.scrapeOnce(1000);
    t.body(exposition(12, 1).split('\n').filter((l) => !l.includes('error_class="server"')).join('\n'));
    const r = await scraper.scrapeOnce(2000);
    assert.deepEqual(r.ingest!.stale.map((s) => s.labels.error_class), ['server']);
    assert.equal(scraper.store.select('http_server_requests_total', [{ name: 'error_class', op: '=', value: 'server' }], { at: 2000 }).length, 0);
  });

  it('a garbage body fails the scrape with a located one-line error; nothing stored is lost', async () => {
    const scraper = new Scraper({ url: t.url });
    t.body(exposition(10, 1));
    await scraper.scrapeOnce(1000);
    t.body('<html>\n<body>Welcome</body>\n</html>\n', 'text/html');
    const r = await scraper.scrapeOnce(2000);
    assert.equal(r.ok, false);
    assert.ok(r.error instanceof ScrapeError);
    assert.equal(r.error.kind, 'garbage');
    assert.equal(r.error.message, `scrape of ${t.url} failed: not a valid exposition: line 1:1: expected a metric name or '#', found '<' (and 2 more errors); is this the metrics endpoint?`);
    assert.equal(r.error.parseErrors![0].line, 1);
    assert.doesNotMatch(r.error.message, /\n/);
    // A bad line in an otherwise fine exposition fails the scrape too, as in Prometheus.
    t.body(`${exposition(11, 1)}bad{a="b} 1\n`);
    const r2 = await scraper.scrapeOnce(3000);
    assert.equal(r2.error!.kind, 'garbage');
    assert.match(r2.error!.message, /line 8:7: unterminated value of label "a"/);
    // The first scrape's samples are still there; the series are stale after the failures.
    assert.deepEqual(scraper.store.get('http_server_requests_total', { route: '/a', error_class: 'none' })!.samples(), [{ t: 1000, v: 9 }]);
    assert.equal(scraper.failures, 2);
    assert.equal(scraper.store.select('http_server_requests_total', [], { at: 2000 }).length, 0);
  });

  it('an HTTP error is one line with the status and a hint', async () => {
    const scraper = new Scraper({ url: t.url });
    t.set((_req, res) => {
      res.writeHead(404);
      res.end('not found');
    });
    const r = await scraper.scrapeOnce(1000);
    assert.equal(r.error!.kind, 'http');
    assert.equal(r.error!.status, 404);
    assert.equal(r.error!.message, `scrape of ${t.url} failed: HTTP 404; check the metrics path (target.metrics in the contract)`);
  });

  it('times out on a target that never answers', async () => {
    const scraper = new Scraper({ url: t.url, timeoutMs: 150 });
    let release!: () => void;
    const hung = new Promise<void>((r) => {
      release = r;
    });
    t.set((_req, res) => {
      // Headers sent, body never finished: the overall timeout covers the body too.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a_total 1\n');
      void hung.then(() => res.end());
    });
    const r = await scraper.scrapeOnce(1000);
    release();
    assert.equal(r.error!.kind, 'timeout');
    assert.equal(r.error!.message, `scrape of ${t.url} timed out after 150ms; the target is up but slow or stuck (raise the timeout, or check the service)`);
    assert.equal(scraper.store.get('a_total', {}), undefined, 'a partial body is not ingested');
  });

  it('a refused connection is one line that says what to do', async () => {
    const t2 = await target();
    const url = t2.url;
    await t2.close();
    const scraper = new Scraper({ url });
    const r = await scraper.scrapeOnce(1000);
    assert.equal(r.error!.kind, 'refused');
    assert.equal(r.error!.message, `scrape of ${url} failed: connection refused; is the service running and listening on that port?`);
  });

  it('retries once when a kept-alive connection was closed under it, as Go net/http does', async () => {
    // The target drops the second request on each connection without answering: what a client
    // sees when the server closed an idle keep-alive connection just as it was reused.
    const seen = new WeakMap<object, number>();
    t.set((req, res) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      if (n === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(exposition(10, 1));
    });
    const agent = new Agent({ connections: 1 }); // its own pool: the test counts requests per connection
    after(() => agent.close());
    const scraper = new Scraper({ url: t.url, store: new SeriesStore(), dispatcher: agent });
    const first = await scraper.scrapeOnce(1000);
    assert.equal(first.ok, true, first.error?.message);
    const before = t.requests.length;
    const second = await scraper.scrapeOnce(2000);
    assert.equal(second.ok, true, second.error?.message);
    assert.equal(t.requests.length - before, 2, 'the dropped request and its one retry');

    // A target that drops every request is not retried forever: one retry, then the error.
    t.set((req) => req.socket.destroy());
    const n = t.requests.length;
    const third = await scraper.scrapeOnce(3000);
    assert.equal(third.ok, false);
    assert.equal(t.requests.length - n, 2);
    assert.match(third.error!.message, /check that the service is up/);
  });

  it('caps the body size', async () => {
    const scraper = new Scraper({ url: t.url, maxBodyBytes: 1000 });
    t.body(Array.from({ length: 200 }, (_, i) => `m_total{i="${i}"} 1`).join('\n'));
    const r = await scraper.scrapeOnce(1000);
    assert.equal(r.error!.kind, 'too-large');
  });

  it('a target over the per-scrape sample limit fails the scrape, like Prometheus sample_limit', async () => {
    const scraper = new Scraper({ url: t.url, parser: { maxSeries: 50 } });
    t.body(Array.from({ length: 60 }, (_, i) => `m_total{i="${i}"} 1`).join('\n'));
    const r = await scraper.scrapeOnce(1000);
    assert.equal(r.error!.kind, 'too-large');
    assert.match(r.error!.message, /line 51:1: more than maxSeries \(50\) samples; .*raise parser\.maxSeries, or reduce label cardinality\)$/);
    assert.equal(scraper.store.stats().series, 0);
  });

  it('refuses a non-loopback target unless allowRemote', () => {
    assert.throws(() => new Scraper({ url: 'http://10.1.2.3:8080/metrics' }), (e: unknown) => {
      assert.ok(e instanceof ScrapeError);
      assert.equal(e.kind, 'not-loopback');
      assert.equal(e.message, 'refusing to scrape http://10.1.2.3:8080/metrics: 10.1.2.3 is not a loopback address; sloctl reads only local targets unless told otherwise (pass --allow-remote to allow it)');
      return true;
    });
    assert.ok(new Scraper({ url: 'http://10.1.2.3:8080/metrics', allowRemote: true }));
    assert.throws(() => checkTargetUrl('127.0.0.1:8080'), /not an absolute URL/);
    assert.throws(() => checkTargetUrl('http://localhost:99999'), /port 99999 is out of range \(1-65535\)/);
    assert.throws(() => checkTargetUrl('ftp://127.0.0.1/'), /only http and https/);
    for (const h of ['127.0.0.1', '127.9.9.9', 'localhost', '[::1]', '::1', '[::ffff:7f00:1]', '::ffff:127.0.0.1', 'api.localhost']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['10.0.0.1', '128.0.0.1', 'example.com', '[::2]', '::ffff:10.0.0.1', '0.0.0.0', 'localhost.example.com']) assert.ok(!isLoopbackHost(h), h);
  });

  it('runs on timers with start/stop, each scrape stamped by the injected clock', async () => {
    let clock = 5_000_000;
    const reports: number[] = [];
    let done!: () => void;
    const three = new Promise<void>((r) => {
      done = r;
    });
    t.body(exposition(1, 0));
    const scraper = new Scraper({
      url: t.url,
      intervalMs: 20,
      // Not the default (the interval, 20 ms): a cold first request alone can take longer.
      timeoutMs: 5000,
      now: () => (clock += 7),
      store: new SeriesStore({ maxSeries: 10 }),
      onScrape: (r) => {
        reports.push(r.at);
        if (reports.length === 3) done();
      },
    });
    scraper.start();
    await three;
    await scraper.stop();
    const n = reports.length;
    assert.ok(n >= 3);
    assert.ok(reports.every((at, i) => i === 0 || at > reports[i - 1]));
    assert.equal(scraper.store.get('process_start_time_seconds', {})!.samples().length, n);
  });

  it('moves a timestamp that does not move forward past the previous one, and says so', async () => {
    const scraper = new Scraper({ url: t.url });
    t.body(exposition(1, 0));
    await scraper.scrapeOnce(2000);
    const r = await scraper.scrapeOnce(2000);
    assert.equal(r.ok, true);
    assert.ok(r.at > 2000, `stamped ${r.at}`);
    assert.deepEqual(r.clockStep, { requestedAt: 2000, previousAt: 2000 });
    assert.equal(r.ingest?.late, undefined);
    assert.equal(scraper.store.get('process_start_time_seconds', {})!.samples().length, 2);
  });
});
