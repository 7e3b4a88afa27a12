// The SDK conformance suite: one table of requests and the metrics each must produce, run
// against the same application on all five adapters (node:http, Express, Fastify, Koa, Hono),
// over real HTTP on 127.0.0.1. Then the health composite on each, with the payments breaker
// forced open, and a check that all five expose exactly the same series.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import CircuitBreaker from 'opossum';
import { Agent, request } from 'undici';
import { HTTP_ROLES, NODE_RUNTIME_ROLES } from '../src/contract/metric-names.ts';
import { instrument, WEIGHTED_REQUESTS, type Sdk } from 'sloctl/sdk';
import { metricValue, samples, testRegistry } from 'sloctl/sdk/testing';
import { ADAPTERS, Signals, startApp, type AdapterName, type Running } from './sdk/apps.ts';
import { CASES, THRESHOLD_BUCKETS } from './sdk/conformance-cases.ts';

const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url);
const DURATION = HTTP_ROLES.requestDuration.name;
const REQUESTS = HTTP_ROLES.requests.name;
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
after(() => agent.close());

async function send(base: string, method: string, path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; body: string }> {
  const res = await request(base + path, { method: method as 'GET', headers, dispatcher: agent, signal });
  return { status: res.statusCode, body: await res.body.text() };
}

const total = async (sdk: Sdk, name: string, labels: Record<string, string> = {}) => (await metricValue(sdk.registry, name, labels)) ?? 0;

/**
 * Name and labels of every HTTP and sloctl series, values left out: what must be equal across
 * adapters. (Runtime series such as GC kinds depend on what the runtime did, not on the adapter.)
 */
async function seriesKeys(sdk: Sdk): Promise<string[]> {
  const text = await sdk.metrics();
  return text.split('\n').filter((l) => l.startsWith('http_server_') || l.startsWith('sloctl_')).map((l) => l.slice(0, l.lastIndexOf(' '))).sort();
}

const keysByAdapter = new Map<AdapterName, string[]>();

for (const adapter of ADAPTERS) {
  describe(`sdk conformance: ${adapter}`, () => {
    let sdk: Sdk;
    let app: Running;
    const signals = new Signals();
    before(async () => {
      sdk = instrument({ contract: CONTRACT, registry: testRegistry() });
      app = await startApp(adapter, sdk, signals);
    });
    after(async () => {
      keysByAdapter.set(adapter, await seriesKeys(sdk));
      await app.close();
    });

    for (const c of CASES) {
      it(c.name, async () => {
        const allBefore = await total(sdk, REQUESTS);
        const e = c.expect;
        const series = e === 'excluded' ? undefined : {
          method: e.method ?? c.method, route: e.route, status_class: e.status_class,
        };
        const countLabels = series && e !== 'excluded' ? { ...series, error_class: e.error_class } : undefined;
        const histLabels = series && e !== 'excluded' ? { ...series, sli_class: e.sli_class ?? 'default' } : undefined;
        const before = countLabels ? await total(sdk, REQUESTS, countLabels) : 0;
        const histBefore = histLabels ? await total(sdk, DURATION, histLabels) : 0;
        const weightedBefore = series ? await total(sdk, WEIGHTED_REQUESTS.name, { method: series.method, route: series.route }) : 0;

        const res = await send(app.url, c.method, c.path, c.headers);
        assert.equal(res.status, c.status, `status of ${c.method} ${c.path}`);

        if (e === 'excluded') {
          assert.equal(await total(sdk, REQUESTS), allBefore, 'nothing is counted');
          const routes = new Set((await samples(sdk.registry, REQUESTS)).map((s) => s.labels.route));
          assert.ok(!routes.has(c.path), `no series for ${c.path}`);
          return;
        }
        assert.equal(await total(sdk, REQUESTS), allBefore + 1, 'exactly one request counted');
        assert.equal(await total(sdk, REQUESTS, countLabels), before + 1, `counted as ${JSON.stringify(countLabels)}`);
        assert.equal(await total(sdk, DURATION, histLabels), histBefore + 1, `timed as ${JSON.stringify(histLabels)}`);
        assert.equal(await total(sdk, WEIGHTED_REQUESTS.name, { method: series!.method, route: series!.route }), weightedBefore + (e.weight ?? 1), 'weighted by the route weight');
      });
    }

    it('a request the client abandons is counted as aborted, and in flight until then', async () => {
      const before = await total(sdk, REQUESTS, { route: '/hang', status_class: 'aborted' });
      const ac = new AbortController();
      const pending = send(app.url, 'GET', '/hang', {}, ac.signal).catch((err: unknown) => err);
      await signals.wait('hang-entered');
      assert.equal(await total(sdk, HTTP_ROLES.inFlight.name), 1, 'in flight while the handler runs (the scrape itself is not)');
      ac.abort();
      await signals.wait('hang-closed');
      await pending;
      assert.equal(await total(sdk, HTTP_ROLES.inFlight.name), 0);
      assert.equal(await total(sdk, REQUESTS, { method: 'GET', route: '/hang', status_class: 'aborted' }), before + 1);
      // An abandoned request is an AbortError/ECONNRESET to the contract: transient here.
      assert.equal(await total(sdk, REQUESTS, { route: '/hang', status_class: 'aborted', error_class: 'transient' }), before + 1);
      assert.equal(await total(sdk, DURATION, { route: '/hang', status_class: 'aborted' }), before + 1);
    });

    it('latency lands in buckets that include every contract threshold', async () => {
      const labels = { method: 'GET', route: '/slow', status_class: '2xx', sli_class: 'default' };
      await send(app.url, 'GET', '/slow?ms=210');
      const buckets = (await samples(sdk.registry, `${DURATION}_bucket`)).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      const les = buckets.map((b) => b.labels.le);
      for (const t of THRESHOLD_BUCKETS) assert.ok(les.includes(t), `le="${t}" is a bucket`);
      assert.deepEqual(les, [...sdk.buckets.map(String), '+Inf']);
      const at = (le: string) => buckets.find((b) => b.labels.le === le)!.value;
      assert.equal(at('0.2'), 0, 'a 210 ms request is not under the 200 ms threshold');
      assert.equal(at('+Inf'), 1);
      assert.equal(at('1'), 1);
    });

    it('exports the contract metrics with the same names, types and label names', async () => {
      const text = await sdk.metrics();
      const type = (name: string) => new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];
      assert.equal(type(DURATION), 'histogram');
      assert.equal(type(REQUESTS), 'counter');
      assert.equal(type(WEIGHTED_REQUESTS.name), 'counter');
      assert.equal(type(HTTP_ROLES.inFlight.name), 'gauge');
      assert.equal(type(HTTP_ROLES.errorClassWeight.name), 'gauge');
      assert.equal(type(HTTP_ROLES.availability.name), 'gauge');
      assert.equal(type(HTTP_ROLES.dependencyUp.name), 'gauge');
      assert.equal(type(NODE_RUNTIME_ROLES.eventLoopUtilization.name), 'gauge');
      assert.equal(type(NODE_RUNTIME_ROLES.eventLoopDelay.name), 'gauge');
      const labelNames = async (name: string) => new Set((await samples(sdk.registry, name)).flatMap((s) => Object.keys(s.labels)));
      assert.deepEqual([...await labelNames(`${DURATION}_bucket`)].sort(), ['le', 'method', 'route', 'sli_class', 'status_class']);
      assert.deepEqual([...await labelNames(REQUESTS)].sort(), ['error_class', 'method', 'route', 'status_class']);
      // The roles' table says the same (the code check compares a contract's labels with it).
      assert.deepEqual([...await labelNames(`${DURATION}_bucket`)].filter((l) => l !== 'le').sort(), [...HTTP_ROLES.requestDuration.labels].sort());
      assert.deepEqual([...await labelNames(REQUESTS)].sort(), [...HTTP_ROLES.requests.labels].sort());
      assert.equal(await metricValue(sdk.registry, HTTP_ROLES.errorClassWeight.name, { error_class: 'transient' }), 0.3);
      assert.equal(await metricValue(sdk.registry, HTTP_ROLES.errorClassWeight.name, { error_class: 'server' }), 2.5);
      const routes = new Set((await samples(sdk.registry, REQUESTS)).map((s) => s.labels.route));
      for (const r of routes) assert.ok(r === 'unmatched' || r.startsWith('/') && !/\d/.test(r), `route label ${r} is a template`);
    });

    describe('health', () => {
      let hsdk: Sdk;
      let happ: Running;
      let breaker: CircuitBreaker;
      before(async () => {
        hsdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false, health: { minRequests: 20 } });
        breaker = new CircuitBreaker(async () => true);
        hsdk.dependency('payments').breaker(breaker);
        happ = await startApp(adapter, hsdk);
      });
      after(async () => {
        breaker.shutdown();
        await happ.close();
      });
      const health = async () => {
        const res = await send(happ.url, 'GET', '/healthz');
        return { status: res.status, body: JSON.parse(res.body) as { status: string; availability: number; checks: Record<string, { status: string }> } };
      };
      const gauge = async (name: string, labels?: Record<string, string>) => metricValue(hsdk.registry, name, labels);

      it('UP with 200 when every signal is fine', async () => {
        const h = await health();
        assert.equal(h.status, 200);
        assert.equal(h.body.status, 'UP');
        assert.equal(h.body.availability, 1);
        assert.equal(await gauge(HTTP_ROLES.availability.name), 1);
        assert.equal(await gauge(HTTP_ROLES.dependencyUp.name, { dependency: 'payments' }), 1);
      });

      it('the payments breaker forced open: 503 DEGRADED, availability 1 - 0.2', async () => {
        breaker.open();
        const h = await health();
        assert.equal(h.status, 503);
        assert.equal(h.body.status, 'DEGRADED');
        assert.equal(h.body.availability, 0.8);
        assert.equal(h.body.checks.dependencies.status, 'DOWN');
        assert.equal(await gauge(HTTP_ROLES.availability.name), 0.8);
        assert.equal(await gauge(HTTP_ROLES.dependencyUp.name, { dependency: 'payments' }), 0);
      });

      it('recent errors take the success weight off as well; closing the breaker gives the dependency weight back', async () => {
        await Promise.all(Array.from({ length: 25 }, () => send(happ.url, 'GET', '/status/500')));
        let h = await health();
        assert.equal(h.body.checks.success.status, 'DOWN');
        assert.equal(h.body.availability, 0.55);
        assert.equal(h.body.status, 'DEGRADED');
        breaker.close();
        h = await health();
        assert.equal(h.body.availability, 0.75);
        assert.equal(h.status, 503);
        assert.equal(await gauge(HTTP_ROLES.availability.name), 0.75);
      });

      it('draining: 503 DOWN', async () => {
        hsdk.drain();
        const h = await health();
        assert.equal(h.status, 503);
        assert.equal(h.body.status, 'DOWN');
        assert.equal(h.body.checks.liveness.status, 'DOWN');
      });
    });
  });
}

describe('sdk conformance: across adapters', () => {
  it('all five adapters expose exactly the same series for the same requests', () => {
    const [first, ...rest] = ADAPTERS;
    const reference = keysByAdapter.get(first);
    assert.ok(reference && reference.length > 0);
    for (const a of rest) {
      const keys: string[] = keysByAdapter.get(a) ?? [];
      assert.ok(keys.length > 0, `${a} ran`);
      const missing: string[] = reference.filter((k) => !keys.includes(k));
      const extra: string[] = keys.filter((k) => !reference.includes(k));
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${a} vs ${first}`);
    }
  });
});

describe('sdk conformance: other entry points', () => {
  it('hono without @hono/node-server (app.request): timed until the handler chain returns', async () => {
    const { Hono } = await import('hono');
    const { middleware } = await import('sloctl/sdk/hono');
    const sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    const app = new Hono();
    app.use('*', middleware(sdk));
    app.get('/products/:id', (c) => c.text('ok'));
    app.post('/orders', () => {
      throw new Error('x', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
    });
    app.onError((_e, c) => c.text('error', 500));
    assert.equal((await app.request('/products/9')).status, 200);
    assert.equal((await app.request('/orders', { method: 'POST' })).status, 500);
    assert.equal((await app.request('/nothing/here')).status, 404);
    assert.equal((await app.request('/healthz')).status, 200);
    assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: '2xx', error_class: 'none' }), 1);
    assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/orders', method: 'POST', status_class: '5xx', error_class: 'transient' }), 1);
    assert.equal(await metricValue(sdk.registry, REQUESTS, { route: 'unmatched', status_class: '4xx', error_class: 'client' }), 1);
    assert.equal(await metricValue(sdk.registry, REQUESTS), 3);
  });

  it('node:http instrumentServer with the contract\'s own templates: statuses only, nothing served', async () => {
    const { createServer } = await import('node:http');
    const { instrumentServer } = await import('sloctl/sdk/http');
    const sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    const server = createServer((req, res) => {
      res.statusCode = /^\/products\/\d+(\?|$)/.test(req.url ?? '') ? 200 : 404;
      res.end();
    });
    instrumentServer(server, sdk);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      assert.equal((await send(base, 'GET', '/products/5?x=1')).status, 200);
      assert.equal((await send(base, 'GET', '/products/5/reviews')).status, 404);
      assert.equal((await send(base, 'GET', '/healthz')).status, 404, 'instrumentServer serves nothing');
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: '2xx' }), 1);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: 'unmatched', status_class: '4xx' }), 1);
      assert.equal(await metricValue(sdk.registry, REQUESTS), 2, 'the health path stays outside the SLIs');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fastify: a route registered before the plugin keeps its template; a request an earlier async hook delays is counted once; a malformed URL Fastify answers itself is counted', async () => {
    const { default: Fastify } = await import('fastify');
    const { default: sloctlFastify } = await import('sloctl/sdk/fastify');
    const sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    const app = Fastify();
    app.addHook('onRequest', async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    app.get('/products/:id', async () => 'early');
    await app.register(sloctlFastify, { sdk });
    app.get('/orders', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      assert.equal((await send(base, 'GET', '/orders')).status, 200);
      assert.equal((await send(base, 'GET', '/nope')).status, 404);
      assert.equal((await send(base, 'GET', '/%zz')).status, 400);
      assert.equal((await send(base, 'GET', '/products/1')).status, 200);
      assert.equal((await send(base, 'GET', '/products/2')).status, 200);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/orders' }), 1);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id' }), 2);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: 'unmatched', status_class: '4xx' }), 2);
      assert.equal(await metricValue(sdk.registry, REQUESTS), 5);
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  it('fastify: app.inject() requests are counted under their route; a request a hook answers is counted under the contract route its path matches', async () => {
    const { default: Fastify } = await import('fastify');
    const { default: sloctlFastify } = await import('sloctl/sdk/fastify');
    const sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    const app = Fastify();
    await app.register(sloctlFastify, { sdk });
    app.addHook('preHandler', async (request, reply) => {
      if (request.headers.authorization === undefined && request.url.startsWith('/products/')) await reply.code(401).send('who are you?');
    });
    app.get('/orders', async () => 'ok');
    app.get('/products/:id', async () => 'product');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/orders' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/orders' })).statusCode, 200);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/orders', status_class: '2xx' }), 2);
      assert.equal((await send(base, 'GET', '/products/7')).status, 401);
      assert.equal((await send(base, 'GET', '/products/7', { authorization: 'x' })).status, 200);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: '4xx' }), 1);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: '2xx' }), 1);
      assert.equal(sdk.recorder.inFlight, 0);
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  it('fastify over https: a finished request and one its client abandons are both ended (the abort on the TLS socket), none left in flight', async () => {
    const { default: Fastify } = await import('fastify');
    const { default: sloctlFastify } = await import('sloctl/sdk/fastify');
    const { readFileSync } = await import('node:fs');
    const tls = new URL('./fixtures/load/tls/', import.meta.url);
    const sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    const app = Fastify({ https: { key: readFileSync(new URL('key.pem', tls)), cert: readFileSync(new URL('cert.pem', tls)) } });
    await app.register(sloctlFastify, { sdk });
    let entered!: () => void;
    const hangEntered = new Promise<void>((resolve) => (entered = resolve));
    let closed!: Promise<void>;
    app.get('/orders', async () => 'ok');
    app.get('/products/:id', async (_request, reply) => {
      closed = new Promise<void>((resolve) => reply.raw.once('close', () => resolve()));
      entered();
      await closed;
      return 'late';
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const tlsAgent = new Agent({ connect: { rejectUnauthorized: false } }); // the fixture's self-signed certificate, on loopback
    try {
      const ok = await request(`${base}/orders`, { dispatcher: tlsAgent });
      assert.equal(ok.statusCode, 200);
      await ok.body.text();
      const ac = new AbortController();
      const pending = request(`${base}/products/9`, { dispatcher: tlsAgent, signal: ac.signal }).catch((err: unknown) => err);
      await hangEntered;
      assert.equal(sdk.recorder.inFlight, 1);
      ac.abort();
      await closed;
      await pending;
      // Ended on the TLS socket's 'close', which Node emits around the response's: a few turns of the loop at most.
      for (let i = 0; i < 50 && sdk.recorder.inFlight > 0; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(sdk.recorder.inFlight, 0, 'the abandoned request was ended');
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/orders', status_class: '2xx' }), 1);
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: 'aborted' }), 1);
    } finally {
      await tlsAgent.close();
      app.server.closeAllConnections();
      await app.close();
    }
  });

  // The limiter suite pipelines on every adapter (test/sdk-limiter.test.ts); instrumentServer has no limiter, its own path.
  it('instrumentServer: pipelined requests whose connection closes before their turn are ended as aborted, none left in flight', async () => {
    const { createServer } = await import('node:http');
    const { connect } = await import('node:net');
    const { instrumentServer } = await import('sloctl/sdk/http');
    const sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    let allEntered!: () => void;
    const three = new Promise<void>((resolve) => (allEntered = resolve));
    const server = createServer(async (_req, res) => {
      if (++entered === 3) allEntered();
      await released;
      res.end('late');
    });
    instrumentServer(server, sdk, () => '/products/:id');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('GET /products/1 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3));
      await three; // Node handed all three over at once, the last two with their responses queued
      assert.equal(sdk.recorder.inFlight, 3);
      socket.destroy();
      for (let i = 0; i < 50 && sdk.recorder.inFlight > 0; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(sdk.recorder.inFlight, 0, 'every pipelined request was ended');
      assert.equal(await metricValue(sdk.registry, REQUESTS, { route: '/products/:id', status_class: 'aborted' }), 3);
    } finally {
      release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('an invalid contract is refused with the located message; an undeclared dependency names the declared ones', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-sdk-'));
    const bad = join(dir, 'slo.yaml');
    writeFileSync(bad, 'apiVersion: sloctl/v1\nservice: { name: x }\nobjectives:\n  errors: { objective: 150% }\n');
    assert.throws(() => instrument({ contract: bad, registry: testRegistry() }), (err: Error) => err.name === 'ContractError' && err.message.includes(`${bad}:4:`));
    assert.throws(() => instrument({ contract: join(dir, 'missing.yaml'), registry: testRegistry() }), /cannot read the contract/);
    const sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    assert.throws(() => sdk.dependency('paymnets'), (err: Error & { code?: string }) => err.code === 'SLOCTL_SDK_CONTRACT' && /declares no dependency "paymnets": did you mean "payments"\? \(it declares: payments\)/.test(err.message));
    assert.throws(() => sdk.dependency('search'), (err: Error) => !/did you mean/.test(err.message) && /\(it declares: payments\)/.test(err.message));
    assert.throws(() => instrument({ contract: CONTRACT, registry: sdk.registry }), /already registered in this registry/);
  });

  // Found by a TypeScript user trial: the way without a thread, as documented,
  // `instrument({ contract: parseContract(text, file).contract })`, did not type-check under
  // `strict` (the contract is undefined when the schema refuses the file) and ran a contract with
  // semantic errors, which instrument() from a file refuses. The parse result itself is accepted now.
  it('takes parseContract\'s result: valid, it runs; with an error, refused with the located message', async () => {
    const { parseContract } = await import('sloctl');
    const good = parseContract('apiVersion: sloctl/v1\nservice: { name: parsed }\n', '/srv/slo.yaml');
    const sdk = instrument({ contract: good, registry: testRegistry(), defaultMetrics: false });
    assert.equal(sdk.contract.service.name, 'parsed');
    assert.equal(instrument(good).contract.service.name, 'parsed', 'as the only argument too');
    const semantic = parseContract('apiVersion: sloctl/v1\nservice: { name: x }\nobjectives:\n  errors: { objective: 150% }\n', '/srv/bad.yaml');
    assert.ok(semantic.contract !== undefined, 'the schema takes it; the range check does not');
    assert.throws(() => instrument({ contract: semantic, registry: testRegistry() }), (err: Error & { code?: string }) => err.code === 'SLOCTL_SDK_CONTRACT' && /\/srv\/bad\.yaml:4:\d+: error/.test(err.message));
    const schema = parseContract('apiVersion: sloctl/v1\nservice: { nmae: x }\n', '/srv/schema.yaml');
    assert.throws(() => instrument({ contract: schema, registry: testRegistry() }), (err: Error & { code?: string }) => err.code === 'SLOCTL_SDK_CONTRACT' && /\/srv\/schema\.yaml:2:\d+: error/.test(err.message));
  });

  // Found by a TypeScript user trial: `new URL('./slo.yaml', import.meta.url)`, as the README
  // shows, compiled by tsc into dist/server.js looks for dist/slo.yaml, and the message then
  // suggested that same form.
  it('a contract not found beside compiled code names the one in a parent directory and the URL to write', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { pathToFileURL } = await import('node:url');
    const dir = mkdtempSync(join(tmpdir(), 'sloctl-sdk-dist-'));
    mkdirSync(join(dir, 'dist', 'server'), { recursive: true });
    writeFileSync(join(dir, 'slo.yaml'), 'apiVersion: sloctl/v1\nservice: { name: x }\n');
    const code = pathToFileURL(join(dir, 'dist', 'server', 'main.js'));
    assert.throws(() => instrument({ contract: new URL('./slo.yaml', code), registry: testRegistry() }), (err: Error) => {
      assert.match(err.message, /cannot read the contract .*dist\/server\/slo\.yaml \(ENOENT\)/);
      assert.ok(err.message.includes(`there is one at ${join(dir, 'slo.yaml')}`), err.message);
      assert.ok(err.message.includes("new URL('../../slo.yaml', import.meta.url)"), err.message);
      return true;
    });
    // None anywhere above: the general advice, without a guess.
    const lone = mkdtempSync(join(tmpdir(), 'sloctl-sdk-none-'));
    assert.throws(() => instrument({ contract: join(lone, 'slo.yaml'), registry: testRegistry() }), (err: Error) => !/there is one at/.test(err.message) && /pass the path of your slo\.yaml/.test(err.message));
  });
});
