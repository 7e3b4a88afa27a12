// The Fastify hello-world of bench/sdk-wrk.bench.ts, in its own process:
//   node --import tsx bench/fastify-hello.ts <bare|sdk|full|metrics> [port]
// (the bench runs an esbuild bundle of it with plain node instead; see there why).
// bare: Fastify alone; sdk: sloctl's plugin with the contract below (default runtime metrics on,
// as a user gets them); full: the same plus `objectives.concurrency.limit` (the admission
// limiter) and whatever the SDK starts on its own (the saturation monitor); limit, monitor: each of
// those two alone; metrics: the peer,
// fastify-metrics with its defaults; spin: the bare server plus a busy-wait of BENCH_SPIN_NS
// (default 550) per request, about what the in-process harness measures the SDK's own code at: a
// control for what that much pure CPU costs in req/s on the machine (see bench/RESULTS.md: on
// this VM a request's kernel cost grows when the server slows, so a cost shows larger than its CPU).
// Prints "READY <port>" once listening on 127.0.0.1; answers an IPC message with its cpuUsage().
// With BENCH_PROFILE=<file>, SIGUSR2 starts a CPU profile (100 µs sampling) and a second SIGUSR2
// writes it to <file>: a profile of the measured run only, without start-up and warm-up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { HELLO_CONTRACT, HELLO_FULL, HELLO_LIMIT_ONLY, HELLO_MONITOR_ONLY } from './hello-contract.mjs';
// Everything else is imported only by the variants that use it: a bare server loads Fastify and
// nothing of sloctl or the peer, as a service without them does. (Until 2026-12-05 every variant
// imported the SDK, prom-client and fastify-metrics, so `bare` paid for their loaded code too;
// bench/RESULTS.md measured what that changed.) By path, not by package name: the bench bundles
// this file with esbuild, sloctl's imports resolved to dist/ (bench/sdk-from-dist.mjs) or inlined.

export const FASTIFY_VARIANTS = ['bare', 'routes', 'routes-settled', 'spin', 'sdk', 'full', 'limit', 'monitor', 'lean', 'metrics'] as const;
export type FastifyVariant = (typeof FASTIFY_VARIANTS)[number];

/** The variants that run the SDK, and what each appends to the contract. */
const CONTRACT_TAIL = { sdk: '', lean: '', full: HELLO_FULL, limit: HELLO_LIMIT_ONLY, monitor: HELLO_MONITOR_ONLY } as const;
type SdkVariant = keyof typeof CONTRACT_TAIL;
const runsSdk = (v: string): v is SdkVariant => Object.hasOwn(CONTRACT_TAIL, v);

async function sdkFor(variant: SdkVariant) {
  const [{ instrument }, { Registry }] = await Promise.all([import('../src/sdk/index.ts'), import('prom-client')]);
  // From a file, as a service gives it: the SDK parses a file on a worker thread, so the YAML
  // parser and the schema never load into this process (until 2026-12-06 the bench parsed the
  // text here, in-process, and its servers paid for that code loaded; bench/RESULTS.md).
  const dir = mkdtempSync(join(tmpdir(), 'sloctl-bench-'));
  const file = join(dir, 'slo.yaml');
  writeFileSync(file, HELLO_CONTRACT + CONTRACT_TAIL[variant]);
  // lean: the SDK without prom-client's default Node metrics (their GC observer and collectors), to
  // see what they cost apart from the SDK's own per-request path.
  try {
    return instrument({ contract: file, registry: new Registry(), defaultMetrics: variant !== 'lean' });
  } catch (err) {
    // The limiter's contract key may not exist yet in this checkout: say so, the bench skips the variant.
    console.log(`UNAVAILABLE ${JSON.stringify((err as Error).message)}`);
    process.exit(3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const variant = process.argv[2] as FastifyVariant;
if (!FASTIFY_VARIANTS.includes(variant)) {
  console.error(`usage: node --import tsx bench/fastify-hello.ts <${FASTIFY_VARIANTS.join('|')}> [port]`);
  process.exit(2);
}
const app = Fastify({ logger: false });
if (runsSdk(variant)) {
  const sdk = await sdkFor(variant);
  const { default: sloctl } = await import('../src/sdk/adapters/fastify.ts');
  await app.register(sloctl, { sdk });
}
if (variant === 'metrics') {
  // fastify-metrics is CommonJS with a `default` export.
  const m = await import('fastify-metrics');
  const fastifyMetrics = ((m.default as { default?: unknown }).default ?? m.default) as typeof m.default.default;
  await app.register(fastifyMetrics, { endpoint: '/metrics' });
}
// routes: the bare server with the contract's health and metrics paths served by its own routes,
// as a service without sloctl serves them (the SDK's plugin registers these two routes; Fastify
// adds a HEAD route to each). Never requested under load: what they cost is being registered.
// routes-settled: the same, with the SDK's settleTickShape() (src/sdk/tick-shape.ts): without it,
// in about one process in four a bare app with these routes falls into the V8 state that fix
// prevents (~15% dearer), and the SDK would read cheaper than its baseline.
if (variant === 'routes-settled') (await import('../src/sdk/tick-shape.ts')).settleTickShape();
if (variant === 'routes' || variant === 'routes-settled') {
  app.get('/healthz', async () => ({ status: 'UP' }));
  app.get('/metrics', async () => '');
}
if (variant === 'spin') {
  // The loop's own clock reads overshoot the wait by ~150 ns: calibrated once, so a request pays the asked-for time.
  const want = Number(process.env.BENCH_SPIN_NS ?? 550);
  let spinNs = BigInt(want);
  const spin = () => {
    const until = process.hrtime.bigint() + spinNs;
    while (process.hrtime.bigint() < until);
  };
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) spin();
    const took = Number(process.hrtime.bigint() - t0) / 20_000;
    spinNs = BigInt(Math.max(0, Math.round(Number(spinNs) - (took - want))));
  }
  app.get('/', async () => {
    spin();
    return { hello: 'world' };
  });
} else app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1' });
app.server.keepAliveTimeout = 60_000;
console.log(`READY ${(app.server.address() as AddressInfo).port}`);
process.on('SIGTERM', () => process.exit(0));
// With --ipc the bench asks for the server's CPU time over IPC (else it reads /proc): CPU per request.
process.on('message', () => process.send?.(process.cpuUsage()));

const profileTo = process.env.BENCH_PROFILE;
if (profileTo) {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  let on = false;
  process.on('SIGUSR2', () => {
    if (!on) {
      on = true;
      session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.enable', () => session.post('Profiler.start')));
      return;
    }
    session.post('Profiler.stop', (err, r) => {
      writeFileSync(profileTo, JSON.stringify(err ? { error: String(err) } : r.profile));
      console.log('PROFILED');
    });
  });
}
