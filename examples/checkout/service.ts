// The checkout service: a Fastify app with the contract's routes, instrumented by the SDK.
//
//   POST /orders          create an order, charging through payments (weight 5, 300 ms budget)
//   GET  /products/:id    a product with related products from recommendations (weight 1); without
//                         them when recommendations fails (the contract's fallback)
//   GET  /orders          recent orders (weight 2)
//   GET  /readyz /livez   probes (outside the SLIs, as the contract says)
//   GET  /healthz /metrics  served by the SDK plugin: the composite health, and the metrics
import Fastify, { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, register as globalRegistry, type Registry } from 'prom-client';
import { instrument, type Sdk } from 'sloctl/sdk';
import sloctl from 'sloctl/sdk/fastify';
import { findProduct } from './catalog.ts';
import { applyMutant, type MutantName } from './mutants.ts';
import { Orders } from './orders.ts';
import { PaymentsClient } from './payments-client.ts';
import { RecommendationsClient } from './recommendations-client.ts';

export interface CheckoutOptions {
  paymentsUrl: string;
  recommendationsUrl: string;
  /** false: payments without a circuit breaker (PAYMENTS_BREAKER=off), to see a drill fail. */
  paymentsBreaker?: boolean;
  /** false: payments without a timeout (PAYMENTS_TIMEOUT=off), to see a drill fail. */
  paymentsTimeout?: boolean;
  /** Defaults to prom-client's global registry. */
  registry?: Registry;
  /** One fault built in, breaking one contract (CHECKOUT_MUTANT, mutants.ts); undefined: the healthy service. */
  mutant?: MutantName;
  /** The contract the service instruments itself with (CHECKOUT_CONTRACT); default the slo.yaml beside this file. */
  contract?: string | URL;
}

export interface Checkout {
  app: FastifyInstance;
  sdk: Sdk;
  payments: PaymentsClient;
  recommendations: RecommendationsClient;
  /** Drain: health says DOWN, in-flight requests finish, then everything closes. */
  close(): Promise<void>;
}

const createOrderBody = {
  type: 'object',
  required: ['productId', 'quantity'],
  additionalProperties: false,
  properties: {
    productId: { type: 'integer', minimum: 1 },
    quantity: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

export async function buildCheckout(opts: CheckoutOptions): Promise<Checkout> {
  const registry = opts.registry ?? globalRegistry;
  // prom-client's event-loop delay percentiles are over timer samples, one every
  // `eventLoopMonitoringPrecision` ms, not over time (the SDK registers them the same way when it
  // registers them: src/sdk/runtime.ts): a 300 ms block is one sample however long
  // it lasts. At the default 10 ms a loop blocked 300 ms in every second gives ~70 samples a
  // second with one block among them, and the p99 of a 1 s scrape window (what `sloctl drill`
  // reads) rounds to the sample below it (~12 ms): the event-loop-blocked drill saw nothing. At
  // 20 ms the block is one sample in ~36 and the p99 is the block at any scrape interval, while an
  // idle loop reads ~21 ms, well under the contract's 50 ms warn. The SDK keeps defaults a registry
  // already has.
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  }
  // One line: the contract in, the metrics, classification and health out. Health judges the last
  // 10 s (the contract's health.window; the SDK's default is 30 s): after a fault that slowed
  // requests, health cannot turn UP before the slow ones leave its window, and the drills give the
  // service 15 s to recover.
  const mutant = opts.mutant;
  const sdk = instrument({
    contract: opts.contract ?? new URL('./slo.yaml', import.meta.url), registry,
    // deaf-responder: the responder exists (its gauge is exported) but never evaluates.
    ...(mutant === 'deaf-responder' ? { drift: { autoStart: false } } : {}),
  });

  const orders = new Orders(sdk.registry);
  const payments = new PaymentsClient({
    url: opts.paymentsUrl,
    dependency: sdk.dependency('payments').declared,
    onSettled: (charge) => orders.settle(Number(charge.orderRef)),
    breaker: (opts.paymentsBreaker ?? true) && mutant !== 'no-breaker',
    timeout: opts.paymentsTimeout ?? true,
  });
  // Without a breaker nothing reports payments' state: the SDK says "unknown", as it would for a
  // service that never wired its dependencies in (the payments-down drill then sees nothing).
  if (payments.breaker) sdk.dependency('payments').breaker(payments.breaker);

  // no-timeout: the timeout is configuration read at run time (the contract's), so the code a
  // static check reads still passes a signal; the mutant starts the client without one.
  const recommendations = new RecommendationsClient(opts.recommendationsUrl, sdk.dependency('recommendations').declared, { timeout: mutant !== 'no-timeout' });
  const recommendationsHandle = sdk.dependency('recommendations');
  recommendationsHandle.breaker(recommendations.breaker);

  const app = Fastify({ logger: false, keepAliveTimeout: 30_000, return503OnClosing: true });
  await app.register(sloctl, { sdk });
  applyMutant(app, sdk, mutant);

  app.get('/readyz', async (_req, reply) => {
    if (sdk.isDraining) return reply.code(503).send({ ready: false });
    return { ready: true };
  });
  app.get('/livez', async () => ({ live: true }));

  app.get<{ Params: { id: string } }>('/products/:id', async (req, reply) => {
    const product = findProduct(Number(req.params.id));
    if (!product) return reply.code(404).send({ error: 'no such product' });
    // Never fails: without recommendations the product is answered with none (the fallback).
    // While the drift responder degrades the service (objectives.drift.action: degrade), a
    // non-critical dependency is not called at all: the fallback answers at once.
    if (recommendationsHandle.useFallback) return { ...product, related: [] };
    const rec = await recommendations.forProduct(product.id);
    return { ...product, related: rec.related };
  });

  app.get<{ Querystring: { limit?: number } }>('/orders', {
    schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } } } },
  }, async (req) => ({ orders: orders.list(req.query.limit ?? 20) }));

  app.post<{ Body: { productId: number; quantity: number } }>('/orders', { schema: { body: createOrderBody } }, async (req, reply) => {
    const product = findProduct(req.body.productId);
    if (!product) return reply.code(422).send({ error: `no product ${req.body.productId}` });
    const amountCents = product.priceCents * req.body.quantity;
    // PaymentsUnavailableError (queue full) propagates: the SDK classifies it as transient (503).
    const id = orders.newId();
    const charge = await payments.charge({ orderRef: String(id), amountCents });
    const state = charge.status === 'captured' ? 'confirmed' : charge.status === 'queued' ? 'pending' : 'declined';
    const order = await orders.create({ id, productId: product.id, quantity: req.body.quantity, amountCents, state });
    if (state === 'declined') return reply.code(402).send(order);
    return reply.code(state === 'confirmed' ? 201 : 202).send(order);
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.name === 'PaymentsUnavailableError' ? 503 : err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    void reply.code(status).send({ error: status >= 500 ? 'unavailable' : err.message });
  });

  return {
    app,
    sdk,
    payments,
    recommendations,
    async close() {
      sdk.drain();
      await app.close();
      await payments.close();
      await recommendations.close();
    },
  };
}
