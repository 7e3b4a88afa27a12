// The example service, started the way `npm run example` starts it (on free ports): health and
// metrics answer, every metric its contract needs is exported, an order goes through payments,
// and with payments unreachable the fallback queues charges until the breaker opens, when health
// turns 503 DEGRADED. SIGTERM drains and exits 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseContract } from '../src/contract/load.ts';
import { requiredMetrics } from '../src/contract/required-metrics.ts';

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
    env: { ...process.env, PORT: '0', PAYMENTS_PORT: '0', ...env },
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

async function freePortThenClosed(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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

  it('serves health and every metric its contract needs; orders go through payments; SIGTERM exits 0', async () => {
    const s = await start();
    running.push(s);
    const health = await get(`${s.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((JSON.parse(health.text) as { status: string }).status, 'UP');

    const created = await order(s.url);
    assert.equal(created.status, 201);
    assert.equal(created.body.state, 'confirmed');
    assert.equal((await get(`${s.url}/products/7`)).status, 200);
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
    const s = await start({ PAYMENTS_URL: `http://127.0.0.1:${await freePortThenClosed()}` });
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
