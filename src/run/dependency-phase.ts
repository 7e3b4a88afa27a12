// The dynamic dependency phase `sloctl accept` runs (issue 13, dependencies): for each dependency
// with a fault proxy, one after the other, blackhole it (the `timeout` toxic on both streams, as a
// `blackhole` drill does: connections are accepted and nothing ever comes back), send the contract's
// load mix for a short window, remove the toxic, wait for the service to answer its health endpoint
// UP again, and judge (src/verdicts/dependency-timeout.ts). The I/O lives here; the judging is pure.
//
// Before the toxic, a short steady window at the same rate measures each route's own p99 with the
// dependency answering; the verdict adds it to the route's bound (a route slow by itself is the
// latency contract's business, not a missing timeout).
//
// The load runs only while the toxic is in place (added before the load starts, removed after the
// last request answered or timed out), so every request the client measured was sent with the
// dependency blackholed: the whole load result is the window. The client's timeout is well over
// the bound (4 x, at least 2 s), so a service that hangs shows as requests with no answer, not as
// slow ones; the client has connections enough for every request the window can leave in flight,
// so requests of other routes never queue behind the hung ones in the generator.
//
// accept owns the proxies (they stay); this phase adds and removes its own toxics only, each
// registered with the Rollback the moment it is added, so Ctrl-C removes it.
//
// A dependency can take a minute (the wait for UP before, the window and its last answers, the
// wait for UP after): each step says what it waits on and for how long at most when it starts, and
// a long one says where it stands every PROGRESS_EVERY_MS, so accept's terminal is never silent.
import type { Contract, Dependency } from '../contract/schema.ts';
import { wait } from '../faults/wait.ts';
import type { FaultProxy, ToxicSpec } from '../faults/index.ts';
import { Histogram } from '../measure/histogram.ts';
import type { LoadResult } from '../measure/types.ts';
import type { LoadProgress } from '../load/types.ts';
import { phaseSeed } from '../load/prng.ts';
import { runLoad } from '../load/run.ts';
import { gateProfile } from './profile.ts';
import { checkTargetUrl } from '../observe/scraper.ts';
import { dependencyEnv } from '../drill/plan.ts';
import { describeProbe, endpointUrl, probeHealth } from './health.ts';
import type { Rollback } from './rollback.ts';
import {
  dependencyBoundMs, judgeDependencyTimeout, ms, routeBoundMs, type DependencyRouteWindow, type DependencyTimeoutInput, type DependencyTimeoutVerdict, type DependencyWindowTraffic,
} from '../verdicts/dependency-timeout.ts';

export interface DependencyPhaseOptions {
  contract: Contract;
  /** The service's base URL (loopback unless allowRemote). */
  url: string;
  allowRemote?: boolean;
  /** Pass-through proxies by dependency name, listening, the service pointed at them. Left in place. */
  proxies: ReadonlyMap<string, FaultProxy>;
  rollback: Rollback;
  /** The contract's load rate (req/s); the window sends min(rate, 50/s). */
  rate: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  seed?: number;
  /** Only these dependencies (default: every one the contract declares). */
  dependencies?: readonly string[];
  /** Overrides (tests, a quick run): the window, the steady window before it (0: none, no route's own time added), the client's timeout, the wait for UP after. */
  windowMs?: number;
  steadyMs?: number;
  clientTimeoutMs?: number;
  recoveryTimeoutMs?: number;
  /** Load worker threads (default 1: at <= 50/s one thread sends on time beside a blackholed proxy). */
  workers?: number;
}

/** The window's rate at most: enough requests to see a hang, few enough for a busy CI machine. */
export const MAX_PHASE_RATE = 50;
export const MIN_WINDOW_MS = 3000;
/** The steady window before each blackhole: at 50/s, ~100 requests, enough for each route's p99 (near its max). */
export const STEADY_WINDOW_MS = 2000;
const HEALTH_POLL_MS = 250;
const HEALTH_PROBE_TIMEOUT_MS = 1000;
/** The wait for UP after the toxic is removed: the breaker's resetTimeout plus the health window (its recent failures age out), at least this. */
const RECOVERY_EXTRA_MS = 30_000;
/** Ahead of the window: a service not UP yet (the drills' last fault) gets this long. */
const READY_WAIT_MS = 15_000;
/** How often a long step (a wait for UP, a long window) says where it stands. */
const PROGRESS_EVERY_MS = 5000;

/** The window for a dependency: max(3 s, 4 x its timeout). */
export function dependencyWindowMs(dep: Pick<Dependency, 'timeout'>): number {
  return Math.max(MIN_WINDOW_MS, 4 * dep.timeout);
}

/** The load client's timeout: well over the bound (the largest route's, with its own time), so a hang is seen as one. */
export function dependencyClientTimeoutMs(dep: Pick<Dependency, 'timeout'>, largestOwnMs = 0): number {
  return Math.max(2000, 4 * routeBoundMs(dependencyBoundMs(dep.timeout), largestOwnMs));
}

/**
 * Polls health until UP or the deadline: whether it came UP, after how long, and the last answer.
 * `waiting` hears of a probe that was not UP: the first at once, then one every PROGRESS_EVERY_MS.
 */
async function waitForUp(url: string, withinMs: number, signal?: AbortSignal, waiting?: (afterMs: number, detail: string) => void): Promise<{ up: boolean; afterMs: number; detail: string }> {
  const t0 = performance.now();
  let detail = 'not probed';
  let saidAt = -Infinity;
  for (;;) {
    const p = await probeHealth(url, HEALTH_PROBE_TIMEOUT_MS);
    const afterMs = performance.now() - t0;
    if (p.state === 'up') return { up: true, afterMs, detail: describeProbe(p) };
    detail = describeProbe(p);
    if (afterMs - saidAt >= PROGRESS_EVERY_MS && afterMs < withinMs && !signal?.aborted) {
      saidAt = afterMs;
      waiting?.(afterMs, detail);
    }
    if (afterMs >= withinMs || signal?.aborted) return { up: false, afterMs, detail };
    await wait(Math.min(HEALTH_POLL_MS, withinMs - afterMs), signal);
  }
}

function diffTraffic(a: ReturnType<FaultProxy['stats']>, b: ReturnType<FaultProxy['stats']>): DependencyWindowTraffic {
  return { connections: b.connections - a.connections, requests: b.requests - a.requests, bytesUp: b.bytesUp - a.bytesUp };
}

/** Each route's p99 in a load result (routes with an answer only), by route name. */
export function ownTimes(load: LoadResult | undefined): Map<string, number> {
  return new Map((load?.routes ?? []).filter((r) => r.completed > 0).map((r) => [r.name, r.latency.p99]));
}

/** Per-route numbers of a load result, against each route's bound (the bound plus its own time); routes named "METHOD /template". */
export function routeWindows(contract: Contract, dep: Dependency, load: LoadResult | undefined, boundMs: number, own: ReadonlyMap<string, number> = new Map()): DependencyRouteWindow[] {
  const anyDeclares = contract.routes.some((r) => r.dependencies.includes(dep.name));
  return (load?.routes ?? []).map((r) => {
    const route = contract.routes.find((x) => x.name === r.name);
    const answered = r.completed;
    const ownMs = own.get(r.name);
    const within = answered > 0 ? Histogram.fromJSON(r.histogram, `route ${r.name}`).countAtOrBelowMs(routeBoundMs(boundMs, ownMs)) : 0;
    const failed: Record<string, number> = {};
    for (const [k, v] of Object.entries(r.errors)) if (k !== 'timeout' && v > 0) failed[k] = v;
    return {
      route: route ? `${route.method} ${route.path}` : r.name,
      callsDependency: anyDeclares ? route?.dependencies.includes(dep.name) === true : true,
      sent: r.sent,
      answered,
      maxMs: answered > 0 ? r.latency.max : 0,
      p99Ms: answered > 0 ? r.latency.p99 : 0,
      ...(ownMs !== undefined ? { ownMs } : {}),
      overBound: Math.max(0, answered - within),
      noAnswer: r.errors.timeout ?? 0,
      failed,
    };
  });
}

/** "GET /products/:id (70%)" per mix entry. */
function mixText(contract: Contract): string[] {
  const mix = contract.load?.mix ?? [];
  const total = mix.reduce((a, e) => a + e.weight, 0);
  return mix.map((e) => {
    const r = contract.routes.find((x) => x.name === e.route);
    return `${r ? `${r.method} ${r.path}` : e.route} (${Math.round((e.weight / total) * 100)}%)`;
  });
}

export async function dependencyPhase(o: DependencyPhaseOptions): Promise<DependencyTimeoutVerdict[]> {
  const { contract, rollback } = o;
  const log = o.log ?? (() => {});
  const base = checkTargetUrl(o.url, o.allowRemote === true, 'send load to');
  const healthUrl = endpointUrl(base, contract.target?.health ?? '/healthz');
  const profile = gateProfile(contract);
  if (typeof profile === 'string') throw new Error(`dependencyPhase: ${profile}`);
  const rate = Math.max(1, Math.min(Number.isFinite(o.rate) && o.rate > 0 ? o.rate : MAX_PHASE_RATE, MAX_PHASE_RATE));
  const deps = contract.dependencies.filter((d) => o.dependencies === undefined || o.dependencies.includes(d.name));
  for (const name of o.dependencies ?? []) {
    if (!contract.dependencies.some((d) => d.name === name)) throw new Error(`dependencyPhase: the contract declares no dependency ${name}; it declares ${contract.dependencies.map((d) => d.name).join(', ') || 'none'}`);
  }
  const mix = mixText(contract);
  const out: DependencyTimeoutVerdict[] = [];
  // The contract's mix at the phase's rate, for the steady window and the blackholed one alike:
  // connections enough for every request the window can leave in flight (see the header).
  const sendMix = (durationMs: number, timeoutMs: number, seedIndex: number, onProgress?: (p: LoadProgress) => void) => runLoad({
    url: base.href,
    requests: profile.requests,
    stages: [{ rate, durationMs }],
    connections: Math.min(2000, Math.max(profile.connections, Math.ceil((rate * (durationMs + timeoutMs)) / 1000) + 8)),
    timeoutMs,
    workers: o.workers ?? 1,
    seed: phaseSeed(o.seed ?? 1, seedIndex),
    allowRemote: o.allowRemote,
    signal: o.signal,
    onProgress,
  });

  for (const [i, dep] of deps.entries()) {
    const boundMs = dependencyBoundMs(dep.timeout);
    const windowMs = o.windowMs ?? dependencyWindowMs(dep);
    let clientTimeoutMs = o.clientTimeoutMs ?? dependencyClientTimeoutMs(dep);
    const env = dependencyEnv(dep);
    const declaredBy = contract.routes.filter((r) => r.dependencies.includes(dep.name)).map((r) => `${r.method} ${r.path}`);
    const input: DependencyTimeoutInput = {
      dependency: { name: dep.name, timeoutMs: dep.timeout }, boundMs, windowMs, clientTimeoutMs, rate, routes: [], env, mix, declaredBy, breaker: dep.breaker !== undefined,
    };
    const proxy = o.proxies.get(dep.name);
    if (dep.url === undefined) {
      input.unrunnable = { reason: `it declares no url, so no fault proxy stands in front of it`, fix: `add url: (where the service reaches ${dep.name}) to the dependency, and have the service read it from ${env}` };
    } else if (!proxy) {
      input.unrunnable = { reason: `no fault proxy stands in front of it (attached to a running service without one)`, fix: `start the service with ${env} pointing at a port of your choice and pass --proxy ${dep.name}=HOST:PORT, or let sloctl start the service (target.run)` };
    } else if (o.signal?.aborted) {
      input.interrupted = true;
    }
    const said = (v: DependencyTimeoutVerdict) => {
      log(`${dep.name}: ${v.outcome.toUpperCase()}: ${v.reason}`);
      out.push(v);
    };
    if (input.unrunnable || input.interrupted) {
      said(judgeDependencyTimeout(input));
      continue;
    }
    input.proxy = proxy!.listen;
    const steadyMs = o.steadyMs ?? STEADY_WINDOW_MS;
    log(`${dep.name} (${i + 1} of ${deps.length}, timeout ${ms(dep.timeout)}): ${steadyMs > 0 ? `steady ${ms(steadyMs)} at ${rate}/s with it answering (each route's own p99), then ` : ''}a ${ms(windowMs)} blackhole, then its health must say UP again`);

    // A service not UP before the window (the previous phase's fault still wearing off) is given a
    // moment; if it stays down the window still runs, and the verdict says how it began.
    const readyMs = o.recoveryTimeoutMs ?? READY_WAIT_MS;
    const before = await waitForUp(healthUrl, readyMs, o.signal, waitLines(log, dep.name, 'the service is not UP yet', 'before the blackhole', readyMs));
    if (o.signal?.aborted) {
      input.interrupted = true;
      said(judgeDependencyTimeout(input));
      continue;
    }
    if (!before.up) input.notUpBefore = before.detail;

    // Each route's own time, with the dependency answering, at the window's rate.
    let own = new Map<string, number>();
    if (steadyMs > 0) {
      const steady = await sendMix(steadyMs, clientTimeoutMs, 60 + i);
      if (o.signal?.aborted) {
        input.interrupted = true;
        said(judgeDependencyTimeout(input));
        continue;
      }
      own = ownTimes(steady);
      if (o.clientTimeoutMs === undefined) clientTimeoutMs = dependencyClientTimeoutMs(dep, Math.max(0, ...own.values()));
      input.clientTimeoutMs = clientTimeoutMs;
      log(`${dep.name}: each route's own p99 with it answering: ${[...own].map(([r, v]) => `${r} ${ms(v)}`).join(', ') || 'none answered'}`);
    }

    const names = [`accept-blackhole-${dep.name}-up`, `accept-blackhole-${dep.name}-down`];
    // timeout 0: held for as long as the toxic is there, never closed (a partition, not a refusal).
    const toxics: ToxicSpec[] = [
      { name: names[0], type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } },
      { name: names[1], type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } },
    ];
    const p = proxy!;
    const added: string[] = [];
    const removeOurs = () => {
      for (const n of added) try { p.removeToxic(n); } catch { /* gone already: checked below */ }
      const left = p.toxics().map((t) => t.name).filter((n) => added.includes(n));
      if (left.length > 0) throw new Error(`the proxy ${p.name} still holds ${left.join(', ')}`);
    };
    const forget = rollback.add(`remove the blackhole (${names.join(', ')}) from the proxy in front of ${dep.name} (${p.listen})`, removeOurs);
    let load: LoadResult | undefined;
    let trafficBefore = p.stats();
    try {
      try {
        for (const t of toxics) added.push(p.addToxic(t).name);
      } catch (e) {
        input.applyError = (e as Error).message;
      }
      if (input.applyError === undefined) {
        trafficBefore = p.stats();
        log(`${dep.name}: blackholed for ${ms(windowMs)} at ${rate}/s (bound ${ms(boundMs)}: timeout ${ms(dep.timeout)} + margin ${ms(boundMs - dep.timeout)}); a request still unanswered then gets up to ${ms(clientTimeoutMs)}`);
        load = await sendMix(windowMs, clientTimeoutMs, 40 + i, windowLines(log, dep.name, windowMs, clientTimeoutMs));
        input.traffic = diffTraffic(trafficBefore, p.stats());
        input.generator = load.generator;
        input.routes = routeWindows(contract, dep, load, boundMs, own);
      }
    } finally {
      try {
        removeOurs();
        forget();
        input.removed = { ok: true, detail: `the proxy ${p.name} holds none of this phase's toxics` };
      } catch (e) {
        input.removed = { ok: false, detail: (e as Error).message };
      }
    }
    if (o.signal?.aborted) {
      input.interrupted = true;
      said(judgeDependencyTimeout(input));
      continue;
    }
    if (input.applyError === undefined) {
      const waitMs = o.recoveryTimeoutMs ?? (dep.breaker?.resetTimeout ?? 0) + Math.max(RECOVERY_EXTRA_MS, o.contract.health?.window ?? 0);
      input.recovery = await waitForUp(healthUrl, waitMs, o.signal, waitLines(log, dep.name, 'blackhole removed; the service is not UP', 'for it to say UP again', waitMs));
      if (o.signal?.aborted) input.interrupted = true;
    }
    said(judgeDependencyTimeout(input));
  }
  return out;
}

/**
 * A wait for UP, said: "pay: blackhole removed; the service is not UP (DEGRADED ...); waiting up to
 * 31 s for it to say UP again", then "pay: still not UP after 5.1 s of 31 s (...)" every 5 s.
 */
function waitLines(log: (line: string) => void, dep: string, notUp: string, forWhat: string, withinMs: number): (afterMs: number, detail: string) => void {
  let said = false;
  return (afterMs, detail) => {
    log(said ? `${dep}: still not UP after ${ms(afterMs)} of ${ms(withinMs)} (${detail})` : `${dep}: ${notUp} (${detail}); waiting up to ${ms(withinMs)} ${forWhat}`);
    said = true;
  };
}

/**
 * The blackholed window, said every PROGRESS_EVERY_MS while it runs, and once when it is over with
 * requests still unanswered: what the phase then waits on is those requests, for at most the
 * client's timeout ("pay: window over; 12 requests still unanswered, waiting up to 2.0 s for them").
 */
function windowLines(log: (line: string) => void, dep: string, windowMs: number, clientTimeoutMs: number): (p: LoadProgress) => void {
  let saidAt = 0;
  let overSaid = false;
  return (p) => {
    if (p.elapsedMs < windowMs) {
      if (p.elapsedMs - saidAt < PROGRESS_EVERY_MS) return;
      saidAt = p.elapsedMs;
      log(`${dep}: blackholed ${ms(p.elapsedMs)} of ${ms(windowMs)}: ${p.sent} sent, ${p.completed} finished, ${p.inFlight} unanswered`);
    } else if (!overSaid && p.inFlight > 0) {
      overSaid = true;
      saidAt = p.elapsedMs;
      log(`${dep}: window over; ${p.inFlight} request${p.inFlight === 1 ? '' : 's'} still unanswered, waiting up to ${ms(clientTimeoutMs)} for ${p.inFlight === 1 ? 'it' : 'them'}`);
    } else if (overSaid && p.inFlight > 0 && p.elapsedMs - saidAt >= PROGRESS_EVERY_MS) {
      saidAt = p.elapsedMs;
      log(`${dep}: ${p.inFlight} request${p.inFlight === 1 ? '' : 's'} still unanswered ${ms(p.elapsedMs - windowMs)} after the window`);
    }
  };
}
