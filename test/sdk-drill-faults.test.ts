// The in-process drill faults (issue 11, item 2), each measured from inside the process the way a
// service's own signals would see it, and each shown to give back everything it took: on removal
// and on expiry (the "crashed runner leaves nothing behind" half that is the SDK's).
//
// The faults are driven through a FaultRunner here (the endpoint's HTTP side is
// test/sdk-drill-endpoint.test.ts); unsettled promises need requests, so they go through real
// servers on two adapters (node:http and Express).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import express from 'express';
import { request } from 'undici';
import { metricValue, instrumentForTest } from 'sloctl/sdk/testing';
import { middleware as expressMiddleware } from 'sloctl/sdk/express';
import { wrap } from 'sloctl/sdk/http';
import { FaultRunner } from '../src/sdk/drill/runner.ts';
import type { FaultState } from '../src/sdk/drill/types.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const CONTRACT = new URL('./fixtures/sdk-drill/slo.yaml', import.meta.url);
const TOKEN = 'drill-token-for-tests-0123456789';
const MiB = 1024 * 1024;

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms until it holds (returns how long that took), failing after `timeoutMs`. */
async function until(what: string | (() => string), cond: () => boolean, timeoutMs = 5000): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await tick(20);
  }
  return performance.now() - t0;
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The active resources by type (Timeout, TCPSocketWrap, ...). */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}
const same = (a: Map<string, number>, b: Map<string, number>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
const show = (m: Map<string, number>) => JSON.stringify(Object.fromEntries(m));

function counter(s: FaultState | undefined, key: string): number {
  const v = s?.counters[key];
  return typeof v === 'number' ? v : NaN;
}

describe('event-loop-block', () => {
  it('blocks the loop in the pattern asked for (200 ms every 600 ms), seen by monitorEventLoopDelay, and stops on removal', async (t) => {
    const runner = new FaultRunner();
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const t0 = performance.now();
    const f = runner.apply('event-loop-block', { blockMs: 200, everyMs: 600 }, 10_000);
    await until('3 blocks', () => counter(runner.get(f.id), 'blocks') >= 3);
    const elapsed = performance.now() - t0;
    h.disable();
    const s = runner.remove(f.id)!;
    const blocks = counter(s, 'blocks');
    const p99 = h.percentile(99) / 1e6;
    const max = h.max / 1e6;
    // One block at once, then one every 600 ms.
    t.diagnostic(`${blocks} blocks in ${elapsed.toFixed(0)} ms; event-loop delay p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
    assert.ok(Math.abs(blocks - (1 + Math.floor(elapsed / 600))) <= 1, `blocks ${blocks} over ${elapsed.toFixed(0)} ms`);
    assert.ok(p99 >= 0.8 * 200, `event-loop delay p99 ${p99.toFixed(1)} ms: the 200 ms blocks are not seen`);
    assert.ok(max <= 200 * 1.5 + 50, `event-loop delay max ${max.toFixed(1)} ms: a block overran the pattern`);
    // A block never ends early; on a busy machine it may end late (the thread was descheduled mid-spin).
    const mean = counter(s, 'blockedMs') / blocks;
    assert.ok(mean >= 199 && mean <= 300, `mean block ${mean.toFixed(1)} ms for 200 ms blocks`);

    // Removed: the loop runs freely again.
    const after = monitorEventLoopDelay({ resolution: 10 });
    after.enable();
    await tick(700);
    after.disable();
    assert.ok(after.max / 1e6 < 100, `event-loop delay max ${(after.max / 1e6).toFixed(1)} ms after removal`);
  });

  it("'sleep' blocks the loop without burning CPU", async () => {
    const runner = new FaultRunner();
    const h = monitorEventLoopDelay({ resolution: 10 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    h.enable();
    const f = runner.apply('event-loop-block', { blockMs: 150, everyMs: 300, mode: 'sleep' }, 10_000);
    await until('3 blocks', () => counter(runner.get(f.id), 'blocks') >= 3);
    h.disable();
    runner.remove(f.id);
    const cpu = process.cpuUsage(cpu0);
    const share = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
    assert.ok(h.percentile(99) / 1e6 >= 0.8 * 150, `p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`);
    assert.ok(share < 0.35, `CPU ${(share * 100).toFixed(0)}% of a core while the loop slept half the time`);
  });
});

describe('memory-leak', () => {
  it('grows the heap by about rate x time, and gives it all back on removal', async (t) => {
    const runner = new FaultRunner();
    const base = heapAfterGc();
    const rate = 32 * MiB;
    const t0 = performance.now();
    const f = runner.apply('memory-leak', { bytesPerSecond: rate }, 10_000);
    await until('32 MiB held', () => counter(runner.get(f.id), 'heldBytes') >= 32 * MiB);
    const elapsed = (performance.now() - t0) / 1000;
    const held = counter(runner.get(f.id), 'heldBytes');
    const grown = heapAfterGc() - base;
    // The ticks are 100 ms apart: the rate is met to within a tick.
    assert.ok(Math.abs(held - rate * elapsed) <= rate * 0.1 + 0.15 * held, `held ${(held / MiB).toFixed(1)} MiB after ${elapsed.toFixed(2)} s at 32 MiB/s`);
    assert.ok(Math.abs(grown - held) <= held * 0.15, `the heap grew ${(grown / MiB).toFixed(1)} MiB for ${(held / MiB).toFixed(1)} MiB held`);

    runner.remove(f.id);
    const back = heapAfterGc() - base;
    t.diagnostic(`held ${(held / MiB).toFixed(1)} MiB after ${elapsed.toFixed(2)} s at 32 MiB/s; heapUsed +${(grown / MiB).toFixed(1)} MiB; after removal +${(back / MiB).toFixed(2)} MiB`);
    assert.ok(back < 0.1 * held, `${(back / MiB).toFixed(1)} MiB still held after removal (leaked ${(held / MiB).toFixed(1)} MiB)`);
  });

  it('stops growing at maxBytes', async () => {
    const runner = new FaultRunner();
    const f = runner.apply('memory-leak', { bytesPerSecond: 64 * MiB, maxBytes: 4 * MiB }, 10_000);
    await until('the cap', () => runner.get(f.id)?.counters.capped === true);
    await tick(250);
    const s = runner.remove(f.id)!;
    assert.ok(counter(s, 'heldBytes') <= 4 * MiB && counter(s, 'heldBytes') > 4 * MiB - 64 * 1024, `held ${counter(s, 'heldBytes')}`);
  });
});

describe('handle-leak', () => {
  it('leaks timers and sockets at the rate asked for, visible in getActiveResourcesInfo, and closes every one on removal', async (t) => {
    const runner = new FaultRunner();
    const base = resources();
    const t0 = performance.now();
    const f = runner.apply('handle-leak', { timersPerSecond: 200, socketsPerSecond: 40 }, 10_000);
    await until('100 timers and 20 connections', () => counter(runner.get(f.id), 'timers') >= 100 && counter(runner.get(f.id), 'sockets') >= 20);
    const elapsed = (performance.now() - t0) / 1000;
    const s = runner.get(f.id)!;
    const now = resources();
    const grew = (type: string) => (now.get(type) ?? 0) - (base.get(type) ?? 0);
    assert.ok(grew('Timeout') >= counter(s, 'timers'), `Timeout handles +${grew('Timeout')} for ${counter(s, 'timers')} leaked timers`);
    // Both ends of each connection are open (the listener's own socket is TCPServerWrap).
    assert.ok(grew('TCPSocketWrap') >= 2 * counter(s, 'sockets'), `TCPSocketWrap +${grew('TCPSocketWrap')} for ${counter(s, 'sockets')} connections`);
    assert.equal(grew('TCPServerWrap'), 1);
    assert.ok(counter(s, 'timers') <= 200 * elapsed + 20, `${counter(s, 'timers')} timers in ${elapsed.toFixed(2)} s at 200/s`);

    runner.remove(f.id);
    const took = await until(() => `the handles back to the baseline ${show(base)} (now ${show(resources())})`, () => same(resources(), base), 3000);
    t.diagnostic(`${counter(s, 'timers')} timers and ${counter(s, 'sockets')} connections in ${elapsed.toFixed(2)} s: Timeout +${grew('Timeout')}, TCPSocketWrap +${grew('TCPSocketWrap')}; back to the baseline ${took.toFixed(0)} ms after removal`);
  });
});

/** The share of a core process.cpuUsage() counts over `ms` of waiting (the main thread idle). */
async function cpuShareOver(ms: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await tick(ms);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (performance.now() - t0);
}

describe('cpu-burn', () => {
  it('burns the share of a core asked for (process.cpuUsage within 25%), leaving the event loop free, and stops on removal', async (t) => {
    const runner = new FaultRunner();
    const base = resources();
    const f = runner.apply('cpu-burn', { cores: 0.5 }, 20_000);
    await tick(200); // past the worker's start-up
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const share = await cpuShareOver(1500);
    h.disable();
    const s = runner.remove(f.id)!;
    await until(() => `the worker gone and the resources back to the baseline ${show(base)} (now ${show(resources())})`, () => counter(runner.get(f.id), 'exited') === 1 && same(resources(), base), 3000);
    assert.ok(h.max / 1e6 < 100, `event-loop delay max ${(h.max / 1e6).toFixed(1)} ms: the burn must not block the loop`);
    const idle = await cpuShareOver(500);
    assert.ok(idle < 0.15, `CPU ${(idle * 100).toFixed(1)}% of a core after removal`);

    const within = share >= 0.5 * 0.75 && share <= 0.5 * 1.25;
    t.diagnostic(`CPU ${(share * 100).toFixed(1)}% of a core for a 50% burn; event-loop delay max ${(h.max / 1e6).toFixed(1)} ms; ${(idle * 100).toFixed(1)}% after removal`);
    const message = `CPU ${(share * 100).toFixed(1)}% of a core for a 50% burn (the worker's own count: ${counter(s, 'cpuMs')} ms)`;
    if (!within && share < 0.5) {
      // Short of it: was the machine too busy to give a thread the CPU at all? A thread spinning
      // flat out under 80% of a core means the scheduler's share, not the fault, was measured
      // (skipped, failed in CI).
      const flat = runner.apply('cpu-burn', { cores: 1 }, 5000);
      await tick(200);
      const capacity = await cpuShareOver(500);
      runner.remove(flat.id);
      await until('the calibration worker gone', () => counter(runner.get(flat.id), 'exited') === 1, 3000);
      if (capacity < 0.8) {
        const reason = `${message}, on a machine too busy to judge: a thread spinning flat out got ${(capacity * 100).toFixed(0)}% of a core`;
        if (process.env.CI) assert.fail(reason);
        t.skip(reason);
        return;
      }
    }
    assert.ok(within, message);
  });
});

describe('expiry and the cap', () => {
  it('a fault of 300 ms removes itself and gives everything back, with nobody to remove it', async (t) => {
    const runner = new FaultRunner();
    const base = resources();
    const heap = heapAfterGc();
    const leak = runner.apply('handle-leak', { timersPerSecond: 500, socketsPerSecond: 50 }, 300);
    const mem = runner.apply('memory-leak', { bytesPerSecond: 64 * MiB }, 300);
    const block = runner.apply('event-loop-block', { blockMs: 50, everyMs: 100 }, 300);
    const t0 = performance.now();
    await until('all three expired', () => runner.size === 0, 3000);
    const took = performance.now() - t0;
    // Timers fire late on a loaded machine (blocked 50% of the time here, with the heap growing 64 MiB/s).
    assert.ok(took >= 250 && took < 3000, `expired after ${took.toFixed(0)} ms`);
    t.diagnostic(`three faults of 300 ms gone after ${took.toFixed(0)} ms`);
    for (const f of [leak, mem, block]) assert.equal(runner.get(f.id)?.ended, 'expired');
    assert.ok(counter(runner.get(leak.id), 'timersLeaked') > 0 && counter(runner.get(mem.id), 'heldBytes') > 0 && counter(runner.get(block.id), 'blocks') > 0, 'the faults had taken something');
    assert.equal(counter(runner.get(leak.id), 'timers'), 0);
    await until(() => `the handles back to the baseline ${show(base)} (now ${show(resources())})`, () => same(resources(), base), 3000);
    assert.ok(heapAfterGc() - heap < 4 * MiB, 'the heap is given back');
  });

  it('caps a duration over the service\'s maximum, and the cap is what removes the fault', async () => {
    const runner = new FaultRunner({ maxDurationMs: 1000 });
    const t0 = performance.now();
    const f = runner.apply('event-loop-block', { blockMs: 10, everyMs: 100 }, 3_600_000);
    assert.equal(f.durationMs, 1000);
    assert.equal(f.requestedDurationMs, 3_600_000);
    assert.equal(Date.parse(f.expiresAt) - Date.parse(f.startedAt), 1000);
    await until('the capped fault gone', () => runner.size === 0, 3000);
    assert.ok(performance.now() - t0 < 1500);
    // The default cap is 5 minutes.
    const d = new FaultRunner().apply('event-loop-block', {}, 10 * 3_600_000);
    assert.equal(d.durationMs, 300_000);
  });

  it('never keeps the process alive: a process that applies faults for a minute and returns exits at once', async () => {
    // handle-leak is left out: what it leaks is referenced on purpose (a real leak keeps a process up).
    const code = `
      import { FaultRunner } from ${JSON.stringify(new URL('../src/sdk/drill/runner.ts', import.meta.url).href)};
      const r = new FaultRunner();
      for (const [f, p] of [['event-loop-block', { blockMs: 20, everyMs: 1000 }], ['memory-leak', {}], ['cpu-burn', { cores: 0.2 }], ['unsettled-promises', {}]]) r.apply(f, p, 60000);
      console.log(r.size);
    `;
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exit = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(exit, 0, err);
    assert.equal(out.trim(), '4');
    assert.ok(performance.now() - t0 < 15_000, 'the child exited long before the faults expire (60 s)');
  });
});

describe('unsettled-promises', () => {
  const servers: Server[] = [];
  const apps: Array<{ name: string; url: string; sdk: ReturnType<typeof instrumentForTest> }> = [];
  before(async () => {
    const listen = async (name: string, server: Server, sdk: ReturnType<typeof instrumentForTest>) => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      apps.push({ name, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sdk });
    };
    const httpSdk = instrumentForTest(CONTRACT, { drill: { token: TOKEN } });
    await listen('node:http', createServer(wrap((_req, res) => res.end('hello'), httpSdk)), httpSdk);
    const exSdk = instrumentForTest(CONTRACT, { drill: { token: TOKEN } });
    const app = express();
    app.use(expressMiddleware(exSdk));
    app.get('/hello', (_req, res) => {
      res.send('hello');
    });
    await listen('express', createServer(app), exSdk);
  });
  after(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  for (const name of ['node:http', 'express']) {
    it(`${name}: holds every other request on a promise until removal, counted in the fault and the gauge; removal lets them finish`, async () => {
      const { url, sdk } = apps.find((a) => a.name === name)!;
      const runner = sdk.drill!.runner;
      const f = runner.apply('unsettled-promises', { share: 0.5 }, 30_000);
      const done: number[] = [];
      const all = Array.from({ length: 10 }, (_, i) => request(`${url}/hello`).then(async (r) => {
        assert.equal(await r.body.text(), 'hello');
        done.push(i);
        return r.statusCode;
      }));
      await until('5 answered', () => done.length === 5);
      await until('5 pending', () => counter(runner.get(f.id), 'pending') === 5);
      assert.equal(await metricValue(sdk.registry, 'sloctl_drill_unsettled_promises'), 5);
      assert.equal(await metricValue(sdk.registry, 'http_server_active_requests'), 5);
      assert.equal(await metricValue(sdk.registry, 'sloctl_drill_faults_active', { fault: 'unsettled-promises' }), 1);

      const s = runner.remove(f.id)!;
      assert.equal(counter(s, 'pending'), 5);
      assert.deepEqual(await Promise.all(all), Array(10).fill(200));
      assert.equal(runner.unsettled, 0);
      assert.equal(await metricValue(sdk.registry, 'sloctl_drill_unsettled_promises'), 0);
      assert.equal(await metricValue(sdk.registry, 'http_server_active_requests'), 0);
      // The held requests were timed with their wait: the SLIs see what clients saw.
      assert.equal(await metricValue(sdk.registry, 'http_server_requests_total', { route: '/hello' }), 10);
    });
  }
});
