// Express routers mounted at paths with parameters: the `route` label is the template, never the
// actual path a request was mounted at (req.baseUrl). Found by a user: `users.use('/:uid/orders',
// orders)` labelled every request `/v1/users/4/orders/:oid`, a series per user id until the route
// table's cap turned them into "overflow".
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { middleware, errorHandler } from '../src/sdk/adapters/express.ts';
import { mountTemplate } from '../src/sdk/adapters/express-mounts.ts';
import { instrumentForTest, samples } from '../src/sdk/testing.ts';
import type { Sdk } from '../src/sdk/instrument.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: mounts }
routes:
  - { name: order, method: GET, path: /v1/users/:uid/orders/:oid }
  - { name: item, method: GET, path: /api/items/:id }
objectives:
  latency: [{ name: api, threshold: 200ms, objective: 99% }]
  errors: { objective: 99% }
`;

describe('Express: routers mounted at paths with parameters', () => {
  let sdk: Sdk;
  let server: Server;
  let base: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-express-mounts-'));
    writeFileSync(join(dir, 'slo.yaml'), CONTRACT);
    sdk = instrumentForTest(join(dir, 'slo.yaml'));
    const app = express();
    app.use(middleware(sdk));
    // A router at a fixed path.
    const items = express.Router();
    items.get('/items/:id', (req, res) => { res.json({ id: req.params.id }); });
    app.use('/api', items);
    // Two levels, the inner one mounted at a parameter, with and without mergeParams.
    const users = express.Router({ mergeParams: true });
    const orders = express.Router({ mergeParams: true });
    orders.get('/:oid', (req, res) => { res.json(req.params); });
    users.use('/:uid/orders', orders);
    const carts = express.Router();
    carts.get('/', (_req, res) => { res.json({}); });
    users.use('/:uid/cart', carts);
    app.use('/v1/users', users);
    // A router mounted without a path inside one mounted at a parameter, and an array of paths.
    const tenants = express.Router();
    const plain = express.Router();
    plain.get('/report', (_req, res) => { res.send('r'); });
    tenants.use(plain);
    app.use(['/t/:tenant', '/tenant/:tenant'], tenants);
    // Two routers the same base matches: the request falls through the first (no route for it there).
    const first = express.Router();
    first.get('/a', (_req, res) => { res.send('a'); });
    const second = express.Router();
    second.get('/b', (_req, res) => { res.send('b'); });
    app.use('/x/:any', first);
    app.use('/x/:other', second);
    app.use(errorHandler(sdk));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const routesOf = async () => {
    const s = await samples(sdk.registry, 'http_server_requests_total');
    return [...new Set(s.map((x) => x.labels.route))].sort();
  };

  it('labels 150 users\' orders with one template, and the contract route is found by it', async () => {
    for (let uid = 1; uid <= 150; uid++) {
      const r = await fetch(`${base}/v1/users/${uid}/orders/${uid * 7}`);
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    const r = await fetch(`${base}/api/items/5`);
    await r.arrayBuffer();
    const routes = await routesOf();
    assert.deepEqual(routes, ['/api/items/:id', '/v1/users/:uid/orders/:oid']);
    const s = await samples(sdk.registry, 'http_server_requests_total');
    const orders = s.filter((x) => x.labels.route === '/v1/users/:uid/orders/:oid').reduce((n, x) => n + x.value, 0);
    assert.equal(orders, 150);
  });

  it('labels routes outside the contract by their templates too: a parameter mount (its router\'s root as the mount path), a pathless router inside one, an array mount, a router fallen through', async () => {
    for (const path of ['/v1/users/9/cart', '/v1/users/10/cart', '/t/acme/report', '/tenant/globex/report', '/x/1/b', '/x/2/a']) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 200, path);
      await r.arrayBuffer();
    }
    const routes = await routesOf();
    for (const t of ['/v1/users/:uid/cart', '/t/:tenant/report', '/tenant/:tenant/report', '/x/:other/b', '/x/:any/a']) assert.ok(routes.includes(t), `${t} in ${routes.join(', ')}`);
    assert.ok(!routes.some((r) => /\/(9|10|acme|globex|1|2)(\/|$)/.test(r)), `no raw value in ${routes.join(', ')}`);
  });
});

describe('mountTemplate', () => {
  it('is undefined when no chain of routers consumes the base, or the stack is not a router\'s', () => {
    const app = express();
    const r = express.Router();
    r.get('/y', (_req, res) => { res.end(); });
    app.use('/a/:p', r);
    const stack = (app as unknown as { router: { stack: unknown } }).router.stack;
    const route = (r as unknown as { stack: Array<{ route?: unknown }> }).stack[0].route;
    assert.equal(mountTemplate(stack, '/a/1', route), '/a/:p');
    assert.equal(mountTemplate(stack, '/b/1', route), undefined);
    assert.equal(mountTemplate(stack, '/a/1', {}), undefined, 'a route no router holds');
    assert.equal(mountTemplate(undefined, '/a/1', route), undefined);
    assert.equal(mountTemplate([{ handle: { stack: 'no' } }, null, 7], '/a/1', route), undefined);
  });
});

// Found by a TypeScript user trial: an async handler under `app.use('/api/v1', router)` threw, the
// error left the router for the application's error handler, and Express restored `req.baseUrl`
// to '' on the way out, so the 504 was labelled `/quotes/:sku` (no such route, outside the
// contract) while the route's successes were under `/api/v1/quotes/:sku`.
describe('Express: a mounted router\'s errors answered by the application\'s error handler', () => {
  class UpstreamTimeoutError extends Error {
    override name = 'UpstreamTimeoutError';
  }
  const ERRORS_CONTRACT = `apiVersion: sloctl/v1
service: { name: mounted-errors }
errorClasses:
  - { name: transient, weight: 0.3, errors: [UpstreamTimeoutError] }
  - { name: client, weight: 1, status: ["4xx"] }
  - { name: server, weight: 2.5, status: ["5xx"] }
routes:
  - { name: quote, method: GET, path: /api/v1/quotes/:sku }
  - { name: order, method: GET, path: /v1/users/:uid/orders/:oid }
  - { name: ping, method: GET, path: /ping }
objectives:
  latency: [{ name: api, threshold: 200ms, objective: 99% }]
  errors: { objective: 99% }
`;
  let sdk: Sdk;
  let server: Server;
  let base: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-express-mount-errors-'));
    writeFileSync(join(dir, 'slo.yaml'), ERRORS_CONTRACT);
    sdk = instrumentForTest(join(dir, 'slo.yaml'));
    const app = express();
    app.use(middleware(sdk));
    app.get('/ping', (_req, res) => { res.send('pong'); });
    const api = express.Router();
    api.get('/quotes/:sku', async (req) => {
      if (req.params.sku === 'slow') throw new UpstreamTimeoutError('pricing did not answer');
      throw Object.assign(new Error('bad sku'), { status: 400 });
    });
    app.use('/api/v1', api);
    const users = express.Router({ mergeParams: true });
    const orders = express.Router({ mergeParams: true });
    orders.get('/:oid', () => { throw new Error('boom'); });
    users.use('/:uid/orders', orders);
    const carts = express.Router();
    carts.get('/', () => { throw new Error('no cart'); });
    users.use('/:uid/cart', carts);
    app.use('/v1/users', users);
    app.use(errorHandler(sdk));
    app.use((err: { status?: number; name?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.name === 'UpstreamTimeoutError' ? 504 : err.status ?? 500).end();
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('labels them with the mounted template, classed by the thrown error', async () => {
    const statuses: number[] = [];
    for (const path of ['/api/v1/quotes/slow', '/api/v1/quotes/x?y=1', '/v1/users/4/orders/9', '/v1/users/5/orders/2', '/v1/users/5/cart', '/v1/users/6/cart/', '/ping']) {
      const r = await fetch(`${base}${path}`);
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    assert.deepEqual(statuses, [504, 400, 500, 500, 500, 500, 200]);
    const s = await samples(sdk.registry, 'http_server_requests_total');
    const got = s.filter((x) => x.value > 0).map((x) => `${x.labels.route} ${x.labels.status_class} ${x.labels.error_class} ${x.value}`).sort();
    assert.deepEqual(got, [
      '/api/v1/quotes/:sku 4xx client 1',
      '/api/v1/quotes/:sku 5xx transient 1',
      '/ping 2xx none 1',
      '/v1/users/:uid/cart 5xx server 2',
      '/v1/users/:uid/orders/:oid 5xx server 2',
    ]);
  });
});
