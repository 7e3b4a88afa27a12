// Experiment: does what the SDK does at start-up (a worker thread, timers, a MessageChannel) make
// Node's own per-request code slower afterwards, with none of sloctl running a request? A Fastify
// hello-world speaking bench/fastify-hello.ts's protocol (READY <port>), for
// bench/experiments/ab-pair.mjs, sloctl from this checkout's dist/ (`npm run build` first):
//
//   node bench/experiments/ab-pair.mjs bench/experiments/pollute.mjs:bare bench/experiments/pollute.mjs:worker 10 4
//
// Variants: bare (Fastify alone); worker (bare after a worker thread like the SDK's contract
// thread ran and exited); thread (everything on, the contract from a file, parsed on the SDK's
// thread); object (everything on, the same contract handed over as the object the thread returns,
// obtained in a child process: no thread, no parser in this process); loaded (the SDK, its plugin
// and prom-client imported, nothing run); instrumented (thread's instrument() call, the plugin not
// registered: everything the SDK starts, none of its per-request work); instrumented-nodefault (the
// same without prom-client's default metrics); instrumented-plain (the same with the contract's
// objectives only: no limiter, no saturation monitor); gc-observer (bare with a PerformanceObserver
// of 'gc' entries, as prom-client's default metrics make); eld (bare with an event-loop delay
// monitor at 10 ms, as prom-client's default metrics make); thread-no-X (thread, with prom-client's
// default metrics registered module by module from prom-client/lib/metrics/ without X: `gc`,
// `eventLoopLag`, ..., a comma list, `all` for none, `none` for all thirteen); thread-serve and
// thread-serve-after (thread with the graceful drain, sdk.serve(app.server), called before or after
// the plugin's registration).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import { HELLO_CONTRACT, HELLO_FULL } from '../hello-contract.mjs';

const variant = process.argv[2];
const dist = new URL('../../dist/', import.meta.url);
const app = Fastify({ logger: false });
const file = join(mkdtempSync(join(tmpdir(), 'sloctl-pollute-')), 'slo.yaml');
writeFileSync(file, HELLO_CONTRACT + HELLO_FULL);
if (variant === 'worker') {
  await new Promise((resolve, reject) => {
    const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true, execArgv: [], stdout: false, stderr: false });
    w.once('message', () => w.terminate().then(resolve, reject));
    w.once('error', reject);
  });
}
if (variant === 'gc-observer') {
  const { PerformanceObserver } = await import('node:perf_hooks');
  new PerformanceObserver(() => {}).observe({ entryTypes: ['gc'] });
}
if (variant === 'eld') (await import('node:perf_hooks')).monitorEventLoopDelay({ resolution: 10 }).enable();
// ee-mega: bare after EventEmitter objects of six other shapes were made (as loading ESM files
// makes FileHandles, a Worker makes itself and its stdio streams, node:cluster a plain emitter):
// EventEmitter.init's property loads and stores, which every request's IncomingMessage,
// ServerResponse run, go from polymorphic (3 shapes in a bare app) to megamorphic (over 4).
// plugins: bare with ten empty Fastify plugins registered, as any service registers a few (cors,
// helmet, a database decorator): avvio's start-up calls make Node's removeListener hot enough to
// record its start-up shapes, as the SDK's start-up does (bench/RESULTS.md, 2026-12-07).
if (variant === 'plugins') for (let i = 0; i < 10; i++) app.register(async () => {});
if (variant === 'ee-mega') {
  const { EventEmitter } = await import('node:events');
  const kinds = [class A extends EventEmitter {}, class B extends EventEmitter {}, class C extends EventEmitter {}, class D extends EventEmitter {}, class E extends EventEmitter {}, class F extends EventEmitter {}];
  for (let i = 0; i < 30; i++) for (const K of kinds) new K();
}
if (variant.startsWith('thread') || variant === 'object' || variant.startsWith('instrumented') || variant === 'loaded') {
  const [{ instrument }, { Registry }, { default: sloctl }] = await Promise.all([
    import(new URL('sdk/index.js', dist).href), import('prom-client'), import(new URL('sdk/adapters/fastify.js', dist).href),
  ]);
  if (variant === 'loaded') {
    // imported, nothing run
  } else {
  const contract = variant !== 'object' ? file : JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e',
    `const { parseContract } = await import(${JSON.stringify(new URL('contract/load.js', dist).href)}); const { readFileSync } = await import('node:fs'); process.stdout.write(JSON.stringify(parseContract(readFileSync(${JSON.stringify(file)}, 'utf8'), 'slo.yaml').contract));`], { encoding: 'utf8' }));
  if (variant === 'instrumented-plain') writeFileSync(file, HELLO_CONTRACT);
  const registry = new Registry();
  // thread-no-X: everything on, prom-client's default metrics registered one by one without X.
  const without = variant.startsWith('thread-no-') ? variant.slice('thread-no-'.length) : undefined;
  if (without !== undefined) {
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    for (const m of ['processCpuTotal', 'processStartTime', 'osMemoryHeap', 'processOpenFileDescriptors', 'processMaxFileDescriptors', 'eventLoopLag', 'processResources', 'processHandles', 'processRequests', 'heapSizeAndUsed', 'heapSpacesSizeAndUsed', 'version', 'gc']) {
      if (without !== 'all' && !without.split(',').includes(m)) req(`prom-client/lib/metrics/${m}.js`)(registry, { eventLoopMonitoringPrecision: 10 });
    }
  }
  const sdk = instrument({ contract, registry, defaultMetrics: variant !== 'instrumented-nodefault' && without === undefined });
  // thread-serve / thread-serve-after: with the graceful drain too (sdk.serve(app.server)), before
  // or after the plugin's registration (before, the plugin found two 'request' listeners until
  // 2026-12-07 and fell back to a per-request onRequest hook).
  const serve = () => sdk.serve(app.server, { log: () => {}, exit: false });
  if (variant === 'thread-serve') serve();
  if (!variant.startsWith('instrumented')) await app.register(sloctl, { sdk });
  if (variant === 'thread-serve-after') serve();
  }
}
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
app.server.keepAliveTimeout = 60_000;
console.log(`READY ${app.server.address().port}`);
process.on('SIGTERM', () => process.exit(0));
