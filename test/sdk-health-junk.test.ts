// Junk cannot flip health (issue 15, item 2). Before the fix, 300 requests to `/%zz<n>` turned
// /healthz from 200 UP into 503 on Fastify: anyone who could reach a replica could take it out of
// its load balancer. Now health judges only requests that reached a route of the service
// (`health.judge`, default 'routes'); junk is still counted in the metrics.
//
// On every adapter: 1,000 requests to unmatched and malformed paths leave /healthz 200 UP and
// every one of them is in http_server_requests_total; the same junk with `judge: 'all'` does flip
// health (the attack is real on this app), and so do real failures on a matched route under the
// default (the check still works).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { instrument, type Sdk } from 'sloctl/sdk';
import { testRegistry } from 'sloctl/sdk/testing';
import { HTTP_ROLES } from '../src/contract/metric-names.ts';
import { mulberry32 } from '../src/load/prng.ts';
import { ADAPTERS, startApp, type AdapterName, type Running } from './sdk/apps.ts';
import { blast, KINDS, type Hostile } from './sdk/hostile.ts';

const CONTRACT = new URL('./sdk/fixtures/slo.yaml', import.meta.url);
const N = 1000;
const ODD = ['PROPFIND', 'PURGE', 'SEARCH', 'LOCK', 'MKCOL', 'REPORT', 'UNLOCK', 'PUT', 'DELETE', 'PATCH'] as const;

/**
 * The junk, seeded: `/%zz<n>` (Fastify answers 400 before routing), random unmatched paths (404),
 * odd methods on the app's real paths (no route takes them: 404/405), bad escapes inside a route's
 * parameter (Express answers 400), a malformed JSON body to a real route (Fastify's body parser
 * answers 400), and very long random paths.
 */
export function* junk(seed: number, n: number): Generator<Hostile> {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 0; i < n; i++) {
    switch (i % 10) {
      case 0: case 1: case 2: yield { method: 'GET', path: `/%zz${i}` }; break;
      case 3: case 4: yield { method: pick(['GET', 'POST', 'HEAD']), path: KINDS[0](r) }; break;
      case 5: case 6: yield { method: pick(ODD), path: pick(['/orders', '/products/7', '/boom', '/slow', '/']) }; break;
      case 7: yield { method: 'GET', path: `/products/%zz${i}` }; break;
      case 8: yield { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: `{"broken": ${i}` }; break;
      default: yield { method: pick(['GET', 'PROPFIND']), path: KINDS[4](r) }; break;
    }
  }
}

interface HealthBody {
  status: string;
  availability: number;
  checks: { success: { status: string; requests: number }; latency: { status: string } };
}

async function health(app: Running): Promise<{ code: number; body: HealthBody }> {
  const res = await request(`${app.url}/healthz`);
  return { code: res.statusCode, body: await res.body.json() as HealthBody };
}

async function requestsCounted(sdk: Sdk): Promise<{ total: number; unmatched: number }> {
  let total = 0;
  let unmatched = 0;
  for (const line of (await sdk.metrics()).split('\n')) {
    if (!line.startsWith(`${HTTP_ROLES.requests.name}{`)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    total += v;
    if (line.includes('route="unmatched"')) unmatched += v;
  }
  return { total, unmatched };
}

const summary = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ');

for (const adapter of ADAPTERS) {
  describe(`health under junk: ${adapter}`, () => {
    let sdk: Sdk;
    let app: Running;
    before(async () => {
      sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
      app = await startApp(adapter, sdk);
    });
    after(() => app.close());

    it(`${N.toLocaleString('en')} unmatched and malformed requests are counted but leave /healthz 200 UP`, async () => {
      const before = await health(app);
      assert.equal(before.code, 200);
      assert.equal(before.body.status, 'UP');
      const run = await blast(app.url, junk(1, N));
      assert.equal(run.failed, 0, 'every request was answered');
      assert.equal(run.answered, N);
      console.log(`  ${adapter}: ${summary(run.statuses)}`);
      expectFrameworkRejections(adapter, run.statuses);

      const counted = await requestsCounted(sdk);
      assert.equal(counted.total, N, 'every junk request is in the metrics');
      assert.ok(counted.unmatched >= N * 0.6, `most under route="unmatched" (${counted.unmatched})`);

      const after = await health(app);
      assert.equal(after.code, 200, JSON.stringify(after.body));
      assert.equal(after.body.status, 'UP');
      assert.equal(after.body.availability, 1);
      assert.notEqual(after.body.checks.success.status, 'DOWN');
    });

    it('real failures on a matched route still take health down', async () => {
      const run = await blast(app.url, Array.from({ length: 60 }, () => ({ method: 'GET', path: '/boom' })));
      assert.equal(run.statuses.get(500), 60, summary(run.statuses));
      const h = await health(app);
      assert.equal(h.code, 503, JSON.stringify(h.body));
      assert.notEqual(h.body.status, 'UP');
      assert.equal(h.body.checks.success.status, 'DOWN');
    });
  });

  describe(`health under junk with judge: 'all': ${adapter}`, () => {
    let sdk: Sdk;
    let app: Running;
    before(async () => {
      sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false, health: { judge: 'all' } });
      app = await startApp(adapter, sdk);
    });
    after(() => app.close());

    it('the same junk flips health when every request is judged (the attack the default stops)', async () => {
      const run = await blast(app.url, junk(1, N));
      assert.equal(run.answered, N);
      const h = await health(app);
      assert.equal(h.code, 503, JSON.stringify(h.body));
      assert.equal(h.body.checks.success.status, 'DOWN');
      assert.ok(h.body.checks.success.requests >= N * 0.6, `junk judged: ${h.body.checks.success.requests}`);
    });
  });
}

/** The junk includes requests each framework rejects with 400 by itself. */
function expectFrameworkRejections(adapter: AdapterName, statuses: Map<number, number>): void {
  const s400 = statuses.get(400) ?? 0;
  if (adapter === 'fastify') assert.ok(s400 >= 300, `Fastify answers /%zz and broken JSON with 400 (${s400})`);
  // Express's router fails a bad escape in a parameter with a URIError (status 400) before the
  // route; this app's error handler answers every error with 500: a server error, still not judged.
  if (adapter === 'express') assert.ok((statuses.get(500) ?? 0) >= 100, `Express fails a bad escape in a parameter (${summary(statuses)})`);
  assert.ok((statuses.get(404) ?? 0) + (statuses.get(405) ?? 0) >= 200, 'unmatched paths and methods are answered 404/405');
}

describe('health.judge', () => {
  const sdkWith = (judge?: unknown) => instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false, ...(judge === undefined ? {} : { health: { judge: judge as 'routes' } }) });
  const judged = (sdk: Sdk, method: string, template?: string) => (template === undefined ? sdk.routes.unmatchedFor(method, '/nowhere') : sdk.routes.lookup(method, template)).judged;

  it("'routes' (the default) judges every matched template, never unmatched requests", () => {
    const sdk = sdkWith();
    assert.equal(judged(sdk, 'POST', '/orders'), true);
    assert.equal(judged(sdk, 'GET', '/boom'), true, 'a template the framework matched, not in the contract');
    assert.equal(judged(sdk, 'GET'), false);
    assert.equal(judged(sdk, 'PROPFIND'), false);
  });

  it("'contract' judges only the contract's routes (HEAD as its GET)", () => {
    const sdk = sdkWith('contract');
    assert.equal(judged(sdk, 'POST', '/orders'), true);
    assert.equal(judged(sdk, 'HEAD', '/products/:id'), true);
    assert.equal(judged(sdk, 'GET', '/boom'), false);
    assert.equal(judged(sdk, 'DELETE', '/orders'), false);
  });

  it('a list judges the routes it names, by template or contract route name', () => {
    const sdk = sdkWith(['/boom', 'get-product']);
    assert.equal(judged(sdk, 'GET', '/boom'), true);
    assert.equal(judged(sdk, 'GET', '/products/:id'), true);
    assert.equal(judged(sdk, 'POST', '/orders'), false);
    assert.equal(judged(sdk, 'GET'), false);
  });

  it("'all' judges unmatched requests too", () => {
    assert.equal(judged(sdkWith('all'), 'GET'), true);
  });

  it('anything else is refused with a message that lists the choices', () => {
    for (const bad of ['everything', [], [''], 3]) {
      assert.throws(() => sdkWith(bad), /health\.judge must be 'routes', 'contract', 'all' or a non-empty list/);
    }
  });
});

// Noise cannot flip health either. Before, latency and success went DOWN as soon as the recent
// ratio was under the objective with 20 requests: one request over 200 ms among 20 (95% against
// 99%, what a service meeting 99% shows 18% of the time) answered 503 DEGRADED, out of the load
// balancer. Now a check goes DOWN only when the bad requests are more than the objective gives by
// chance (95% bound, src/sdk/core/health.ts); a second slow request of 21 is.
describe('health on one slow request of 20 (the node:http adapter)', () => {
  let sdk: Sdk;
  let app: Running;
  before(async () => {
    sdk = instrument({ contract: CONTRACT, registry: testRegistry(), defaultMetrics: false });
    app = await startApp('http', sdk);
  });
  after(() => app.close());

  it('19 fast and 1 over the 200 ms threshold: 200 UP, latency UNKNOWN (below 99% by noise); a second slow one: 503, latency DOWN', async () => {
    const fast = await blast(app.url, Array.from({ length: 19 }, () => ({ method: 'GET', path: '/orders' })));
    assert.equal(fast.statuses.get(200), 19, summary(fast.statuses));
    assert.equal((await request(`${app.url}/slow?ms=260`)).statusCode, 200);
    const h = await health(app);
    assert.equal(h.code, 200, JSON.stringify(h.body));
    assert.equal(h.body.status, 'UP');
    const latency = h.body.checks.latency as unknown as { status: string; ratio: number; withinNoise?: { bad: number; upTo: number } };
    assert.deepEqual([latency.status, latency.ratio, latency.withinNoise], ['UNKNOWN', 0.95, { bad: 1, upTo: 1 }]);

    assert.equal((await request(`${app.url}/slow?ms=260`)).statusCode, 200);
    const down = await health(app);
    assert.equal(down.code, 503, JSON.stringify(down.body));
    assert.equal(down.body.checks.latency.status, 'DOWN');
  });
});
