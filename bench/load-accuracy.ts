// The load generator's accuracy and its coordinated-omission correction, as numbers (the same
// cases test/load-run.test.ts asserts on every run):
//   1. a server that answers in 20 ms and stalls every 50th request 500 ms (timers: nothing blocks),
//      200/s for 5 s: the client's p50/p99 against the server's own handling times;
//   2. a server that stops answering everything for 500 ms, 1 s into a 2.5 s run: the open model
//      (200/s, latency from the intended send) against the closed model (as fast as 4 connections
//      allow, what a closed-loop tool measures).
//
//   node --import tsx bench/load-accuracy.ts
//
// The server runs in this process, so "truth" is its handling time from request to 'finish'.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { runLoad, Histogram } from '../src/load/index.ts';
async function serve(h: (res: ServerResponse, n: number) => void) {
  const handling: number[] = []; let n = 0;
  const server = createServer((req, res) => { const at = performance.now(); res.on('finish', () => handling.push(performance.now() - at)); n++; h(res, n); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handling, close: () => { server.closeAllConnections(); server.close(); } };
}
const pct = (v: number[], p: number) => { const s = [...v].sort((a, b) => a - b); return s[Math.max(1, Math.ceil(p / 100 * s.length)) - 1]; };
const req = [{ name: 'GET /', weight: 1, method: 'GET', path: '/' }];
{
  const s = await serve((res, n) => setTimeout(() => res.end('ok'), n % 50 === 0 ? 500 : 20));
  const r = await runLoad({ url: s.url, requests: req, stages: [{ rate: 200, durationMs: 5000 }], connections: 128, timeoutMs: 5000 });
  console.log(`known delay: client p50 ${r.latency.p50} p99 ${r.latency.p99}; server p50 ${pct(s.handling, 50).toFixed(3)} p99 ${pct(s.handling, 99).toFixed(3)}; service p50 ${r.serviceTime.p50}; ok ${r.generator!.ok} maxLag ${r.generator!.maxLagMs}`);
  s.close();
}
for (const model of ['open', 'closed'] as const) {
  let stalling = false; const held: ServerResponse[] = [];
  const s = await serve((res, n) => { if (n === 1) setTimeout(() => { stalling = true; setTimeout(() => { stalling = false; for (const h of held.splice(0)) h.end('ok'); }, 500); }, 1000); if (stalling) held.push(res); else res.end('ok'); });
  const r = await runLoad({ url: s.url, requests: req, stages: [{ rate: model === 'open' ? 200 : 'max', durationMs: 2500 }], connections: model === 'open' ? 128 : 4, timeoutMs: 5000 });
  const h = Histogram.fromJSON(r.routes[0].histogram);
  console.log(`stall 500 ms, ${model}: ${r.completed} requests, ${h.count - h.countAtOrBelowMs(100)} above 100 ms, p50 ${r.latency.p50} p95 ${r.latency.p95} p99 ${r.latency.p99} max ${r.latency.max}`);
  s.close();
}
