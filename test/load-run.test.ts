// The load generator against local test servers with known behaviour. Timing on this shared 2-core
// machine is noisy, so each accuracy check compares with what the server itself measured (its
// injected delays are timers, which fire late by a varying amount) and keeps a margin; see each test.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { Histogram, LoadConfigError, runLoad, type LoadOptions, type LoadProgress, type LoadResult } from '../src/load/index.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface TestServer {
  url: string;
  /** Requests received. */
  count: number;
  /** performance.now() of each request's arrival. */
  arrivals: number[];
  /** Time from arrival to the end of the answer, ms, as the server saw it (the truth of an injected delay). */
  handling: number[];
  paths: string[];
  close: () => Promise<void>;
  server: Server;
}

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function serve(handler: Handler): Promise<TestServer> {
  const t: TestServer = { url: '', count: 0, arrivals: [], handling: [], paths: [], close: async () => {}, server: undefined as unknown as Server };
  const server = createServer((req, res) => {
    const at = performance.now();
    t.count++;
    t.arrivals.push(at);
    t.paths.push(req.url ?? '');
    res.on('finish', () => t.handling.push(performance.now() - at));
    req.resume();
    handler(req, res, t.count);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.server = server;
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  servers.push(t);
  return t;
}

function options(url: string, extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    url,
    requests: [{ name: 'GET /', weight: 1, method: 'GET', path: '/' }],
    stages: [{ rate: 100, durationMs: 1000 }],
    connections: 64,
    timeoutMs: 5000,
    ...extra,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

/** Corrected latencies above a threshold, read from the result's histograms as the gate would. */
function countAbove(r: LoadResult, ms: number): number {
  return r.routes.reduce((a, route) => {
    const h = Histogram.fromJSON(route.histogram);
    return a + h.count - h.countAtOrBelowMs(ms);
  }, 0);
}

describe('runLoad: open model', () => {
  it('measures a known delay: p50 within 1 ms and p99 within 5% of what the server measured', async () => {
    // 20 ms per request, every 50th held 500 ms (2% of requests, so p99 falls among them), with timers:
    // other requests are not blocked. 200/s for 5 s = 1000 requests.
    const server = await serve((_req, res, n) => setTimeout(() => res.end('ok'), n % 50 === 0 ? 500 : 20));
    const r = await runLoad(options(server.url, { stages: [{ rate: 200, durationMs: 5000 }], connections: 128 }));
    assert.equal(r.completed, 1000);
    assert.equal(r.errors, 0);
    const truth50 = percentile(server.handling, 50);
    const truth99 = percentile(server.handling, 99);
    // The injection did what it says (timers fire late, never early by more than Node's 1 ms clock).
    assert.ok(truth50 >= 19 && truth50 < 23, `server p50 ${truth50}`);
    assert.ok(truth99 >= 499 && truth99 < 520, `server p99 ${truth99}`);
    // The client adds loopback and parsing (~0.1-0.3 ms here) and its send lag; 1 ms is the bound.
    assert.ok(Math.abs(r.latency.p50 - truth50) <= 1, `p50 ${r.latency.p50} vs server ${truth50.toFixed(3)}`);
    assert.ok(r.latency.p50 >= truth50 - 0.05, 'the client cannot see an answer before the server gives it');
    assert.ok(Math.abs(r.latency.p99 - truth99) <= 0.05 * truth99, `p99 ${r.latency.p99} vs server ${truth99.toFixed(3)}`);
    assert.ok(Math.abs(r.serviceTime.p50 - truth50) <= 1, `service p50 ${r.serviceTime.p50}`);
    assert.equal(r.generator?.droppedSends, 0);
  });

  it('shows a stalled server as the queue it causes, which the closed model hides', async () => {
    // The server holds every answer for 500 ms, 1 s after its first request, then releases them all.
    const stalled = async (): Promise<TestServer> => {
      let stalling = false;
      const held: ServerResponse[] = [];
      return serve((_req, res, n) => {
        if (n === 1) {
          setTimeout(() => {
            stalling = true;
            setTimeout(() => {
              stalling = false;
              for (const h of held.splice(0)) h.end('ok');
            }, 500);
          }, 1000);
        }
        if (stalling) held.push(res);
        else res.end('ok');
      });
    };
    const open = await runLoad(options((await stalled()).url, { stages: [{ rate: 200, durationMs: 2500 }], connections: 128 }));
    const closed = await runLoad(options((await stalled()).url, { stages: [{ rate: 'max', durationMs: 2500 }], connections: 4 }));
    assert.equal(open.model, 'open');
    assert.equal(closed.model, 'closed');
    // Open: every request due during the stall waits for its end, so those due in its first 400 ms wait
    // more than 100 ms: about 200/s × 0.4 s = 80 of them. Half of that leaves room for timer slop.
    const openSlow = countAbove(open, 100);
    assert.ok(openSlow >= 40, `open model: ${openSlow} requests above 100 ms`);
    assert.ok(open.latency.max >= 450, `open model max ${open.latency.max}`);
    // Closed: each of the 4 connections had one request caught by the stall; the rest were fast.
    const closedSlow = countAbove(closed, 100);
    assert.ok(closedSlow >= 1 && closedSlow <= 8, `closed model: ${closedSlow} requests above 100 ms (4 connections)`);
    assert.ok(closed.latency.max >= 450, `closed model max ${closed.latency.max}`);
    assert.ok(closed.completed > 20 * closedSlow, 'while it sent many more fast requests');
    assert.ok(open.latency.p95 > 50 && closed.latency.p99 < 50, `open p95 ${open.latency.p95}, closed p99 ${closed.latency.p99}`);
  });

  it('achieves the requested rate within 1% when the target keeps up, and says so', async () => {
    // Other processes on this shared machine (benchmarks) can deschedule the generator for 10-200 ms;
    // it then rightly reports late sends (not ok). So: up to 4 attempts (the first passes unless the
    // machine is overloaded), one of which must be clean. A generator that is systematically late
    // or slow fails them all.
    const failures: string[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const server = await serve((_req, res) => res.end('ok'));
      const progress: LoadProgress[] = [];
      const r = await runLoad(options(server.url, { stages: [{ rate: 500, durationMs: 5000 }], onProgress: (p) => progress.push(p) }));
      await server.close();
      // Whatever the machine did, every scheduled request is accounted for: sent and answered, or
      // dropped as too late (a generator descheduled past the run's end plus its late threshold
      // drops the rest, and says so: CI once saw 2,499 sent and 1 dropped), and the progress
      // reports came.
      assert.equal(r.sent + r.generator!.droppedSends, 2500);
      assert.equal(r.completed, r.sent);
      assert.ok(progress.length >= 3 && progress.length <= 6, `${progress.length} progress reports in 5 s`);
      assert.ok(progress.every((p, i) => i === 0 || p.elapsedMs > progress[i - 1].elapsedMs));
      assert.ok(progress.every((p) => p.requestedRate === 500 && p.totalMs === 5000));
      const g = r.generator!;
      // As the server saw it: one interval fewer than arrivals between its first and last arrival.
      const seen = ((server.arrivals.length - 1) / (server.arrivals.at(-1)! - server.arrivals[0])) * 1000;
      const rates = progress.slice(1).map((p) => p.rate);
      if (g.ok && r.sent === 2500 && g.droppedSends === 0 && Math.abs(g.achievedRate - 500) <= 5 && Math.abs(seen - 500) <= 5 && rates.every((x) => Math.abs(x - 500) < 50)) return;
      failures.push(`attempt ${attempt}: ok ${g.ok} (${g.reasons.join('; ')}), sent ${r.sent}, dropped ${g.droppedSends}, achieved ${g.achievedRate}/s, server saw ${seen.toFixed(2)}/s, progress rates ${rates.join(' ')}`);
    }
    assert.fail(failures.join('\n'));
  });

  it('reports a rate it cannot reach as not ok, bounded in time and memory', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const inFlight: number[] = [];
    const started = performance.now();
    const r = await runLoad(options(server.url, { stages: [{ rate: 200_000, durationMs: 1500 }], timeoutMs: 2000, onProgress: (p) => inFlight.push(p.inFlight) }));
    const took = performance.now() - started;
    const g = r.generator!;
    assert.equal(g.ok, false);
    assert.ok(g.reasons.some((x) => /achieved .* of 200000\/s requested/.test(x)), g.reasons.join('; '));
    assert.ok(r.sent > 0 && r.completed > 0, 'what was measured is returned');
    assert.ok(r.sent + g.droppedSends <= 300_000);
    assert.ok(took < 1500 + 2000 + 2000, `took ${took.toFixed(0)} ms`);
    assert.ok(inFlight.every((n) => n <= 10_000), `in flight ${Math.max(...inFlight)}`);
  });

  it('follows a ramp: the arrival rate grows as the schedule says', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    // 0 → 400/s over 1 s, then 400/s for 0.5 s: 200 + 200 requests; a quarter of the ramp's in its first half.
    const r = await runLoad(options(server.url, { stages: [{ rate: 0, to: 400, durationMs: 1000 }, { rate: 400, durationMs: 500 }] }));
    assert.equal(r.sent, 400);
    assert.equal(r.generator?.requestedRate, 266.667);
    // When request i was due: the ramp's N(t) = 200·t² inverted, then 400/s. The server's clock is
    // aligned to the schedule by the median lag over all 400 arrivals, not by the first arrival alone:
    // the first waits for a connection, and a late first arrival once shifted every window by 15 ms.
    const due = (i: number) => (i < 200 ? Math.sqrt(i / 200) * 1000 : 1000 + ((i - 200) / 400) * 1000);
    const arrived = [...server.arrivals].sort((a, b) => a - b);
    const lags = arrived.map((t, i) => t - due(i)).sort((a, b) => a - b);
    const t0 = lags[lags.length >> 1];
    // Each arrival against its own due time, not counts at a boundary: a 15 ms hiccup of a loaded CI
    // machine at t = 990 ms once carried 6 arrivals past the 1 s mark (194 of 200 "during the ramp").
    // A flat 266.7/s in place of the ramp would put most arrivals over 100 ms off.
    const off = arrived.map((t, i) => t - t0 - due(i));
    const onTime = off.filter((d) => Math.abs(d) <= 20).length;
    const worst = Math.max(...off.map(Math.abs));
    assert.ok(onTime >= 380, `${onTime} of 400 arrivals within 20 ms of their due time (worst ${worst.toFixed(1)} ms)`);
    const firstHalf = arrived.filter((t) => t - t0 < 500).length;
    assert.ok(Math.abs(firstHalf - 50) <= 10, `${firstHalf} arrivals in the first 0.5 s (expected 50; a flat rate would send 133)`);
  });

  it('counts statuses per route, 4xx/5xx as errors, and fills path parameters', async () => {
    const server = await serve((req, res) => {
      res.statusCode = req.url?.startsWith('/bad') ? 503 : 200;
      res.end('x'.repeat(20_000)); // a body to read (and discard) so the connection is reused
    });
    const r = await runLoad(
      options(server.url, {
        requests: [
          { name: 'item', weight: 3, method: 'GET', path: '/items/{id}', params: { id: 'int(1,3)' } },
          { name: 'bad', weight: 1, method: 'POST', path: '/bad', body: { a: 1 } },
        ],
        stages: [{ rate: 200, durationMs: 1000 }],
        connections: 8,
      }),
    );
    const item = r.routes.find((x) => x.name === 'item')!;
    const bad = r.routes.find((x) => x.name === 'bad')!;
    assert.equal(item.sent + bad.sent, 200);
    assert.deepEqual(item.statuses, { '200': item.sent });
    assert.deepEqual(bad.statuses, { '503': bad.sent });
    assert.deepEqual(bad.errors, {}, 'an answered error is a status, not a failure');
    assert.equal(r.errors, bad.sent);
    assert.deepEqual(r.statuses, { '200': item.sent, '503': bad.sent });
    assert.ok(bad.sent > 20 && item.sent > 100, `${item.sent} / ${bad.sent}`);
    assert.ok(server.paths.every((p) => /^\/items\/[123]$|^\/bad$/.test(p)));
    assert.equal(item.latency.count, item.completed);
    assert.equal(r.latency.count, 200);
  });
});

describe('runLoad: failures', () => {
  it('times a request out timeoutMs after its intended send and counts it', async () => {
    const server = await serve(() => {}); // never answers
    const started = performance.now();
    const r = await runLoad(options(server.url, { stages: [{ rate: 20, durationMs: 1000 }], timeoutMs: 200 }));
    const took = performance.now() - started;
    assert.equal(r.sent, 20);
    assert.equal(r.completed, 0);
    assert.equal(r.timeouts, 20);
    assert.equal(r.errors, 20);
    assert.deepEqual(r.routes[0].errors, { timeout: 20 });
    assert.equal(r.latency.count, 0, 'failures are counted, not timed');
    // The last request is due at 950 ms and times out at 1150 ms (+ the sweep period of 20 ms).
    assert.ok(took >= 1140 && took < 2500, `took ${took.toFixed(0)} ms`);
  });

  it('sends late, not drops, what a hiccup at the end of the window held back; drops only what is still due a quarter second later', async () => {
    // 100/s for 500 ms: 50 requests, the last due at ~490 ms; the late threshold is 20 ms. A busy
    // wait on this thread (the generator's) from ~460 ms holds the sender past 520 ms, the old
    // cut-off, where it once dropped a trial's last request (CI, 2026-12-06: 299 of 300 sent,
    // worst lag 6.7 ms, and the gate's FAIL became INCONCLUSIVE). Held to ~600 ms, the held-back
    // requests leave late and are counted late; held to ~900 ms (past 500 + 250 ms), the rest are
    // dropped, and the reason says the generator was behind, not that the target was slow.
    const hold = async (untilMs: number) => {
      const server = await serve((_req, res) => res.end('ok'));
      const started = performance.now();
      const blocker = setTimeout(() => { while (performance.now() < started + untilMs); }, 460);
      const r = await runLoad(options(server.url, { stages: [{ rate: 100, durationMs: 500 }] }));
      clearTimeout(blocker);
      await server.close();
      return { r, g: r.generator! };
    };
    const short = await hold(600);
    assert.equal(short.g.droppedSends, 0, short.g.reasons.join('; '));
    assert.equal(short.r.sent, 50);
    assert.equal(short.r.completed, 50);
    assert.ok(short.g.lateSends >= 1 && short.g.maxLagMs >= 60, `late ${short.g.lateSends}, worst ${short.g.maxLagMs} ms`);
    const long = await hold(900);
    assert.ok(long.g.droppedSends >= 1, `dropped ${long.g.droppedSends}, sent ${long.r.sent}`);
    assert.equal(long.r.sent + long.g.droppedSends, 50);
    assert.deepEqual(long.g.drops && { inFlight: long.g.drops.inFlight, behind: long.g.drops.behind }, { inFlight: 0, behind: long.g.droppedSends });
    assert.ok(long.g.drops!.behindMs >= 250, `behind ${long.g.drops!.behindMs} ms`);
    assert.match(long.g.reasons.join('; '), /never sent: the generator was still [\d.]+ ms behind schedule when the run's window had ended/);
  });

  it('counts the requests that waited for a free connection, and the timeouts that never got one', async () => {
    // 2 connections to a server answering in 20 ms carry ~100/s; asked for 200/s, the rest queue in
    // the generator, and those queued past the 150 ms timeout never reach the server.
    const server = await serve((_req, res) => setTimeout(() => res.end('ok'), 20));
    const r = await runLoad(options(server.url, { stages: [{ rate: 200, durationMs: 600 }], connections: 2, timeoutMs: 150 }));
    const waits = r.generator!.connectionWaits;
    assert.ok(waits && waits.waited > 0 && waits.connections === 2, JSON.stringify(r.generator));
    const queued = r.routes[0].queuedTimeouts ?? 0;
    assert.ok(queued > 0, JSON.stringify(r.routes[0].errors));
    assert.ok(queued <= (r.routes[0].errors.timeout ?? 0), `${queued} queued of ${r.routes[0].errors.timeout} timeouts`);
    // What never got a connection never reached the server.
    assert.ok(server.count <= r.sent - queued, `server saw ${server.count}, sent ${r.sent}, ${queued} never written`);
    // The wait is in the latency, not in the time on the wire.
    assert.ok(r.serviceTime.p50 < 60 && r.latency.p50 > r.serviceTime.p50 + 20, `latency p50 ${r.latency.p50}, service time p50 ${r.serviceTime.p50}`);
    // With connections to spare, nothing waits.
    const spare = await runLoad(options(server.url, { stages: [{ rate: 50, durationMs: 300 }], connections: 16, timeoutMs: 1000 }));
    assert.equal(spare.generator!.connectionWaits, undefined);
    assert.equal(spare.routes[0].queuedTimeouts, undefined);
  });

  it('counts a refused connection by its code, in both models', async () => {
    const gone = await serve(() => {});
    const url = gone.url;
    await gone.close();
    const open = await runLoad(options(url, { stages: [{ rate: 50, durationMs: 400 }] }));
    assert.equal(open.sent, 20);
    assert.equal(open.completed, 0);
    assert.deepEqual(open.routes[0].errors, { ECONNREFUSED: 20 });
    assert.equal(open.generator?.ok, true, 'the generator did its job; the target is what failed');
    const closed = await runLoad(options(url, { stages: [{ rate: 'max', durationMs: 300 }], connections: 2 }));
    assert.ok(closed.sent > 0 && closed.errors === closed.sent);
    assert.deepEqual(Object.keys(closed.routes[0].errors), ['ECONNREFUSED']);
  });

  it('refuses a non-loopback target unless allowed, and bad options, before sending anything', async () => {
    await assert.rejects(runLoad(options('http://192.0.2.7:8080')), (e: Error) => e instanceof LoadConfigError && /192\.0\.2\.7 is not a loopback address.*--allow-remote/.test(e.message));
    const bad: Array<[Partial<LoadOptions>, RegExp]> = [
      [{ url: 'localhost:8080' }, /not an absolute URL/],
      [{ url: 'ftp://127.0.0.1/' }, /only http and https/],
      [{ connections: 0 }, /connections must be a whole number >= 1, got 0/],
      [{ workers: 1.5 }, /workers must be a whole number/],
      [{ timeoutMs: -1 }, /timeoutMs must be a positive number/],
      [{ stages: [{ rate: -5, durationMs: 10 }] }, /load stage 1: rate/],
      [{ requests: [{ name: 'x', weight: 1, method: 'GET', path: '/{id}' }] }, /template "x": path \/\{id\} uses \{id\}/],
    ];
    for (const [extra, re] of bad) await assert.rejects(runLoad(options('http://127.0.0.1:9', extra)), (e: Error) => e instanceof LoadConfigError && re.test(e.message), String(re));
  });

  it('stops on its signal and returns what it measured', async () => {
    const stop = new AbortController();
    const server = await serve((_req, res, n) => {
      if (n <= 5) res.end('ok');
      if (n === 10) stop.abort(); // then nothing more is answered
    });
    const started = performance.now();
    const r = await runLoad(options(server.url, { stages: [{ rate: 100, durationMs: 10_000 }], signal: stop.signal }));
    const took = performance.now() - started;
    assert.ok(took < 2000, `stopped after ${took.toFixed(0)} ms`);
    assert.ok(r.durationMs < 1000, `durationMs ${r.durationMs}`);
    assert.equal(r.completed, 5);
    assert.ok(r.sent >= 10 && r.sent < 100, `sent ${r.sent}`);
    assert.equal(r.errors, 0, 'cancelled requests are not failures of the target');
    assert.ok(r.notes.some((n) => /requests in flight when the run was stopped were cancelled/.test(n)), r.notes.join('; '));
    assert.equal(r.generator?.ok, true, r.generator?.reasons.join('; '));
    // Already aborted: nothing is sent.
    const none = await runLoad(options(server.url, { signal: AbortSignal.abort() }));
    assert.equal(none.sent, 0);
  });
});
