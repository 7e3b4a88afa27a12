// The adaptive concurrency limit (src/sdk/protect/admission.ts, issue 12 item 2): the admission
// controller's queue and priorities, shed(), the five adapters answering 503 with Retry-After and
// recording the "shed" class, and the done-when line: overloaded at 3x its capacity, the
// highest-weight route keeps its latency objective while the lowest-weight route is shed.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import KoaRouter from '@koa/router';
import { serve, type ServerType } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';
import { AdmissionController, AdmissionState, limitSettings, type Admission, type Priority, type Rejection, type Ticket } from '../src/sdk/protect/admission.ts';
import type { Sdk } from '../src/sdk/instrument.ts';
import { instrumentForTest, metricValue } from '../src/sdk/testing.ts';
import { clientCounts } from '../src/verdicts/client-view.ts';
import sloctlFastify from '../src/sdk/adapters/fastify.ts';
import { middleware as expressMiddleware } from '../src/sdk/adapters/express.ts';
import { middleware as koaMiddleware } from '../src/sdk/adapters/koa.ts';
import { middleware as honoMiddleware } from '../src/sdk/adapters/hono.ts';
import { wrap } from '../src/sdk/adapters/http.ts';
import { runLoad } from '../src/load/index.ts';

function contractOf(yaml: string): Contract {
  const r = parseContract(yaml, 'slo.yaml');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), []);
  return r.contract!;
}

/** A contract with a high-weight and a low-weight route, a probe, and `limit` under objectives.concurrency. */
function twoRoutes(limit: string | undefined, extra = '', threshold = '100ms'): Contract {
  return contractOf(`apiVersion: sloctl/v1
service: { name: shop }
probes: [/readyz]
routes:
  - { name: checkout, method: GET, path: /high, weight: 5 }
  - { name: browse, method: GET, path: /low, weight: 1 }
${extra}objectives:
  latency:
    - { name: fast, threshold: ${threshold}, objective: 95% }
${limit === undefined ? '' : `  concurrency:\n    limit: ${limit}\n`}`);
}

/** Polls `cond` every 2 ms until it holds or `ms` pass (never a sleep standing in for an event). */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const isTicket = (a: Admission): a is Ticket => a.admitted;

describe('admission controller', () => {
  const HIGH: Priority = { weight: 5, route: '/high', template: '/high' };
  const LOW: Priority = { weight: 1, route: '/low', template: '/low' };

  it('is off without objectives.concurrency.limit, and its defaults are Gradient2\'s', () => {
    const off = new AdmissionController(twoRoutes(undefined));
    assert.equal(off.active, false);
    assert.equal(off.limit, undefined);
    const on = new AdmissionController(twoRoutes('{}'));
    assert.equal(on.active, true);
    assert.deepEqual(on.settings, { algorithm: 'gradient2', initial: 20, min: 20, max: 200, queueMs: 50, retryAfterMs: 1000 });
    assert.equal(on.limit, 20);
    // Only max given: min and initial follow it down.
    assert.deepEqual(limitSettings({ algorithm: 'gradient2', max: 8, queue: 50, retryAfter: 1000 }), { algorithm: 'gradient2', initial: 8, min: 8, max: 8, queueMs: 50, retryAfterMs: 1000 });
    assert.deepEqual(limitSettings({ algorithm: 'gradient2', min: 2, max: 40, queue: 50, retryAfter: 1000 }), { algorithm: 'gradient2', initial: 20, min: 2, max: 40, queueMs: 50, retryAfterMs: 1000 });
  });

  it('ranks routes by contract weight; routes outside the contract lowest; probes are never limited', () => {
    const a = new AdmissionController(twoRoutes('{}'));
    assert.deepEqual(a.priorityOf('GET', '/high?x=1'), { weight: 5, route: '/high', template: '/high' });
    assert.deepEqual(a.priorityOf('HEAD', '/low'), { weight: 1, route: '/low', template: '/low' });
    assert.deepEqual(a.priorityOf('POST', '/high'), { weight: -1, route: 'other', template: undefined });
    assert.deepEqual(a.priorityOf('GET', '/elsewhere'), { weight: -1, route: 'other', template: undefined });
    assert.equal(a.priorityOf('GET', '/readyz'), undefined);
  });

  it('at the limit: queues by weight, lets the highest in first, displaces the lowest from a full queue, sheds when full', async () => {
    const a = new AdmissionController(twoRoutes('{ initial: 2, min: 2, max: 2, queue: 10s, retryAfter: 1500ms }'));
    const t1 = a.admit(LOW) as Ticket;
    const t2 = a.admit(LOW) as Ticket;
    assert.ok(isTicket(t1) && isTicket(t2));
    assert.equal(a.inFlight, 2);
    const low = a.admit(LOW) as Promise<Admission>;
    const high = a.admit(HIGH) as Promise<Admission>;
    assert.ok(low instanceof Promise && high instanceof Promise);
    assert.equal(a.queued, 2);
    // The queue holds `limit` (2): a low arrival is shed at once ...
    const shed = a.admit(LOW) as Rejection;
    assert.equal(shed.admitted, false);
    assert.equal(shed.status, 503);
    assert.equal(shed.retryAfterSeconds, 2);
    assert.match(shed.reason, /limit \(2\) is reached and its queue is full/);
    // ... a high one displaces the queued low one.
    const high2 = a.admit(HIGH) as Promise<Admission>;
    const displaced = await low;
    assert.equal(displaced.admitted, false);
    assert.match((displaced as Rejection).reason, /displaced/);
    // A release lets the first high one in (highest weight first, first come first served).
    t1.finish(false);
    const h1 = await high;
    assert.ok(h1.admitted);
    assert.equal(a.queued, 1);
    t2.finish(false);
    assert.ok((await high2).admitted);
    assert.equal(a.queued, 0);
    assert.deepEqual(Object.fromEntries(a.shedCounts), { '/low': 2 });
    (h1 as Ticket).finish(false);
    // Released twice: counted once.
    (h1 as Ticket).finish(false);
    assert.equal(a.inFlight, 1);
  });

  it('says when the limit is halved by shedding', async () => {
    const a = new AdmissionController(twoRoutes('{ initial: 2, min: 2, max: 2, queue: 10s }'));
    a.shed(true, 'SIGUSR1');
    const t = a.admit(HIGH) as Ticket;
    const queued = a.admit(HIGH) as Promise<Admission>;
    const r = a.admit(LOW) as Rejection;
    assert.equal(r.admitted, false);
    assert.equal(r.reason, 'the concurrency limit (1) is reached and its queue is full, halved while shedding (SIGUSR1)');
    t.finish(false);
    ((await queued) as Ticket).finish(false);
    assert.equal(a.inFlight, 0);
  });

  it('sheds a request that waited `queue` for a slot', async () => {
    const a = new AdmissionController(twoRoutes('{ initial: 1, min: 1, max: 1, queue: 30ms }'));
    const t = a.admit(HIGH) as Ticket;
    const started = performance.now();
    const r = await (a.admit(HIGH) as Promise<Admission>);
    const waited = performance.now() - started;
    assert.equal(r.admitted, false);
    assert.match((r as Rejection).reason, /waited 30 ms for a slot under the concurrency limit \(1\)/);
    assert.ok(waited >= 25, `shed after ${waited.toFixed(1)} ms`);
    t.finish(false);
    assert.equal(a.inFlight, 0);
  });

  it('feeds the limit with each released request\'s latency and the in-flight count at its start', () => {
    const a = new AdmissionController(twoRoutes('{ initial: 4, min: 1, max: 50 }'));
    const tickets = [1, 2, 3, 4].map(() => a.admit(HIGH) as Ticket);
    for (const t of tickets) t.release(10, false); // in flight at start 1..4: the last two are >= 4 / 2
    assert.ok(Math.abs(a.limiter!.estimate - (4 + 0.8 * 3)) < 1e-9, `three samples at or above half the limit grew it by 0.8 each: ${a.limiter!.estimate}`);
    assert.equal(a.limit, 6);
  });

  it('ranks a request by the template it matches: a template without parameters over one with (/orders/latest over /orders/:id), rest templates, queries and HEAD', () => {
    const a = new AdmissionController(contractOf(`apiVersion: sloctl/v1
service: { name: shop }
routes:
  - { name: one, method: GET, path: '/orders/:id', weight: 1 }
  - { name: latest, method: GET, path: /orders/latest, weight: 7 }
  - { name: files, method: GET, path: '/files/*', weight: 2 }
objectives:
  latency: [{ name: fast, threshold: 100ms, objective: 95% }]
  concurrency: { limit: {} }
`));
    assert.equal(a.priorityOf('GET', '/orders/latest')?.weight, 7);
    assert.equal(a.priorityOf('HEAD', '/orders/latest?x=1')?.weight, 7);
    assert.equal(a.priorityOf('GET', '/orders/42')?.template, '/orders/:id');
    assert.equal(a.priorityOf('GET', '/files/a/b')?.template, '/files/*');
    assert.equal(a.priorityOf('GET', '/files/*')?.template, '/files/*', 'a literal * in a path is not an exact template');
    assert.equal(a.priorityOf('POST', '/orders/latest')?.route, 'other');
  });

  it('times a ticket from the caller\'s clock reading when it has one: no clock read for a request let in at once, one for a queued one', () => {
    let clock = 1000;
    let reads = 0;
    const a = new AdmissionController(twoRoutes('{ initial: 1, min: 1, max: 1, queue: 1s }'), { now: () => { reads++; return clock; } });
    const t = a.admit(HIGH, 500) as Ticket;
    assert.equal(t.startedAt, 500, 'timed from the reading it was given');
    assert.equal(reads, 0, 'let in at once: the controller did not read its clock');
    const st = new AdmissionState();
    st.ticket = t;
    st.end({ writableFinished: true } as ServerResponse, 542.5);
    assert.equal(a.limiter!.rtt, 42.5, 'the sample is end - startedAt, from the readings passed in');
    assert.equal(reads, 0);
    // Without a reading, as before: the ticket reads the clock at its start and at its end.
    const u = a.admit(HIGH) as Ticket;
    assert.equal(u.startedAt, 1000);
    clock = 1007;
    u.finish(false);
    assert.equal(a.limiter!.rtt, 7);
    assert.equal(reads, 2);
  });

  it('a queued request is timed from when it was let in, not from the reading it arrived with', async () => {
    let clock = 0;
    const a = new AdmissionController(twoRoutes('{ initial: 1, min: 1, max: 1, queue: 1s }'), { now: () => clock });
    const first = a.admit(HIGH, 0) as Ticket;
    const queued = a.admit(HIGH, 1) as Promise<Admission>;
    clock = 30;
    first.release(30, false);
    const second = await queued;
    assert.ok(isTicket(second));
    assert.equal(second.startedAt, 30, 'let in when the first left, at 30, not at its arrival (1)');
  });

  it('shed(on): halves the limit while on, and without a limiter rejects the lowest-weight routes at once', async () => {
    const a = new AdmissionController(twoRoutes('{ initial: 10, min: 10, max: 10 }'));
    a.shed(true, 'drift: latency');
    assert.equal(a.limit, 5);
    assert.equal(a.isShedding, true);
    const five = [1, 2, 3, 4, 5].map(() => a.admit(HIGH) as Ticket);
    assert.ok(five.every((t) => t.admitted));
    const full = a.admit(HIGH);
    assert.ok(full instanceof Promise, 'the sixth waits: the halved limit is 5');
    five[0].finish(false);
    assert.ok((await full).admitted);
    for (const t of five.slice(1)) t.finish(false);
    a.shed(false, 'recovered');
    assert.equal(a.limit, 10);

    const none = new AdmissionController(twoRoutes(undefined));
    assert.equal(none.active, false);
    none.shed(true, 'SIGUSR1');
    assert.equal(none.active, true);
    const r = none.admit(none.priorityOf('GET', '/low')!) as Rejection;
    assert.equal(r.admitted, false);
    assert.match(r.reason, /shedding \(SIGUSR1\)/);
    assert.equal((none.admit(none.priorityOf('GET', '/nowhere')!) as Rejection).admitted, false, 'outside the contract: lower still');
    assert.equal((none.admit(none.priorityOf('GET', '/high')!) as Ticket).admitted, true);
    none.shed(false, 'over');
    assert.equal(none.active, false);

    // Every contract route of one weight: only requests outside the contract are shed (not an outage).
    const flat = new AdmissionController(contractOf(`apiVersion: sloctl/v1
service: { name: flat }
routes:
  - { name: a, method: GET, path: /a }
  - { name: b, method: GET, path: /b }
`));
    flat.shed(true, 'drift');
    assert.equal((flat.admit(flat.priorityOf('GET', '/a')!) as Ticket).admitted, true);
    assert.equal((flat.admit(flat.priorityOf('GET', '/c')!) as Rejection).admitted, false);
  });
});

// ---------------------------------------------------------------------------------------------
// The five adapters: one app each, GET /high (weight 5), GET /low (weight 1), GET /readyz (probe).

interface Running {
  url: string;
  close(): Promise<void>;
}
type Handler = (path: string, query: URLSearchParams) => Promise<string>;
const urlOf = (s: Server | ServerType) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
const listen = (s: Server) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
const closeServer = (s: Server | ServerType) => new Promise<void>((resolve) => {
  (s as Server).closeAllConnections?.();
  s.close(() => resolve());
});
const PATHS = ['/high', '/low', '/readyz'];
const queryOf = (url: string) => new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');

async function startApp(adapter: string, sdk: Sdk, handle: Handler): Promise<Running> {
  switch (adapter) {
    case 'fastify': {
      const app = Fastify({ logger: false });
      await app.register(sloctlFastify, { sdk });
      for (const p of PATHS) app.get(p, async (req) => handle(p, queryOf(req.url)));
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: urlOf(app.server), close: async () => { app.server.closeAllConnections(); await app.close(); } };
    }
    case 'express': {
      const app = express();
      app.use(expressMiddleware(sdk));
      for (const p of PATHS) app.get(p, async (req, res) => { res.send(await handle(p, queryOf(req.originalUrl))); });
      const server = createServer(app);
      await listen(server);
      return { url: urlOf(server), close: () => closeServer(server) };
    }
    case 'koa': {
      const app = new Koa();
      app.use(koaMiddleware(sdk));
      const router = new KoaRouter();
      for (const p of PATHS) router.get(p, async (ctx) => { ctx.body = await handle(p, queryOf(ctx.originalUrl)); });
      app.use(router.routes());
      const server = createServer(app.callback());
      await listen(server);
      return { url: urlOf(server), close: () => closeServer(server) };
    }
    case 'hono': {
      const app = new Hono();
      app.use('*', honoMiddleware(sdk));
      for (const p of PATHS) app.get(p, async (c) => c.text(await handle(p, queryOf(c.req.url))));
      const server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      });
      return { url: urlOf(server), close: () => closeServer(server) };
    }
    case 'http': {
      const server = createServer(wrap(async (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0];
        if (!PATHS.includes(path)) {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.end(await handle(path, queryOf(req.url ?? '')));
      }, sdk));
      await listen(server);
      return { url: urlOf(server), close: () => closeServer(server) };
    }
  }
  throw new Error(`no adapter ${adapter}`);
}

const running: Running[] = [];
after(async () => {
  await Promise.all(running.map((r) => r.close()));
});

/** An app on `adapter` under `limit` whose handlers wait on `?hold` until `release()`; `entered()`: the handlers reached. */
async function heldApp(adapter: string, limit: string): Promise<{ sdk: Sdk; app: Running; release: () => void; entered: () => number }> {
  const sdk = instrumentForTest(twoRoutes(limit));
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let entered = 0;
  const app = await startApp(adapter, sdk, async (path, q) => {
    entered++;
    if (q.has('hold')) await gate;
    return `ok ${path}`;
  });
  running.push(app);
  return { sdk, app, release, entered: () => entered };
}

for (const adapter of ['fastify', 'express', 'koa', 'hono', 'http']) {
  describe(`limiter on ${adapter}`, () => {
    it('answers 503 with Retry-After and records the shed class under its route, lowest weight first; probes and health pass', async () => {
      const { sdk, app, release, entered } = await heldApp(adapter, '{ initial: 1, min: 1, max: 1, queue: 2s, retryAfter: 2s }');
      const get = (path: string) => fetch(app.url + path);

      const held = get('/high?hold=1');
      await until(() => entered() === 1, 'the first request to reach its handler');
      const queuedLow = get('/low');
      await until(() => sdk.admission.queued === 1, 'the low request to queue');
      const queuedHigh = get('/high');
      // The queue (limit 1) was full: the high request displaced the low one.
      const displaced = await queuedLow;
      assert.equal(displaced.status, 503);
      assert.equal(displaced.headers.get('retry-after'), '2');
      assert.equal(displaced.headers.get('sloctl-shed'), 'displaced from the queue by a request of higher weight', 'the shed mark the load generator classes by');
      assert.match(await displaced.text(), /^overloaded: displaced from the queue by a request of higher weight; retry after 2 s\n$/);
      // Full again, and a low arrival ranks below the queued high one: shed at once.
      const full = await get('/low');
      assert.equal(full.status, 503);
      assert.match(await full.text(), /queue is full/);
      // Probes and the SDK's own paths are never limited.
      assert.equal((await get('/readyz')).status, 200);
      assert.equal((await get('/metrics')).status, 200);
      assert.equal(entered(), 2, 'only the held request and the probe reached a handler');

      release();
      assert.equal((await held).status, 200);
      const high = await queuedHigh;
      assert.equal(high.status, 200);
      assert.equal(await high.text(), 'ok /high');
      await until(() => sdk.admission.inFlight === 0 && sdk.recorder.inFlight === 0, 'every ticket to be released');

      const reg = sdk.registry;
      assert.equal(await metricValue(reg, 'http_server_requests_total', { route: '/low', error_class: 'shed', status_class: '5xx' }), 2);
      assert.equal(await metricValue(reg, 'http_server_requests_total', { route: '/high', error_class: 'none' }), 2);
      assert.equal(await metricValue(reg, 'sloctl_shed_total', { route: '/low' }), 2);
      assert.equal(await metricValue(reg, 'sloctl_error_class_weight', { error_class: 'shed', good: 'false' }), 0.3);
      assert.equal(await metricValue(reg, 'sloctl_concurrency_limit'), 1);
      assert.equal(await metricValue(reg, 'sloctl_concurrency_queued'), 0);
      // Shedding is the service protecting itself: health is not judged on shed requests.
      const health = await sdk.health();
      assert.equal(health.checks.success.requests, 2, 'the two /high requests only');
    });

    it('feeds the limiter the latency the recorder measured: the same clock reads, none of its own', async () => {
      const sdk = instrumentForTest(twoRoutes('{ initial: 10, min: 10, max: 10 }'));
      const app = await startApp(adapter, sdk, async (path) => {
        await new Promise((r) => setTimeout(r, 15));
        return `ok ${path}`;
      });
      running.push(app);
      assert.equal((await fetch(app.url + '/high')).status, 200);
      await until(() => sdk.admission.inFlight === 0 && sdk.recorder.inFlight === 0, 'the request to be recorded and its ticket released');
      // The histogram's _sum for the route, back in ms.
      const recorded = 1000 * ((await metricValue(sdk.registry, 'http_server_request_duration_seconds_sum', { route: '/high' })) ?? 0);
      const sample = sdk.admission.limiter!.rtt;
      assert.ok(recorded >= 14, `recorded ${recorded} ms for a 15 ms handler`);
      // A ticket reading its own clock would differ from the recorder's duration by the time between the reads.
      assert.ok(Math.abs(sample - recorded) < 1e-9, `the limiter's sample ${sample} ms is the recorded ${recorded} ms`);
    });

    it('without a limit: nothing is asked, and sdk.admission.shed(true) answers the lowest-weight route 503 at once until shed(false)', async () => {
      const sdk = instrumentForTest(twoRoutes(undefined));
      assert.equal(sdk.admission.active, false);
      assert.equal(sdk.registry.getSingleMetric('sloctl_concurrency_limit'), undefined, 'no limit gauge without a limit');
      const app = await startApp(adapter, sdk, async (path) => `ok ${path}`);
      running.push(app);
      const get = (path: string) => fetch(app.url + path);
      assert.equal((await get('/low')).status, 200);
      sdk.admission.shed(true, 'SIGUSR1');
      const shed = await get('/low');
      assert.equal(shed.status, 503);
      assert.equal(shed.headers.get('retry-after'), '1');
      assert.match(await shed.text(), /^overloaded: shedding \(SIGUSR1\); retry after 1 s\n$/);
      assert.equal((await get('/high')).status, 200);
      assert.equal((await get('/readyz')).status, 200);
      sdk.admission.shed(false, 'recovered');
      assert.equal((await get('/low')).status, 200);
      await until(() => sdk.recorder.inFlight === 0, 'every request to be recorded');
      assert.equal(await metricValue(sdk.registry, 'http_server_requests_total', { route: '/low', error_class: 'shed' }), 1);
      assert.equal(await metricValue(sdk.registry, 'http_server_requests_total', { route: '/low', error_class: 'none' }), 2);
      assert.equal(await metricValue(sdk.registry, 'sloctl_shed_total', { route: '/low' }), 1);
    });

    // HTTP/1.1 pipelining: Node hands all three requests over at once and queues the responses of
    // the second and third; when the client hangs up first, Node emits neither 'finish' nor
    // 'close' for a queued response. Each must still end, and give its slot back: else pipelining
    // and hanging up, again and again, leaves the limiter full and every request shed.
    it('pipelined requests whose connection closes before their turn end as aborted and give their slots back', async () => {
      const { sdk, app, release, entered } = await heldApp(adapter, '{ initial: 2, min: 2, max: 2, queue: 10s }');
      try {
        const socket = connect(Number(new URL(app.url).port), '127.0.0.1');
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.on('error', () => {});
        socket.write('GET /high?hold=1 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3));
        // Two let in under the limit of 2 (the second's response queued behind the first's), the third queued by the limiter.
        await until(() => entered() === 2 && sdk.admission.queued === 1, 'two requests in their handlers and one in the limiter\'s queue');
        assert.equal(sdk.recorder.inFlight, 3);
        socket.destroy();
        await until(() => sdk.recorder.inFlight === 0, 'the three abandoned requests to be ended');
        // The handlers now answer into responses nobody will read; the queued one is let in after its request ended: given back unused.
        release();
        await until(() => sdk.admission.inFlight === 0 && sdk.admission.queued === 0, `every slot to be given back (in flight ${sdk.admission.inFlight}, queued ${sdk.admission.queued})`);
        assert.equal(entered(), 2, 'the request that ended while queued never reached its handler');
        assert.equal(await metricValue(sdk.registry, 'http_server_requests_total', { route: '/high', status_class: 'aborted' }), 3);
        // The limiter is whole: two more requests at once are both let in.
        const [a, b] = await Promise.all([fetch(`${app.url}/high`), fetch(`${app.url}/low`)]);
        assert.deepEqual([a.status, b.status], [200, 200]);
      } finally {
        release();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The done-when line: overloaded at 3x its capacity, the highest-weight route keeps its latency
// objective while the lowest-weight route is shed.

/** A resource with `slots` parallel users, each holding it `ms`: the service's known capacity (slots / ms). */
class Resource {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly slots: number, private readonly ms: number) {}
  async use(): Promise<void> {
    if (this.busy < this.slots) this.busy++;
    else await new Promise<void>((r) => this.waiting.push(r));
    await new Promise((r) => setTimeout(r, this.ms));
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.busy--;
  }
}

async function resourceService(sdk: Sdk): Promise<Running> {
  const resource = new Resource(2, 20);
  const app = Fastify({ logger: false });
  await app.register(sloctlFastify, { sdk });
  for (const p of ['/high', '/low']) {
    app.get(p, async () => {
      await resource.use();
      return 'ok';
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const r = { url: urlOf(app.server), close: async () => { app.server.closeAllConnections(); await app.close(); } };
  running.push(r);
  return r;
}

describe('limiter under overload (issue 12 done-when)', () => {
  it('at 3x capacity, the weight-5 route keeps its latency objective while the weight-1 route is shed', async (t) => {
    const THRESHOLD_MS = 200;
    const OBJECTIVE = 0.95;
    // max 6: three times the resource's 2 slots. Gradient2 follows latency *change*: under an
    // overload that lasts, its long-run average catches up with the queueing latency and the
    // limit climbs to max (measured with 10 ms slots: at max 16 it sat at 16 and the weight-5 route
    // kept only 56% within 100 ms; at max 8, 91%), so max is where the operator says how much
    // queueing the service may hold.
    const contract = twoRoutes('{ initial: 4, min: 2, max: 6 }', '', '200ms');
    assert.equal(contract.objectives.latency![0].threshold, THRESHOLD_MS);
    assert.equal(contract.objectives.latency![0].objective, OBJECTIVE);

    // Capacity, measured: the same service without a limit, every connection busy.
    const bare = await resourceService(instrumentForTest(twoRoutes(undefined)));
    const cap = await runLoad({
      url: bare.url, requests: [{ name: 'high', weight: 1, method: 'GET', path: '/high' }],
      stages: [{ rate: 'max', durationMs: 1500 }], connections: 8, timeoutMs: 5000,
    });
    const capacity = cap.throughput;
    t.diagnostic(`capacity (2 slots x 20 ms, no limit, 8 connections busy): ${capacity.toFixed(0)} req/s`);
    assert.ok(capacity > 40 && capacity < 105, `a 2 x 20 ms resource serves about 95 req/s, measured ${capacity.toFixed(0)}`);

    const rate = Math.round(3 * capacity);
    const { Histogram } = await import('../src/measure/histogram.ts');
    type Row = (typeof cap.routes)[number];
    const within = (x: Row) => Math.min(Histogram.fromJSON(x.histogram).countAtOrBelowMs(THRESHOLD_MS), x.statuses['200'] ?? 0) / x.sent;
    const shed = (x: Row) => (x.statuses['503'] ?? 0) / x.sent;
    const describeRow = (name: string, x: Row) => `${name}: sent ${x.sent}, 200 ${x.statuses['200'] ?? 0}, 503 ${x.statuses['503'] ?? 0}, failed ${Object.values(x.errors).reduce((a, b) => a + b, 0)}; ` +
      `within ${THRESHOLD_MS} ms ${(within(x) * 100).toFixed(1)}%, p50 ${x.latency.p50.toFixed(1)} ms, p95 ${x.latency.p95.toFixed(1)} ms, p99 ${x.latency.p99.toFixed(1)} ms`;
    // A quarter of the arrivals are to the weight-5 route: 0.75x capacity, which fits; the rest,
    // 2.25x capacity, is the weight-1 route's.
    const mix = [
      { name: 'high', weight: 1, method: 'GET', path: '/high' },
      { name: 'low', weight: 3, method: 'GET', path: '/low' },
    ];

    // Without the limit, for contrast: the backlog grows and both routes miss (2 s of it).
    const unlimited = await runLoad({ url: bare.url, requests: mix, stages: [{ rate, durationMs: 2000 }], connections: 256, timeoutMs: 4000 });
    const bareHigh = unlimited.routes.find((x) => x.name === 'high')!;
    t.diagnostic(`no limit, ${rate}/s for 2 s: ${describeRow('weight 5', bareHigh)}`);
    assert.ok(within(bareHigh) < OBJECTIVE, 'without the limit the weight-5 route misses its objective (else the overload is not one)');

    const sdk = instrumentForTest(contract);
    const svc = await resourceService(sdk);
    const run = (durationMs: number) => runLoad({ url: svc.url, requests: mix, stages: [{ rate, durationMs }], connections: 64, timeoutMs: 5000 });
    await run(1000); // the limit adapts from its initial value
    const r = await run(5000);
    const route = (name: string) => r.routes.find((x) => x.name === name)!;
    const high = route('high');
    const low = route('low');
    t.diagnostic(`limited: ${describeRow('weight 5', high)}`);
    t.diagnostic(`limited: ${describeRow('weight 1', low)}`);
    t.diagnostic(`offered ${rate}/s (3x capacity) for 5 s, achieved ${r.generator?.achievedRate.toFixed(0)}/s; limit now ${sdk.admission.limit}, served ${r.throughput.toFixed(0)} responses/s`);
    assert.ok(r.generator!.achievedRate > rate * 0.8, `the generator must deliver the overload: ${r.generator!.achievedRate.toFixed(0)}/s of ${rate}/s`);

    assert.ok(within(high) >= OBJECTIVE, `the weight-5 route must keep ${OBJECTIVE * 100}% within ${THRESHOLD_MS} ms: ${(within(high) * 100).toFixed(1)}%`);
    assert.ok(shed(low) >= 0.5, `the weight-1 route must carry the overload as 503s: ${(shed(low) * 100).toFixed(1)}% shed`);
    assert.ok(shed(high) < shed(low) / 5, `lowest weight first: weight 5 shed ${(shed(high) * 100).toFixed(1)}%, weight 1 ${(shed(low) * 100).toFixed(1)}%`);

    // The service's own view agrees: shed requests are their own class, counted per route.
    const shedLow = (await metricValue(sdk.registry, 'http_server_requests_total', { route: '/low', error_class: 'shed' })) ?? 0;
    assert.ok(shedLow >= (low.statuses['503'] ?? 0), `requests_total{error_class="shed"} on /low: ${shedLow}`);
    // The client's view agrees too: every 503 carried the shed mark, and the client view classes
    // them "shed" (weight 0.3) even where the contract weighs 5xx as server faults.
    assert.equal(low.shed, low.statuses['503'], `marked shed ${low.shed} of ${low.statuses['503']} 503s`);
    const strict = twoRoutes('{ initial: 4, min: 2, max: 6 }', 'errorClasses:\n  - { name: server, status: [5xx], weight: 2.5 }\n', '200ms');
    const counts = clientCounts(strict, [low]);
    assert.equal(counts.classes.get('shed'), low.shed);
    assert.equal(counts.classes.get('server'), undefined, 'no shed 503 counted as a server fault');
    assert.equal(await metricValue(sdk.registry, 'sloctl_shed_total', { route: '/low' }), shedLow);
    t.diagnostic(`server: /low shed ${shedLow}, /high shed ${(await metricValue(sdk.registry, 'sloctl_shed_total', { route: '/high' })) ?? 0}`);
  });
});
