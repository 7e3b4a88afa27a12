// sloctl's Hono middleware registered twice on a request's path (a user trial): the app's
// `app.use('*', middleware(sdk))` and a sub-app's own, which `app.route('/admin', admin)` copies in
// under `/admin/*`. Each request to the sub-app was counted twice (`/admin/x` 2 per request), so the
// service's view disagreed with every client's. The first middleware counts it; the second passes.
import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { parseContract } from '../src/contract/load.ts';
import { middleware } from '../src/sdk/adapters/hono.ts';
import type { Sdk } from '../src/sdk/instrument.ts';
import { instrumentForTest, samples } from '../src/sdk/testing.ts';

const CONTRACT = `apiVersion: sloctl/v1
service: { name: twice }
routes:
  - { name: home, method: GET, path: /a }
  - { name: admin, method: GET, path: /admin/x }
  - { name: admin-boom, method: GET, path: /admin/boom }
objectives:
  errors: { objective: 99% }
`;

function build(): { sdk: Sdk; app: Hono } {
  const sdk = instrumentForTest(parseContract(CONTRACT, 'slo.yaml').contract!, { maxRoutes: 0 });
  const app = new Hono();
  app.use('*', middleware(sdk));
  app.get('/a', (c) => c.text('a'));
  const admin = new Hono();
  admin.use('*', middleware(sdk));
  admin.get('/x', (c) => c.text('x'));
  admin.get('/boom', () => { throw new Error('admin store down'); });
  app.route('/admin', admin);
  return { sdk, app };
}

async function series(sdk: Sdk): Promise<string[]> {
  return (await samples(sdk.registry, 'http_server_requests_total')).filter((s) => s.value > 0)
    .map((s) => `${s.labels.route} ${s.labels.status_class} ${s.labels.error_class} ${s.value}`).sort();
}

const EXPECTED = ['/a 2xx none 1', '/admin/boom 5xx server 1', '/admin/x 2xx none 2', 'unmatched 4xx client 1'];

describe("Hono: sloctl's middleware on the app and on a mounted sub-app", () => {
  it('on @hono/node-server: each request is counted once, under its route', async () => {
    const { sdk, app } = build();
    const server = createServer(getRequestListener(app.fetch) as RequestListener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const statuses: number[] = [];
      for (const p of ['/a', '/admin/x', '/admin/x', '/admin/boom', '/admin/nope']) {
        const r = await fetch(base + p);
        await r.arrayBuffer();
        statuses.push(r.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 500, 404]);
      assert.deepEqual(await series(sdk), EXPECTED);
      assert.equal((await sdk.health()).checks.success.requests, 4, 'health judges the four routed requests once each');
      const health = await fetch(`${base}/healthz`);
      await health.arrayBuffer();
      assert.equal(health.status, 200);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('without @hono/node-server (app.request): the same', async () => {
    const { sdk, app } = build();
    const statuses: number[] = [];
    for (const p of ['/a', '/admin/x', '/admin/x', '/admin/boom', '/admin/nope']) statuses.push((await app.request(p)).status);
    assert.deepEqual(statuses, [200, 200, 200, 500, 404]);
    assert.deepEqual(await series(sdk), EXPECTED);
  });
});
