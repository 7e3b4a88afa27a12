// The example service, started the way `npm run example` starts it (on free ports): health and
// metrics answer, every metric its contract needs is exported, an order goes through payments,
// and with payments unreachable the fallback queues charges until the breaker opens, when health
// turns 503 DEGRADED. With recommendations (non-critical) unreachable, products are answered
// without them and health stays UP. The two switches that take payments' protections away
// (PAYMENTS_BREAKER=off, PAYMENTS_TIMEOUT=off) do what the README says. SIGTERM drains and exits 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseContract } from '../src/contract/load.ts';
import { DrillClient } from '../src/sdk/drill/client.ts';
import { requiredMetrics } from '../src/contract/required-metrics.ts';
import { refusedPort } from './helpers/refused-port.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONTRACT = fileURLToPath(new URL('../examples/checkout/slo.yaml', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function start(env: Record<string, string> = {}, script = 'examples/checkout/start.ts', banner = /checkout listening on (http:\/\/127\.0\.0\.1:\d+)/): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', PAYMENTS_PORT: '0', RECOMMENDATIONS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = banner.exec(out);
      if (m) resolve({ child, url: m[1], output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the example exited (${code}) before listening:\n${out}`)));
  });
}

function stop(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve(s.child.exitCode);
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};
const order = async (base: string) => {
  const res = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ productId: 42, quantity: 1 }) });
  return { status: res.status, body: (await res.json()) as { state: string } };
};
const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('the checkout example', () => {
  const running: Started[] = [];
  after(async () => {
    for (const s of running) await stop(s);
  });

  // These five assert answers, breaker trips, series and exit codes, nothing timed: their services
  // start side by side (one after the other, each start and drain took ~3.4 s of the serial timed
  // phase). The two that time answers and the event loop (the 150 ms timeout, the 300 ms block)
  // run alone after them.
  describe('started side by side', { concurrency: true }, () => {
    it('serves health and every metric its contract needs; orders go through payments; SIGTERM exits 0', async () => {
      const s = await start();
      running.push(s);
      const health = await get(`${s.url}/healthz`);
      assert.equal(health.status, 200);
      assert.equal((JSON.parse(health.text) as { status: string }).status, 'UP');

      const created = await order(s.url);
      assert.equal(created.status, 201);
      assert.equal(created.body.state, 'confirmed');
      const product = await get(`${s.url}/products/7`);
      assert.equal(product.status, 200);
      assert.ok((JSON.parse(product.text) as { related: number[] }).related.length > 0, `related products from recommendations: ${product.text}`);
      assert.equal((await get(`${s.url}/products/9999`)).status, 404);

      const metrics = await get(`${s.url}/metrics`);
      assert.equal(metrics.status, 200);
      const contract = parseContract(readFileSync(CONTRACT, 'utf8'), CONTRACT).contract!;
      const families = new Set([...metrics.text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      const series = new Set(metrics.text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
      for (const need of requiredMetrics(contract)) {
        assert.ok(families.has(need.name) || series.has(need.name), `${need.name} (${need.why}) is exported`);
      }
      assert.equal(sample(metrics.text, 'checkout_orders_total{state="confirmed"}'), 1);
      assert.equal(sample(metrics.text, 'http_server_requests_total{method="POST",route="/orders",status_class="2xx",error_class="none"}'), 1);
      assert.equal(sample(metrics.text, 'http_server_requests_total{method="GET",route="/products/:id",status_class="4xx",error_class="not-found"}'), 1);
      assert.equal(sample(metrics.text, 'sloctl_weighted_requests_total{method="POST",route="/orders",sli_class="critical"}'), 5);

      assert.equal(await stop(s), 0);
      assert.match(s.output(), /SIGTERM: draining[\s\S]*stopped/);
    });

    it('with payments unreachable: orders pending (the fallback), the breaker opens, health 503 DEGRADED', async () => {
      const s = await start({ PAYMENTS_URL: `http://127.0.0.1:${await refusedPort()}` });
      running.push(s);
      const first = await order(s.url);
      assert.equal(first.status, 202);
      assert.equal(first.body.state, 'pending');
      // The contract's breaker opens at 50% errors over at least 10 calls.
      for (let i = 0; i < 10; i++) assert.equal((await order(s.url)).status, 202);

      const health = await get(`${s.url}/healthz`);
      assert.equal(health.status, 503);
      const report = JSON.parse(health.text) as { status: string; availability: number; checks: { dependencies: { details: Record<string, { breaker?: string }> } } };
      assert.equal(report.status, 'DEGRADED');
      assert.equal(report.availability, 0.8);
      assert.equal(report.checks.dependencies.details.payments.breaker, 'open');

      const metrics = (await get(`${s.url}/metrics`)).text;
      assert.equal(sample(metrics, 'sloctl_dependency_up{dependency="payments",critical="true"}'), 0);
      assert.equal(sample(metrics, 'sloctl_availability'), 0.8);
      assert.equal(sample(metrics, 'checkout_orders_total{state="pending"}'), 11);
      assert.equal(await stop(s), 0);
    });

    it('with recommendations unreachable: products without them (the fallback), its breaker opens, health stays UP', async () => {
      const s = await start({ RECOMMENDATIONS_URL: `http://127.0.0.1:${await refusedPort()}` });
      running.push(s);
      // The contract's breaker for recommendations opens at 50% errors over at least 20 calls.
      for (let i = 1; i <= 21; i++) {
        const r = await get(`${s.url}/products/${i}`);
        assert.equal(r.status, 200);
        assert.deepEqual((JSON.parse(r.text) as { related: number[] }).related, []);
      }
      const health = await get(`${s.url}/healthz`);
      assert.equal(health.status, 200, health.text);
      const report = JSON.parse(health.text) as { status: string; checks: { dependencies: { status: string; details: Record<string, { breaker?: string; critical: boolean }> } } };
      assert.equal(report.status, 'UP');
      assert.deepEqual(report.checks.dependencies.details.recommendations, { status: 'DOWN', critical: false, state: 'down', breaker: 'open', reason: 'circuit breaker open' });
      const metrics = (await get(`${s.url}/metrics`)).text;
      assert.equal(sample(metrics, 'sloctl_dependency_up{dependency="recommendations",critical="false"}'), 0);
      assert.equal(sample(metrics, 'sloctl_availability'), 1);
      assert.equal(sample(metrics, 'http_server_requests_total{method="GET",route="/products/:id",status_class="2xx",error_class="none"}'), 21);
      assert.equal(await stop(s), 0);
    });

    it('PAYMENTS_BREAKER=off, payments unreachable: orders still pending, but health stays UP and nothing says payments is down', async () => {
      const s = await start({ PAYMENTS_BREAKER: 'off', PAYMENTS_URL: `http://127.0.0.1:${await refusedPort()}` });
      running.push(s);
      assert.match(s.output(), /PAYMENTS_BREAKER=off/);
      for (let i = 0; i < 11; i++) assert.equal((await order(s.url)).status, 202);
      const health = await get(`${s.url}/healthz`);
      assert.equal(health.status, 200, health.text);
      const report = JSON.parse(health.text) as { status: string; checks: { dependencies: { details: Record<string, { state: string; breaker?: string }> } } };
      assert.equal(report.status, 'UP');
      assert.equal(report.checks.dependencies.details.payments.state, 'unknown');
      assert.equal(report.checks.dependencies.details.payments.breaker, undefined);
      const metrics = (await get(`${s.url}/metrics`)).text;
      // Unknown is not counted against the service, and not claimed up either: no series for it.
      assert.doesNotMatch(metrics, /^sloctl_dependency_up\{dependency="payments"/m);
      assert.match(metrics, /^sloctl_dependency_up\{dependency="recommendations",critical="false"\} 1$/m);
      assert.equal(sample(metrics, 'checkout_orders_total{state="pending"}'), 11);
      assert.equal(await stop(s), 0);
    });

    it('refuses a switch that is neither on nor off, saying what to write', async () => {
      await assert.rejects(start({ PAYMENTS_BREAKER: 'no' }), /exited \(2\) before listening:\nPAYMENTS_BREAKER="no": expected "on" or "off" \(unset is on\)/);
    });
  });

  // These two stop their services at once (DRAIN_ANNOUNCE_MS=0, as the copies sloctl starts in
  // test/helpers/example-contract.ts): the drain's 1 s of accepting after health turned DOWN is the
  // first test's subject, not theirs, and one after the other the three stops waited it out.
  it('payments answering in 400 ms: the 150 ms timeout queues the charge; PAYMENTS_TIMEOUT=off waits it out', async () => {
    const timed = async (env: Record<string, string>) => {
      const s = await start({ PAYMENTS_DELAY_MS: '400', DRAIN_ANNOUNCE_MS: '0', ...env });
      running.push(s);
      const t0 = performance.now();
      const r = await order(s.url);
      const ms = performance.now() - t0;
      assert.equal(await stop(s), 0);
      return { status: r.status, ms };
    };
    const on = await timed({});
    assert.equal(on.status, 202, 'the timeout fires and the fallback queues the charge');
    assert.ok(on.ms >= 140 && on.ms < 390, `answered after the 150 ms timeout, not after payments: ${on.ms.toFixed(0)} ms`);
    const off = await timed({ PAYMENTS_TIMEOUT: 'off' });
    assert.equal(off.status, 201, 'the charge is captured, however long payments takes');
    assert.ok(off.ms >= 400, `waited for payments: ${off.ms.toFixed(0)} ms`);
  });

  it('a 300 ms event-loop block every second shows in the p99 gauge of 1 s scrapes within 5 s (the event-loop-blocked drill)', async () => {
    // service.ts samples the loop every 20 ms; at prom-client's 10 ms the p99 of a 1 s window is
    // the sample below the one block (~12 ms) and this fails.
    const token = 'sdk-example-test-drill-token-0123';
    const s = await start({ SLOCTL_DRILL_TOKEN: token, DRAIN_ANNOUNCE_MS: '0' });
    running.push(s);
    const lagP99 = async () => sample((await get(`${s.url}/metrics`)).text, 'nodejs_eventloop_lag_p99_seconds');
    await lagP99(); // opens the first 1 s window
    const drill = new DrillClient({ url: s.url, token });
    const { id } = await drill.apply('event-loop-block', { blockMs: 300, everyMs: 1000 }, 8000);
    const t0 = performance.now();
    const seen: number[] = [];
    let crossedAtMs: number | undefined;
    let blockAtMs: number | undefined;
    // Until a scrape shows the block itself: a stall of the shared host can put one window's p99
    // over the 50 ms warn first (88 ms once in CI, 2026-12-06), and stopping there missed the block.
    while (performance.now() - t0 < 5000 && blockAtMs === undefined) {
      await new Promise((r) => setTimeout(r, 1000 - ((performance.now() - t0) % 1000)));
      const v = (await lagP99())!;
      seen.push(v);
      if (v > 0.05) crossedAtMs ??= performance.now() - t0;
      if (v >= 0.25) blockAtMs = performance.now() - t0;
    }
    await drill.remove(id);
    const read = seen.map((v) => `${(v * 1000).toFixed(0)} ms`).join(', ');
    assert.ok(crossedAtMs !== undefined, `p99 over the 50 ms warn within 5 s; the scrapes read ${read}`);
    assert.ok(blockAtMs !== undefined, `the block itself (~300 ms), not noise, within 5 s; the scrapes read ${read}`);
    assert.equal(await stop(s), 0);
  });

});

describe('the express-minimal example', () => {
  it('labels by template, serves health and metrics, exits 0 on SIGTERM', async () => {
    const s = await start({}, 'examples/express-minimal/server.ts', /greeter listening on (http:\/\/127\.0\.0\.1:\d+)/);
    try {
      assert.equal((await get(`${s.url}/hello`)).status, 200);
      assert.equal((await get(`${s.url}/greet/ada`)).status, 200);
      assert.equal((await get(`${s.url}/nope`)).status, 404);
      const health = await get(`${s.url}/healthz`);
      assert.equal(health.status, 200);
      const metrics = (await get(`${s.url}/metrics`)).text;
      assert.equal(sample(metrics, 'http_server_requests_total{method="GET",route="/greet/:name",status_class="2xx",error_class="none"}'), 1);
      assert.equal(sample(metrics, 'http_server_requests_total{method="GET",route="unmatched",status_class="4xx",error_class="client"}'), 1);
      assert.match(metrics, /le="0\.1"/);
    } finally {
      assert.equal(await stop(s), 0);
    }
  });
});
