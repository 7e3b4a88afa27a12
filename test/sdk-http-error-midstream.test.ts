// node:http `wrap`: a handler that throws after the status and part of the body went out. The
// response used to be ended cleanly, so the client read a truncated body as a complete 200 (a user
// trial: chunked 'partial', then the throw). The connection is now cut, as Express's final handler
// does: the client sees the failure, and the SDK records the request once, as aborted, classified
// by the error (not as a good-looking 2xx).
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { instrument, type Sdk } from 'sloctl/sdk';
import { wrap } from 'sloctl/sdk/http';
import { metricValue, testRegistry } from 'sloctl/sdk/testing';

const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url);
const REQUESTS = 'http_server_requests_total';

/** Status, body read and how the response ended ('end', or the error the client got). */
function get(port: number, path: string): Promise<{ status: number; body: string; ended: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, ended: 'end' }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: res.statusCode!, body, ended: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', ended: e.code ?? e.message }));
    req.end();
  });
}

describe('sdk/http wrap: an error after the response began', () => {
  let sdk: Sdk;
  let server: Server;
  let port: number;
  const errors: unknown[] = [];
  before(async () => {
    sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    server = createServer(wrap(async (req, res) => {
      if (req.url === '/products/1') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('the rest of the body failed');
      }
      if (req.url === '/products/2') throw new Error('before any byte');
      res.end('whole');
    }, sdk, { onError: (err) => errors.push(err) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('cuts the connection, so the client does not take the truncated body for a whole one', async () => {
    const r = await get(port, '/products/1');
    assert.equal(r.status, 200);
    assert.notEqual(r.ended, 'end', `the client read ${JSON.stringify(r.body)} and a clean end`);
    assert.equal(errors.length, 1, 'onError saw the error');
    for (let i = 0; i < 50 && sdk.recorder.inFlight > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await metricValue(sdk.registry, REQUESTS), 1, 'counted once');
    assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: 'aborted', error_class: 'unclassified' }), 1);
  });

  it('an error before any byte is still a 500 with a clean end', async () => {
    const r = await get(port, '/products/2');
    assert.deepEqual([r.status, r.ended], [500, 'end']);
    for (let i = 0; i < 50 && sdk.recorder.inFlight > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: '5xx' }), 1);
  });
});
