// Experiment: what parsing the contract in the service's own process costs each request, against
// the SDK's worker thread (src/sdk/contract-thread.ts). A Fastify hello-world speaking
// bench/fastify-hello.ts's protocol (READY <port>), sloctl from this checkout's dist/
// (`npm run build` first), for bench/experiments/ab-pair.mjs:
//
//   node bench/experiments/ab-pair.mjs bench/experiments/parse-thread.mjs:inproc bench/experiments/parse-thread.mjs:thread 12 4
//
// Variants: bare (Fastify alone); loaded (sloctl/sdk, its Fastify plugin and prom-client imported,
// nothing run); thread (everything on: the contract below given as a file, parsed on the SDK's
// thread, as `instrument('slo.yaml')` does); inproc (the same contract parsed here with
// dist/contract/load.js and passed as an object, as every service did before 2026-12-06: yaml,
// zod and the schema loaded into this process); sdk (thread, with the SDK's contract only: no
// limiter, no saturation monitor); lean (thread, without prom-client's default metrics).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { HELLO_CONTRACT, HELLO_FULL } from '../hello-contract.mjs';

const SDK = HELLO_CONTRACT;
const FULL = HELLO_CONTRACT + HELLO_FULL;

const variant = process.argv[2];
const dist = new URL('../../dist/', import.meta.url);
const app = Fastify({ logger: false });
if (variant !== 'bare') {
  const [{ instrument }, { Registry }, { default: sloctl }] = await Promise.all([
    import(new URL('sdk/index.js', dist).href), import('prom-client'), import(new URL('sdk/adapters/fastify.js', dist).href),
  ]);
  if (variant !== 'loaded') {
    let contract;
    if (variant === 'inproc') {
      const { parseContract } = await import(new URL('contract/load.js', dist).href);
      contract = parseContract(FULL, 'slo.yaml').contract;
    } else {
      contract = join(mkdtempSync(join(tmpdir(), 'sloctl-parse-thread-')), 'slo.yaml');
      writeFileSync(contract, variant === 'sdk' ? SDK : FULL);
    }
    const sdk = instrument({ contract, registry: new Registry(), defaultMetrics: variant !== 'lean' });
    await app.register(sloctl, { sdk });
  }
}
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
app.server.keepAliveTimeout = 60_000;
console.log(`READY ${app.server.address().port}`);
process.on('SIGTERM', () => process.exit(0));
