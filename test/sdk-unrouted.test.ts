// Requests answered before routing, on Express, Koa and Hono (and Fastify's rejections before a handler). With `app.use(express.json())` before the
// routes, a malformed JSON body to `POST /orders` is answered 400 by the body parser's error path
// and never sets `req.route` (on Koa, a body parser before the router: no `_matchedRoute`): it
// used to be counted under route="unmatched", so the contract route under-reported its 4xx
// (Fastify, which routes before it parses a body, counted it under the route), and with
// `errorHandler(sdk)` the parser's SyntaxError made it "unclassified", a fault of the service.
// Now it counts under the contract route whose method and template match, classified by its
// status; a 404/405, a method the contract does not declare and a path it does not match stay
// unmatched; health judges these requests as before (not, by default).
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Koa from 'koa';
import KoaRouter from '@koa/router';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { middleware as honoMiddleware } from '../src/sdk/adapters/hono.ts';
import { middleware as koaMiddleware } from '../src/sdk/adapters/koa.ts';
import sloctlFastify from '../src/sdk/adapters/fastify.ts';
import { middleware, errorHandler } from '../src/sdk/adapters/express.ts';
import { contractTemplates } from '../src/sdk/contract-templates.ts';
import { finisher } from '../src/sdk/node-tracking.ts';
import { unroutedFinisher } from '../src/sdk/unrouted.ts';
import { instrumentForTest, samples } from '../src/sdk/testing.ts';
import type { Sdk } from '../src/sdk/instrument.ts';
import { parseContract } from '../src/contract/load.ts';
import type { Contract } from '../src/contract/schema.ts';

// No error class names a 4xx: a thrown error no class names is "unclassified" (weight 1, a fault).
const CONTRACT = `apiVersion: sloctl/v1
service: { name: unrouted }
errorClasses:
  - { name: server, weight: 2.5, status: [5xx] }
routes:
  - { name: create-order, method: POST, path: /orders }
  - { name: get-order, method: GET, path: /orders/:id }
  - { name: add-item, method: POST, path: /v1/carts/:cid/items }
objectives:
  latency: [{ name: api, threshold: 200ms, objective: 99% }]
  errors: { objective: 99% }
`;

function contract(): Contract {
  const loaded = parseContract(CONTRACT, 'slo.yaml');
  assert.ok(loaded.contract, loaded.diagnostics.map((d) => d.message).join('; '));
  return loaded.contract;
}

function sender(base: () => string) {
  return async (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<number> => {
    const r = await fetch(`${base()}${path}`, { method, body, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } });
    await r.arrayBuffer();
    return r.status;
  };
}

/** The request counter's non-zero series, one line each: method, route, status class, error class, count. */
async function seriesOf(sdk: Sdk): Promise<string[]> {
  return (await samples(sdk.registry, 'http_server_requests_total'))
    .filter((s) => s.value > 0)
    .map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status_class} ${s.labels.error_class} ${s.value}`)
    .sort();
}

describe('Express: requests answered before routing', () => {
  let sdk: Sdk;
  let server: Server;
  let base: string;
  before(async () => {
    // maxRoutes 0: a template outside the contract would be "overflow"; the contract's never are.
    sdk = instrumentForTest(contract(), { maxRoutes: 0 });
    const app = express();
    app.set('env', 'test'); // Express's final handler then answers errors without logging them
    app.use(middleware(sdk));
    app.use((req, _res, next) => next(req.headers['x-fail'] ? new Error('session store down') : undefined));
    // A router with a body parser of its own, mounted at a parameter.
    const carts = express.Router({ mergeParams: true });
    carts.use(express.json({ limit: 64 }));
    carts.post('/items', (_req, res) => { res.status(201).end(); });
    app.use('/v1/carts/:cid', carts);
    app.use(express.json());
    app.post('/orders', (_req, res) => { res.status(201).json({ id: 1 }); });
    // GET /orders/:id is in the contract but not in the app: Express answers 404.
    app.use(errorHandler(sdk));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const send = sender(() => base);
  const series = () => seriesOf(sdk);

  it('counts a body the parser refused under its contract route, as a client error; a 404, another method and an unknown path stay unmatched', async () => {
    assert.equal(await send('POST', '/orders', '{"id": 1}'), 201);
    assert.equal(await send('POST', '/orders?src=web', '{"broken": '), 400);
    assert.equal(await send('POST', '/orders', '{"broken": '), 400);
    assert.equal(await send('POST', '/v1/carts/42/items', '{"broken": '), 400, 'a mounted router\'s own parser');
    assert.equal(await send('POST', '/v1/carts/43/items', JSON.stringify({ big: 'x'.repeat(100) })), 413, 'over the router parser\'s limit');
    assert.equal(await send('GET', '/orders/7'), 404, 'a contract path no Express route takes');
    assert.equal(await send('PUT', '/orders', '{"broken": '), 400, 'a method the contract does not declare for the path');
    assert.equal(await send('POST', '/nowhere', '{"broken": '), 400, 'a path no contract route matches');
    assert.equal(await send('POST', '/v1/carts/%zz/items', '{}'), 400, 'a malformed escape Express\'s router fails');
    assert.equal(await send('POST', '/orders', '{}', { 'x-fail': '1' }), 500, 'a middleware failing before routing');
    assert.deepEqual(await series(), [
      'GET unmatched 4xx none 1',
      'POST /orders 2xx none 1',
      'POST /orders 4xx none 2',
      'POST /orders 5xx server 1',
      'POST /v1/carts/:cid/items 4xx none 2',
      'POST unmatched 4xx none 2',
      'PUT unmatched 4xx none 1',
    ]);
  });

  it('health judges them as unmatched requests (by default: not)', async () => {
    const report = await sdk.health();
    assert.equal(report.checks.success.requests, 1, 'only the request that reached its route');
  });
});

// NestJS answers a path under its global prefix that no controller takes with a catch-all route it
// mounts there (`router.all('*path', notFound)` at '/api'): Express sets req.route, so `GET
// /api/nope` was counted under route="/api*path" (judged by health, a label no route of the
// service has) instead of unmatched. A catch-all answering 404/405/501 is no route; a route with a
// wildcard in its path answering 404 (a file not found) is its route's answer.
describe('Express: a catch-all route answering "no route" (NestJS\'s under its global prefix)', () => {
  let sdk: Sdk;
  let server: Server;
  let base: string;
  before(async () => {
    sdk = instrumentForTest(contract());
    const app = express();
    app.use(middleware(sdk));
    app.get('/orders/:id', (_req, res) => { res.status(404).json({ message: 'no such order' }); });
    app.get('/api/files/*path', (_req, res) => { res.status(404).end(); });
    const notFound = express.Router();
    notFound.all('*path', (req, res) => { res.status(404).json({ message: `Cannot ${req.method} ${req.originalUrl}` }); });
    app.use('/api', notFound);
    app.get('/{*spa}', (_req, res) => { res.send('<html>'); });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const send = sender(() => base);

  it('counts its 404s unmatched, not under the catch-all; a route\'s own 404 and a catch-all\'s 200 keep their routes', async () => {
    assert.equal(await send('GET', '/api/nope'), 404);
    assert.equal(await send('POST', '/api/cats/1', '{}'), 404);
    assert.equal(await send('GET', '/api/files/a.txt'), 404);
    assert.equal(await send('GET', '/orders/9'), 404);
    assert.equal(await send('GET', '/app/settings'), 200);
    assert.deepEqual(await seriesOf(sdk), [
      'GET /api/files/*path 4xx none 1',
      'GET /orders/:id 4xx none 1',
      'GET /{*spa} 2xx none 1',
      'GET unmatched 4xx none 1',
      'POST unmatched 4xx none 1',
    ]);
    assert.equal((await sdk.health()).checks.success.requests, 3, 'the unmatched 404s are not judged');
  });
});

// Hono records an application-wide middleware (`app.use('*', ...)`) as the matched entry of a
// request it answered or passed through: a logger's 404 was labelled route="/*" and judged by
// health (junk could turn /healthz DEGRADED), an auth check's 401 likewise.
describe('Hono: requests an application-wide middleware answered', () => {
  const build = (sdk: Sdk) => {
    const app = new Hono();
    app.use('*', honoMiddleware(sdk));
    app.use('*', async (_c, next) => { await next(); }); // a logger
    app.use('*', async (c, next) => (c.req.header('x-token') === 'no' ? c.text('no', 401) : next()));
    app.use('/admin/*', async (_c, next) => { await next(); }); // path-scoped
    app.all('/files/*', (c) => c.text('file')); // a catch-all route, which Hono records as a middleware is
    app.post('/orders', (c) => c.json({ id: 1 }, 201));
    app.get('/orders/:id', (c) => (c.req.param('id') === '0' ? c.notFound() : c.json({ id: c.req.param('id') })));
    return app;
  };
  const cases = async (send: (method: string, path: string, headers?: Record<string, string>) => Promise<number>, sdk: Sdk) => {
    assert.equal(await send('POST', '/orders'), 201);
    assert.equal(await send('GET', '/orders/7'), 200);
    assert.equal(await send('GET', '/orders/0'), 404, "a route's own 404 stays under the route");
    assert.equal(await send('GET', '/nowhere'), 404, 'through the logger to no route');
    assert.equal(await send('DELETE', '/nowhere'), 404);
    assert.equal(await send('GET', '/admin/nope'), 404, 'through a path-scoped middleware to no route');
    assert.equal(await send('GET', '/files/a.txt'), 200, 'a catch-all route keeps its pattern');
    assert.equal(await send('POST', '/orders', { 'x-token': 'no' }), 401, 'the auth middleware answered');
    assert.equal(await send('GET', '/unknown', { 'x-token': 'no' }), 401, 'the auth middleware, a path no contract route matches');
    assert.deepEqual(await seriesOf(sdk), [
      'DELETE unmatched 4xx client 1',
      'GET /orders/:id 2xx none 1',
      'GET /orders/:id 4xx client 1',
      'GET overflow 2xx none 1', // /files/*: maxRoutes 0 gives templates outside the contract no label of their own
      'GET unmatched 4xx client 3',
      'POST /orders 2xx none 1',
      'POST /orders 4xx client 1',
    ]);
    assert.equal((await sdk.health()).checks.success.requests, 4, 'health judges the four requests routes answered, not the middleware\'s');
  };
  const CLIENT = `${CONTRACT.replace('errorClasses:\n', 'errorClasses:\n  - { name: client, weight: 1, status: [4xx] }\n')}`;
  const hono = () => {
    const loaded = parseContract(CLIENT, 'slo.yaml');
    assert.ok(loaded.contract);
    return instrumentForTest(loaded.contract, { maxRoutes: 0 });
  };

  it('on @hono/node-server: a 404 through a logger is unmatched, an auth 401 counts under its contract route; neither is judged', async () => {
    const sdk = hono();
    const server = createServer(getRequestListener(build(sdk).fetch) as RequestListener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await cases(async (method, path, headers = {}) => {
        const r = await fetch(`${base}${path}`, { method, headers });
        await r.arrayBuffer();
        return r.status;
      }, sdk);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('without @hono/node-server (app.request): the same', async () => {
    const sdk = hono();
    const app = build(sdk);
    await cases(async (method, path, headers = {}) => (await app.request(path, { method, headers })).status, sdk);
  });
});

describe('Koa: requests answered before @koa/router matched them', () => {
  let sdk: Sdk;
  let server: Server;
  let base: string;
  before(async () => {
    sdk = instrumentForTest(contract(), { maxRoutes: 0 });
    const app = new Koa();
    app.silent = true;
    app.use(koaMiddleware(sdk));
    app.use(async (ctx, next) => {
      if (ctx.get('x-fail')) throw new Error('session store down');
      await next();
    });
    // What koa-bodyparser does with a body that does not parse: throw a 400.
    app.use(async (ctx, next) => {
      let text = '';
      for await (const chunk of ctx.req) text += chunk;
      if (text !== '') {
        try {
          JSON.parse(text);
        } catch (err) {
          ctx.throw(400, 'invalid JSON', { cause: err });
        }
      }
      await next();
    });
    const router = new KoaRouter();
    router.post('/orders', (ctx) => { ctx.status = 201; });
    app.use(router.routes());
    app.use(router.allowedMethods());
    server = createServer(app.callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('counts a body the parser refused under its contract route, as a client error; a 404, a 405 and an unknown path stay unmatched', async () => {
    const send = sender(() => base);
    assert.equal(await send('POST', '/orders', '{"id": 1}'), 201);
    assert.equal(await send('POST', '/orders', '{"broken": '), 400);
    assert.equal(await send('GET', '/orders/7'), 404, 'a contract path no Koa route takes');
    assert.equal(await send('PUT', '/orders', '{}'), 405, 'allowedMethods');
    assert.equal(await send('POST', '/nowhere', '{"broken": '), 400, 'a path no contract route matches');
    assert.equal(await send('POST', '/orders', '{}', { 'x-fail': '1' }), 500, 'a middleware failing before routing');
    assert.deepEqual(await seriesOf(sdk), [
      'GET unmatched 4xx none 1',
      'POST /orders 2xx none 1',
      'POST /orders 4xx none 1',
      'POST /orders 5xx server 1',
      'POST unmatched 4xx none 1',
      'PUT unmatched 4xx none 1',
    ]);
    assert.equal((await sdk.health()).checks.success.requests, 1, 'only the request that reached its route');
  });
});

describe('Fastify: a body its parser refused, a schema it failed', () => {
  it('are client errors under their route, not "unclassified"', async () => {
    const sdk = instrumentForTest(contract());
    const app = Fastify();
    await app.register(sloctlFastify, { sdk });
    app.post('/orders', { schema: { body: { type: 'object', required: ['id'] } } }, async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const send = sender(() => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
      assert.equal(await send('POST', '/orders', '{"broken": '), 400);
      assert.equal(await send('POST', '/orders', '{}'), 400);
      assert.equal(await send('POST', '/orders', '{"id": 1}'), 200);
      assert.deepEqual(await seriesOf(sdk), ['POST /orders 2xx none 1', 'POST /orders 4xx none 2']);
    } finally {
      await app.close();
    }
  });
});

describe('contractTemplates', () => {
  it('is built once per Sdk and matches by method (HEAD takes GET routes)', () => {
    const sdk = instrumentForTest(contract());
    const t = contractTemplates(sdk);
    assert.equal(contractTemplates(sdk), t);
    assert.notEqual(contractTemplates(instrumentForTest(contract())), t);
    assert.equal(t.any('/orders/5?x=1'), '/orders/:id');
    assert.equal(t.forMethod('GET', '/orders/5'), '/orders/:id');
    assert.equal(t.forMethod('HEAD', '/orders/5'), '/orders/:id');
    assert.equal(t.forMethod('POST', '/orders/5'), undefined);
    assert.equal(t.forMethod('POST', '/orders?x=1'), '/orders');
    assert.equal(t.forMethod('PROPFIND', '/orders'), undefined);
    assert.equal(t.forMethod(undefined, '/orders'), undefined);
  });
});

describe('unroutedFinisher', () => {
  // What the finisher reads of a finished response.
  const answered = (statusCode: number) => ({ statusCode, writableFinished: true, req: { headers: {} } }) as unknown as ServerResponse;
  const end = (sdk: Sdk, method: string, url: string, status: number, error?: unknown) => {
    sdk.recorder.begin();
    unroutedFinisher(sdk, finisher(sdk))(answered(status), method, url, error, performance.now());
  };

  it('health judges an unrouted request as it judges unmatched ones: not by default, with judge \'all\' yes', async () => {
    const byDefault = instrumentForTest(contract());
    const all = instrumentForTest(contract(), { health: { judge: 'all' } });
    for (const sdk of [byDefault, all]) end(sdk, 'POST', '/orders', 400, Object.assign(new SyntaxError('Unexpected end of JSON input'), { status: 400 }));
    assert.deepEqual(await seriesOf(byDefault), ['POST /orders 4xx none 1']);
    assert.deepEqual(await seriesOf(all), ['POST /orders 4xx none 1']);
    assert.equal((await byDefault.health()).checks.success.requests, 0);
    assert.equal((await all.health()).checks.success.requests, 1);
  });

  it('keeps a contract class that names the error; leaves the health path outside the SLIs; a 501 is no route', async () => {
    const loaded = parseContract(CONTRACT.replace('errorClasses:\n', 'errorClasses:\n  - { name: throttled, weight: 0.3, errors: [RateLimitError] }\n'), 'slo.yaml');
    assert.ok(loaded.contract);
    const sdk = instrumentForTest(loaded.contract);
    end(sdk, 'POST', '/orders', 429, Object.assign(new Error('slow down'), { name: 'RateLimitError', status: 429 }));
    end(sdk, 'GET', '/healthz', 400);
    end(sdk, 'POST', '/orders', 501);
    assert.deepEqual(await seriesOf(sdk), ['POST /orders 4xx throttled 1', 'POST unmatched 5xx server 1']);
  });
});
