// The dynamic half of the dependencies contract (issue 13): with a dependency blackholed by the
// fault proxy (the `timeout` toxic: connections accepted, nothing ever answered), the service still
// answers within the dependency's declared `timeout` plus a margin. A breaker may make it answer
// faster; it must never hang. One verdict per dependency.
//
// The bound is timeout + margin, margin = max(250 ms, 50% of the timeout) (dependencyMarginMs):
//  - 250 ms at least: after the client's timeout fires the service still has work to do (the
//    fallback, the answer) and, on a busy 2-core CI machine, scheduling delay on top (the example
//    contract warns at an event-loop delay of 50 ms and calls 200 ms critical). A tighter floor
//    would fail a healthy service on a loaded machine, which the acceptance must never do.
//  - 50% of a long timeout: a client's timeout is often enforced per stage (connect, then the
//    answer), each a little late; the slack grows with the timeout it measures.
//  A request over the bound is not a small overrun of the timeout: it is a call with a longer
//  timeout than declared, a retry loop, or none at all.
// Each route's bound adds its own time: its p99 in a short steady window with the dependency
// answering, just before the blackhole (`ownMs`). A route slow by itself (350 ms of its own work,
// a capacity cap's queue) answers in its own time plus the timeout when the dependency is gone;
// that is the latency contract's business, not a missing timeout (the mutant matrix's capacity-cap
// failed this check, blaming the payments call, before the steady window was subtracted).
//
// Which requests are judged. Over-bound answers count on the routes that call the dependency: the
// routes whose `dependencies:` name it in the contract, or every route when no route names it (the
// contract does not say which call it). Other routes keep their own latency (a slow route is the
// latency contract's business, not this one's). A request with no answer within the load client's
// timeout (well over the bound) counts on every route: the service hung while this dependency was
// down, whichever route it was.
//
// Outcome, in this order:
//  - INCONCLUSIVE when the dependency could not be blackholed (no `url`, no proxy: the fix is named),
//    when the run was interrupted, when the proxy received no traffic in the window (the load does
//    not reach this dependency: the mix's routes are named, and the routes the contract says call
//    it), when no judged request was sent, or when the generator's lag alone could explain every
//    failing route (verdicts/generator-lag.ts: latency is measured from the intended send time, so
//    a late generator makes the service look slower, never faster).
//  - FAIL when a judged request took longer than the bound or got no answer: the routes, worst
//    first, with counts and times. One scheduling hiccup is not a failure: a route with at most
//    max(1, 1%) of its requests answered over the bound, none past twice the bound and none left
//    unanswered, passes with it said (a busy CI machine delays one answer by a few hundred ms; a
//    longer timeout than declared, or none, delays every call until a breaker opens: 10 or more).
//  - PASS otherwise, with the worst max and the bound.
// Not answering UP on the health endpoint after the toxic is removed does not change the outcome
// (recovery is the drills' contract) but is said, with `recovered: false`: the phase after this one
// would start on a broken service.
//
// Pure: numbers in, verdict out (no clock, no I/O).
import type { GeneratorHealth } from '../measure/types.ts';
import { generatorLag } from './generator-lag.ts';
import type { ObjectiveVerdict, RouteCause } from './types.ts';

/** The margin's floor and its share of the timeout (see the header for why). */
export const MARGIN_FLOOR_MS = 250;
export const MARGIN_SHARE = 0.5;

/** How far past its declared timeout a service may answer with the dependency blackholed. */
export function dependencyMarginMs(timeoutMs: number): number {
  return Math.max(MARGIN_FLOOR_MS, Math.round(timeoutMs * MARGIN_SHARE));
}

/** The bound: the dependency's timeout plus the margin, ms. */
export function dependencyBoundMs(timeoutMs: number): number {
  return timeoutMs + dependencyMarginMs(timeoutMs);
}

/** A route's bound: the dependency's bound plus the route's own p99 with the dependency answering. */
export function routeBoundMs(boundMs: number, ownMs: number | undefined): number {
  return boundMs + (ownMs !== undefined && Number.isFinite(ownMs) && ownMs > 0 ? Math.round(ownMs) : 0);
}

/** One route's requests sent while the dependency was blackholed, as the load client saw them. */
export interface DependencyRouteWindow {
  /** "POST /orders": the method and the route template. */
  route: string;
  /** The contract says this route calls the dependency (or no route says which do: every route is judged). */
  callsDependency: boolean;
  sent: number;
  /** Requests that got an HTTP answer, whatever its status. */
  answered: number;
  /** Of the answered requests, ms from the intended send time (0 when none answered). */
  maxMs: number;
  p99Ms: number;
  /** The route's own p99 with the dependency answering (the steady window before the blackhole), ms; added to its bound. */
  ownMs?: number;
  /** Answered later than its bound (routeBoundMs). */
  overBound: number;
  /** No answer within the load client's timeout. */
  noAnswer: number;
  /** Other failures without an answer, by kind (ECONNRESET, ...): not a hang, said beside. */
  failed: Record<string, number>;
}

/** What the proxy in front of the dependency received during the window (differences of FaultProxy.stats()). */
export interface DependencyWindowTraffic {
  connections: number;
  requests: number;
  bytesUp: number;
}

export interface DependencyTimeoutInput {
  dependency: { name: string; timeoutMs: number };
  /** Default dependencyBoundMs(timeoutMs). */
  boundMs?: number;
  /** Why the dependency could not be blackholed, and what to do. Set: INCONCLUSIVE, nothing else read. */
  unrunnable?: { reason: string; fix: string };
  /** The run was stopped (Ctrl-C) during or before the window. */
  interrupted?: boolean;
  windowMs: number;
  /** The load client's timeout (well over the bound, so a hang shows as one). */
  clientTimeoutMs: number;
  /** The rate the window's load was sent at, req/s. */
  rate: number;
  routes: DependencyRouteWindow[];
  traffic?: DependencyWindowTraffic;
  /** The proxy's listen address and the variable the service reads the dependency's URL from, for the fixes. */
  proxy?: string;
  env?: string;
  /** The load mix as "GET /products/:id (70%)", and the routes the contract says call this dependency. */
  mix?: string[];
  declaredBy?: string[];
  /** The contract declares a breaker for it: one left open by an earlier fault skips the calls. */
  breaker?: boolean;
  generator?: GeneratorHealth;
  /** The toxic could not be added (say why): INCONCLUSIVE. */
  applyError?: string;
  /** Removing the toxic: ok, or what is still in place. */
  removed?: { ok: boolean; detail: string };
  /** Health before the window, when it was not UP ("answered 503 DEGRADED, failing: ..."). */
  notUpBefore?: string;
  /** Health after the toxic was removed: UP within afterMs, or not within the wait (detail: the last answer). */
  recovery?: { up: boolean; afterMs: number; detail: string };
}

export type DependencyTimeoutOutcome = 'pass' | 'fail' | 'inconclusive';

export interface DependencyTimeoutVerdict extends ObjectiveVerdict {
  contract: 'dependencies';
  outcome: DependencyTimeoutOutcome;
  dependency: string;
  timeoutMs: number;
  marginMs: number;
  boundMs: number;
  windowMs: number;
  clientTimeoutMs: number;
  /** Every route's window numbers (the failing ones are also in `routes`, worst first). */
  routeWindows: DependencyRouteWindow[];
  traffic?: DependencyWindowTraffic;
  /** False when the service did not answer UP after the toxic was removed (within the wait). */
  recovered?: boolean;
}

/** 212 ms, 1.2 s, 10.0 s. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x < 1000) return `${x < 10 ? +x.toPrecision(2) : Math.round(x)} ms`;
  return `${(x / 1000).toFixed(1)} s`;
}

const n = (v: number) => v.toLocaleString('en-US');

function sum(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

/** Share of a route's requests (at least 1) that may be a scheduling hiccup over the bound. */
export const HICCUP_SHARE = 0.01;

/** A route whose only bad requests are one hiccup's worth, answered within twice its bound. */
function hiccup(r: DependencyRouteWindow, boundMs: number): boolean {
  return r.callsDependency && r.noAnswer === 0 && r.overBound > 0 && r.overBound <= Math.max(1, Math.floor(HICCUP_SHARE * r.sent)) && r.maxMs <= 2 * routeBoundMs(boundMs, r.ownMs);
}

/** A route's bad requests: over its bound where it is judged on time, no answer anywhere. */
function badOf(r: DependencyRouteWindow): number {
  return (r.callsDependency ? r.overBound : 0) + r.noAnswer;
}

/** The worst a route's requests took: the client's timeout when one got no answer. */
function worstOf(r: DependencyRouteWindow, clientTimeoutMs: number): number {
  return r.noAnswer > 0 ? Math.max(clientTimeoutMs, r.maxMs) : r.maxMs;
}

function routeDetail(r: DependencyRouteWindow, boundMs: number, timeoutMs: number, clientTimeoutMs: number): string {
  const parts: string[] = [];
  const over = r.callsDependency ? r.overBound : 0;
  const bad = over + r.noAnswer;
  const own = routeBoundMs(boundMs, r.ownMs) - boundMs;
  const label = `${n(bad)} of ${n(r.sent)} over ${ms(boundMs + own)} (timeout ${ms(timeoutMs)} + ${ms(boundMs - timeoutMs)}${own > 0 ? ` + its own p99 ${ms(own)}` : ''})`;
  parts.push(label);
  if (r.noAnswer > 0) parts.push(`max ${ms(clientTimeoutMs)} (no answer; ${n(r.noAnswer)} got none within the load client's ${ms(clientTimeoutMs)})`);
  else parts.push(`max ${ms(r.maxMs)}, p99 ${ms(r.p99Ms)}`);
  return parts.join(', ');
}

function failedText(routes: readonly DependencyRouteWindow[]): string | undefined {
  const kinds: Record<string, number> = {};
  for (const r of routes) for (const [k, v] of Object.entries(r.failed)) kinds[k] = (kinds[k] ?? 0) + v;
  const total = sum(kinds);
  if (total === 0) return undefined;
  return `${n(total)} requests failed without an answer (${Object.entries(kinds).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ')}): not a hang, but the errors contract counts them`;
}

/** ", plus each route's own p99 with it answering (POST /orders 350 ms)", for the routes that have one worth saying. */
function ownText(routes: readonly DependencyRouteWindow[], boundMs: number): string {
  const own = routes.filter((r) => routeBoundMs(boundMs, r.ownMs) > boundMs);
  if (own.length === 0) return '';
  return `, plus each route's own p99 with it answering (${own.map((r) => `${r.route} ${ms(routeBoundMs(boundMs, r.ownMs) - boundMs)}`).join(', ')})`;
}

export function judgeDependencyTimeout(input: DependencyTimeoutInput): DependencyTimeoutVerdict {
  const { dependency, clientTimeoutMs, windowMs } = input;
  const timeoutMs = dependency.timeoutMs;
  const boundMs = input.boundMs ?? dependencyBoundMs(timeoutMs);
  const marginMs = boundMs - timeoutMs;
  const name = dependency.name;
  const routes = input.routes;
  const judged = routes.filter((r) => r.callsDependency);
  const sentJudged = judged.reduce((a, r) => a + r.sent, 0);
  const sentAll = routes.reduce((a, r) => a + r.sent, 0);
  const tolerated = routes.filter((r) => hiccup(r, boundMs));
  const bad = routes.filter((r) => badOf(r) > 0 && !hiccup(r, boundMs))
    .sort((a, b) => worstOf(b, clientTimeoutMs) - worstOf(a, clientTimeoutMs) || badOf(b) - badOf(a) || a.route.localeCompare(b.route));
  // The number the verdict carries: the judged route with the least room under its own bound.
  let worst = 0;
  let worstBound = boundMs;
  for (const r of routes) {
    if (!(r.callsDependency || r.noAnswer > 0)) continue;
    const w = worstOf(r, clientTimeoutMs);
    const b = routeBoundMs(boundMs, r.ownMs);
    if (b - w < worstBound - worst) {
      worst = w;
      worstBound = b;
    }
  }
  const traffic = input.traffic;
  const sawTraffic = traffic !== undefined && (traffic.connections > 0 || traffic.requests > 0 || traffic.bytesUp > 0);
  const what = `with ${name} blackholed for ${ms(windowMs)}`;

  const sentences: string[] = [];
  let outcome: DependencyTimeoutOutcome;
  let causes: RouteCause[] | undefined;

  const mixText = () => {
    const mix = input.mix && input.mix.length > 0 ? `the mix has ${input.mix.join(', ')}` : 'the mix has no route';
    const declared = input.declaredBy ?? [];
    const missing = declared.filter((d) => !(input.mix ?? []).some((m) => m.startsWith(`${d} (`) || m === d));
    if (declared.length === 0) return `${mix}, and no route in the contract says it calls ${name} (routes[].dependencies)`;
    if (missing.length > 0) return `${mix}; the contract says ${missing.join(', ')} ${missing.length === 1 ? 'calls' : 'call'} ${name}: add ${missing.length === 1 ? 'it' : 'them'} to load.mix`;
    return `${mix}, which the contract says call ${name}`;
  };

  if (input.unrunnable) {
    outcome = 'inconclusive';
    sentences.push(`${name} was not blackholed: ${input.unrunnable.reason}; ${input.unrunnable.fix}`);
  } else if (input.applyError !== undefined) {
    outcome = 'inconclusive';
    sentences.push(`${name} was not blackholed: the timeout toxic could not be added to its proxy: ${input.applyError}; see the message, then run again`);
  } else if (input.interrupted) {
    outcome = 'inconclusive';
    const seen = sentAll > 0 ? ` (${n(sentAll)} requests had been sent${bad.length > 0 ? `; ${bad.map((r) => `${r.route}: ${routeDetail(r, boundMs, timeoutMs, clientTimeoutMs)}`).join('; ')}` : ''})` : '';
    sentences.push(`interrupted ${sentAll > 0 ? `while ${name} was blackholed` : `before ${name} was blackholed`}${seen}; run again without interrupting`);
  } else if (!sawTraffic) {
    outcome = 'inconclusive';
    const hung = bad.length > 0 ? `; ${bad.map((r) => `${r.route}: ${routeDetail(r, boundMs, timeoutMs, clientTimeoutMs)}`).join('; ')}, which ${name} cannot explain` : '';
    sentences.push(`the proxy in front of ${name}${input.proxy ? ` (${input.proxy})` : ''} received no connection and no request during the ${ms(windowMs)} window (${n(sentAll)} requests sent to the service): the load does not reach this dependency; ${mixText()}${input.env ? `. If it does call ${name}, check that the service reads its URL from ${input.env}${input.breaker ? ' and that its breaker was not open from an earlier fault (it skips the calls)' : ''}` : ''}${hung}`);
  } else if (sentJudged === 0 && bad.length === 0) {
    outcome = 'inconclusive';
    sentences.push(`no request was sent to a route that calls ${name} while it was blackholed; ${mixText()}; check the generator's notes`);
  } else {
    const lag = generatorLag(input.generator, { sent: sentAll, timeouts: routes.reduce((a, r) => a + r.noAnswer, 0) });
    // The lag explains a route when removing the worst lag brings its worst request within the
    // bound, and its bad requests are no more than the lag can touch (the late sends, each with
    // the requests a catch-up burst queues ahead of). A request with no answer: only when the
    // client's timeout minus the lag is within the bound (never, with a timeout well over it).
    const lagExplains = (r: DependencyRouteWindow) => lag !== undefined &&
      (r.noAnswer === 0 || clientTimeoutMs - lag.maxLagMs <= routeBoundMs(boundMs, r.ownMs)) &&
      worstOf(r, clientTimeoutMs) - lag.maxLagMs <= routeBoundMs(boundMs, r.ownMs) &&
      badOf(r) <= Math.ceil(lag.affectedShare * r.sent);
    if (bad.length > 0 && bad.every(lagExplains)) {
      outcome = 'inconclusive';
      sentences.push(`the load generator could not deliver the profile on time (${lag!.text}), which can explain every slow request ${what}: ${bad.map((r) => `${r.route}: ${routeDetail(r, boundMs, timeoutMs, clientTimeoutMs)}`).join('; ')}; run again on a quieter machine`);
    } else if (bad.length > 0) {
      outcome = 'fail';
      const standing = bad.filter((r) => !lagExplains(r));
      causes = standing.map((r) => ({ route: r.route, view: 'client', value: badOf(r), unit: 'count', detail: routeDetail(r, boundMs, timeoutMs, clientTimeoutMs) }));
      const hung = standing.some((r) => r.noAnswer > 0);
      sentences.push(`${what}, the service did not answer within ${ms(boundMs)} (timeout ${ms(timeoutMs)} + margin ${ms(marginMs)}${ownText(standing, boundMs)}): ${standing.map((r) => `${r.route}: ${r.callsDependency || r.noAnswer === 0 ? '' : '(not declared to call it) '}${routeDetail(r, boundMs, timeoutMs, clientTimeoutMs)}`).join('; ')}`);
      sentences.push(hung
        ? `it hangs when ${name} does: give the call to ${name} a timeout of ${ms(timeoutMs)} (a fetch signal: AbortSignal.timeout(${timeoutMs}); undici/axios/got timeouts; Go's http.Client{Timeout}) and a breaker or fallback`
        : `the call to ${name} waits longer than its declared ${ms(timeoutMs)}: make the client's timeout ${ms(timeoutMs)} (or declare the timeout it has), and do not retry past it`);
      if (standing.length < bad.length) sentences.push(`the generator's lag can explain ${bad.filter(lagExplains).map((r) => r.route).join(', ')}`);
    } else {
      outcome = 'pass';
      const top = judged.filter((r) => r.answered > 0).sort((a, b) => b.maxMs - a.maxMs)[0];
      const worstText = top ? `worst ${top.route}: max ${ms(top.maxMs)}, p99 ${ms(top.p99Ms)} over ${n(top.answered)} answered` : 'no route that calls it answered';
      const within = tolerated.length > 0 ? 'the service answered within' : 'every request was answered within';
      sentences.push(`${what}, ${within} ${ms(boundMs)} (timeout ${ms(timeoutMs)} + margin ${ms(marginMs)}${ownText(judged, boundMs)}): ${worstText}; the proxy received ${n(traffic!.connections)} connections and ${n(traffic!.requests)} requests`);
      if (tolerated.length > 0) sentences.push(`taken for a scheduling hiccup (at most ${HICCUP_SHARE * 100}% of a route's requests, or 1, within twice the bound): ${tolerated.map((r) => `${r.route}: ${n(r.overBound)} of ${n(r.sent)} over ${ms(routeBoundMs(boundMs, r.ownMs))}, max ${ms(r.maxMs)}`).join('; ')}`);
    }
    const f = failedText(routes);
    if (f) sentences.push(f);
  }

  if (input.notUpBefore !== undefined) sentences.push(`the service was not UP before the window (health ${input.notUpBefore})`);
  if (input.removed && !input.removed.ok) sentences.push(`the toxic could not be removed: ${input.removed.detail}; remove it by hand (sloctl faults) before trusting what follows`);
  if (input.recovery && !input.recovery.up) {
    sentences.push(`after the toxic was removed the service did not answer UP within ${ms(input.recovery.afterMs)} (health ${input.recovery.detail}): the next phase starts on a service that has not recovered; the drills judge recovery`);
  }

  const judgedNumbers = outcome === 'pass' || outcome === 'fail';
  const measured = judgedNumbers ? worst : NaN;
  const v: DependencyTimeoutVerdict = {
    contract: 'dependencies',
    name: `${name} blackholed`,
    verdict: outcome === 'inconclusive' ? 'skipped' : outcome,
    outcome,
    measured,
    objective: worstBound,
    unit: 'ms',
    direction: 'lower-is-better',
    margin: worstBound - measured,
    client: measured,
    reason: sentences.join('. ') + '.',
    dependency: name,
    timeoutMs,
    marginMs,
    boundMs,
    windowMs,
    clientTimeoutMs,
    routeWindows: routes,
  };
  if (causes && causes.length > 0) v.routes = causes;
  if (traffic) v.traffic = traffic;
  if (input.recovery) v.recovered = input.recovery.up;
  return v;
}
