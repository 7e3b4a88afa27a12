// The admission controller the adapters call before a request reaches the service's handler: an
// adaptive concurrency limit (Gradient2, gradient2.ts) with a short priority queue, shedding the
// lowest business weight first. Off unless the contract declares `objectives.concurrency.limit`
// (or someone calls `shed(true)`): adapters test `admission.active`, one boolean, and pay nothing
// else while it is false.
//
// When a request arrives:
// - fewer requests in flight than the limit: admitted at once (a ticket, synchronously);
// - else it waits in a queue ordered by weight (highest first, first come first served within a
//   weight), for at most `queue` (default 50 ms); a finished request lets the head of the queue in;
// - the queue holds at most `limit` requests; when it is full, an arrival of higher weight than
//   the lowest queued request takes that one's place (the displaced one is shed), else the
//   arrival is shed;
// - a request still queued after `queue` is shed.
// A shed request is answered 503 with Retry-After (the contract's `retryAfter`, default 1 s) and
// recorded with the built-in error class "shed" (src/contract/classify.ts). Its latency never
// feeds the limit: the algorithm learns from requests that ran, timed from when they were let in
// (as Netflix's limiters time from acquiring the permit), so queueing here cannot feed back on it.
//
// Weights: a contract route's `weight`. Requests to routes the contract does not declare rank
// below every contract route (even one of weight 0), so they are shed first: the contract is the
// list of what the business promised; anything else was promised nothing. Probes the contract
// declares, and the SDK's own health, metrics and drill paths, are never limited (a shed
// readiness probe would take the instance out of the load balancer).
//
// `shed(on, reason)` (for the drift responder, SIGUSR1): while on, the limit is halved; with no
// limiter configured, requests of the lowest-weight contract routes, and those outside the
// contract, are shed at once (if every contract route has the same weight, only those outside the
// contract: shedding a service's only tier would be an outage, not a shed).
import { performance } from 'node:perf_hooks';
import type { ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Contract } from '../../contract/schema.ts';
import { matchedExactly, templateMatcher } from '../core/match.ts';
import type { RouteSlot, RouteTable } from '../route-table.ts';
import { Gradient2, GRADIENT2_DEFAULTS } from './gradient2.ts';

/** The weight of a request to a route the contract does not declare: below every contract route. */
export const OUTSIDE_CONTRACT_WEIGHT = -1;
/** The `route` label of sloctl_shed_total for requests to routes the contract does not declare. */
export const OUTSIDE_CONTRACT_ROUTE = 'other';

export const LIMIT_METRICS = {
  limit: { name: 'sloctl_concurrency_limit', help: 'The adaptive concurrency limit: requests let in at once (halved while shedding).' },
  queued: { name: 'sloctl_concurrency_queued', help: 'Requests waiting for a slot under the concurrency limit.' },
  shed: { name: 'sloctl_shed_total', help: 'Requests answered 503 by the concurrency limiter (queue full, waited too long, displaced, or shedding), by contract route ("other": outside the contract).' },
} as const;

/** Who a request is, for the limiter: its business weight and the route it is counted under. */
export interface Priority {
  readonly weight: number;
  /** The `route` label of sloctl_shed_total: the contract route's template, or "other". */
  readonly route: string;
  /** The contract route's template, when the request is to one (for recording a shed request under it). */
  readonly template: string | undefined;
}

/** A request let in. Release it exactly once, when its response is finished (or abandoned). */
export interface Ticket {
  readonly admitted: true;
  /** performance.now() when it was let in. */
  readonly startedAt: number;
  /** Done: `latencyMs` how long it ran since it was let in, `dropped` when it failed or its client went away. */
  release(latencyMs: number, dropped: boolean): void;
  /**
   * Done, timed from `startedAt` to `at`: the clock's reading at the end when the caller has one
   * (the recorder's start + the duration it measured, as `admit`'s `at`), else now.
   */
  finish(dropped: boolean, at?: number): void;
  /** Done without a sample for the limit (it never ran: its client left while it was queued). */
  ignore(): void;
}

/** A request turned away: answer `status` with `Retry-After: retryAfterSeconds`. */
export interface Rejection {
  readonly admitted: false;
  readonly status: 503;
  readonly retryAfterSeconds: number;
  /** Why, in words for the response body and logs. */
  readonly reason: string;
  readonly priority: Priority;
}

export type Admission = Ticket | Rejection;

/** What the contract's `objectives.concurrency.limit` becomes, defaults filled in. */
export interface LimitSettings {
  algorithm: 'gradient2';
  initial: number;
  min: number;
  max: number;
  queueMs: number;
  retryAfterMs: number;
}

type LimitSection = NonNullable<NonNullable<Contract['objectives']['concurrency']>['limit']>;

/** The contract's limit section with its defaults: max 200, min 20 (or max if lower), initial 20 within min..max. */
export function limitSettings(l: LimitSection): LimitSettings {
  const d = GRADIENT2_DEFAULTS;
  const max = l.max ?? Math.max(d.max, l.min ?? 0, l.initial ?? 0);
  const min = l.min ?? Math.min(d.min, max, l.initial ?? Infinity);
  const initial = l.initial ?? Math.max(min, Math.min(max, d.initial));
  return { algorithm: l.algorithm, initial, min, max, queueMs: l.queue, retryAfterMs: l.retryAfter };
}

interface Waiter {
  priority: Priority;
  resolve: (a: Admission) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface AdmissionOptions {
  /** The clock (ms); default performance.now. */
  now?: () => number;
}

export class AdmissionController {
  /**
   * True when requests must be asked about: a limiter is configured, or shedding is on. Adapters
   * check this and nothing else on the fast path.
   */
  active: boolean;
  /** The limit algorithm; undefined when the contract declares no limit. */
  readonly limiter: Gradient2 | undefined;
  readonly settings: LimitSettings | undefined;
  /** Requests let in and not yet released. */
  inFlight = 0;
  /** Shed requests by route label, since start. */
  readonly shedCounts = new Map<string, number>();
  private shedding = false;
  private shedReason = '';
  /** Weights at or below this are shed at once while shedding without a limiter. */
  private readonly shedBelow: number;
  private readonly queue: Waiter[] = [];
  private readonly retryAfterSeconds: number;
  private readonly now: () => number;
  private readonly probePaths: Set<string>;
  private readonly hasProbes: boolean;
  /** Per method: the contract's templates for it, and each template's priority. */
  private readonly byMethod = new Map<string, { match: (url: string) => string | undefined; priorities: Map<string, Priority> }>();
  /**
   * GET's (and HEAD's) templates without parameters, by path: most requests are one of these,
   * answered by this one Map read, on the controller itself, instead of the method's entry, its
   * matcher and the priorities (each an object a request would otherwise read; see recorder.ts on
   * why the objects read per request matter more than the instructions).
   */
  private readonly getExact: Map<string, Priority>;
  private readonly bySlot = new WeakMap<RouteSlot, Priority | null>();
  private readonly outside: Priority = Object.freeze({ weight: OUTSIDE_CONTRACT_WEIGHT, route: OUTSIDE_CONTRACT_ROUTE, template: undefined });

  constructor(contract: Contract, opts: AdmissionOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    const l = contract.objectives.concurrency?.limit;
    this.settings = l === undefined ? undefined : limitSettings(l);
    this.limiter = this.settings === undefined ? undefined : new Gradient2({ initial: this.settings.initial, min: this.settings.min, max: this.settings.max });
    this.active = this.limiter !== undefined;
    this.retryAfterSeconds = Math.ceil((this.settings?.retryAfterMs ?? 1000) / 1000);

    this.probePaths = new Set(contract.probes.map((p) => (typeof p === 'string' ? p : p.path)));
    this.hasProbes = this.probePaths.size > 0;
    const priorities = new Map<string, Map<string, Priority>>();
    for (const r of contract.routes) {
      const forMethod = priorities.get(r.method) ?? new Map<string, Priority>();
      priorities.set(r.method, forMethod);
      if (!forMethod.has(r.path)) forMethod.set(r.path, Object.freeze({ weight: r.weight, route: r.path, template: r.path }));
    }
    for (const [method, forMethod] of priorities) this.byMethod.set(method, { match: templateMatcher([...forMethod.keys()]), priorities: forMethod });
    this.getExact = new Map([...(priorities.get('GET') ?? [])].filter(([t]) => matchedExactly(t)));
    const weights = contract.routes.map((r) => r.weight);
    const lowest = weights.length > 0 ? Math.min(...weights) : OUTSIDE_CONTRACT_WEIGHT;
    this.shedBelow = weights.some((w) => w > lowest) ? lowest : OUTSIDE_CONTRACT_WEIGHT;
  }

  /** The limit requests are let in under now: the algorithm's, halved while shedding; undefined without a limiter. */
  get limit(): number | undefined {
    const l = this.limiter?.limit;
    if (l === undefined) return undefined;
    return this.shedding ? Math.max(1, Math.floor(l / 2)) : l;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  get isShedding(): boolean {
    return this.shedding;
  }

  /**
   * The priority of a request before routing (express, koa, hono, node:http): by the contract's
   * route templates. Undefined: never limited (a probe the contract declares).
   */
  priorityOf(method: string | undefined, url: string | undefined): Priority | undefined {
    const u = url ?? '/';
    if (this.hasProbes) {
      const q = u.indexOf('?');
      if (this.probePaths.has(q < 0 ? u : u.slice(0, q))) return undefined;
    }
    const get = method === 'GET' || method === 'HEAD' || method === undefined;
    if (get) {
      const exact = this.getExact.get(u);
      if (exact !== undefined) return exact;
    }
    const forMethod = this.byMethod.get(get ? 'GET' : method);
    if (forMethod === undefined) return this.outside;
    const template = forMethod.match(u); // it stops at '?'
    return template === undefined ? this.outside : forMethod.priorities.get(template) ?? this.outside;
  }

  /** The priority of a request on a route slot (Fastify, which routes before its hooks); undefined: never limited. */
  priorityOfSlot(slot: RouteSlot): Priority | undefined {
    let p = this.bySlot.get(slot);
    if (p === undefined) {
      p = slot.excluded || slot.probeUserAgent !== undefined ? null
        : slot.name === undefined ? this.outside
          : this.byMethod.get(slot.method === 'HEAD' ? 'GET' : slot.method)?.priorities.get(slot.route) ?? this.outside;
      this.bySlot.set(slot, p);
    }
    return p ?? undefined;
  }

  /**
   * Let the request in (a ticket), turn it away (a rejection), or queue it (a promise of either;
   * it never rejects). Call only while `active`; otherwise every request is let in uncounted.
   * `at`: the clock's reading when the request arrived, if the caller has one (the recorder's
   * start time): a request let in at once is timed from it, saving a clock read per request.
   */
  admit(priority: Priority, at?: number): Admission | Promise<Admission> {
    const limit = this.limit;
    if (limit === undefined) {
      // No limiter: only shedding can turn a request away, and nothing is counted.
      return this.shedding && priority.weight <= this.shedBelow ? this.reject(priority, `shedding (${this.shedReason})`) : UNCOUNTED;
    }
    if (this.inFlight < limit && this.queue.length === 0) return this.grant(at);
    const queue = this.queue;
    if (queue.length >= limit) {
      const last = queue[queue.length - 1];
      if (priority.weight <= last.priority.weight) return this.reject(priority, `the concurrency limit (${limit}) is reached and its queue is full${this.shedNote()}`);
      queue.pop();
      clearTimeout(last.timer);
      last.resolve(this.reject(last.priority, 'displaced from the queue by a request of higher weight'));
    }
    return new Promise<Admission>((resolve) => {
      const waiter: Waiter = {
        priority,
        resolve,
        timer: setTimeout(() => {
          const i = queue.indexOf(waiter);
          if (i < 0) return;
          queue.splice(i, 1);
          resolve(this.reject(priority, `waited ${this.settings!.queueMs} ms for a slot under the concurrency limit (${this.limit})${this.shedNote()}`));
        }, this.settings!.queueMs),
      };
      // Highest weight first; first come first served within a weight.
      let i = queue.length;
      while (i > 0 && queue[i - 1].priority.weight < priority.weight) i--;
      queue.splice(i, 0, waiter);
    });
  }

  /**
   * Shedding on or off (the drift responder, SIGUSR1). While on, the limit is halved; without a
   * limiter, the lowest-weight routes are shed at once. `reason` is in every shed response.
   */
  shed(on: boolean, reason: string): void {
    this.shedding = on;
    this.shedReason = reason;
    this.active = this.limiter !== undefined || on;
    if (!on) this.drain();
  }

  /** Why the limit is halved, for a rejection's reason. */
  private shedNote(): string {
    return this.shedding ? `, halved while shedding (${this.shedReason})` : '';
  }

  /** Lets queued requests in while there is room under the limit. */
  private drain(): void {
    const limit = this.limit;
    if (limit === undefined) return;
    while (this.queue.length > 0 && this.inFlight < limit) {
      const w = this.queue.shift()!;
      clearTimeout(w.timer);
      w.resolve(this.grant());
    }
  }

  private grant(at?: number): Ticket {
    const inFlightAtStart = ++this.inFlight;
    return new Granted(this, inFlightAtStart, at ?? this.now());
  }

  /** A ticket is done (once): `sample` false when the request never ran. */
  ended(t: Granted, sample: boolean, latencyMs: number, dropped: boolean): void {
    this.inFlight--;
    if (sample) this.limiter!.update(latencyMs, t.inFlightAtStart, dropped);
    if (this.queue.length > 0) this.drain();
  }

  /** The clock tickets are timed with (ms). */
  clock(): number {
    return this.now();
  }

  private reject(priority: Priority, reason: string): Rejection {
    this.shedCounts.set(priority.route, (this.shedCounts.get(priority.route) ?? 0) + 1);
    return { admitted: false, status: 503, retryAfterSeconds: this.retryAfterSeconds, reason, priority };
  }
}

/** A request let in under the limit: one small object per request, its methods on the prototype. */
class Granted implements Ticket {
  readonly admitted = true as const;
  private done = false;
  constructor(private readonly owner: AdmissionController, readonly inFlightAtStart: number, readonly startedAt: number) {}

  release(latencyMs: number, dropped: boolean): void {
    if (this.done) return;
    this.done = true;
    this.owner.ended(this, true, latencyMs, dropped);
  }

  finish(dropped: boolean, at?: number): void {
    this.release((at ?? this.owner.clock()) - this.startedAt, dropped);
  }

  ignore(): void {
    if (this.done) return;
    this.done = true;
    this.owner.ended(this, false, 0, false);
  }
}

/** The ticket of a request let in while no limiter counts (shedding without a limiter). */
const UNCOUNTED: Ticket = Object.freeze({
  admitted: true as const,
  startedAt: 0,
  release() {},
  finish() {},
  ignore() {},
});

/** Answers a shed request on a Node response: 503, Retry-After, why in one line. */
export function answerRejection(res: ServerResponse, r: Rejection): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(rejectionHeaders(r))) res.setHeader(k, v);
  res.end(rejectionBody(r));
}

/** How a request fared at the limiter, for the adapter's 'close' listener. */
export class AdmissionState {
  ticket: Ticket | undefined = undefined;
  /** Set while the request was not let in (still queued, or shed): it never reached the router. */
  held: Priority | undefined = undefined;
  shed = false;
  /** The request was ended (recorded) already: a slot granted after that is given back unused. */
  ended = false;

  /**
   * The response is finished or abandoned: release the ticket, if it got one. `endAt`: the
   * clock's reading at the end, when the caller has one (the recorder's start + duration).
   */
  end(res: ServerResponse, endAt?: number): void {
    this.ended = true;
    this.ticket?.finish(!res.writableFinished, endAt);
  }

  /**
   * The slot to record a request that never reached the router under: its contract route (known
   * from the contract's templates), else unmatched. Undefined when it was let in (ask the router).
   */
  heldSlot(routes: RouteTable, method: string | undefined, url: string | undefined): RouteSlot | undefined {
    const p = this.held;
    return p === undefined ? undefined : slotOfPriority(routes, p, method, url);
  }
}

/** The slot of a request the limiter held back (queued, shed): its contract route, else unmatched. */
export function slotOfPriority(routes: RouteTable, p: Priority, method: string | undefined, url: string | undefined): RouteSlot {
  return p.template !== undefined ? routes.lookup(method, p.template) : routes.unmatchedFor(method, url);
}

/**
 * Asks the limiter about a request on a Node response, for adapters that ask before routing
 * (express, node:http): calls `proceed` once it is let in (now, or when a slot frees up), or
 * answers it 503 with Retry-After. `at`: the request's start time on the recorder (see `admit`).
 */
export function admitOnNode(admission: AdmissionController, priority: Priority, res: ServerResponse, proceed: () => void, at?: number): AdmissionState {
  const st = new AdmissionState();
  const a = admission.admit(priority, at);
  if ('then' in a) {
    st.held = priority;
    void a.then((r) => {
      if (!r.admitted) {
        st.shed = true;
        answerRejection(res, r);
      } else if (res.destroyed || st.ended) {
        r.ignore(); // its client left while it waited (a pipelined request's connection closed: ended, not destroyed)
      } else {
        st.held = undefined;
        st.ticket = r;
        proceed();
      }
    });
  } else if (!a.admitted) {
    st.held = priority;
    st.shed = true;
    answerRejection(res, a);
  } else {
    st.ticket = a;
    proceed();
  }
  return st;
}

/**
 * Marks a shed answer for the client: `sloctl load`, the gate and the drill class a response that
 * carries it as "shed" (like the service's own counters), not by its 503, which a contract's
 * classes usually weigh as a server fault (2.5) or a transient error. The value is the reason.
 */
export const SHED_HEADER = 'sloctl-shed';

/** The headers of a shed response: Retry-After, no caching, the shed marker. */
export function rejectionHeaders(r: Rejection): Record<string, string> {
  return { 'retry-after': String(r.retryAfterSeconds), 'cache-control': 'no-store', 'content-type': 'text/plain; charset=utf-8', [SHED_HEADER]: r.reason };
}

/** The body of a shed response. */
export function rejectionBody(r: Rejection): string {
  return `overloaded: ${r.reason}; retry after ${r.retryAfterSeconds} s\n`;
}

/** sloctl_concurrency_limit and sloctl_concurrency_queued (with a limiter), sloctl_shed_total{route}. */
export function registerAdmissionMetrics(reg: Registry, a: AdmissionController): void {
  if (a.limiter !== undefined) {
    // Merged across a cluster's workers (AggregatorRegistry), the sum, said here on purpose: each
    // worker admits up to its own limit independently, so the service as a whole takes the sum of
    // them at once, and the queued requests of all workers are all waiting.
    new Gauge({
      name: LIMIT_METRICS.limit.name, help: LIMIT_METRICS.limit.help, registers: [reg], aggregator: 'sum',
      collect() {
        this.set(a.limit ?? 0);
      },
    });
    new Gauge({
      name: LIMIT_METRICS.queued.name, help: LIMIT_METRICS.queued.help, registers: [reg], aggregator: 'sum',
      collect() {
        this.set(a.queued);
      },
    });
  }
  // Counted in the controller (no prom-client call on the shed path); copied when scraped.
  new Counter({
    name: LIMIT_METRICS.shed.name, help: LIMIT_METRICS.shed.help, registers: [reg], labelNames: ['route'],
    collect() {
      this.reset();
      for (const [route, n] of a.shedCounts) this.inc({ route }, n);
    },
  });
}
