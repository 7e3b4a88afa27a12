// sloctl's middleware registered twice on a request's path, on the node:http-based adapters (the
// Hono case: test/sdk-hono-twice.test.ts). Express: the app's `app.use(middleware(sdk))` and a
// mounted Router's own, or twice on the app; Koa: the app's and a @koa/router's `router.use(...)`;
// node:http: `wrap()` on a server also given `instrumentServer()`; Fastify: the plugin registered
// twice, or again in an encapsulated child. Each request must be counted once, under its route,
// and health served once. Real servers on 127.0.0.1, port 0.
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import Koa from 'koa';
import Router from '@koa/router';
import { parseContract } from '../src/contract/load.ts';
import { middleware as expressMiddleware } from '../src/sdk/adapters/express.ts';
import { middleware as koaMiddleware } from '../src/sdk/adapters/koa.ts';
import { instrumentServer, wrap } from '../src/sdk/adapters/http.ts';
import sloctlFastify from '../src/sdk/adapters/fastify.ts';
import type { Sdk } from '../src/sdk/instrument.ts';
import { instrumentForTest, samples } from '../src/sdk/testing.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: twice }
routes:
  - { name: home, method: GET, path: /a }
  - { name: admin, method: GET, path: /admin/x }
objectives:
  errors: { objective: 99% }
`;

const newSdk = (): Sdk => instrumentForTest(parseContract(CONTRACT, 'slo.yaml').contract!, { maxRoutes: 0 });

async function series(sdk: Sdk): Promise<string[]> {
  return (await samples(sdk.registry, 'http_server_requests_total')).filter((s) => s.value > 0)
    .map((s) => `${s.labels.route} ${s.labels.status_class} ${s.value}`).sort();
}

const PATHS = ['/a', '/admin/x', '/admin/x', '/admin/nope'];
const EXPECTED = ['/a 2xx 1', '/admin/x 2xx 2', 'unmatched 4xx 1'];

/** Sends PATHS and /healthz; returns the statuses and the health answer's body. */
async function exercise(server: Server): Promise<{ statuses: number[]; health: string }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const statuses: number[] = [];
    for (const p of PATHS) {
      const r = await fetch(base + p);
      await r.arrayBuffer();
      statuses.push(r.status);
    }
    const h = await fetch(`${base}/healthz`);
    const health = await h.text();
    assert.equal(h.status, 200, health);
    return { statuses, health };
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

async function check(sdk: Sdk, server: Server): Promise<void> {
  const { statuses, health } = await exercise(server);
  assert.deepEqual(statuses, [200, 200, 200, 404]);
  assert.deepEqual(await series(sdk), EXPECTED);
  assert.equal((await sdk.health()).checks.success.requests, 3, 'health judges the three routed requests once each');
  assert.doesNotThrow(() => JSON.parse(health), 'health served once, as one JSON body');
}

describe("Express: sloctl's middleware twice on a request's path", () => {
  it('on the app and on a Router mounted under it', async () => {
    const sdk = newSdk();
    const app = express();
    app.use(expressMiddleware(sdk));
    app.get('/a', (_req, res) => { res.send('a'); });
    const admin = express.Router();
    admin.use(expressMiddleware(sdk));
    admin.get('/x', (_req, res) => { res.send('x'); });
    app.use('/admin', admin);
    await check(sdk, createServer(app));
  });

  it('twice on the app', async () => {
    const sdk = newSdk();
    const app = express();
    app.use(expressMiddleware(sdk));
    app.use(expressMiddleware(sdk));
    app.get('/a', (_req, res) => { res.send('a'); });
    app.get('/admin/x', (_req, res) => { res.send('x'); });
    await check(sdk, createServer(app));
  });
});

describe("Koa: sloctl's middleware on the app and on a @koa/router", () => {
  it('each request is counted once', async () => {
    const sdk = newSdk();
    const app = new Koa();
    app.use(koaMiddleware(sdk));
    const router = new Router();
    router.use(koaMiddleware(sdk));
    router.get('/a', (ctx) => { ctx.body = 'a'; });
    router.get('/admin/x', (ctx) => { ctx.body = 'x'; });
    app.use(router.routes());
    await check(sdk, createServer(app.callback()));
  });

  it('twice on the app', async () => {
    const sdk = newSdk();
    const app = new Koa();
    app.use(koaMiddleware(sdk));
    app.use(koaMiddleware(sdk));
    const router = new Router();
    router.get('/a', (ctx) => { ctx.body = 'a'; });
    router.get('/admin/x', (ctx) => { ctx.body = 'x'; });
    app.use(router.routes());
    await check(sdk, createServer(app.callback()));
  });
});

describe("node:http: wrap() twice, or wrap() on a server also given instrumentServer()", () => {
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    if (req.url === '/a' || req.url === '/admin/x') res.end('ok');
    else {
      res.statusCode = 404;
      res.end();
    }
  };
  it('wrap(wrap(handler))', async () => {
    const sdk = newSdk();
    await check(sdk, createServer(wrap(wrap(handler, sdk), sdk) as RequestListener));
  });
  it('wrap(wrap(handler)): a thrown error is answered and counted once', async () => {
    const sdk = newSdk();
    const boom = () => { throw Object.assign(new Error('store down'), { status: 503 }); };
    const server = createServer(wrap(wrap(boom, sdk, { onError: () => {} }), sdk, { onError: () => {} }) as RequestListener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/a`);
      await r.arrayBuffer();
      assert.equal(r.status, 503);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.deepEqual(await series(sdk), ['/a 5xx 1']);
  });
  it('instrumentServer on a wrapped server', async () => {
    const sdk = newSdk();
    const server = createServer(wrap(handler, sdk) as RequestListener);
    instrumentServer(server, sdk);
    await check(sdk, server);
  });
});

describe('Fastify: the plugin registered twice', () => {
  const routes = (f: FastifyInstance) => {
    f.get('/a', async () => 'a');
    f.get('/admin/x', async () => 'x');
  };
  it('twice on the app', async () => {
    const sdk = newSdk();
    const app = Fastify();
    await app.register(sloctlFastify, { sdk });
    await app.register(sloctlFastify, { sdk });
    routes(app);
    await app.ready();
    await check(sdk, app.server);
  });
  it('twice on the app, the second with serve: false', async () => {
    const sdk = newSdk();
    const app = Fastify();
    await app.register(sloctlFastify, { sdk });
    await app.register(sloctlFastify, { sdk, serve: false });
    routes(app);
    await app.ready();
    await check(sdk, app.server);
  });
  it('on the app and in an encapsulated child', async () => {
    const sdk = newSdk();
    const app = Fastify();
    await app.register(sloctlFastify, { sdk });
    await app.register(async (child) => {
      await child.register(sloctlFastify, { sdk });
      routes(child);
    });
    await app.ready();
    await check(sdk, app.server);
  });
});

describe('Fastify: registered in two sibling contexts with the same SDK', () => {
  it('the second is refused at start, saying to register once on the root app', async () => {
    const sdk = newSdk();
    const app = Fastify();
    await app.register(async (a) => { await a.register(sloctlFastify, { sdk }); a.get('/a', async () => 'a'); });
    app.register(async (b) => { await b.register(sloctlFastify, { sdk }); b.get('/admin/x', async () => 'x'); });
    await assert.rejects(async () => { await app.ready(); }, /registered a second time with the same SDK.*register it once, on the root app/);
    await app.close();
  });
});
