// node:http without `route(req)`: a request is labelled with the contract route of its method (HEAD
// also a GET route's) whose template its path matches, else `unmatched`. A user trial found that a
// method no contract route declares (DELETE /products/1, PROPFIND /orders) was labelled with the
// template anyway, counted in the SLOs and judged by health: 120 such junk requests turned /healthz
// 503 DEGRADED, which health's `judge: 'routes'` default exists to prevent.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { instrument, type Sdk } from 'sloctl/sdk';
import { instrumentServer, wrap } from 'sloctl/sdk/http';
import { metricValue, testRegistry } from 'sloctl/sdk/testing';

const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url);
const REQUESTS = 'http_server_requests_total';

// A hand-routed service: GET (and HEAD) /products/:id and GET /orders; everything else 404.
const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  const path = (req.url ?? '/').split('?')[0];
  const get = req.method === 'GET' || req.method === 'HEAD';
  res.statusCode = get && (/^\/products\/\d+$/.test(path) || path === '/orders') ? 200 : 404;
  res.end();
};

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function send(base: string, method: string, path: string): Promise<number> {
  const res = await fetch(base + path, { method });
  await res.arrayBuffer();
  return res.status;
}

for (const kind of ['wrap', 'instrumentServer'] as const) {
  describe(`sdk/http ${kind} with the contract's templates: by method`, () => {
    let sdk: Sdk;
    let server: Server;
    let base: string;
    before(async () => {
      sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
      if (kind === 'wrap') server = createServer(wrap(handler, sdk));
      else {
        server = createServer(handler);
        instrumentServer(server, sdk);
      }
      base = await listen(server);
    });
    after(() => close(server));

    it('labels a method no contract route declares unmatched; HEAD takes the GET route', async () => {
      for (let i = 0; i < 30; i++) assert.equal(await send(base, 'GET', `/products/${i}`), 200);
      assert.equal(await send(base, 'HEAD', '/products/7'), 200);
      for (let i = 0; i < 60; i++) {
        assert.equal(await send(base, 'DELETE', `/products/${i}`), 404);
        assert.equal(await send(base, 'PROPFIND', '/orders'), 404);
      }
      assert.equal(await metricValue(sdk.registry, REQUESTS, { method: 'GET', route: '/products/:id' }), 30);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { method: 'HEAD', route: '/products/:id', status_class: '2xx' }), 1);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { method: 'DELETE', route: 'unmatched' }), 60);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { method: 'other', route: 'unmatched' }), 60);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: '4xx' }), undefined, 'no 404 under the template');
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/orders', status_class: '4xx' }), undefined, 'no 404 under the template');
      const health = await sdk.health();
      assert.equal(health.status, 'UP', `the junk methods are not judged: ${JSON.stringify(health.checks)}`);
    });
  });
}
