// The availability composite's health part, when sloctl composes availability from its parts (a
// service without the SDK's gauge, or scrapes whose gauge window reaches back before the measured
// phase): liveness, not "said UP". The SDK's health says DEGRADED when its windowed latency or
// success check fails, and those checks are the composite's latency and success parts already; its
// own gauge weighs `liveness` (src/sdk/core/health.ts). HealthWatcher.lastUp is the body's status,
// lastLive its liveness check; the gate (src/gate/run.ts) and the drill (src/drill/run.ts) both
// hand lastLive to the ServiceWatch.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import { HealthWatcher } from '../src/run/health-watcher.ts';
import { ServiceWatch } from '../src/run/service-watch.ts';

/** The SDK's body when its latency check failed over its window: DEGRADED (503), the process live. */
const DEGRADED_LIVE = JSON.stringify({
  status: 'DEGRADED',
  checks: { liveness: { status: 'UP' }, latency: { status: 'DOWN', windowMs: 30000 }, success: { status: 'UP', windowMs: 30000 }, dependencies: { status: 'UP' } },
});
const DOWN_DEAD = JSON.stringify({
  status: 'DOWN',
  checks: { liveness: { status: 'DOWN' }, latency: { status: 'UP' }, success: { status: 'UP' }, dependencies: { status: 'UP' } },
});

let health = { status: 503, body: DEGRADED_LIVE };
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(health.status, { 'content-type': 'application/json' });
      res.end(health.body);
      return;
    }
    // No sloctl_availability gauge: the composite is made from its parts.
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE up gauge\nup 1\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

/** A watcher that has seen `n` probes of the current answer (it probes every 10 ms; we wait on its probes, not on time). */
async function watched(n = 2): Promise<HealthWatcher> {
  let seen = 0;
  let done!: () => void;
  const enough = new Promise<void>((r) => { done = r; });
  const w = new HealthWatcher({ url: `${base}/healthz`, intervalMs: 10, onProbe: () => { if (++seen >= n) done(); } });
  w.start();
  await enough;
  return w;
}

// Health alone weighs: the latency, success and dependency parts weigh 0.
const CONTRACT = `apiVersion: sloctl/v1
service: { name: health-part }
routes:
  - { name: work, method: GET, path: /work }
objectives:
  availability: { objective: 99%, weights: { health: 1, latency: 0, success: 0, dependencies: 0 } }
`;

/** The service's availability composed over three scrapes, the health part read through `part`. */
async function composed(part: (w: HealthWatcher) => boolean): Promise<number> {
  const parsed = parseContract(CONTRACT, 'slo.yaml');
  assert.ok(parsed.contract, JSON.stringify(parsed.diagnostics));
  const w = await watched();
  try {
    const watch = new ServiceWatch(parsed.contract, { metricsUrl: `${base}/metrics`, intervalMs: 1000, timeoutMs: 2000, allowRemote: false, healthUp: () => part(w) });
    for (let i = 0; i < 3; i++) await watch.scrape();
    const a = watch.view(undefined).slos.find((s) => s.kind === 'availability');
    assert.ok(a && a.counts.total > 0, JSON.stringify(a));
    return 1 - a.counts.bad / a.counts.total;
  } finally {
    await w.stop();
  }
}

describe('the availability composite\'s health part', () => {
  it('HealthWatcher: DEGRADED with liveness UP is live but not UP; liveness DOWN is neither; a body without checks is live when it answers UP or DEGRADED', async () => {
    const cases: Array<[number, string, boolean, boolean]> = [
      [503, DEGRADED_LIVE, false, true],
      [503, DOWN_DEAD, false, false],
      [503, '{"status":"DEGRADED"}', false, true],
      [503, '{"status":"DOWN"}', false, false],
      [200, '{"status":"UP"}', true, true],
    ];
    for (const [status, body, up, live] of cases) {
      health = { status, body };
      const w = await watched();
      await w.stop();
      assert.equal(w.lastUp, up, `lastUp of ${status} ${body}`);
      assert.equal(w.lastLive, live, `lastLive of ${status} ${body}`);
      assert.equal(w.stats().liveShare, live ? 1 : 0, `liveShare of ${status} ${body}`);
    }
  });

  it('a service DEGRADED by its windowed latency check keeps the health part (lastLive, as the gate and the drill read it); "said UP" would count that check a second time', async () => {
    health = { status: 503, body: DEGRADED_LIVE };
    assert.equal(await composed((w) => w.lastLive), 1);
    assert.equal(await composed((w) => w.lastUp), 0);
    health = { status: 503, body: DOWN_DEAD };
    assert.equal(await composed((w) => w.lastLive), 0);
  });
});
