// The fault proxy's traffic counters (FaultProxy.stats(), GET /proxies/{name}/stats): what a drill
// reads to tell whether the service still called the dependency during a fault.
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FaultProxies, startControlServer } from '../src/faults/index.ts';
import { httpUpstream, tcpUpstream, timedRequest, type Upstream } from './helpers/faults.ts';

let http: Upstream<import('node:http').Server>;
let echo: Upstream<import('node:net').Server>;

before(async () => {
  http = await httpUpstream((req, res) => {
    req.resume();
    req.on('end', () => res.end(`ok ${req.url}`));
  });
  // Echoes every byte back, and ends when the client ends.
  echo = await tcpUpstream((s) => {
    s.on('data', (c: Buffer) => s.write(c));
    s.on('end', () => s.end());
  });
});

after(async () => {
  await http.close();
  await echo.close();
});

/** Sends `bytes` on one connection through the port and resolves with what came back once the other side ended. */
function roundTrip(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    s.on('end', () => {
      s.end();
      resolve(Buffer.concat(got));
    });
    s.on('error', reject);
    s.end(bytes);
  });
}

describe('proxy traffic counters', () => {
  it('counts N HTTP requests on one keep-alive connection as N requests and 1 connection', async () => {
    const proxies = new FaultProxies();
    try {
      const p = await proxies.create({ name: 'api', upstream: `127.0.0.1:${http.port}` });
      assert.deepEqual(p.stats(), { connections: 0, requests: 0, bytesUp: 0, bytesDown: 0 });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const n = 25;
      let bodyBytes = 0;
      try {
        for (let i = 0; i < n; i++) {
          const r = await timedRequest(p.port, { path: `/r${i}`, agent, method: i % 2 ? 'POST' : 'GET', body: i % 2 ? 'x'.repeat(i * 100) : undefined });
          assert.equal(r.status, 200);
          bodyBytes += r.body.length;
        }
      } finally {
        agent.destroy();
      }
      const s = p.stats();
      assert.equal(s.requests, n);
      assert.equal(s.connections, 1);
      // The POST bodies went up (sum of 100·i for odd i < 25 = 15600), the answers came down.
      assert.ok(s.bytesUp > 15_600, `bytesUp ${s.bytesUp}`);
      assert.ok(s.bytesDown > bodyBytes, `bytesDown ${s.bytesDown} should exceed the bodies' ${bodyBytes} bytes (headers too)`);
    } finally {
      await proxies.close();
    }
  });

  it('counts a connection per request without keep-alive, and keeps counting across disable / enable', async () => {
    const proxies = new FaultProxies();
    try {
      const p = await proxies.create({ name: 'api', upstream: `127.0.0.1:${http.port}` });
      for (let i = 0; i < 7; i++) assert.equal((await timedRequest(p.port, { path: '/x', agent: false })).status, 200);
      assert.deepEqual([p.stats().connections, p.stats().requests], [7, 7]);
      await p.disable();
      await p.enable();
      for (let i = 0; i < 3; i++) await timedRequest(p.port, { path: '/y', agent: false });
      assert.deepEqual([p.stats().connections, p.stats().requests], [10, 10]);
    } finally {
      await proxies.close();
    }
  });

  it('counts requests answered by http_error, but not the injected answers as bytes from the dependency', async () => {
    const proxies = new FaultProxies();
    try {
      const p = await proxies.create({ name: 'api', upstream: `127.0.0.1:${http.port}` });
      p.addToxic({ type: 'http_error', attributes: { status: 503 } });
      for (let i = 0; i < 4; i++) assert.equal((await timedRequest(p.port, { agent: false })).status, 503);
      const s = p.stats();
      assert.equal(s.requests, 4);
      assert.equal(s.connections, 4);
      assert.equal(s.bytesDown, 0, 'the dependency sent nothing: the proxy answered');
    } finally {
      await proxies.close();
    }
  });

  it('counts bytes exactly on a stream that is not HTTP, with 0 requests', async () => {
    const proxies = new FaultProxies();
    try {
      const p = await proxies.create({ name: 'db', upstream: `127.0.0.1:${echo.port}` });
      const payload = Buffer.alloc(100_000, 0x07); // not an HTTP method: the framer goes opaque
      for (let i = 0; i < 3; i++) assert.equal((await roundTrip(p.port, payload)).length, payload.length);
      assert.deepEqual(p.stats(), { connections: 3, requests: 0, bytesUp: 300_000, bytesDown: 300_000 });
    } finally {
      await proxies.close();
    }
  });

  it('serves the counters under GET /proxies/{name}/stats, and 404 for an unknown proxy', async () => {
    const proxies = new FaultProxies();
    const api = await startControlServer(proxies, { port: 0 });
    try {
      const p = await proxies.create({ name: 'api', upstream: `127.0.0.1:${http.port}` });
      for (let i = 0; i < 5; i++) await timedRequest(p.port, { agent: false });
      const r = await fetch(`${api.url}/proxies/api/stats`);
      assert.equal(r.status, 200);
      const body = (await r.json()) as Record<string, number>;
      assert.deepEqual({ connections: body.connections, requests: body.requests }, { connections: 5, requests: 5 });
      assert.deepEqual(Object.keys(body).sort(), ['bytesDown', 'bytesUp', 'connections', 'requests']);
      // The toxiproxy shape is unchanged (no counters in it).
      const proxy = (await (await fetch(`${api.url}/proxies/api`)).json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(proxy).sort(), ['enabled', 'listen', 'name', 'toxics', 'upstream']);
      const missing = await fetch(`${api.url}/proxies/nope/stats`);
      assert.equal(missing.status, 404);
      assert.equal((await fetch(`${api.url}/proxies/api/stats`, { method: 'DELETE' })).status, 405);
    } finally {
      await api.close();
    }
  });
});
