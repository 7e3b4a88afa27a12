// The mutant switches: `CHECKOUT_MUTANT=<name> npm run example` starts checkout with ONE fault
// built in, each breaking one of the contract's eleven contracts, so that `sloctl accept` can be
// seen to catch every one of them (`npm run mutants` runs it on each; README, "Mutants").
//
// Unset (or empty), nothing here runs: no hook is added, no timer started, and the service is the
// healthy example every test uses. Each mutant is written to break ONLY its contract where the
// contract allows it; where it cannot (the availability composite is made of latency and success,
// the regression metrics are p95, error ratio and memory per request), README says which other
// contract fails too, and why.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import type { Sdk } from 'sloctl/sdk';
import { DeadlockError } from './errors.ts';

export const MUTANTS = [
  { name: 'slow-route', contract: 'latency', how: 'GET /products/:id waits 75 ms: p50 over its 50 ms ceiling, every request still within its threshold' },
  { name: 'server-errors', contract: 'errors', how: 'GET /orders fails one request in 33 (3%) with a DeadlockError (500, class server, weight 2.5)' },
  { name: 'capacity-cap', contract: 'throughput', how: 'the order routes share a pool of 24 slots held 350 ms each: only get-product stays good, ~140/s weighted against 150/s' },
  { name: 'lying-health', contract: 'availability', how: '/healthz reports payments DOWN in its dependency check while payments answers, under the true status line' },
  { name: 'leak', contract: 'memory', how: 'a cache that never evicts keeps ~1 MB of every request until it holds 700 (~630 MiB of heap)' },
  { name: 'cpu-burn', contract: 'concurrency', how: 'every 15 s, three 205 ms blocks of synchronous CPU, 100 ms apart: the event-loop delay p99 of a scrape holding two crosses 200 ms' },
  { name: 'no-timeout', contract: 'dependencies', how: 'the recommendations client is built without its timeout: blackholed, get-product waits as long as the blackhole lasts' },
  { name: 'no-breaker', contract: 'resilience', how: 'payments without its circuit breaker (PAYMENTS_BREAKER=off): the payments drills see no detection' },
  { name: 'deaf-responder', contract: 'drift', how: 'the SDK\'s drift responder is created but never started: it exports its gauge and never acts' },
  { name: 'unbounded-label', contract: 'observability', how: 'a page-view counter labelled with the raw path and method: hostile requests add a series each' },
  { name: 'slower-build', contract: 'regression', how: 'every request waits a quarter of its time as a client sees it (its time in the service + ~1 ms) before its answer: p95 rises ~20-30% against the baseline, far under the ceilings' },
] as const;

export type MutantName = (typeof MUTANTS)[number]['name'];

/** The mutant named by `value` (CHECKOUT_MUTANT); undefined when unset or empty; an error sentence when unknown. */
export function parseMutant(value: string | undefined): { mutant?: MutantName; error?: string } {
  if (value === undefined || value === '') return {};
  const m = MUTANTS.find((x) => x.name === value);
  if (m) return { mutant: m.name };
  return { error: `CHECKOUT_MUTANT=${JSON.stringify(value)} is not a mutant of the checkout example; use one of: ${MUTANTS.map((x) => `${x.name} (${x.contract})`).join(', ')}; or leave it unset for the healthy service` };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits `ms` without holding the event loop: a timer from 2 ms, else turn by turn (sub-millisecond). */
async function waitMs(ms: number): Promise<void> {
  if (ms >= 2) return sleep(ms);
  const until = performance.now() + ms;
  while (performance.now() < until) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The contract route a request matched, as "METHOD /template" ("" for the SDK's own paths and unmatched ones). */
function routeOf(req: FastifyRequest): string {
  const url = req.routeOptions.url;
  return url === undefined ? '' : `${req.method} ${url}`;
}
const CONTRACT_ROUTES: ReadonlySet<string> = new Set(['POST /orders', 'GET /products/:id', 'GET /orders']);

/** Synchronous CPU, as slower code spends it (nothing else runs meanwhile). */
function burn(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  if (x < 0) console.log(x); // never: keeps the loop from being optimised away
}

/**
 * The hooks (and the one timer) of the mutants that change the app itself. The others change how
 * service.ts builds its parts: `deaf-responder` (instrument's `drift` option), `no-breaker`
 * (PaymentsClient's breaker), `no-timeout` (RecommendationsClient's timeout). Call after the SDK
 * plugin is registered and before the routes.
 */
export function applyMutant(app: FastifyInstance, sdk: Sdk, mutant: MutantName | undefined): void {
  switch (mutant) {
    case 'slow-route':
      // 70% of the requests: the p50 is theirs. 75 ms is under every threshold (200 ms), so the
      // latency share, health, throughput and availability do not move; only the p50 ceiling does
      // (and p95 against the baseline: see README).
      app.addHook('preHandler', async (req) => {
        if (routeOf(req) === 'GET /products/:id') await sleep(75);
      });
      return;

    case 'server-errors': {
      // list-orders is 20% of the mix: 3% of it, at the server class's weight 2.5, is a weighted
      // error ratio of 1.5% (objective 99.5%: 0.5% allowed), under the drift responder's 5%.
      let n = 0;
      app.addHook('preHandler', async (req) => {
        if (routeOf(req) === 'GET /orders' && ++n % 33 === 0) throw new DeadlockError('order store: lock wait exceeded (CHECKOUT_MUTANT=server-errors)');
      });
      return;
    }

    case 'capacity-cap': {
      // A pool sized for the order routes' 60/s (24 slots / 350 ms = 68/s), so nothing queues for
      // long and the SDK's concurrency limit (min 50) never sheds: no 503, no error. But each
      // order holds its slot 350 ms, past create-order's 300 ms and list-orders' 200 ms.
      const slots = { free: 24, waiting: [] as Array<() => void> };
      const acquire = () => (slots.free > 0 ? (slots.free--, Promise.resolve()) : new Promise<void>((resolve) => slots.waiting.push(resolve)));
      const release = () => {
        const next = slots.waiting.shift();
        if (next) next();
        else slots.free++;
      };
      app.addHook('preHandler', async (req) => {
        const r = routeOf(req);
        if (r !== 'POST /orders' && r !== 'GET /orders') return;
        await acquire();
        try {
          await sleep(350);
        } finally {
          release();
        }
      });
      return;
    }

    case 'lying-health': {
      // The status line and the HTTP code stay the SDK's (drills, load balancers see the truth);
      // the dependency check in the body claims payments is down. The availability composite
      // reads that check; nothing else does.
      const healthPath = sdk.paths.health;
      app.addHook('onSend', async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
        if (healthPath === undefined || req.routeOptions.url !== healthPath || typeof payload !== 'string') return payload;
        try {
          const body = JSON.parse(payload) as { checks?: Record<string, unknown> };
          if (body.checks) {
            body.checks.dependencies = {
              status: 'DOWN', score: 0, weight: (body.checks.dependencies as { weight?: number } | undefined)?.weight,
              details: { payments: { status: 'DOWN', critical: true, state: 'down', reason: 'GET /health answered 404 (CHECKOUT_MUTANT=lying-health)' } },
            };
          }
          return JSON.stringify(body);
        } catch {
          return payload;
        }
      });
      return;
    }

    case 'leak': {
      // Bounded by entries, not bytes: full after ~700 requests (3.5 s at the contract's 200/s,
      // inside the gate's warm-up), so the heap stands at ~630 MiB, over the 512 MiB critical,
      // while it grows no more per request during the trials. Flat Latin-1 strings under 1 MiB
      // live on the V8 heap (larger ones become external) and cost the collector nothing to mark.
      const kept: string[] = [];
      app.addHook('onRequest', async (req) => {
        if (kept.length < 700 && req.routeOptions.url !== undefined && CONTRACT_ROUTES.has(`${req.method} ${req.routeOptions.url}`)) {
          kept.push(Buffer.alloc(900 * 1024, 97 + (kept.length % 26)).toString('latin1'));
        }
      });
      return;
    }

    case 'cpu-burn': {
      // The gate reads the event-loop delay p99 over each 2 s scrape: ~90 timer samples (every
      // 20 ms, service.ts), so ONE long sample is not the p99 (the 89th of 90 is; measured: the
      // max read 237 ms, the p99 22 ms). Three blocks of 205 ms, 100 ms apart: however a scrape
      // boundary cuts them, one scrape holds two, and its p99 is at least 205 ms (a sample spans
      // its whole block), over the 200 ms critical. 205 ms, not more: a request waits past 200 ms
      // only if it arrived in a block's first few ms (measured 5 a block at 215 ms, which failed
      // a drill's 3 s recovery window and, per trial, availability). Every 15 s, not 10: the
      // requests arriving during a burst (~12% of a 5 s trial) put that trial's p95 inside the
      // blocks, and a burst in most trials failed regression (p95 4 -> 77 ms). Each burst waits
      // for a moment with no request in flight, so no dependency call's timeout (payments 150 ms)
      // runs out during a block and trips a breaker (measured without it: the payments breaker
      // open 58% of the gate).
      const quiet = async () => {
        const until = performance.now() + 500;
        while (sdk.recorder.inFlight > 0 && performance.now() < until) await new Promise<void>((resolve) => setImmediate(resolve));
      };
      let stopped = false;
      const burst = async () => {
        for (let i = 0; i < 3 && !stopped; i++) {
          await quiet();
          burn(205);
          await sleep(100);
        }
      };
      const timer = setInterval(() => void burst(), 15_000);
      timer.unref();
      app.addHook('onClose', async () => {
        stopped = true;
        clearInterval(timer);
      });
      return;
    }

    case 'unbounded-label': {
      // The SDK's own labels are bounded (route templates, `unmatched`); a metric of the
      // service's own with the raw path is not.
      const views = new Counter({ name: 'checkout_page_views_total', help: 'Pages served, by path and method (CHECKOUT_MUTANT=unbounded-label: the raw path, unbounded).', labelNames: ['path', 'method'], registers: [sdk.registry] });
      app.addHook('onResponse', async (req) => {
        views.inc({ path: req.url, method: req.raw.method ?? '' });
      });
      return;
    }

    case 'slower-build': {
      // A fifth more of the time the service took, waited before the answer is sent: "this build
      // is slower", far from any ceiling. Waited, not burnt: CPU burnt in proportion to the
      // elapsed time also stalls the requests behind it, whose elapsed time grows, and so on
      // (tried: the service stopped answering within seconds). A request takes 1-3 ms here, under
      // a timer's 1 ms resolution (a 1 ms floor made p95 +87%, not +20%): short waits yield turn
      // by turn (setImmediate) until their deadline, letting every other request run meanwhile.
      // A quarter of the request's time as its client sees it: its time here plus ~1 ms the
      // service cannot see (loopback, parsing, writing). A fifth of the service's own time alone
      // moved the client's p95 by +28% in one run and +5% in another (the fixed part does not
      // slow down): not enough for the +5% tolerance over 4 noisy trials.
      const CLIENT_SIDE_MS = 1;
      const started = new WeakMap<FastifyRequest, number>();
      app.addHook('onRequest', async (req) => {
        started.set(req, performance.now());
      });
      app.addHook('onSend', async (req, _reply, payload) => {
        const t0 = started.get(req);
        if (t0 !== undefined && CONTRACT_ROUTES.has(routeOf(req))) await waitMs((performance.now() - t0 + CLIENT_SIDE_MS) * 0.25);
        return payload;
      });
      return;
    }

    default:
      return;
  }
}
