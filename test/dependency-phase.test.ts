// The dynamic dependency verdict (issue 13, dependencies): the pure judge's outcomes and edges
// (PASS with the max and the bound; FAIL naming the routes worst first, a hang as "no answer";
// INCONCLUSIVE with no proxy, no traffic at the proxy, interrupted, a lag that explains it; a route's
// own p99 added to its bound), and
// the phase end to end: a real dependency server behind a FaultProxy, a node:http service with
// sloctl's SDK calling it through the proxy. With a 150 ms timeout and a fallback it passes; without
// a timeout it hangs and fails naming the route; with 300 ms of its own work it still passes; with a
// mix that never calls it, INCONCLUSIVE.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { instrument } from 'sloctl/sdk';
import { wrap } from 'sloctl/sdk/http';
import type { Contract } from '../src/contract/schema.ts';
import { FaultProxies, type FaultProxy } from '../src/faults/index.ts';
import type { GeneratorHealth } from '../src/measure/types.ts';
import { dependencyPhase } from '../src/run/dependency-phase.ts';
import { Rollback } from '../src/run/rollback.ts';
import {
  dependencyBoundMs, dependencyMarginMs, judgeDependencyTimeout, type DependencyRouteWindow, type DependencyTimeoutInput,
} from '../src/verdicts/dependency-timeout.ts';
import { contractFrom as contract } from './helpers/contract.ts';

function route(over: Partial<DependencyRouteWindow> = {}): DependencyRouteWindow {
  return { route: 'POST /orders', callsDependency: true, sent: 40, answered: 40, maxMs: 180, p99Ms: 170, overBound: 0, noAnswer: 0, failed: {}, ...over };
}

function input(over: Partial<DependencyTimeoutInput> = {}): DependencyTimeoutInput {
  return {
    dependency: { name: 'payments', timeoutMs: 150 },
    windowMs: 3000,
    clientTimeoutMs: 2000,
    rate: 50,
    routes: [route(), route({ route: 'GET /products/:id', callsDependency: false, sent: 110, answered: 110, maxMs: 20, p99Ms: 12 })],
    traffic: { connections: 9, requests: 40, bytesUp: 4000 },
    proxy: '127.0.0.1:40001',
    env: 'PAYMENTS_URL',
    mix: ['GET /products/:id (73%)', 'POST /orders (27%)'],
    declaredBy: ['POST /orders'],
    ...over,
  };
}

function lagging(over: Partial<GeneratorHealth> = {}): GeneratorHealth {
  return { requestedRate: 50, achievedRate: 49.5, lateSends: 30, lateThresholdMs: 10, maxLagMs: 400, droppedSends: 0, eventLoopDelayP99Ms: 300, cpu: 0.9, workers: 1, ok: false, reasons: ['late'], ...over };
}

describe('dependency timeout verdict (pure)', () => {
  it('the bound is the timeout plus max(250 ms, 50%)', () => {
    assert.equal(dependencyMarginMs(150), 250);
    assert.equal(dependencyBoundMs(150), 400);
    assert.equal(dependencyMarginMs(2000), 1000);
    assert.equal(dependencyBoundMs(10_000), 15_000);
  });

  it('passes with the worst max and the bound in the reason', () => {
    const v = judgeDependencyTimeout(input());
    assert.equal(v.outcome, 'pass', v.reason);
    assert.equal(v.verdict, 'pass');
    assert.equal(v.contract, 'dependencies');
    assert.equal(v.measured, 180);
    assert.equal(v.objective, 400);
    assert.equal(v.margin, 220);
    assert.match(v.reason, /with payments blackholed for 3\.0 s, every request was answered within 400 ms \(timeout 150 ms \+ margin 250 ms\): worst POST \/orders: max 180 ms, p99 170 ms over 40 answered; the proxy received 9 connections and 40 requests\./);
  });

  it('fails on a hang, naming the route with counts and times', () => {
    const v = judgeDependencyTimeout(input({ routes: [route({ answered: 28, overBound: 0, noAnswer: 12 }), route({ route: 'GET /products/:id', callsDependency: false, sent: 110, maxMs: 20 })] }));
    assert.equal(v.outcome, 'fail', v.reason);
    assert.equal(v.verdict, 'fail');
    assert.match(v.reason, /POST \/orders: 12 of 40 over 400 ms \(timeout 150 ms \+ 250 ms\), max 2\.0 s \(no answer; 12 got none within the load client's 2\.0 s\)/);
    assert.match(v.reason, /it hangs when payments does: give the call to payments a timeout of 150 ms/);
    assert.equal(v.routes?.length, 1);
    assert.equal(v.routes![0].route, 'POST /orders');
    assert.equal(v.measured, 2000);
    assert.ok(v.margin < 0);
  });

  it('fails on answers over the bound, routes worst first', () => {
    const v = judgeDependencyTimeout(input({
      routes: [
        route({ route: 'POST /refunds', overBound: 3, maxMs: 520, p99Ms: 500 }),
        route({ route: 'POST /orders', overBound: 40, maxMs: 1100, p99Ms: 1050 }),
        route({ route: 'GET /ok', maxMs: 90 }),
      ],
    }));
    assert.equal(v.outcome, 'fail', v.reason);
    assert.deepEqual(v.routes!.map((r) => r.route), ['POST /orders', 'POST /refunds']);
    assert.match(v.reason, /POST \/orders: 40 of 40 over 400 ms \(timeout 150 ms \+ 250 ms\), max 1\.1 s, p99 1\.1 s; POST \/refunds: 3 of 40/);
    assert.match(v.reason, /waits longer than its declared 150 ms/);
  });

  it('a route that does not call the dependency is not judged on time, but a hang there fails', () => {
    const slow = route({ route: 'GET /slow', callsDependency: false, overBound: 40, maxMs: 700 });
    assert.equal(judgeDependencyTimeout(input({ routes: [route(), slow] })).outcome, 'pass');
    const hung = judgeDependencyTimeout(input({ routes: [route(), { ...slow, noAnswer: 5, answered: 35 }] }));
    assert.equal(hung.outcome, 'fail', hung.reason);
    assert.match(hung.reason, /GET \/slow: \(not declared to call it\) 5 of 40/);
  });

  it('is inconclusive when the proxy saw no traffic, naming the mix and the route the contract says calls it', () => {
    const v = judgeDependencyTimeout(input({ traffic: { connections: 0, requests: 0, bytesUp: 0 }, mix: ['GET /products/:id (100%)'] }));
    assert.equal(v.outcome, 'inconclusive', v.reason);
    assert.equal(v.verdict, 'skipped');
    assert.ok(Number.isNaN(v.measured));
    assert.match(v.reason, /the proxy in front of payments \(127\.0\.0\.1:40001\) received no connection and no request during the 3\.0 s window/);
    assert.match(v.reason, /the mix has GET \/products\/:id \(100%\); the contract says POST \/orders calls payments: add it to load\.mix/);
    assert.match(v.reason, /check that the service reads its URL from PAYMENTS_URL/);
  });

  it('is inconclusive without a proxy, interrupted, or when the toxic could not be added', () => {
    const none = judgeDependencyTimeout(input({ unrunnable: { reason: 'it declares no url', fix: 'add url:' }, routes: [], traffic: undefined }));
    assert.equal(none.outcome, 'inconclusive');
    assert.match(none.reason, /payments was not blackholed: it declares no url; add url:/);
    const stopped = judgeDependencyTimeout(input({ interrupted: true, routes: [route({ noAnswer: 10, answered: 30 })] }));
    assert.equal(stopped.outcome, 'inconclusive');
    assert.match(stopped.reason, /^interrupted while payments was blackholed \(40 requests had been sent; POST \/orders: 10 of 40/);
    const apply = judgeDependencyTimeout(input({ applyError: 'toxic already exists', routes: [], traffic: undefined }));
    assert.equal(apply.outcome, 'inconclusive');
    assert.match(apply.reason, /toxic already exists/);
  });

  it('a lagging generator makes slow answers inconclusive, never a hang', () => {
    const slowish = [route({ overBound: 2, maxMs: 650, p99Ms: 600 })];
    const v = judgeDependencyTimeout(input({ routes: slowish, generator: lagging() }));
    assert.equal(v.outcome, 'inconclusive', v.reason);
    assert.match(v.reason, /^the load generator could not deliver the profile on time \(/);
    // The lag (400 ms) cannot take 1.5 s off the worst answer.
    assert.equal(judgeDependencyTimeout(input({ routes: [route({ overBound: 2, maxMs: 1500 })], generator: lagging() })).outcome, 'fail');
    // Nor explain a request with no answer within 2 s.
    assert.equal(judgeDependencyTimeout(input({ routes: [route({ noAnswer: 1, answered: 39 })], generator: lagging() })).outcome, 'fail');
    // Without a lag, the same slow answers fail.
    assert.equal(judgeDependencyTimeout(input({ routes: slowish })).outcome, 'fail');
  });

  it('one answer over the bound is a hiccup; two, or one past twice the bound, fail', () => {
    const one = judgeDependencyTimeout(input({ routes: [route({ sent: 105, answered: 105, overBound: 1, maxMs: 520, p99Ms: 180 })] }));
    assert.equal(one.outcome, 'pass', one.reason);
    assert.match(one.reason, /taken for a scheduling hiccup \(at most 1% of a route's requests, or 1, within twice the bound\): POST \/orders: 1 of 105 over 400 ms, max 520 ms/);
    assert.equal(judgeDependencyTimeout(input({ routes: [route({ sent: 105, answered: 105, overBound: 2, maxMs: 520 })] })).outcome, 'fail');
    assert.equal(judgeDependencyTimeout(input({ routes: [route({ sent: 105, answered: 105, overBound: 1, maxMs: 900 })] })).outcome, 'fail');
    assert.equal(judgeDependencyTimeout(input({ routes: [route({ sent: 300, answered: 300, overBound: 3, maxMs: 700 })] })).outcome, 'pass');
  });

  it('says when the service did not come back UP, without changing the outcome', () => {
    const v = judgeDependencyTimeout(input({ recovery: { up: false, afterMs: 40_000, detail: 'answered 503 DEGRADED, failing: payments: circuit breaker open' } }));
    assert.equal(v.outcome, 'pass');
    assert.equal(v.recovered, false);
    assert.match(v.reason, /did not answer UP within 40\.0 s \(health answered 503 DEGRADED, failing: payments: circuit breaker open\): the next phase starts on a service that has not recovered/);
    assert.equal(judgeDependencyTimeout(input({ recovery: { up: true, afterMs: 10, detail: 'answered 200 UP' } })).recovered, true);
  });

  it('a route slow by itself gets its own p99 added to its bound: the latency contract\'s business, not a missing timeout', () => {
    // The capacity-cap mutant: orders hold a slot 350 ms, so with payments blackholed they answer in ~500 ms.
    const slow = route({ maxMs: 510, p99Ms: 505, overBound: 0, ownMs: 352 });
    const v = judgeDependencyTimeout(input({ routes: [slow] }));
    assert.equal(v.outcome, 'pass', v.reason);
    assert.equal(v.objective, 752);
    assert.equal(v.measured, 510);
    assert.match(v.reason, /within 400 ms \(timeout 150 ms \+ margin 250 ms, plus each route's own p99 with it answering \(POST \/orders 352 ms\)\): worst POST \/orders: max 510 ms/);
    // Past its own bound it fails, and the bound says what it is made of.
    const over = judgeDependencyTimeout(input({ routes: [route({ maxMs: 1400, p99Ms: 1300, overBound: 30, ownMs: 352 })] }));
    assert.equal(over.outcome, 'fail', over.reason);
    assert.match(over.reason, /POST \/orders: 30 of 40 over 752 ms \(timeout 150 ms \+ 250 ms \+ its own p99 352 ms\), max 1\.4 s/);
    // The number carried is the route with the least room under its own bound.
    const two = judgeDependencyTimeout(input({ routes: [slow, route({ route: 'POST /refunds', maxMs: 380, p99Ms: 300 })] }));
    assert.equal(two.outcome, 'pass', two.reason);
    assert.equal(two.measured, 380);
    assert.equal(two.objective, 400);
  });

  it('names other failures without an answer beside the verdict', () => {
    const v = judgeDependencyTimeout(input({ routes: [route({ answered: 35, failed: { ECONNRESET: 5 } })] }));
    assert.equal(v.outcome, 'pass');
    assert.match(v.reason, /5 requests failed without an answer \(ECONNRESET 5\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end.

const contractText = (depPort: number, mix: string) => `apiVersion: sloctl/v1
service: { name: deptest, owner: team-test, runtime: node }
target: { url: http://127.0.0.1:1, health: /healthz, metrics: /metrics }
routes:
  - { name: call, method: POST, path: /call, dependencies: [pay] }
  - { name: plain, method: GET, path: /plain }
load:
  rate: 50/s
  duration: 3s
  timeout: 5s
  mix:
${mix}
dependencies:
  - { name: pay, url: "http://127.0.0.1:${depPort}", env: PAY_URL, timeout: 150ms, critical: false }
objectives:
  latency:
    - { name: api, threshold: 500ms, objective: 90% }
`;

const BOTH = '    - { route: call, weight: 1 }\n    - { route: plain, weight: 1 }';
const PLAIN_ONLY = '    - { route: plain, weight: 1 }';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A service that calls `pay` through the proxy on POST /call; with `timeoutMs`, falls back when it is late; `ownMs` of its own work first. */
async function service(c: Contract, proxy: FaultProxy, timeoutMs: number | undefined, ownMs = 0) {
  // A short health window: the hung calls of the violating build age out of it in seconds.
  const sdk = instrument({ contract: c, registry: new Registry(), defaultMetrics: false, health: { windowMs: 2000 } });
  return listen(wrap(async (req, res) => {
    if (req.method === 'POST' && req.url === '/call') {
      let body = 'charged';
      if (ownMs > 0) await new Promise((r) => setTimeout(r, ownMs));
      try {
        const r = await fetch(`http://${proxy.listen}/charge`, { method: 'POST', body: '{}', ...(timeoutMs !== undefined ? { signal: AbortSignal.timeout(timeoutMs) } : {}) });
        await r.text();
      } catch {
        body = 'queued'; // the fallback
      }
      res.end(body);
    } else if (req.url === '/plain') res.end('ok');
    else {
      res.writeHead(404);
      res.end();
    }
  }, sdk));
}

describe('dependency phase end to end', { timeout: 90_000 }, () => {
  let dep: Awaited<ReturnType<typeof listen>>;
  let proxies: FaultProxies;
  let proxy: FaultProxy;
  before(async () => {
    dep = await listen((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('{"id":"c1"}'), 5));
    });
    proxies = new FaultProxies();
    proxy = await proxies.create({ name: 'pay', upstream: `127.0.0.1:${dep.port}` });
  });
  after(async () => {
    await proxies.close();
    await dep.close();
  });

  it('a service with a 150 ms timeout and a fallback passes; the toxic is registered, then removed', async (t) => {
    const c = contract(contractText(dep.port, BOTH));
    const s = await service(c, proxy, 150);
    const rollback = new Rollback({ log: () => {} });
    const seenDuring: string[] = [];
    try {
      const [v] = await dependencyPhase({
        contract: c, url: s.url, proxies: new Map([['pay', proxy]]), rollback, rate: 200, seed: 3,
        log: (l) => { if (/blackholed for/.test(l)) seenDuring.push(`${proxy.toxics().length} toxics; pending: ${rollback.pending.join(' | ')}`); },
      });
      t.diagnostic(`${v.outcome}: ${v.reason}`);
      assert.equal(v.outcome, 'pass', v.reason);
      assert.equal(v.boundMs, 400);
      assert.ok(v.traffic!.connections + v.traffic!.requests > 0, JSON.stringify(v.traffic));
      const call = v.routeWindows.find((r) => r.route === 'POST /call')!;
      assert.ok(call.sent >= 50, JSON.stringify(call));
      assert.ok(call.maxMs >= 150 && call.maxMs < 400, JSON.stringify(call));
      assert.equal(v.recovered, true, v.reason);
      assert.match(seenDuring[0], /^2 toxics; pending: remove the blackhole/);
      assert.equal(proxy.toxics().length, 0);
      assert.deepEqual(rollback.pending, []);
    } finally {
      await s.close();
    }
  });

  it('a service without a timeout hangs: FAIL naming the route; each step said as it starts, the requests it waits on named', async (t) => {
    const c = contract(contractText(dep.port, BOTH));
    const s = await service(c, proxy, undefined);
    const lines: string[] = [];
    try {
      const [v] = await dependencyPhase({ contract: c, url: s.url, proxies: new Map([['pay', proxy]]), rollback: new Rollback({ log: () => {} }), rate: 50, seed: 3, recoveryTimeoutMs: 10_000, log: (l) => lines.push(l) });
      t.diagnostic(`${v.outcome}: ${v.reason}`);
      assert.equal(v.outcome, 'fail', v.reason);
      // What the phase waits on, in order: the plan, the blackhole with the client's timeout, the
      // hung requests once the window is over, the verdict (a user watching accept sees each).
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      const steps = [
        at(/^pay \(1 of 1, timeout 150 ms\): steady 2\.0 s at 50\/s with it answering .*then a 3\.0 s blackhole, then its health must say UP again$/),
        at(/^pay: each route's own p99 with it answering: /),
        at(/^pay: blackholed for 3\.0 s at 50\/s .*; a request still unanswered then gets up to 2\.0 s$/),
        at(/^pay: window over; \d+ requests? still unanswered, waiting up to 2\.0 s for (it|them)$/),
        at(/^pay: FAIL: /),
      ];
      assert.ok(steps.every((i) => i >= 0) && steps.every((i, k) => k === 0 || i > steps[k - 1]), `${JSON.stringify(steps)}:\n${lines.join('\n')}`);
      assert.deepEqual(v.routes?.map((r) => r.route), ['POST /call']);
      assert.match(v.reason, /POST \/call: \d+ of \d+ over 4\d\d ms \(timeout 150 ms \+ 250 ms( \+ its own p99 \d+ ms)?\), max 2\.0 s \(no answer/);
      const plain = v.routeWindows.find((r) => r.route === 'GET /plain')!;
      assert.equal(plain.noAnswer, 0, JSON.stringify(plain));
      assert.equal(proxy.toxics().length, 0);
    } finally {
      await s.close();
    }
  });

  it('interrupted mid-window: INCONCLUSIVE "interrupted", the toxic removed, nothing left for the rollback', async (t) => {
    const c = contract(contractText(dep.port, BOTH));
    const s = await service(c, proxy, undefined);
    const stop = new AbortController();
    const rollback = new Rollback({ log: () => {} });
    try {
      let t0 = NaN;
      const [v] = await dependencyPhase({
        contract: c, url: s.url, proxies: new Map([['pay', proxy]]), rollback, rate: 50, signal: stop.signal,
        log: (l) => {
          if (!/blackholed for/.test(l)) return;
          t0 = Date.now();
          setTimeout(() => stop.abort(), 500);
        },
      });
      t.diagnostic(`${v.outcome}: ${v.reason}`);
      assert.equal(v.outcome, 'inconclusive', v.reason);
      assert.match(v.reason, /^interrupted while pay was blackholed/);
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms after the blackhole`);
      assert.equal(proxy.toxics().length, 0);
      assert.deepEqual(rollback.pending, []);
    } finally {
      await s.close();
    }
  });

  it('a route with 300 ms of its own work and a 150 ms timeout passes, its own p99 measured first; without the steady window it would have failed', async (t) => {
    const c = contract(contractText(dep.port, BOTH));
    const s = await service(c, proxy, 150, 300);
    try {
      const [v] = await dependencyPhase({ contract: c, url: s.url, proxies: new Map([['pay', proxy]]), rollback: new Rollback({ log: () => {} }), rate: 50, seed: 3 });
      t.diagnostic(`${v.outcome}: ${v.reason}`);
      assert.equal(v.outcome, 'pass', v.reason);
      const call = v.routeWindows.find((r) => r.route === 'POST /call')!;
      assert.ok(call.ownMs! >= 300 && call.ownMs! < 400, JSON.stringify(call));
      assert.ok(call.maxMs > 400, `its answers (max ${call.maxMs} ms) are over the 400 ms bound without its own time: ${JSON.stringify(call)}`);
      assert.match(v.reason, /plus each route's own p99 with it answering \(POST \/call 3\d\d ms/);
      // The same numbers without the route's own time: a missing timeout, wrongly.
      const without = judgeDependencyTimeout({ dependency: { name: 'pay', timeoutMs: 150 }, windowMs: v.windowMs, clientTimeoutMs: v.clientTimeoutMs, rate: 50, traffic: v.traffic, routes: v.routeWindows.map((r) => ({ ...r, ownMs: undefined, overBound: r.route === 'POST /call' ? r.answered : r.overBound })) });
      assert.equal(without.outcome, 'fail', without.reason);
    } finally {
      await s.close();
    }
  });

  it('a mix that never calls the dependency is INCONCLUSIVE, naming the mix; no proxy is INCONCLUSIVE with the fix', async (t) => {
    const c = contract(contractText(dep.port, PLAIN_ONLY));
    const s = await service(c, proxy, 150);
    try {
      const [v] = await dependencyPhase({ contract: c, url: s.url, proxies: new Map([['pay', proxy]]), rollback: new Rollback({ log: () => {} }), rate: 50, seed: 3 });
      t.diagnostic(`${v.outcome}: ${v.reason}`);
      assert.equal(v.outcome, 'inconclusive', v.reason);
      assert.match(v.reason, /received no connection and no request during the 3\.0 s window \(\d+ requests sent to the service\)/);
      assert.match(v.reason, /the mix has GET \/plain \(100%\); the contract says POST \/call calls pay: add it to load\.mix/);
      const [none] = await dependencyPhase({ contract: c, url: s.url, proxies: new Map(), rollback: new Rollback({ log: () => {} }), rate: 50 });
      assert.equal(none.outcome, 'inconclusive');
      assert.match(none.reason, /no fault proxy stands in front of it .*--proxy pay=HOST:PORT/);
    } finally {
      await s.close();
    }
  });
});
