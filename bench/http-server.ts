// One hello-world server for bench/sdk.bench.ts, in its own process:
//   node --import tsx bench/http-server.ts <variant>
// variants: fastify-bare fastify-sdk fastify-metrics express-bare express-sdk express-prom-bundle
// Prints "READY <port>" once listening on 127.0.0.1; answers an IPC message with its cpuUsage().
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import promBundle from 'express-prom-bundle';
import Fastify from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import { Registry } from 'prom-client';
import { parseContract } from '../src/contract/load.ts';
import { HELLO_CONTRACT } from './hello-contract.mjs';
import { instrument } from 'sloctl/sdk';
import { errorHandler, middleware } from 'sloctl/sdk/express';
import sloctl from 'sloctl/sdk/fastify';

export const VARIANTS = ['fastify-bare', 'fastify-sdk', 'fastify-metrics', 'express-bare', 'express-sdk', 'express-prom-bundle'] as const;
export type Variant = (typeof VARIANTS)[number];

// fastify-metrics is CommonJS with a `default` export.
const fastifyMetrics = ((fastifyMetricsModule as unknown as { default?: unknown }).default ?? fastifyMetricsModule) as typeof fastifyMetricsModule.default;

function sdk() {
  const loaded = parseContract(HELLO_CONTRACT, 'bench.slo.yaml');
  return instrument({ contract: loaded.contract!, registry: new Registry() });
}

async function start(variant: Variant): Promise<Server> {
  if (variant.startsWith('fastify')) {
    const app = Fastify({ logger: false });
    if (variant === 'fastify-sdk') await app.register(sloctl, { sdk: sdk() });
    if (variant === 'fastify-metrics') await app.register(fastifyMetrics, { endpoint: '/metrics' });
    app.get('/', async () => ({ hello: 'world' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  }
  const app = express();
  if (variant === 'express-sdk') app.use(middleware(sdk()));
  if (variant === 'express-prom-bundle') app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
  app.get('/', (_req, res) => {
    res.json({ hello: 'world' });
  });
  if (variant === 'express-sdk') app.use(errorHandler());
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

// Run as a script (the bench imports VARIANTS from here too).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const variant = process.argv[2] as Variant;
  if (!VARIANTS.includes(variant)) {
    console.error(`usage: node --import tsx bench/http-server.ts <${VARIANTS.join('|')}>`);
    process.exit(2);
  }
  const server = await start(variant);
  server.keepAliveTimeout = 60_000;
  console.log(`READY ${(server.address() as AddressInfo).port}`);
  process.on('SIGTERM', () => process.exit(0));
  // The bench asks for the server's CPU time around each run (IPC), to report CPU per request.
  process.on('message', () => process.send?.(process.cpuUsage()));
}
