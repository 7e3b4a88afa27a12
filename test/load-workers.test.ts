import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Histogram, mergeResults, runLoad, type GeneratorHealth, type LoadProgress, type LoadResult } from '../src/load/index.ts';

const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r()))))));

async function serve(onRequest?: (n: number) => boolean): Promise<{ url: string; arrivals: number[]; paths: string[] }> {
  const arrivals: number[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    paths.push(req.url ?? '');
    if (onRequest?.(arrivals.length) === false) return; // hold it
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, paths };
}

describe('runLoad with worker threads', () => {
  it('spreads the schedule over workers with staggered sends and merges their results', async () => {
    const server = await serve();
    const progress: LoadProgress[] = [];
    const r = await runLoad({
      url: server.url,
      requests: [
        { name: 'a', weight: 1, method: 'GET', path: '/a' },
        { name: 'b', weight: 1, method: 'GET', path: '/b/{id}', params: { id: 'int(1,9)' } },
      ],
      stages: [{ rate: 400, durationMs: 2500 }],
      connections: 8,
      timeoutMs: 2000,
      workers: 2,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(r.sent, 1000);
    assert.equal(r.completed, 1000);
    assert.equal(server.arrivals.length, 1000);
    assert.equal(r.routes.length, 2);
    assert.equal(r.routes[0].sent + r.routes[1].sent, 1000);
    assert.ok(r.routes.every((x) => x.sent > 350), 'both workers pick from the whole mix');
    assert.equal(r.latency.count, 1000, 'histograms of both workers merged');
    assert.equal(Histogram.fromJSON(r.routes[0].histogram).count, r.routes[0].completed);
    const g = r.generator!;
    assert.equal(g.workers, 2);
    assert.equal(g.requestedRate, 400);
    assert.equal(g.droppedSends, 0);
    assert.ok(Math.abs(g.achievedRate - 400) <= 4, `achieved ${g.achievedRate}`);
    // Worker w sends requests w, w + 2, ...: together they keep the 2.5 ms spacing. Had both sent at
    // the same instants, a quarter of the gaps would be ~0.
    const gaps = server.arrivals.slice(1).map((t, i) => t - server.arrivals[i]).sort((a, b) => a - b);
    assert.ok(gaps[Math.floor(gaps.length / 4)] > 1, `25th percentile gap ${gaps[Math.floor(gaps.length / 4)].toFixed(3)} ms`);
    assert.ok(progress.length >= 1, 'progress is aggregated from the workers');
    assert.ok(progress.every((p) => p.totalMs === 2500 && p.requestedRate === 400 && p.sent <= 1000));
    assert.ok(progress.some((p) => p.sent > 300), 'and sums both workers');
    assert.ok(progress.every((p) => p.rate > 200 && p.rate < 600), `rates ${progress.map((p) => p.rate).join(' ')}: one moment of every worker`);
  });

  it('stops every worker on the signal and merges what they measured', async () => {
    const stop = new AbortController();
    const server = await serve((n) => {
      if (n === 20) stop.abort();
      return n < 20;
    });
    const started = performance.now();
    const r = await runLoad({ url: server.url, requests: [{ name: 'x', weight: 1, method: 'GET', path: '/' }], stages: [{ rate: 100, durationMs: 20_000 }], connections: 4, timeoutMs: 5000, workers: 2, signal: stop.signal });
    assert.ok(performance.now() - started < 5000, 'stopped well before the planned 20 s');
    assert.ok(r.durationMs < 5000);
    assert.equal(r.completed, 19);
    assert.ok(r.sent >= 20);
    assert.equal(r.generator?.workers, 2);
  });

  it('loads TypeScript in the workers when tsx is registered through its API (as bin/sloctl.js does)', async () => {
    const index = new URL('../src/load/index.ts', import.meta.url).href;
    const script = `
      import { register } from 'tsx/esm/api';
      import { createServer } from 'node:http';
      register();
      const { runLoad } = await import(${JSON.stringify(index)});
      const server = createServer((req, res) => res.end('ok'));
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const r = await runLoad({ url: 'http://127.0.0.1:' + server.address().port, requests: [{ name: 'x', weight: 1, method: 'GET', path: '/' }],
        stages: [{ rate: 100, durationMs: 500 }], connections: 2, timeoutMs: 2000, workers: 2 });
      server.close();
      console.log(JSON.stringify({ sent: r.sent, completed: r.completed, workers: r.generator.workers }));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), { sent: 50, completed: 50, workers: 2 });
  });
});

/** A result with the given latencies (ms) in one route, as a thread would return it. */
function resultOf(latenciesMs: number[], extra: { durationMs?: number; generator?: Partial<GeneratorHealth> | null; statuses?: Record<string, number>; name?: string } = {}): LoadResult {
  const h = new Histogram();
  for (const ms of latenciesMs) h.record(ms * 1000);
  const durationMs = extra.durationMs ?? 1000;
  const n = latenciesMs.length;
  const statuses = extra.statuses ?? { '200': n };
  const r: LoadResult = {
    source: 'sloctl',
    url: 'http://127.0.0.1:1',
    model: 'open',
    startedAt: 1_000_000,
    durationMs,
    sent: n,
    completed: n,
    errors: 0,
    timeouts: 0,
    throughput: (n / durationMs) * 1000,
    latency: h.summary(),
    serviceTime: h.summary(),
    statuses,
    routes: [{ name: extra.name ?? 'r', sent: n, completed: n, statuses, errors: {}, latency: h.summary(), serviceTime: h.summary(), histogram: h.toJSON(), serviceHistogram: h.toJSON() }],
    notes: [],
  };
  if (extra.generator !== null) {
    r.generator = { requestedRate: (n / durationMs) * 1000, achievedRate: (n / durationMs) * 1000, lateSends: 0, lateThresholdMs: 10, maxLagMs: 1, droppedSends: 0, eventLoopDelayP99Ms: 1, cpu: 0.2, workers: 1, ok: true, reasons: [], ...extra.generator };
  }
  return r;
}

describe('mergeResults', () => {
  const a = Array.from({ length: 300 }, (_, i) => 1 + (i % 97));
  const b = Array.from({ length: 200 }, (_, i) => 50 + ((i * 7) % 400));

  it('merges trials back to back: counts and durations add, histograms merge exactly', () => {
    const m = mergeResults([resultOf(a, { durationMs: 1000 }), resultOf(b, { durationMs: 2000, statuses: { '200': 150, '503': 50 } })]);
    assert.equal(m.durationMs, 3000);
    assert.equal(m.sent, 500);
    assert.deepEqual(m.statuses, { '200': 450, '503': 50 });
    assert.equal(m.throughput, 166.667);
    const union = new Histogram();
    for (const ms of [...a, ...b]) union.record(ms * 1000);
    assert.deepEqual(m.latency, union.summary());
    assert.deepEqual(m.routes[0].histogram, union.toJSON());
    // 300 in 1 s then 200 in 2 s: requested 500 over 3 s.
    assert.ok(Math.abs(m.generator!.requestedRate! - 500 / 3) < 1e-3);
    assert.equal(m.generator!.ok, true);
    assert.equal(m.startedAt, 1_000_000);
  });

  it('merges concurrent workers: rates add and the run lasts as long as the longest', () => {
    const m = mergeResults([resultOf(a), resultOf(b)], { concurrent: true });
    assert.equal(m.durationMs, 1000);
    assert.equal(m.generator!.requestedRate, 500);
    assert.equal(m.generator!.achievedRate, 500);
    assert.equal(m.generator!.workers, 2);
  });

  it('never averages a bad part away', () => {
    const bad = resultOf(b, { generator: { ok: false, lateSends: 3, reasons: ['3 of 200 sends (1.5%) left late'] } });
    const m = mergeResults([resultOf(a), resultOf(a), resultOf(a), bad]);
    assert.equal(m.generator!.ok, false);
    assert.deepEqual(m.generator!.reasons, ['run 4 of 4: 3 of 200 sends (1.5%) left late']);
    const short = mergeResults([resultOf(a), resultOf(b, { generator: { requestedRate: 400 } })], { concurrent: true });
    assert.equal(short.generator!.ok, false);
    assert.match(short.generator!.reasons[0], /achieved 500\/s of 700\/s requested/);
  });

  it('with judgeWhole, judges slices of one phase on the merged numbers: 3 late sends in 1,100 are noise', () => {
    const bad = resultOf(b, { generator: { ok: false, lateSends: 3, reasons: ['3 of 200 sends (1.5%) left late'] } });
    const m = mergeResults([resultOf(a), resultOf(a), resultOf(a), bad], { judgeWhole: true });
    assert.equal(m.generator!.ok, true);
    assert.equal(m.generator!.lateSends, 3);
    assert.deepEqual(m.generator!.reasons, []);
    // Late beyond 1% of the whole phase is still not ok.
    const worse = mergeResults([resultOf(a), resultOf(b, { generator: { ok: false, lateSends: 20, reasons: ['late'] } })], { judgeWhole: true });
    assert.equal(worse.generator!.ok, false);
    assert.match(worse.generator!.reasons[0], /20 of 500 sends/);
  });

  it('keeps routes apart by name and merges summaries when a part has no histogram (k6)', () => {
    const k6 = resultOf(b, { generator: null, name: 'r' });
    k6.routes[0].histogram = new Histogram().toJSON();
    k6.routes[0].latency = { ...k6.routes[0].latency, stdev: 0, absent: ['stdev'] };
    const m = mergeResults([resultOf(a, { name: 'other' }), resultOf(a), k6]);
    assert.deepEqual(m.routes.map((r) => r.name), ['other', 'r']);
    const r = m.routes[1];
    assert.equal(r.latency.count, 500);
    assert.equal(r.latency.p99, Math.max(resultOf(a).latency.p99, k6.latency.p99), 'the worst part bounds a percentile');
    assert.deepEqual(r.latency.absent, ['stdev']);
    assert.ok(m.notes.some((n) => /carry no latency histogram/.test(n)));
    assert.ok(m.notes.some((n) => /1 of 3 merged results carry no generator check/.test(n)));
  });

  it('returns a single result as it is and refuses nothing to merge', () => {
    const one = resultOf(a);
    assert.equal(mergeResults([one]), one);
    assert.throws(() => mergeResults([]), /no results to merge/);
    assert.throws(() => mergeResults([one, { ...one, routes: [{ ...one.routes[0], histogram: { ...one.routes[0].histogram, digits: 0 } }] }]), /route r: histogram: bad layout/);
  });
});
