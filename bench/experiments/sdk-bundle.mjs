// Experiment: the SDK as tsc's one ES module per source file (dist/sdk/, what `sloctl/sdk` ran
// until 2026-12-07) against the same code as the esbuild bundle with shared chunks that
// package.json's exports now name (dist/sdk-bundle/). A Fastify hello-world with everything on
// (bench/hello-contract.mjs's contract and limiter and monitor, the contract from a file, as a
// service gives it), speaking bench/fastify-hello.ts's protocol (READY <port>), for
// bench/experiments/ab-pair.mjs, from this checkout's dist/ (`npm run build` first):
//
//   node bench/experiments/ab-pair.mjs bench/experiments/sdk-bundle.mjs:modules bench/experiments/sdk-bundle.mjs:bundle 10 4
//
// Variants: bare (Fastify alone), modules (sloctl/sdk and its Fastify plugin from dist/sdk/),
// bundle (the same from dist/sdk-bundle/). Run by plain node, unbundled itself, so each variant
// loads exactly the files it names.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { HELLO_CONTRACT, HELLO_FULL } from '../hello-contract.mjs';

const variant = process.argv[2];
const ENTRIES = {
  modules: ['sdk/index.js', 'sdk/adapters/fastify.js'],
  bundle: ['sdk-bundle/sdk.js', 'sdk-bundle/fastify.js'],
};
if (variant !== 'bare' && !Object.hasOwn(ENTRIES, variant)) {
  console.error('usage: node bench/experiments/sdk-bundle.mjs <bare|modules|bundle>');
  process.exit(2);
}
const app = Fastify({ logger: false });
if (variant !== 'bare') {
  const dist = new URL('../../dist/', import.meta.url);
  const [sdkModule, pluginModule, { Registry }] = await Promise.all([
    ...ENTRIES[variant].map((f) => import(new URL(f, dist).href)), import('prom-client'),
  ]);
  const contract = join(mkdtempSync(join(tmpdir(), 'sloctl-sdk-bundle-')), 'slo.yaml');
  writeFileSync(contract, HELLO_CONTRACT + HELLO_FULL);
  const sdk = sdkModule.instrument({ contract, registry: new Registry() });
  await app.register(pluginModule.default, { sdk });
}
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
app.server.keepAliveTimeout = 60_000;
console.log(`READY ${app.server.address().port}`);
process.on('SIGTERM', () => process.exit(0));
