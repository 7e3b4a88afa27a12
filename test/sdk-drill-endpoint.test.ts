// The drill endpoint's door (issue 11, item 2, done-when: "The drill endpoint refuses a request
// without the token, with a wrong token, and from a non-loopback address; with no token configured
// it does not exist"), on all five adapters over real HTTP on 127.0.0.1, and its JSON API.
//
// A request from another machine cannot be made here (everything is loopback), so the loopback
// decision is tested on addresses, and the endpoint on requests whose peer address the test sets:
// an IncomingMessage over a socket that reports 10.1.2.3, handed to the endpoint and to the
// node:http adapter's listener.
import assert from 'node:assert/strict';
import { createServer, IncomingMessage, ServerResponse, type RequestListener, type Server } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { request } from 'undici';
import { instrument, type Sdk } from 'sloctl/sdk';
import { middleware as expressMiddleware } from 'sloctl/sdk/express';
import sloctlFastify from 'sloctl/sdk/fastify';
import { middleware as honoMiddleware } from 'sloctl/sdk/hono';
import { wrap } from 'sloctl/sdk/http';
import { middleware as koaMiddleware } from 'sloctl/sdk/koa';
import { metricValue, testRegistry } from 'sloctl/sdk/testing';
import { DrillClient, DrillClientError } from '../src/sdk/drill/client.ts';
import type { DrillOptions } from '../src/sdk/drill/endpoint.ts';
import { DrillTokenError, fromThisMachine, isLoopbackAddress, resolveDrillToken, tokenMatches, digest } from '../src/sdk/drill/token.ts';
import type { FaultList, FaultState } from '../src/sdk/drill/types.ts';

const CONTRACT = new URL('./fixtures/sdk-drill/slo.yaml', import.meta.url);
const TOKEN = 'a3f9c1d27e8b4f60a3f9c1d27e8b4f60';
const DRILL = '/.sloctl/drill';
const ADAPTERS = ['node:http', 'express', 'fastify', 'koa', 'hono'] as const;
type AdapterName = (typeof ADAPTERS)[number];

// The tests decide the environment: no token unless one says so.
const savedEnv = process.env.SLOCTL_DRILL_TOKEN;
delete process.env.SLOCTL_DRILL_TOKEN;
after(() => {
  if (savedEnv !== undefined) process.env.SLOCTL_DRILL_TOKEN = savedEnv;
});

function sdkFor(drill?: DrillOptions | false): Sdk {
  return instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false, ...(drill !== undefined ? { drill } : {}) });
}

interface App {
  url: string;
  sdk: Sdk;
  close(): Promise<void>;
}

/** The same one-route app (GET /hello) on each adapter; unknown paths get the framework's own 404. */
async function startApp(name: AdapterName, sdk: Sdk): Promise<App> {
  let server: Server;
  let fastify: FastifyInstance | undefined;
  switch (name) {
    case 'node:http':
      server = createServer(wrap((req, res) => {
        if (req.url === '/hello') res.end('hello');
        else {
          res.statusCode = 404;
          res.end(`no route for ${req.url}`);
        }
      }, sdk, { route: (req) => (req.url === '/hello' ? '/hello' : undefined) }));
      break;
    case 'express': {
      const app = express();
      app.use(expressMiddleware(sdk));
      app.get('/hello', (_req, res) => {
        res.send('hello');
      });
      server = createServer(app);
      break;
    }
    case 'koa': {
      const app = new Koa();
      app.use(koaMiddleware(sdk));
      app.use((ctx) => {
        if (ctx.path === '/hello') ctx.body = 'hello';
      });
      server = createServer(app.callback());
      break;
    }
    case 'hono': {
      const app = new Hono();
      app.use('*', honoMiddleware(sdk));
      app.get('/hello', (c) => c.text('hello'));
      server = createServer(getRequestListener(app.fetch) as RequestListener);
      break;
    }
    case 'fastify': {
      fastify = Fastify();
      await fastify.register(sloctlFastify, { sdk });
      fastify.get('/hello', async () => 'hello');
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      server = fastify.server;
      break;
    }
  }
  if (fastify === undefined) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sdk,
    close: async () => {
      server.closeAllConnections();
      if (fastify !== undefined) await fastify.close();
      else await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

async function send(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const r = await request(url, { method: method as 'GET', headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.statusCode, body: await r.body.text(), headers: r.headers };
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const json = (t = TOKEN) => ({ ...bearer(t), 'content-type': 'application/json' });

async function requestsCounted(sdk: Sdk): Promise<number> {
  return (await metricValue(sdk.registry, 'http_server_requests_total')) ?? 0;
}

const without = new Map<AdapterName, App>();
const withToken = new Map<AdapterName, App>();
before(async () => {
  for (const a of ADAPTERS) {
    without.set(a, await startApp(a, sdkFor()));
    withToken.set(a, await startApp(a, sdkFor({ token: TOKEN })));
  }
});
after(async () => {
  for (const app of [...without.values(), ...withToken.values()]) await app.close();
});

describe('with no drill token configured, the endpoint does not exist', () => {
  for (const a of ADAPTERS) {
    it(`${a}: the drill path is answered as any unknown path is, and nothing is mounted`, async () => {
      const app = without.get(a)!;
      assert.equal(app.sdk.drill, undefined);
      const before = await requestsCounted(app.sdk);
      for (const [method, sub, body] of [['GET', '', undefined], ['POST', '', '{"fault":"event-loop-block"}'], ['DELETE', '/x', undefined], ['POST', '/reset', '{}']] as const) {
        const headers = body === undefined ? bearer(TOKEN) : json();
        const got = await send(`${app.url}${DRILL}${sub}`, method, headers, body);
        const unknown = await send(`${app.url}/.sloctl/drilx${sub}`, method, headers, body);
        assert.equal(got.status, 404, `${method} ${DRILL}${sub}: ${got.status} ${got.body}`);
        assert.equal(got.body, unknown.body.replace('/.sloctl/drilx', DRILL), `${method} ${DRILL}${sub} answers like an unknown path`);
        assert.equal(got.headers['sloctl-drill'], undefined);
      }
      // Counted like any unknown path (it is one), and no drill series exists.
      assert.equal(await requestsCounted(app.sdk), before + 8);
      assert.doesNotMatch(await app.sdk.metrics(), /sloctl_drill/);
    });
  }

  it('drill: false keeps it off even with SLOCTL_DRILL_TOKEN set', () => {
    process.env.SLOCTL_DRILL_TOKEN = TOKEN;
    try {
      assert.equal(sdkFor(false).drill, undefined);
      assert.notEqual(sdkFor().drill, undefined, 'the environment variable alone turns it on');
    } finally {
      delete process.env.SLOCTL_DRILL_TOKEN;
    }
  });
});

describe('the token', () => {
  it('is refused at start when shorter than 16 characters, or not printable ASCII, saying where it came from', () => {
    process.env.SLOCTL_DRILL_TOKEN = 'short-token';
    try {
      assert.throws(() => sdkFor(), (e: unknown) => e instanceof DrillTokenError && /SLOCTL_DRILL_TOKEN is 11 characters; it needs at least 16/.test(e.message) && /openssl rand -hex 32/.test(e.message));
    } finally {
      delete process.env.SLOCTL_DRILL_TOKEN;
    }
    assert.throws(() => sdkFor({ token: 'fifteen-chars!!' }), /drill\.token option of instrument\(\) is 15 characters/);
    assert.throws(() => sdkFor({ token: 'sixteen chars ok' }), /space or a character outside printable ASCII/);
    assert.equal(resolveDrillToken(undefined, {}), undefined);
    assert.equal(resolveDrillToken(undefined, { SLOCTL_DRILL_TOKEN: '' }), undefined, 'an empty variable is no token');
    assert.equal(resolveDrillToken(undefined, { SLOCTL_DRILL_TOKEN: TOKEN }), TOKEN);
    assert.equal(resolveDrillToken('x'.repeat(16), { SLOCTL_DRILL_TOKEN: TOKEN }), 'x'.repeat(16), 'the option wins over the environment');
  });

  it('is compared over digests: missing, wrong, and other lengths do not match', () => {
    const d = digest(TOKEN);
    assert.equal(tokenMatches(TOKEN, d), true);
    assert.equal(tokenMatches(undefined, d), false);
    assert.equal(tokenMatches('', d), false);
    assert.equal(tokenMatches(TOKEN.slice(0, -1) + 'x', d), false);
    assert.equal(tokenMatches(TOKEN + TOKEN, d), false);
  });

  for (const a of ADAPTERS) {
    it(`${a}: 401 without the token, with a wrong one (same length, shorter, longer) or another scheme; 200 with it`, async () => {
      const app = withToken.get(a)!;
      const wrong: Array<[string, Record<string, string>]> = [
        ['no Authorization', {}],
        ['a wrong token of the same length', bearer(TOKEN.slice(0, -1) + (TOKEN.endsWith('0') ? '1' : '0'))],
        ['a shorter token', bearer(TOKEN.slice(0, 20))],
        ['a longer token', bearer(TOKEN + 'x')],
        ['Basic', { authorization: `Basic ${Buffer.from(`sloctl:${TOKEN}`).toString('base64')}` }],
        ['the token without a scheme', { authorization: TOKEN }],
      ];
      for (const [what, headers] of wrong) {
        for (const [method, sub, body] of [['GET', '', undefined], ['POST', '', '{"fault":"memory-leak"}'], ['POST', '/reset', undefined]] as const) {
          const r = await send(`${app.url}${DRILL}${sub}`, method, { ...headers, 'content-type': 'application/json' }, body);
          assert.equal(r.status, 401, `${what}, ${method} ${sub}: ${r.status} ${r.body}`);
          assert.equal(r.headers['www-authenticate'], 'Bearer realm="sloctl-drill"');
          assert.equal(r.headers['sloctl-drill'], '1');
          assert.match(JSON.parse(r.body).error, /drill token/);
        }
      }
      assert.equal(app.sdk.drill!.runner.size, 0, 'nothing was applied');
      const ok = await send(`${app.url}${DRILL}`, 'GET', { authorization: `bearer ${TOKEN}` });
      assert.equal(ok.status, 200, ok.body);
      assert.deepEqual((JSON.parse(ok.body) as FaultList).available, ['event-loop-block', 'memory-leak', 'handle-leak', 'unsettled-promises', 'cpu-burn']);
    });

    it(`${a}: a request relayed by a proxy on this host (X-Forwarded-For, Forwarded) never reaches the endpoint, token or not`, async () => {
      const app = withToken.get(a)!;
      const relayed: Array<Record<string, string>> = [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { 'x-real-ip': '203.0.113.9' }];
      for (const h of relayed) {
        const r = await send(`${app.url}${DRILL}`, 'POST', { ...json(), ...h }, '{"fault":"event-loop-block","durationMs":1000}');
        assert.equal(r.status, 404, `${JSON.stringify(h)}: ${r.status} ${r.body}`);
        assert.equal(r.headers['sloctl-drill'], undefined);
      }
      assert.equal(app.sdk.drill!.runner.size, 0);
    });
  }

  it('SLOCTL_DRILL_TOKEN from the environment is the token the endpoint checks', async () => {
    process.env.SLOCTL_DRILL_TOKEN = 'env-token-0123456789abcdef';
    let app: App;
    try {
      app = await startApp('node:http', sdkFor());
    } finally {
      delete process.env.SLOCTL_DRILL_TOKEN;
    }
    try {
      assert.equal((await send(`${app.url}${DRILL}`, 'GET', bearer('env-token-0123456789abcdef'))).status, 200);
      assert.equal((await send(`${app.url}${DRILL}`, 'GET', bearer(TOKEN))).status, 401);
    } finally {
      await app.close();
    }
  });
});

describe('from another machine', () => {
  it('the loopback decision: 127.0.0.0/8, ::1 and ::ffff:127.x only', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.0.0.2', '::1%lo']) {
      assert.equal(isLoopbackAddress(a), true, a);
    }
    for (const a of ['10.1.2.3', '192.168.1.10', '128.0.0.1', '126.255.255.255', '0.0.0.0', '::', '::ffff:10.0.0.1', '::ffff:7f00:1x', 'fe80::1', '2001:db8::1',
      '127.0.0.1.evil.example', 'localhost', '', undefined]) {
      assert.equal(isLoopbackAddress(a), false, String(a));
    }
    assert.equal(fromThisMachine('127.0.0.1', () => undefined), true);
    assert.equal(fromThisMachine('127.0.0.1', (h) => (h === 'x-forwarded-for' ? '10.0.0.1' : undefined)), false);
    assert.equal(fromThisMachine('10.0.0.1', () => undefined), false);
  });

  /** A request as Node would hand it over from a peer at `address`, with the right token and a valid body. */
  function fromPeer(address: string): { req: IncomingMessage; res: ServerResponse; written: () => boolean } {
    const socket = new Socket();
    Object.defineProperty(socket, 'remoteAddress', { value: address });
    const req = new IncomingMessage(socket);
    req.method = 'POST';
    req.url = DRILL;
    req.headers = { ...json(), host: 'service.example' };
    req.push('{"fault":"event-loop-block","durationMs":1000}');
    req.push(null);
    const res = new ServerResponse(req);
    let wrote = false;
    for (const m of ['writeHead', 'write', 'end', 'setHeader'] as const) {
      const orig = res[m].bind(res) as (...a: unknown[]) => unknown;
      (res as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
        wrote = true;
        return orig(...args);
      };
    }
    return { req, res, written: () => wrote };
  }

  it('the endpoint does not answer a request from 10.1.2.3 or ::ffff:192.0.2.7 (with the right token): it leaves it to the application', () => {
    const drill = sdkFor({ token: TOKEN }).drill!;
    for (const address of ['10.1.2.3', '::ffff:192.0.2.7', '2001:db8::7']) {
      const { req, res, written } = fromPeer(address);
      assert.equal(drill.serve(req, res), false, address);
      assert.equal(written(), false, `${address}: the endpoint wrote to the response`);
    }
    // The same request from loopback is the endpoint's.
    const { req, res } = fromPeer('127.0.0.1');
    assert.equal(drill.serve(req, res), true);
    assert.equal(drill.accepts({ url: DRILL, remoteAddress: '10.1.2.3', header: () => undefined }), false);
    drill.runner.reset();
  });

  it('through the node:http adapter, a request from 10.1.2.3 goes to the application handler (a 404 there), and no fault is applied', async () => {
    const sdk = sdkFor({ token: TOKEN });
    const seen: string[] = [];
    const listener = wrap((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.statusCode = 404;
      res.end();
    }, sdk);
    const { req, res } = fromPeer('10.1.2.3');
    listener(req, res);
    // Give the endpoint every chance to have acted (it would answer after reading the body).
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [`POST ${DRILL}`]);
    assert.equal(res.statusCode, 404);
    assert.equal(res.getHeader('sloctl-drill'), undefined);
    assert.equal(sdk.drill!.runner.size, 0);
  });
});

describe('the API', () => {
  for (const a of ADAPTERS) {
    it(`${a}: apply, list, get, remove, reset; the endpoint's requests are outside the SLIs`, async () => {
      const app = withToken.get(a)!;
      const base = `${app.url}${DRILL}`;
      const counted = await requestsCounted(app.sdk);
      const applied = await send(base, 'POST', json(), JSON.stringify({ fault: 'event-loop-block', params: { blockMs: 1, everyMs: 1000 }, durationMs: 60_000 }));
      assert.equal(applied.status, 201, applied.body);
      const f = JSON.parse(applied.body) as FaultState;
      assert.match(f.id, /^event-loop-block-[0-9a-f]{8}$/);
      assert.equal(f.active, true);
      assert.equal(f.durationMs, 60_000);
      assert.equal(Date.parse(f.expiresAt) - Date.parse(f.startedAt), 60_000);
      assert.deepEqual(f.params, { blockMs: 1, everyMs: 1000, mode: 'spin' });
      const second = JSON.parse((await send(base, 'POST', json(), JSON.stringify({ fault: 'memory-leak', params: { bytesPerSecond: 1024 } }))).body) as FaultState;
      assert.equal(second.durationMs, 60_000, 'the default duration');

      const list = JSON.parse((await send(base, 'GET', bearer(TOKEN))).body) as FaultList;
      assert.deepEqual(list.faults.map((x) => x.id).sort(), [f.id, second.id].sort());
      assert.equal(list.maxDurationMs, 300_000);
      assert.equal(JSON.parse((await send(`${base}/${f.id}`, 'GET', bearer(TOKEN))).body).id, f.id);

      const removed = await send(`${base}/${f.id}`, 'DELETE', bearer(TOKEN));
      assert.equal(removed.status, 200);
      assert.deepEqual([JSON.parse(removed.body).active, JSON.parse(removed.body).ended], [false, 'removed']);
      const again = await send(`${base}/${f.id}`, 'DELETE', bearer(TOKEN));
      assert.equal(again.status, 404);
      assert.equal(JSON.parse(again.body).code, 'SLOCTL_DRILL_NO_SUCH_FAULT');
      assert.equal(JSON.parse((await send(`${base}/${f.id}`, 'GET', bearer(TOKEN))).body).ended, 'removed', 'the last word on an ended fault');

      const reset = await send(`${base}/reset`, 'POST', bearer(TOKEN));
      assert.deepEqual((JSON.parse(reset.body) as { removed: FaultState[] }).removed.map((x) => x.id), [second.id]);
      assert.equal(app.sdk.drill!.runner.size, 0);
      assert.equal(await requestsCounted(app.sdk), counted, 'no drill request is in http_server_requests_total');
      assert.equal((await send(`${app.url}/hello`, 'GET')).body, 'hello', 'the application is untouched');
    });
  }

  for (const a of ADAPTERS) {
    it(`${a}: unsettled-promises holds every other request before its handler (the drill endpoint itself is never held), until removal`, async () => {
      const app = withToken.get(a)!;
      const base = `${app.url}${DRILL}`;
      const f = JSON.parse((await send(base, 'POST', json(), '{"fault":"unsettled-promises","params":{"share":0.5},"durationMs":30000}')).body) as FaultState;
      let answered = 0;
      const all = Array.from({ length: 4 }, () => send(`${app.url}/hello`, 'GET').then((r) => {
        answered++;
        return r.body;
      }));
      const t0 = Date.now();
      const pending = async () => (JSON.parse((await send(`${base}/${f.id}`, 'GET', bearer(TOKEN))).body) as FaultState).counters.pending;
      while (answered < 2 || (await pending()) !== 2) {
        assert.ok(Date.now() - t0 < 5000, `timed out: ${answered} answered, ${await pending()} pending`);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(answered, 2);
      const removed = JSON.parse((await send(`${base}/${f.id}`, 'DELETE', bearer(TOKEN))).body) as FaultState;
      assert.equal(removed.counters.pending, 2);
      assert.deepEqual(await Promise.all(all), Array(4).fill('hello'));
    });
  }

  it('refuses what it cannot run, saying why: 400, 405, 409, 413', async () => {
    const sdk = sdkFor({ token: TOKEN, maxFaults: 1 });
    const app = await startApp('node:http', sdk);
    const base = `${app.url}${DRILL}`;
    try {
      const bad: Array<[string, RegExp]> = [
        ['{"fault":"fork-bomb"}', /unknown fault "fork-bomb": the in-process faults are event-loop-block, memory-leak, handle-leak, unsettled-promises, cpu-burn/],
        ['{"fault":"event-loop-block","params":{"blockMs":2000,"everyMs":1000}}', /"everyMs" \(1000\) must be greater than "blockMs" \(2000\)/],
        ['{"fault":"event-loop-block","params":{"blokMs":200}}', /unknown parameter "blokMs" \(it takes: blockMs, everyMs, mode\)/],
        ['{"fault":"memory-leak","params":{"bytesPerSecond":"lots"}}', /"bytesPerSecond" must be a number/],
        ['{"fault":"cpu-burn","params":{"cores":0}}', /"cores" must be above 0/],
        ['{"fault":"handle-leak","params":{"timersPerSecond":0,"socketsPerSecond":0}}', /nothing would leak/],
        ['{"fault":"unsettled-promises","params":{"share":1.5}}', /"share" must be above 0 and at most 1/],
        ['{"fault":"memory-leak","durationMs":-5}', /"durationMs" must be a positive number/],
        ['{"fault":"memory-leak","duration":"10s"}', /unknown field "duration"/],
        ['[1]', /the body must be a JSON object/],
        ['{"fault":', /the body is not JSON/],
        ['', /the body is empty/],
      ];
      for (const [body, message] of bad) {
        const r = await send(base, 'POST', json(), body);
        assert.equal(r.status, 400, `${body}: ${r.status} ${r.body}`);
        assert.match(JSON.parse(r.body).error, message);
      }
      const put = await send(base, 'PUT', bearer(TOKEN));
      assert.equal(put.status, 405);
      assert.equal(put.headers.allow, 'GET, POST');
      assert.equal((await send(`${base}/reset`, 'GET', bearer(TOKEN))).headers.allow, 'POST');
      const big = await send(base, 'POST', json(), JSON.stringify({ fault: 'memory-leak', params: {}, pad: 'x'.repeat(70_000) }));
      assert.equal(big.status, 413);
      assert.equal(sdk.drill!.runner.size, 0, 'nothing applied by a refused request');

      assert.equal((await send(base, 'POST', json(), '{"fault":"memory-leak","params":{"bytesPerSecond":1}}')).status, 201);
      const full = await send(base, 'POST', json(), '{"fault":"memory-leak"}');
      assert.equal(full.status, 409);
      assert.match(JSON.parse(full.body).error, /1 faults are in effect, the most this service allows/);
    } finally {
      sdk.drill!.runner.reset();
      await app.close();
    }
  });

  it('cuts a duration over the service\'s cap (drill.maxDurationMs) to the cap, and says so', async () => {
    const sdk = sdkFor({ token: TOKEN, maxDurationMs: 2000 });
    const app = await startApp('express', sdk);
    try {
      const r = await send(`${app.url}${DRILL}`, 'POST', json(), '{"fault":"event-loop-block","params":{"blockMs":1},"durationMs":600000}');
      const f = JSON.parse(r.body) as FaultState;
      assert.equal(f.durationMs, 2000);
      assert.equal(f.requestedDurationMs, 600_000);
      assert.equal(Date.parse(f.expiresAt) - Date.parse(f.startedAt), 2000);
      assert.throws(() => sdkFor({ token: TOKEN, maxDurationMs: 7_200_000 }), /drill\.maxDurationMs must be a whole number of ms from 1000 to 3600000/);
    } finally {
      sdk.drill!.runner.reset();
      await app.close();
    }
  });

  it('answers at drill.path when the service moves it, and refuses the health path', async () => {
    const sdk = sdkFor({ token: TOKEN, path: '/internal/chaos' });
    const app = await startApp('koa', sdk);
    try {
      assert.equal((await send(`${app.url}/internal/chaos`, 'GET', bearer(TOKEN))).status, 200);
      assert.equal((await send(`${app.url}${DRILL}`, 'GET', bearer(TOKEN))).status, 404);
    } finally {
      await app.close();
    }
    assert.throws(() => sdkFor({ token: TOKEN, path: '/healthz' }), /drill\.path \/healthz is the health or metrics path/);
    assert.throws(() => sdkFor({ token: TOKEN, path: 'chaos/' }), /drill\.path must be a path starting with \//);
  });
});

describe('the client (for sloctl drill)', () => {
  it('talks to loopback only: a URL elsewhere is refused before anything is sent', () => {
    for (const url of ['http://10.0.0.1:3000', 'http://example.com', 'http://[2001:db8::1]:80']) {
      assert.throws(() => new DrillClient({ url, token: TOKEN }), (e: unknown) => e instanceof DrillClientError && /answers only on loopback/.test(e.message), url);
    }
    for (const url of ['http://127.0.0.1:1', 'http://localhost:1', 'http://[::1]:1']) assert.doesNotThrow(() => new DrillClient({ url, token: TOKEN }));
  });

  it('applies, reads, removes and resets through a framework adapter; unknown ids are undefined', async () => {
    const app = withToken.get('fastify')!;
    const c = new DrillClient({ url: app.url, token: TOKEN });
    const f = await c.apply('handle-leak', { timersPerSecond: 1, socketsPerSecond: 0 }, 30_000);
    assert.equal(f.fault, 'handle-leak');
    assert.deepEqual((await c.list()).faults.map((x) => x.id), [f.id]);
    assert.equal((await c.get(f.id))?.active, true);
    assert.equal((await c.remove(f.id))?.ended, 'removed');
    assert.equal(await c.remove(f.id), undefined);
    assert.equal(await c.get('no-such-fault'), undefined);
    await c.apply('memory-leak', { bytesPerSecond: 1 }, 30_000);
    assert.equal((await c.reset()).length, 1);
  });

  it('says what to do when the service has no endpoint, or another token', async () => {
    await assert.rejects(new DrillClient({ url: without.get('express')!.url, token: TOKEN }).list(),
      (e: unknown) => e instanceof DrillClientError && e.status === 404 && /is not a drill endpoint \(404\): start the service with SLOCTL_DRILL_TOKEN set/.test(e.message));
    await assert.rejects(new DrillClient({ url: withToken.get('hono')!.url, token: 'another-token-0123456789' }).list(),
      (e: unknown) => e instanceof DrillClientError && e.status === 401 && e.drillCode === 'SLOCTL_DRILL_UNAUTHORIZED');
    await assert.rejects(new DrillClient({ url: withToken.get('koa')!.url, token: TOKEN }).apply('cpu-burn', { cores: 99 }),
      (e: unknown) => e instanceof DrillClientError && e.status === 400 && /"cores" must be above 0 and at most/.test(e.message));
  });
});
