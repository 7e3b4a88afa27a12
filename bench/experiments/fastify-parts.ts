// Experiment: what each part of the SDK's Fastify wiring costs, apart (bench/RESULTS.md, 2026-12-04
// and 2026-12-05). Same protocol as bench/fastify-hello.ts (`<script> <variant>`, READY, IPC).
//   node --import tsx bench/sdk-wrk.bench.ts --server bench/experiments/fastify-parts.ts --paired --rate 5000 --connections 25 --variants bare,hook,close,inst,promdef
// Variants: bare; hook: an empty global onRequest hook; close: the hook plus a per-request 'close'
// listener; dc: a diagnostics_channel subscriber to http.server.response.finish; cheap,
// cheapprop, cheapclose: hook-free sketches (dc or 'close', state in a WeakMap or on the
// response); inst: instrument() only, nothing registered on Fastify (prom-client's default
// metrics on); instlean: the same without them; promdef: prom-client's collectDefaultMetrics
// alone; eld10, eld100: perf_hooks.monitorEventLoopDelay at that resolution; gcobs: a GC
// PerformanceObserver; sdk, lean: the SDK's plugin with and without the default metrics.
// Every variant here loads the SDK (static imports), so this file's `bare` is a bare server with
// sloctl loaded and unused: ~3% dearer a request than one that loads Fastify alone (bench/RESULTS.md,
// 2026-12-05). Compare its variants with each other; for the cost against a pristine server use
// bench/fastify-hello.ts, whose variants import only what they use.
import { subscribe } from 'node:diagnostics_channel';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { parseContract } from '../../src/contract/load.ts';
import { HELLO_CONTRACT } from '../hello-contract.mjs';
import { instrument } from '../../src/sdk/index.ts';
import sloctl from '../../src/sdk/adapters/fastify.ts';
import { finisher } from '../../src/sdk/node-tracking.ts';
import type { RouteSlot } from '../../src/sdk/route-table.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';

const variant = process.argv[2];
const app = Fastify({ logger: false });
let n = 0;
if (variant === 'hook') app.addHook('onRequest', function h(_q, _r, next) { next(); });
if (variant === 'close') app.addHook('onRequest', function h(_q, reply, next) { reply.raw.on('close', () => { n++; }); next(); });
if (variant === 'dc') subscribe('http.server.response.finish', () => { n++; });
if (variant === 'cheap' || variant === 'cheapprop' || variant === 'cheapclose') {
  const sdk = instrument({ contract: parseContract(HELLO_CONTRACT, 'b.yaml').contract!, registry: new Registry() });
  const recorder = sdk.recorder; const routes = sdk.routes; const finish = finisher(sdk);
  interface St { start: number; slot: RouteSlot | undefined }
  const states = new WeakMap<object, St>();
  const kSt = Symbol('st');
  const prop = variant === 'cheapprop';
  app.addHook('onRoute', (opts) => {
    const h = opts.handler as (this: unknown, a: unknown, b: unknown) => unknown;
    const slot = routes.lookup(String(opts.method), opts.url);
    opts.handler = function (this: unknown, request: any, reply: any) {
      const s = prop ? reply.raw[kSt] : states.get(reply.raw);
      if (s !== undefined) s.slot = slot;
      return h.call(this, request, reply);
    } as any;
  });
  const server = app.server;
  const l = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  server.removeListener('request', l);
  server.on('request', function (this: unknown, req: IncomingMessage, res: ServerResponse) {
    const s: St = { start: recorder.begin(), slot: undefined };
    if (prop) (res as any)[kSt] = s; else states.set(res, s);
    if (variant === 'cheapclose') res.on('close', () => finish(res, s.slot ?? routes.unmatchedFor(req.method, req.url), undefined, s.start));
    l.call(this, req, res);
  });
  if (variant !== 'cheapclose') subscribe('http.server.response.finish', (m: any) => {
    const res = m.response as ServerResponse;
    const s: St | undefined = prop ? (res as any)[kSt] : states.get(res);
    if (s === undefined) return;
    if (prop) (res as any)[kSt] = undefined; else states.delete(res);
    finish(res, s.slot ?? routes.unmatchedFor(res.req.method, res.req.url), undefined, s.start);
  });
}
// Bisecting what in the SDK's path costs more once node:tls is loaded (bench/RESULTS.md, 2026-12-05
// 07:20): wrapl: Fastify's 'request' listener wrapped, nothing else; onroute: each handler
// wrapped, nothing else; now: the listener wrapped with two performance.now() a request; rec:
// the listener wrapped, recorder.begin() and a 'close' listener ending it on the recorder.
if (variant === 'wrapl' || variant === 'now' || variant === 'rec') {
  const sdk = instrument({ contract: parseContract(HELLO_CONTRACT, 'b.yaml').contract!, registry: new Registry(), defaultMetrics: false });
  const recorder = sdk.recorder; const finish = finisher(sdk);
  const slot = sdk.routes.lookup('GET', '/');
  const server = app.server;
  const l = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  server.removeListener('request', l);
  const { performance } = await import('node:perf_hooks');
  server.on('request', function (this: unknown, req: IncomingMessage, res: ServerResponse) {
    if (variant === 'now') {
      const t = performance.now();
      res.on('close', () => { if (performance.now() < t) n--; });
    } else if (variant === 'rec') {
      const start = recorder.begin();
      res.on('close', () => finish(res, slot, undefined, start));
    }
    l.call(this, req, res);
  });
}
if (variant === 'onroute') {
  app.addHook('onRoute', (opts) => {
    const h = opts.handler as (this: unknown, a: unknown, b: unknown) => unknown;
    opts.handler = function (this: unknown, request: unknown, reply: unknown) { return h.call(this, request, reply); } as typeof opts.handler;
  });
}
if (variant === 'inst' || variant === 'instlean') instrument({ contract: parseContract(HELLO_CONTRACT, 'b.yaml').contract!, registry: new Registry(), defaultMetrics: variant === 'inst' });
if (variant === 'eld10' || variant === 'eld100') (await import('node:perf_hooks')).monitorEventLoopDelay({ resolution: variant === 'eld10' ? 10 : 100 }).enable();
if (variant === 'gcobs') new (await import('node:perf_hooks')).PerformanceObserver(() => { n++; }).observe({ entryTypes: ['gc'] });
if (variant === 'promdef') (await import('prom-client')).collectDefaultMetrics({ register: new Registry() });
if (variant === 'sdk' || variant === 'lean') {
  await app.register(sloctl, { sdk: instrument({ contract: parseContract(HELLO_CONTRACT, 'bench.slo.yaml').contract!, registry: new Registry(), defaultMetrics: variant === 'sdk' }) });
}
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
app.server.keepAliveTimeout = 60_000;
console.log(`READY ${(app.server.address() as AddressInfo).port}`);
process.on('SIGTERM', () => process.exit(n < 0 ? 1 : 0));
process.on('message', () => process.send?.(process.cpuUsage()));
