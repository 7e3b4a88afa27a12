// Hono under basePath (a user trial): `new Hono().basePath('/api')` with `app.use('*',
// middleware(sdk))` runs sloctl's middleware for /api/* only, so the drill endpoint at its
// documented path, /.sloctl/drill, was Hono's 404 and `sloctl drill` said "start the service with
// SLOCTL_DRILL_TOKEN set" to a service that had. The middleware now also answers the endpoint under
// the prefix it runs at (/api/.sloctl/drill), and the drill client, given the contract's health
// path (/api/healthz, as init writes it under basePath), looks for it there when the documented
// path is not a drill endpoint.
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { parseContract } from '../src/contract/load.ts';
import { middleware } from '../src/sdk/adapters/hono.ts';
import { DrillClient, DrillClientError } from '../src/sdk/drill/client.ts';
import type { Sdk } from '../src/sdk/instrument.ts';
import { instrumentForTest } from '../src/sdk/testing.ts';

const TOKEN = 'b41c9e07d2a65f38b41c9e07d2a65f38';
const CONTRACT = `apiVersion: sloctl/v1
service: { name: prefixed }
target: { run: "true", health: /api/healthz, metrics: /api/metrics }
routes:
  - { name: items, method: GET, path: /api/items }
objectives:
  errors: { objective: 99% }
`;

describe('Hono under basePath: the drill endpoint', () => {
  let server: Server;
  let base: string;
  let sdk: Sdk;
  before(async () => {
    sdk = instrumentForTest(parseContract(CONTRACT, 'slo.yaml').contract!, { drill: { token: TOKEN } });
    const app = new Hono().basePath('/api');
    app.use('*', middleware(sdk));
    app.get('/items', (c) => c.json([]));
    server = createServer(getRequestListener(app.fetch) as RequestListener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await sdk.drill?.runner.reset();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('the documented path is outside the middleware: Hono answers it, not sloctl', async () => {
    const r = await fetch(`${base}/.sloctl/drill`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await r.arrayBuffer();
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('sloctl-drill'), null);
  });

  it('it is answered under the prefix the middleware runs at, behind the same token', async () => {
    const ok = await fetch(`${base}/api/.sloctl/drill`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(ok.headers.get('sloctl-drill'), '1');
    assert.ok(Array.isArray(((await ok.json()) as { faults: unknown }).faults));
    const refused = await fetch(`${base}/api/.sloctl/drill`);
    await refused.arrayBuffer();
    assert.equal(refused.status, 401);
  });

  it("the drill client, given the contract's health path, finds it there and applies a fault", async () => {
    const client = new DrillClient({ url: base, token: TOKEN, healthPath: '/api/healthz' });
    const state = await client.apply('handle-leak', { timersPerSecond: 1, socketsPerSecond: 0 }, 1000);
    assert.equal(state.active, true);
    assert.equal(client.endpoint.pathname, '/api/.sloctl/drill');
    assert.equal((await client.list()).faults.length, 1);
    assert.ok(await client.remove(state.id));
  });

  it('calls that race the first look under the prefix all find it there', async () => {
    const client = new DrillClient({ url: base, token: TOKEN, healthPath: '/api/healthz' });
    const lists = await Promise.all([client.list(), client.list(), client.evidence()]);
    assert.equal(lists.length, 3);
    assert.equal(client.endpoint.pathname, '/api/.sloctl/drill');
  });

  it('without the health path, the 404 says where else to look', async () => {
    const client = new DrillClient({ url: base, token: TOKEN });
    await assert.rejects(client.list(), (e: unknown) => e instanceof DrillClientError && /not a drill endpoint \(404\)/.test(e.message) && /basePath/.test(e.message));
  });
});

// The same for sloctl's middleware on a sub-app mounted with `app.route('/api', sub)` (Hono copies
// the sub-app's handlers under the prefix, so the middleware runs for /api/* only, as under
// basePath), nested twice, and under basePath: the endpoint is answered under the mount prefix.
describe('Hono sub-app mounted with app.route: the drill endpoint', () => {
  const mounts: Record<string, { build: (sdk: Sdk) => Hono; prefix: string }> = {
    "app.route('/api', sub)": { prefix: '/api', build: (s) => new Hono().route('/api', subApp(s)) },
    "app.route('/api', new Hono().route('/v2', sub))": { prefix: '/api/v2', build: (s) => new Hono().route('/api', new Hono().route('/v2', subApp(s))) },
    "new Hono().basePath('/v1').route('/api', sub)": { prefix: '/v1/api', build: (s) => new Hono().basePath('/v1').route('/api', subApp(s)) },
  };
  function subApp(s: Sdk): Hono {
    const sub = new Hono();
    sub.use(middleware(s));
    sub.get('/items', (c) => c.json([]));
    return sub;
  }
  for (const [name, { build, prefix }] of Object.entries(mounts)) {
    it(`${name}: answered at ${prefix}/.sloctl/drill behind the token, found by the drill client from the health path ${prefix}/healthz`, async () => {
      const sdk = instrumentForTest(parseContract(CONTRACT.replaceAll('/api/', `${prefix}/`), 'slo.yaml').contract!, { drill: { token: TOKEN } });
      const server = createServer(getRequestListener(build(sdk).fetch) as RequestListener);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const outside = await fetch(`${base}/.sloctl/drill`, { headers: { authorization: `Bearer ${TOKEN}` } });
        await outside.arrayBuffer();
        assert.equal(outside.status, 404);
        const ok = await fetch(`${base}${prefix}/.sloctl/drill`, { headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(ok.status, 200, await ok.clone().text());
        assert.equal(ok.headers.get('sloctl-drill'), '1');
        await ok.arrayBuffer();
        const refused = await fetch(`${base}${prefix}/.sloctl/drill`);
        await refused.arrayBuffer();
        assert.equal(refused.status, 401);
        const health = await fetch(`${base}${prefix}/healthz`);
        await health.arrayBuffer();
        assert.equal(health.status, 200);
        const client = new DrillClient({ url: base, token: TOKEN, healthPath: `${prefix}/healthz` });
        const state = await client.apply('handle-leak', { timersPerSecond: 1, socketsPerSecond: 0 }, 1000);
        assert.equal(client.endpoint.pathname, `${prefix}/.sloctl/drill`);
        assert.ok(await client.remove(state.id));
      } finally {
        await sdk.drill?.runner.reset();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });
  }
});
