// `npm run example`: the payments and recommendations stand-ins and the checkout service, on 127.0.0.1.
//
//   PORT                  checkout port (default 8080; 0 picks a free one)
//   PAYMENTS_PORT         payments port (default 8081; 0 picks a free one)
//   PAYMENTS_URL          where checkout reaches payments (default: the one started here; sloctl's
//                         drills point it at their fault proxy, which forwards to the contract's
//                         `dependencies[payments].url`, the one started here)
//   RECOMMENDATIONS_PORT  recommendations port (default 8082; 0 picks a free one)
//   RECOMMENDATIONS_URL   where checkout reaches recommendations (as PAYMENTS_URL)
//   PAYMENTS_BREAKER=off  no circuit breaker on payments (a drill should catch it)
//   PAYMENTS_TIMEOUT=off  no timeout on payments (a drill should catch it)
//   CHECKOUT_MUTANT       one fault built in, breaking one of the eleven contracts (mutants.ts,
//                         README "Mutants"); unset: the healthy service
//   HOST                  listen address (default 127.0.0.1)
//   CHECKOUT_CONTRACT     the contract checkout instruments itself with (default: the slo.yaml beside
//                         this file); a copy of it elsewhere (the tests' copies on free ports) then also
//                         gets the copy's evidence directory, relative to the copy
//
//   DRAIN_ANNOUNCE_MS     how long the server keeps accepting after health turned DOWN on SIGTERM (default 1000)
//
// SIGINT / SIGTERM / SIGUSR2: health turns DOWN, in-flight requests finish, every server closes, exit 0.
import { startPayments } from './payments-server.ts';
import { startRecommendations } from './recommendations-server.ts';
import { parseMutant } from './mutants.ts';
import { buildCheckout } from './service.ts';

/** An on/off switch from the environment; anything else stops the start with what to write. */
function onOff(name: string): boolean {
  const v = process.env[name];
  if (v === undefined || v === '' || v === 'on') return true;
  if (v === 'off') return false;
  console.error(`${name}=${JSON.stringify(v)}: expected "on" or "off" (unset is on)`);
  process.exit(2);
}

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const paymentsBreaker = onOff('PAYMENTS_BREAKER');
const paymentsTimeout = onOff('PAYMENTS_TIMEOUT');
const { mutant, error: mutantError } = parseMutant(process.env.CHECKOUT_MUTANT);
if (mutantError !== undefined) {
  console.error(mutantError);
  process.exit(2);
}

const payments = await startPayments({ host, port: Number(process.env.PAYMENTS_PORT ?? 8081) });
const recommendations = await startRecommendations({ host, port: Number(process.env.RECOMMENDATIONS_PORT ?? 8082) });
const checkout = await buildCheckout({
  paymentsUrl: process.env.PAYMENTS_URL || payments.url,
  recommendationsUrl: process.env.RECOMMENDATIONS_URL || recommendations.url,
  paymentsBreaker,
  paymentsTimeout,
  mutant,
  contract: process.env.CHECKOUT_CONTRACT || undefined,
});
const url = await checkout.app.listen({ host, port });

const via = (env: string, own: string) => (process.env[env] && process.env[env] !== own ? ` (reached through ${env}=${process.env[env]})` : '');
const off = [!paymentsBreaker && 'PAYMENTS_BREAKER=off', !paymentsTimeout && 'PAYMENTS_TIMEOUT=off', mutant && `CHECKOUT_MUTANT=${mutant}`].filter(Boolean);
console.log(`checkout listening on ${url} (health ${url}${checkout.sdk.paths.health}, metrics ${url}${checkout.sdk.paths.metrics}); payments on ${payments.url}${via('PAYMENTS_URL', payments.url)}, recommendations on ${recommendations.url}${via('RECOMMENDATIONS_URL', recommendations.url)}${off.length ? `; ${off.join(', ')}` : ''}`);

// Graceful drain (sloctl/sdk's sdk.serve): on SIGTERM (or SIGUSR2, or Ctrl-C) health turns DOWN,
// the server keeps accepting for DRAIN_ANNOUNCE_MS (default 1 s: on loopback nobody balances; behind
// a load balancer make it its probe period × failure threshold), then stops accepting, finishes
// every request in flight, closes the stand-ins and exits 0. The whole drain is bounded at 4 s, under
// the 5 s sloctl gives a target it started between SIGTERM and SIGKILL. SIGUSR1 sheds
// (sdk.admission.shed), a second SIGUSR1 stops shedding.
const announceMs = Number(process.env.DRAIN_ANNOUNCE_MS ?? 1000);
if (!Number.isFinite(announceMs) || announceMs < 0) {
  console.error(`DRAIN_ANNOUNCE_MS=${JSON.stringify(process.env.DRAIN_ANNOUNCE_MS)}: expected a number of milliseconds >= 0`);
  process.exit(2);
}
const drainer = checkout.sdk.serve(checkout.app.server, {
  announceMs,
  timeoutMs: Math.max(4000, announceMs + 3000),
  signals: true,
  // The drain's JSON lines on stderr, as by default; its first one is said on stdout too. Not with
  // a SIGTERM listener of our own: the drainer warns about any, as one that exits would cut it short.
  log(line) {
    process.stderr.write(`${JSON.stringify(line)}\n`);
    if (line.phase === 'announce') console.log(`${line.reason}: draining`);
  },
  // Once no connection is left: Fastify's close (its onClose hooks), the outgoing clients, the stand-ins.
  async onDrained() {
    await checkout.close();
    await payments.close();
    await recommendations.close();
    console.log('stopped');
  },
});
process.on('SIGINT', () => {
  if (drainer.isDraining) {
    console.error('SIGINT again: exiting now');
    process.exit(1);
  }
  void drainer.shutdown('SIGINT');
});
