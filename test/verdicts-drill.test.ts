// The drill judge on synthetic evidence: one timeline (steady 0-20 s, fault 20-40 s, watch to
// 60 s), client slices built with the HDR histogram, the service's counters derived from the same
// requests, health, dependency gauges and proxy traffic as each case needs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseContract } from '../src/contract/load.ts';
import type { Contract, Drill } from '../src/contract/schema.ts';
import { Histogram } from '../src/measure/histogram.ts';
import type { LoadSlice } from '../src/measure/types.ts';
import { classifierOf } from '../src/verdicts/client-view.ts';
import { judgeDrill, judgeDrills, recoveryHeld, RECOVERY_WINDOW_MS, SCORE_RULE, type RecoveryMemo } from '../src/verdicts/drill.ts';
import type { DrillEvidence, DrillVerdict, HealthSample, ServiceSnapshot } from '../src/verdicts/drill-types.ts';
import type { ServiceRoute } from '../src/verdicts/service-routes.ts';
import { checkText, duringText, renderDrillTable } from '../src/report/drill.ts';
import { drillNumbers } from '../src/verdicts/accept.ts';

const YAML = `apiVersion: sloctl/v1
service: { name: checkout }
routes:
  - { name: create-order, method: POST, path: /orders, dependencies: [payments] }
  - { name: get-product, method: GET, path: /products/:id }
load:
  rate: 100/s
  duration: 1m
  mix:
    - { route: create-order, weight: 1 }
    - { route: get-product, weight: 1, params: { id: "int(1,100)" } }
dependencies:
  - name: payments
    url: http://127.0.0.1:8081
    timeout: 150ms
    breaker: { errorThreshold: 50%, resetTimeout: 5s, volumeThreshold: 10 }
objectives:
  latency:
    - { name: api-latency, threshold: 300ms, objective: 99% }
  errors: { objective: 99% }
  concurrency:
    eventLoopDelay: { warn: 100ms, critical: 500ms }
    inFlight: { warn: 50, critical: 200 }
  resilience:
    drills:
      - name: payments-slow
        fault: latency
        dependency: payments
        delay: 1s
        duration: 20s
        degraded: { latency: { threshold: 500ms, objective: 95% }, errors: 98% }
        detectWithin: 5s
        recoverWithin: 5s
      - name: payments-down
        fault: error
        dependency: payments
        duration: 20s
        degraded: { errors: 98% }
        detectWithin: 5s
        recoverWithin: 5s
      - name: payments-refused
        fault: error
        dependency: payments
        duration: 20s
        degraded: { latency: { threshold: 300ms, objective: 99% } }
        detectWithin: 5s
        recoverWithin: 5s
      - name: payments-laggy
        fault: latency
        dependency: payments
        delay: 50ms
        duration: 20s
        detectWithin: 5s
        recoverWithin: 5s
      - name: payments-dark
        fault: blackhole
        dependency: payments
        duration: 20s
        detectWithin: 5s
        recoverWithin: 5s
`;

const parsed = parseContract(YAML, 'slo.yaml');
assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error'), []);
const contract: Contract = parsed.contract!;
const drill = (name: string): Drill => contract.objectives.resilience!.drills.find((d) => d.name === name)!;

type RouteName = 'create-order' | 'get-product';
/** Requests of one route in one slice: how many, how slow, and how they ended. */
interface Batch { n: number; latencyMs: number; status?: number; error?: string }
type Behave = (t: number, route: RouteName) => Batch[];

const SLICE = 1000;
const FAULT = 20_000;
const REMOVED = 40_000;
const END = 60_000;
const PER_SLICE = 50;
const KEYS: Record<RouteName, { method: string; route: string }> = {
  'create-order': { method: 'POST', route: '/orders' },
  'get-product': { method: 'GET', route: '/products/:id' },
};
const BOUNDS = [0.1, 0.3, 0.5, 1, 2.5, Infinity];

const fine: Behave = () => [{ n: PER_SLICE, latencyMs: 40, status: 200 }];
const inFault = (t: number) => t >= FAULT && t < REMOVED;

interface Options {
  behave?: Behave;
  /** Health state at time t (probes every 500 ms). */
  health?: (t: number) => HealthSample['state'];
  /** The window of recent requests the failing health checks judged (the SDK's health.windowMs). */
  healthWindowMs?: number;
  /** Dependency gauge of payments at time t (every second), when the service exports one. */
  depUp?: (t: number) => boolean;
  /** Requests the proxy carried to payments per second at time t. */
  trafficRate?: (t: number) => number;
  eventLoopDelay?: (t: number) => number;
  inFlight?: (t: number) => number;
  /** The latency the service's own histogram records for every request (ms), whatever its clients saw: the wait before its loop took a request is the clients' alone. */
  serviceLatencyMs?: number;
  service?: boolean;
  applied?: DrillEvidence['applied'];
  removed?: DrillEvidence['removed'];
  generator?: DrillEvidence['generator'];
}

function evidence(d: Drill, o: Options = {}): DrillEvidence {
  const behave = o.behave ?? fine;
  const classifier = classifierOf(contract);
  const client: LoadSlice[] = [];
  const service: ServiceSnapshot[] = [];
  const cumulative = new Map<string, ServiceRoute>();
  const snapshot = (atMs: number) => {
    const routes = new Map<string, ServiceRoute>();
    for (const [k, r] of cumulative) routes.set(k, { ...r, buckets: new Map(r.buckets), classes: new Map(r.classes) });
    service.push({ atMs, routes });
  };
  snapshot(0);
  for (let t = 0; t < END; t += SLICE) {
    const slice: LoadSlice = { startMs: t, routes: [] };
    for (const name of Object.keys(KEYS) as RouteName[]) {
      const h = new Histogram();
      const row = { name, sent: 0, completed: 0, statuses: {} as Record<string, number>, errors: {} as Record<string, number>, histogram: h.toJSON() };
      const { method, route } = KEYS[name];
      const key = `${method} ${route}`;
      const s = cumulative.get(key) ?? { method, route, buckets: new Map(BOUNDS.map((b) => [b, 0])), requests: 0, classes: new Map() };
      cumulative.set(key, s);
      for (const b of behave(t, name)) {
        row.sent += b.n;
        h.record(Math.round(b.latencyMs * 1000), b.n);
        if (b.error) {
          row.errors[b.error] = (row.errors[b.error] ?? 0) + b.n;
          continue;
        }
        row.completed += b.n;
        row.statuses[String(b.status)] = (row.statuses[String(b.status)] ?? 0) + b.n;
        s.requests += b.n;
        for (const le of BOUNDS) if ((o.serviceLatencyMs ?? b.latencyMs) / 1000 <= le) s.buckets.set(le, s.buckets.get(le)! + b.n);
        const c = classifier.classifyStatus(b.status!);
        if (c.weight > 0) s.classes.set(c.class, (s.classes.get(c.class) ?? 0) + b.n);
      }
      row.histogram = h.toJSON();
      slice.routes.push(row);
    }
    client.push(slice);
    snapshot(t + SLICE);
  }
  const health: HealthSample[] = [];
  for (let t = 250; t < END; t += 500) health.push({ atMs: t, state: o.health?.(t) ?? 'up', failing: (o.health?.(t) ?? 'up') === 'up' ? [] : ['payments'], ...(o.healthWindowMs !== undefined && (o.health?.(t) ?? 'up') !== 'up' ? { windowMs: o.healthWindowMs } : {}) });
  const dependencies = o.depUp ? Array.from({ length: END / 1000 }, (_, i) => ({ atMs: i * 1000 + 500, dependency: 'payments', up: o.depUp!(i * 1000 + 500) })) : [];
  let carried = 0;
  const traffic = o.trafficRate
    ? Array.from({ length: END / 1000 + 1 }, (_, i) => {
        if (i > 0) carried += o.trafficRate!((i - 1) * 1000);
        return { atMs: i * 1000, connections: 4, requests: carried };
      })
    : undefined;
  const series = (signal: 'eventLoopDelay' | 'inFlight', f: ((t: number) => number) | undefined) => (f ? Array.from({ length: END / 1000 }, (_, i) => ({ atMs: i * 1000 + 700, signal, value: f(i * 1000 + 700) })) : []);
  const saturation = [...series('eventLoopDelay', o.eventLoopDelay), ...series('inFlight', o.inFlight)];
  return {
    drill: d,
    sliceMs: SLICE,
    steadyFromMs: 0,
    faultAtMs: FAULT,
    removedAtMs: REMOVED,
    endMs: END,
    applied: o.applied ?? { ok: true, how: 'test' },
    removed: o.removed ?? { ok: true, detail: 'no toxic left' },
    client,
    service: o.service === false ? [] : service,
    health,
    dependencies,
    saturation,
    ...(traffic ? { traffic } : {}),
    generator: o.generator ?? { ok: true, reasons: [] },
    scrapeIntervalMs: 1000,
    probeIntervalMs: 500,
  };
}

/** A service that cuts payments at its timeout and degrades gracefully: fast answers, health DEGRADED at once. */
const graceful: Options = {
  behave: (t, r) => (inFault(t) && r === 'create-order' ? [{ n: PER_SLICE, latencyMs: 160, status: 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
  health: (t) => (t >= FAULT + 400 && t < REMOVED + 300 ? 'degraded' : 'up'),
};

function verdict(name: string, o: Options = {}): DrillVerdict {
  return judgeDrill(contract, evidence(drill(name), o));
}

describe('judgeDrill', () => {
  it('passes a service that keeps its degraded objectives, shows the fault at once and recovers', () => {
    const v = verdict('payments-slow', graceful);
    assert.equal(v.outcome, 'pass', v.reasons.join('\n'));
    assert.equal(v.steady.met, true);
    assert.equal(v.during.judged, true);
    assert.deepEqual(v.during.checks.map((c) => [c.name, c.met]), [['latency 500 ms', true], ['errors', true]]);
    assert.equal(v.detection.met, true);
    assert.equal(v.detection.ms, 750); // health turns DEGRADED at 20.4 s; the probe that sees it is at 20.75 s
    assert.match(v.detection.signal!, /health DEGRADED \(failing: payments\)/);
    assert.equal(v.detection.resolutionMs, 1000);
    assert.equal(v.recovery.met, true);
    assert.ok(v.recovery.ms! <= 1000, `recovered in ${v.recovery.ms} ms`);
    assert.equal(v.score, 1);
    assert.equal(v.target, 'dependency payments');
    // The service's counters agree with the client during the fault.
    assert.ok(Math.abs(v.during.checks[1].service - 1) < 1e-9);
  });

  it('fails a detection later than detectWithin, naming the signal and the resolution', () => {
    const v = verdict('payments-slow', { ...graceful, health: (t) => (t >= 28_000 && t < REMOVED ? 'degraded' : 'up') });
    assert.equal(v.outcome, 'fail');
    assert.equal(v.detection.met, false);
    assert.equal(v.detection.ms, 8250);
    assert.equal(v.reasons.length, 1, v.reasons.join('\n'));
    assert.match(v.reasons[0], /showed the fault only after 8\.3 s \(health DEGRADED \(failing: payments\)\), later than the 5s detectWithin \(resolution 1 s\)/);
    assert.equal(v.score, 0.75); // during, recovery and removal held; detection did not
  });

  it('detects through a dependency gauge and through a saturation signal, whichever comes first', () => {
    const gauge = verdict('payments-slow', { ...graceful, health: () => 'up', depUp: (t) => !(t >= 22_000 && t < REMOVED) });
    assert.equal(gauge.detection.ms, 2500);
    assert.match(gauge.detection.signal!, /dependency payments reported down/);
    // A slow dependency shows in the service as requests waiting on it: in flight.
    const waiting = verdict('payments-slow', { ...graceful, health: () => 'up', inFlight: (t) => (t >= 21_000 && t < REMOVED ? 80 : 5) });
    assert.equal(waiting.detection.ms, 2700); // over warn from the 21.7 s scrape; shown at the second in a row, 22.7 s
    assert.match(waiting.detection.signal!, /inFlight 80, at or over its warn level 50/);
    // Already over warn before the fault: it shows nothing about the fault.
    const always = verdict('payments-slow', { ...graceful, health: () => 'up', inFlight: () => 80 });
    assert.equal(always.detection.met, false);
    // The event loop's delay is not something a slow dependency raises: over warn in its fault, the machine raised it.
    const lag = verdict('payments-slow', { ...graceful, health: () => 'up', eventLoopDelay: (t) => (t >= 21_000 && t < REMOVED ? 180 : 20) });
    assert.equal(lag.detection.met, false, JSON.stringify(lag.detection));
    assert.match(lag.reasons.join('\n'), /eventLoopDelay did, not counted: a slow dependency shows in the service only as requests waiting on it/);
  });

  it('detects a rise of an error class in the service counters', () => {
    // The service answers 500 for a fifth of create-order during the outage; health stays UP.
    const v = verdict('payments-down', {
      behave: (t, r) => (inFault(t) && r === 'create-order' ? [{ n: 40, latencyMs: 30, status: 200 }, { n: 10, latencyMs: 5, status: 500 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
    });
    assert.equal(v.detection.met, true);
    assert.equal(v.detection.ms, 1000); // the first scrape after the fault's start
    assert.match(v.detection.signal!, /server errors in the service's counters at 10\/s \(steady 0\/s\)/);
  });

  it('fails a service that never notices an outage, and says it kept calling the dependency (sentence b)', () => {
    const v = verdict('payments-dark', {
      // Every create-order hangs to the client's timeout during the blackhole; the service has no metrics.
      behave: (t, r) => (inFault(t) && r === 'create-order' ? [{ n: PER_SLICE, latencyMs: 10_000, error: 'timeout' }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
      service: false,
      depUp: () => true,
      trafficRate: () => 20.6,
    });
    assert.equal(v.outcome, 'fail');
    assert.equal(v.during.judged, false);
    assert.equal(v.detection.met, false);
    assert.equal(v.detection.ms, undefined);
    const b = v.reasons.find((r) => r.startsWith('the service kept calling'));
    assert.ok(b, v.reasons.join('\n'));
    assert.equal(b, 'the service kept calling payments throughout the outage (412 requests in 20 s, as many as before it) and never reported it down: no breaker opened, health stayed UP at all 40 probes');
  });

  it('a delay under the dependency timeout: calling on is right, so the miss says what showed nothing, not "never reported it down"; a delay over it is an outage', () => {
    // A chi user trial: +50 ms on inventory under its 80 ms timeout, every call answered, and the
    // FAIL said the service "kept calling inventory throughout the fault ... never reported it down".
    const laggy = verdict('payments-laggy', { service: false, depUp: () => true, trafficRate: () => 20.6 });
    assert.equal(laggy.detection.met, false);
    assert.ok(!laggy.reasons.some((r) => /kept calling|never reported it down/.test(r)), laggy.reasons.join('\n'));
    assert.match(laggy.reasons.join('\n'), /nothing sloctl read from the service showed the latency fault in its 20 s: health stayed UP at all 40 probes, no breaker opened/);
    // No warn level on inFlight or handles: "none held its warn level" would say nothing; it says what to set.
    const promhttp = { ...contract, objectives: { ...contract.objectives, concurrency: undefined }, metrics: { labels: { route: 'handler', method: 'method', status: 'code' } } } as Contract;
    const unwatched = judgeDrill(promhttp, evidence(drill('payments-laggy'), { service: false, depUp: () => true, trafficRate: () => 20.6, inFlight: () => 2 })).reasons.join('\n');
    assert.match(unwatched, /the contract gives no warn level to inFlight or handles, the saturation a slow dependency raises \(requests waiting on it\): set objectives\.concurrency\.inFlight: \{ warn: … \}, and map the service's in-flight gauge as metrics\.inFlight/);
    assert.doesNotMatch(unwatched, /held its warn level/);
    const slow = verdict('payments-slow', { service: false, depUp: () => true, trafficRate: () => 20.6 });
    assert.match(slow.reasons.join('\n'), /the service kept calling payments throughout the fault \(412 requests in 20 s, as many as before it\) and never reported it down/);
  });

  it('says what nothing showed when the proxy saw the service back off but nothing reported it', () => {
    const v = verdict('payments-dark', { service: false, trafficRate: (t) => (inFault(t) ? 1 : 20) });
    assert.equal(v.detection.met, false);
    assert.match(v.reasons.join('\n'), /nothing sloctl read from the service showed the blackhole fault in its 20 s: health stayed UP at all 40 probes, it exports no gauge for payments/);
  });

  it('says how to export the missing dependency gauge, for the way the contract says the service is instrumented', () => {
    // A user trial (a gin service on sloctl's Go middleware): sdk.MustDependency("inventory") with
    // no breaker or check attached exports no series, and the drill's FAIL said only "it exports no
    // gauge for inventory", not what to do about it.
    const o: Options = { service: false, trafficRate: (t) => (inFault(t) ? 1 : 20) };
    const reasons = (c: Contract) => judgeDrill(c, evidence(drill('payments-dark'), o)).reasons.join('\n');
    const go = reasons({ ...contract, service: { ...contract.service, runtime: 'go' } });
    assert.match(go, /it exports no gauge for payments \(so no breaker state either; sloctl's Go middleware exports sloctl_dependency_up only for a dependency with a breaker or a check attached: sdk\.MustDependency\("payments"\)\.Breaker\(func\(\) string \{ \.\.\. \}\), \.SetBreakerState\("open"\) as it changes, or \.Check\(fn, timeout\)\)/);
    const node = reasons(contract);
    assert.match(node, /it exports no gauge for payments \(so no breaker state either; sloctl's SDK exports sloctl_dependency_up only for a dependency with a breaker or a check attached: sdk\.dependency\('payments'\)\.breaker\(opossumBreaker\) or \.check\(/);
    const promhttp = reasons({ ...contract, service: { ...contract.service, runtime: 'go' }, metrics: { labels: { route: 'handler', method: 'method', status: 'code' } } } as Contract);
    assert.match(promhttp, /it exports no gauge for payments \(so no breaker state either; map a gauge that is 1 while payments is usable and 0 when not, labelled dependency="payments", as metrics\.dependencyUp\)/);
    const mapped = reasons({ ...contract, metrics: { dependencyUp: 'payments_up', labels: { route: 'handler' } } } as Contract);
    assert.match(mapped, /the mapped metrics\.dependencyUp gauge payments_up has no dependency="payments" series/);
  });

  it('fails a late recovery with the time it took and what still missed', () => {
    const v = verdict('payments-slow', {
      ...graceful,
      behave: (t, r) => (r === 'create-order' && t >= FAULT && t < REMOVED + 8000 ? [{ n: PER_SLICE, latencyMs: 160, status: t >= REMOVED ? 500 : 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
    });
    assert.equal(v.outcome, 'fail');
    assert.equal(v.recovery.met, false);
    assert.equal(v.recovery.ms, 8000);
    assert.match(v.reasons.join('\n'), /took 8 s after the fault was removed to hold its objectives again, longer than the 5s recoverWithin: in the 3 s from 7 s after removal it still missed errors \(weighted success 58\.3%, objective 99%\)$/);
  });

  it('fails a service that never recovers, naming health still DEGRADED', () => {
    const v = verdict('payments-slow', { ...graceful, health: (t) => (t >= FAULT + 400 ? 'degraded' : 'up') });
    assert.equal(v.recovery.met, false);
    assert.equal(v.recovery.ms, undefined);
    assert.match(v.reasons.join('\n'), /had not recovered 20 s after the fault was removed \(recoverWithin 5s\): health was still DEGRADED at the last probe \(failing: payments\)/);
    assert.doesNotMatch(v.reasons.join('\n'), /health judges the last/);
  });

  it('says when health judges a window of recent requests longer than recoverWithin (the SDK\'s default 30 s against 5s), and not when it is shorter', () => {
    const stuck = (healthWindowMs: number) => verdict('payments-slow', { ...graceful, health: (t) => (t >= FAULT + 400 ? 'degraded' : 'up'), healthWindowMs });
    const long = stuck(30_000);
    assert.equal(long.outcome, 'fail');
    assert.match(long.reasons.join('\n'), /\(failing: payments\); its health judges the last 30 s of requests, longer than recoverWithin, so the fault's own requests keep it failing after the fault is gone: give recoverWithin more than that window, or judge a shorter one \(the SDK: instrument\(\{ health: \{ windowMs \} \}\)\)/);
    assert.doesNotMatch(stuck(4000).reasons.join('\n'), /health judges the last/);
  });

  it('recoveryHeld: the watch may end once a judged window and the hold after the recovery point all held, health UP; never before, never for a service that is not back', () => {
    // Errors until 2 s after removal, then fine; health DEGRADED until 300 ms after removal.
    const late: Options = {
      ...graceful,
      behave: (t, r) => (r === 'create-order' && t >= FAULT && t < REMOVED + 2000 ? [{ n: PER_SLICE, latencyMs: 40, status: t >= REMOVED ? 500 : 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
    };
    const full = evidence(drill('payments-slow'), late);
    const cut = (endMs: number) => ({ ...full, endMs, client: full.client.filter((x) => x.startMs < endMs), health: full.health.filter((h) => h.atMs <= endMs) });
    const hold = 3000;
    // The judge on the whole evidence: recovered 2 s after removal.
    assert.equal(judgeDrill(contract, full).recovery.ms, 2000);
    // Live, slice by slice: nothing until the window from 2 s and 3 s more are in, then that same point.
    const firstEnd = REMOVED + 2000 + RECOVERY_WINDOW_MS + hold;
    for (let end = REMOVED + SLICE; end < firstEnd; end += SLICE) assert.equal(recoveryHeld(contract, cut(end), REMOVED, hold), undefined, `not yet at ${end - REMOVED} ms after removal`);
    assert.deepEqual(recoveryHeld(contract, cut(firstEnd), REMOVED, hold), { atMs: REMOVED + 2000 });
    // Judged on the evidence the watch ended with, the recovery time is the same.
    const ended = judgeDrill(contract, cut(firstEnd));
    assert.equal(ended.recovery.ms, 2000);
    assert.equal(ended.recovery.met, true);
    // Client fine but health still DEGRADED: never held.
    const degraded = evidence(drill('payments-slow'), { ...graceful, health: (t) => (t >= FAULT + 400 ? 'degraded' : 'up') });
    for (let end = REMOVED + SLICE; end <= END; end += SLICE) assert.equal(recoveryHeld(contract, { ...degraded, endMs: end, client: degraded.client.filter((x) => x.startMs < end), health: degraded.health.filter((h) => h.atMs <= end) }, REMOVED, hold), undefined);
  });

  it('recoveryHeld with the watch\'s memo answers as without it, slice by slice, judging each window once', () => {
    // A relapse in the middle (errors from 4 s to 5 s after removal), so windows fail, then hold.
    const relapse: Options = {
      ...graceful,
      behave: (t) => [{ n: PER_SLICE, latencyMs: 40, status: t >= REMOVED + 4000 && t < REMOVED + 5000 ? 500 : 200 }],
    };
    const full = evidence(drill('payments-slow'), relapse);
    const cut = (endMs: number) => ({ ...full, endMs, client: full.client.filter((x) => x.startMs < endMs), health: full.health.filter((h) => h.atMs <= endMs) });
    const memo: RecoveryMemo = new Map();
    let heldOnce = false;
    for (let end = REMOVED + SLICE; end <= END; end += SLICE) {
      const before = memo.size;
      const withMemo = recoveryHeld(contract, cut(end), REMOVED, 3000, memo);
      assert.deepEqual(withMemo, recoveryHeld(contract, cut(end), REMOVED, 3000), `at ${end - REMOVED} ms after removal`);
      // At most one window is new per slice: the others come from the memo.
      assert.ok(memo.size - before <= 1, `${memo.size - before} windows judged at ${end - REMOVED} ms`);
      heldOnce ||= withMemo !== undefined;
    }
    assert.ok(heldOnce, 'the watch could end after the relapse');
    assert.ok([...memo.values()].some((w) => w.holds === false), 'the relapse failed a window');
  });

  it('fails the during window naming the route that calls the dependency first, with class and share (sentence c)', () => {
    const v = verdict('payments-down', {
      ...graceful,
      behave: (t, r) => {
        if (!inFault(t)) return [{ n: PER_SLICE, latencyMs: 40, status: 200 }];
        return r === 'create-order' ? [{ n: 25, latencyMs: 30, status: 200 }, { n: 25, latencyMs: 5, status: 500 }] : [{ n: 48, latencyMs: 40, status: 200 }, { n: 2, latencyMs: 40, status: 500 }];
      },
    });
    assert.equal(v.outcome, 'fail');
    const errors = v.during.checks.find((c) => c.name === 'errors')!;
    assert.equal(errors.met, false);
    assert.deepEqual(errors.routes!.map((r) => [r.route, r.note]), [['create-order', 'calls payments; server 500'], ['get-product', 'server 40']]);
    assert.match(v.reasons[0], /during the fault the weighted success fell to 32\.5%, below the 98% the drill allows: create-order \(calls payments\) answered 500 of 1,000 requests \(50%\) with server errors; get-product answered 40 of 1,000 requests \(4%\) with server errors/);
  });

  it('calls the errors check what it measures, weighted success, wherever its number is shown: the drill report and accept\'s sentence', () => {
    // A user read "errors 32.5%" as the share that failed: 32.5% is the weighted success.
    const v = verdict('payments-down', {
      ...graceful,
      behave: (t, r) => {
        if (!inFault(t)) return [{ n: PER_SLICE, latencyMs: 40, status: 200 }];
        return r === 'create-order' ? [{ n: 25, latencyMs: 30, status: 200 }, { n: 25, latencyMs: 5, status: 500 }] : [{ n: 48, latencyMs: 40, status: 200 }, { n: 2, latencyMs: 40, status: 500 }];
      },
    });
    const errors = v.during.checks.find((c) => c.name === 'errors')!;
    assert.ok(Math.abs(errors.client - 0.325) < 1e-9, String(errors.client));
    assert.match(duringText(v), /^weighted success 32\.5% \/ 32\.5% \(objective 98%, MISSED\)$/);
    assert.match(checkText(v.steady.checks.find((c) => c.name === 'errors')!), /^weighted success 100% \/ 100% \(objective 99%, ok\)$/);
    assert.match(drillNumbers(v), /; during the fault weighted success 32\.5% \(objective 98%, missed\);/);
    assert.doesNotMatch(`${duringText(v)}\n${drillNumbers(v)}`, /errors \d/);
  });

  it('shows a weighted success below 0% as 0% with the weighted errors per request, keeping the number (server faults weigh 2.5)', () => {
    const v = verdict('payments-down', {
      ...graceful,
      behave: (t) => (inFault(t) ? [{ n: 45, latencyMs: 5, status: 500 }, { n: 5, latencyMs: 30, status: 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
    });
    const errors = v.during.checks.find((c) => c.name === 'errors')!;
    // 1 - 2.5 × 900 / 1,000 = -1.25: the JSON keeps it.
    assert.ok(Math.abs(errors.client - -1.25) < 1e-9, String(errors.client));
    assert.match(duringText(v), /^weighted success 0% \(weighted errors 2\.25× the requests\) \/ 0% \(weighted errors 2\.25× the requests\) \(objective 98%, MISSED\)$/);
    assert.match(drillNumbers(v), /during the fault weighted success 0% \(weighted errors 2\.25× the requests\) \(objective 98%, missed\)/);
    assert.match(v.reasons.join('\n'), /during the fault the weighted success fell to 0% \(weighted errors 2\.25× the requests\), below the 98% the drill allows/);
    assert.doesNotMatch(`${duringText(v)}\n${drillNumbers(v)}\n${v.reasons.join('\n')}`, /-\d/);
  });

  it('says the dependency timeout did not cut the calls when a dependent route waited the whole delay (sentence a)', () => {
    const v = verdict('payments-slow', {
      ...graceful,
      behave: (t, r) => (inFault(t) && r === 'create-order' ? [{ n: PER_SLICE, latencyMs: 1012, status: 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
    });
    assert.equal(v.outcome, 'fail');
    assert.match(v.reasons[0], /^create-order waited for payments' full 1,000 ms \(p50 1,01\d ms during the fault\): the 150 ms timeout the contract declares for payments did not cut the calls$/);
    const latency = v.during.checks.find((c) => c.name === 'latency 500 ms')!;
    assert.equal(latency.met, false);
    assert.deepEqual(latency.routes!.map((r) => [r.route, r.value, r.requests, r.note]), [['create-order', 0, 1000, 'calls payments']]);
    assert.match(v.reasons[1], /only 50% of requests finished within 500 ms, below the 95% the drill requires: create-order \(calls payments\) 0% of 1,000/);
  });

  it('notes the timeout that did not cut the calls on a drill that passes without degraded objectives', () => {
    const slow = { ...drill('payments-slow'), degraded: undefined };
    const v = judgeDrill(contract, evidence(slow, { ...graceful, behave: (t, r) => (inFault(t) && r === 'create-order' ? [{ n: PER_SLICE, latencyMs: 1012, status: 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]) }));
    assert.equal(v.outcome, 'pass', v.reasons.join('\n'));
    assert.match(v.reasons.join('\n'), /note: create-order waited for payments' full 1,000 ms/);
  });

  it('prints a passing drill\'s notes once as notes: a reason that already says "note:" is not prefixed again (a user trial read "note: note: the service\'s own metrics disagree ...")', () => {
    const slow = { ...drill('payments-slow'), degraded: undefined };
    const v = judgeDrill(contract, evidence(slow, { ...graceful, behave: (t, r) => (inFault(t) && r === 'create-order' ? [{ n: PER_SLICE, latencyMs: 1012, status: 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]) }));
    assert.equal(v.outcome, 'pass', v.reasons.join('\n'));
    const withNotes = { ...v, reasons: [...v.reasons, 'during the fault: 3 answers came from the fallback'] };
    const report = judgeDrills(contract, [withNotes]);
    const table = renderDrillTable({ ...report, exitCode: 0, contractFile: 'slo.yaml', startedAt: 0, finishedAt: 0, target: { url: 'http://127.0.0.1:3000', started: false, reached: true }, profile: { rate: 50, warmupMs: 1000, steadyMs: 3000, connections: 8, sliceMs: 500 }, journal: 'j.jsonl' });
    assert.doesNotMatch(table, /note: note:/, table);
    assert.match(table, /\n {2}note: create-order waited for payments' full 1,000 ms/, table);
    assert.match(table, /\n {2}note: during the fault: 3 answers came from the fallback/, table);
  });

  it('a drill whose run ended right after the fault was removed (interrupted) is INCONCLUSIVE, not a pass on detection alone', () => {
    const full = evidence(drill('payments-slow'), graceful);
    assert.equal(judgeDrill(contract, full).outcome, 'pass', 'the whole watch: recovery seen, a pass');
    // Cut one slice after removal: no window after it to judge recovery by (accept-interrupt read PASS here).
    const end = REMOVED + SLICE;
    const cut = { ...full, endMs: end, client: full.client.filter((x) => x.startMs < end), health: full.health.filter((h) => h.atMs <= end) };
    const v = judgeDrill(contract, cut);
    assert.equal(v.recovery.met, undefined);
    assert.equal(v.outcome, 'inconclusive', v.reasons.join('\n'));
    assert.match(v.reasons.join('\n'), /^recovery not judged: /m);
  });

  it('is inconclusive, with the fix, when the fault could not be applied', () => {
    const v = verdict('payments-slow', { applied: { ok: false, reason: 'the service does not read PAYMENTS_URL', fix: 'set dependencies[payments].env to the variable it reads' } });
    assert.equal(v.outcome, 'inconclusive');
    assert.ok(Number.isNaN(v.score));
    assert.equal(v.detection.met, undefined);
    assert.equal(v.recovery.met, undefined);
    assert.deepEqual(v.reasons, ['the fault could not be applied: the service does not read PAYMENTS_URL; set dependencies[payments].env to the variable it reads']);
  });

  it('a drill that never ran says only that, with the fix: not the generator of a load stopped on purpose, not the steady state; its degraded objectives "not judged: the fault never ran"', () => {
    // The trial: attached without --proxy, the load stopped after ~30 ms (no drill to run), and
    // the generator's account of it ("achieved 0/s of 455/s requested ...: use --workers 3") was false.
    const cutOff: DrillEvidence['generator'] = { ok: false, reasons: ['achieved 0/s of 455/s requested (generator CPU 100% of a core): use --workers 3'] };
    const down = drill('payments-down');
    assert.ok(down.degraded, 'the fixture drill declares degraded objectives');
    const v = judgeDrill(contract, evidence(down, { applied: { ok: false, reason: 'sloctl attached and cannot set PAYMENTS_URL', fix: 'pass --proxy payments=127.0.0.1:18081' }, generator: cutOff, removed: { ok: true, detail: 'nothing was applied' } }));
    assert.equal(v.outcome, 'inconclusive');
    assert.equal(v.notRun, true);
    assert.deepEqual(v.reasons, ['the fault could not be applied: sloctl attached and cannot set PAYMENTS_URL; pass --proxy payments=127.0.0.1:18081']);
    assert.deepEqual(v.steady, { met: undefined, checks: [] });
    assert.deepEqual(v.during, { judged: false, checks: [], why: 'the fault never ran' });
    const report = judgeDrills(contract, [v]);
    const table = renderDrillTable({ ...report, outcome: 'inconclusive', exitCode: 4, contractFile: 'slo.yaml', startedAt: 0, finishedAt: 0, target: { url: 'http://127.0.0.1:3000', started: false, reached: true }, profile: { rate: 50, warmupMs: 1000, steadyMs: 3000, connections: 8, sliceMs: 500 }, journal: 'j.jsonl' });
    assert.doesNotMatch(table, /generator|workers|no degraded objectives|not recovered|not seen/, table);
    assert.match(table, /payments-down {2}.* - {2}.*INCONCLUSIVE/);
    assert.match(table, /not run: the fault never ran, so nothing was judged \(steady state, degraded objectives, detection, recovery\)/);
    assert.match(table, /payments-down: the fault could not be applied: .*pass --proxy payments=127\.0\.0\.1:18081/);
    assert.equal(duringText(v), 'not judged (the fault never ran)');
    // A drill that ran without degraded objectives still says so.
    const ran = judgeDrill(contract, evidence({ ...drill('payments-slow'), degraded: undefined }, graceful));
    assert.equal(duringText(ran), 'not judged (no degraded objectives)');
  });

  it('is inconclusive when the service misses its objectives before the fault', () => {
    const v = verdict('payments-slow', { ...graceful, behave: (t, r) => [{ n: PER_SLICE, latencyMs: r === 'create-order' && t < FAULT ? 400 : 40, status: 200 }] });
    assert.equal(v.outcome, 'inconclusive');
    assert.equal(v.steady.met, false);
    assert.match(v.reasons[0], /^the service missed latency 300 ms \(50% within, objective 99%\) before the fault; a drill on a failing service proves nothing: make `sloctl gate` pass first$/);
    assert.ok(Number.isNaN(v.score));
  });

  it('is inconclusive when health was not UP before the fault, or the generator fell short', () => {
    const h = verdict('payments-slow', { ...graceful, health: () => 'degraded' });
    assert.equal(h.outcome, 'inconclusive');
    assert.equal(h.reasons[0], "the service's health was DEGRADED at the last probe before the fault (failing: payments); a drill on a failing service proves nothing: make `sloctl gate` pass first");
    const g = verdict('payments-slow', { ...graceful, generator: { ok: false, reasons: ['achieved 61/s of 100/s: use --workers 2'] } });
    assert.equal(g.outcome, 'inconclusive');
    assert.match(g.reasons[0], /did not deliver the load.*achieved 61\/s of 100\/s/);
  });

  it('a generator that only sent late in the drill\'s window: a drill that held everything passes, noted; a failure the lag could cause is INCONCLUSIVE, saying what failed; a fault left in place still fails', () => {
    const lag: DrillEvidence['generator'] = { ok: false, passStands: true, reasons: ['30 sends (2% of the 1500 in this drill\'s window) left more than 20 ms after their intended time, worst 90 ms'] };
    const p = verdict('payments-slow', { ...graceful, generator: lag });
    assert.equal(p.outcome, 'pass');
    assert.ok(p.reasons.some((r) => /^note: judged although the load generator lagged \(a lag only makes the service look worse\): 30 sends \(2%/.test(r)), p.reasons.join(' | '));
    assert.ok(Number.isFinite(p.score));
    // Health that never says DEGRADED: detection missed, a FAIL without the lag (the control)...
    const unseen: Options = { ...graceful, health: () => 'up', depUp: () => true };
    const control = verdict('payments-slow', unseen);
    assert.equal(control.outcome, 'fail', control.reasons.join(' | '));
    // ...and not judged with it.
    const f = verdict('payments-slow', { ...unseen, generator: lag });
    assert.equal(f.outcome, 'inconclusive');
    assert.match(f.reasons[0], /^the load generator lagged in this drill's window, which could have caused what failed, so it is not judged: 30 sends/);
    assert.deepEqual(f.reasons.slice(1), control.reasons.map((r) => `failed under the lag: ${r}`));
    assert.ok(Number.isNaN(f.score));
    const left = verdict('payments-slow', { ...graceful, generator: lag, removed: { ok: false, detail: 'proxy drill-payments still holds latency_downstream' } });
    assert.equal(left.outcome, 'fail', 'no lag leaves a fault in place');
  });

  it('fails a drill whose fault was left in place', () => {
    const v = verdict('payments-slow', { ...graceful, removed: { ok: false, detail: 'proxy drill-payments still holds latency_downstream' } });
    assert.equal(v.outcome, 'fail');
    assert.deepEqual(v.reasons, ['the fault was still in place after removal: proxy drill-payments still holds latency_downstream']);
    assert.equal(v.score, 0.75);
  });

  it('leaves the during window unjudged without degraded objectives, and says so on a pass', () => {
    const v = verdict('payments-dark', { ...graceful, depUp: (t) => !inFault(t) });
    assert.equal(v.outcome, 'pass', v.reasons.join('\n'));
    assert.equal(v.during.judged, false);
    assert.deepEqual(v.during.checks, []);
    assert.match(v.reasons[0], /not judged: the drill declares no `degraded` objectives/);
    assert.equal(v.score, 1); // detection, recovery, removal
  });
});

describe('judgeDrills', () => {
  it('scores the judged drills and leaves inconclusive ones out', () => {
    const pass = verdict('payments-slow', graceful); // 1
    const late = verdict('payments-slow', { ...graceful, health: (t) => (t >= 28_000 && t < REMOVED ? 'degraded' : 'up') }); // 3 of 4
    const blind = verdict('payments-dark', { service: false, trafficRate: () => 20 }); // detection failed; recovery and removal held: 2 of 3
    const unrun = judgeDrill(contract, evidence(drill('payments-down'), { applied: { ok: false, reason: 'r', fix: 'f' } }));
    assert.equal(blind.score, 2 / 3);
    const report = judgeDrills(contract, [pass, late, blind, unrun]);
    assert.equal(report.service, 'checkout');
    assert.equal(report.outcome, 'fail');
    assert.ok(Math.abs(report.resilienceScore - (100 * (1 + 0.75 + 2 / 3)) / 3) < 1e-9, String(report.resilienceScore));
    assert.equal(report.scoreRule, SCORE_RULE);
    assert.ok(report.reasons.some((r) => r.startsWith('payments-down: the fault could not be applied')));
    assert.ok(!report.reasons.some((r) => r.startsWith('payments-slow: during the fault: not judged')));
  });

  it('judges evidence it is given, and is inconclusive with no judged drill', () => {
    const ok = judgeDrills(contract, [evidence(drill('payments-slow'), graceful)]);
    assert.equal(ok.outcome, 'pass');
    assert.equal(ok.resilienceScore, 100);
    const none = judgeDrills(contract, [evidence(drill('payments-slow'), { applied: { ok: false, reason: 'r', fix: 'f' } })]);
    assert.equal(none.outcome, 'inconclusive');
    assert.ok(Number.isNaN(none.resilienceScore));
  });
});

describe('the service\'s view of a route its metrics do not record under its template', () => {
  it('is not shown as a measurement of the fault: n/a, with a note naming the route (it read 100% beside the client\'s 50%)', () => {
    // A user trial: the service labelled the route that calls the dependency with something other
    // than the template (here a mount prefix it left out of the contract: /api/orders), so its
    // counters held none of the failing requests and its "weighted success" during the fault read
    // 100% beside the client's 38%.
    const down: Options = {
      behave: (t, r) => (inFault(t) && r === 'create-order' ? [{ n: PER_SLICE, latencyMs: 40, status: 503 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
      health: graceful.health,
    };
    const ev = evidence(drill('payments-down'), down);
    ev.service = ev.service.map((snap) => ({
      ...snap,
      routes: new Map([...snap.routes].map(([k, r]) => (r.route === '/orders' ? [`${r.method} /api/orders`, { ...r, route: '/api/orders' }] : [k, r]))),
    }));
    const v = judgeDrill(contract, ev);
    const errors = v.during.checks.find((c) => c.name === 'errors')!;
    assert.ok(errors.client < 0.98, String(errors.client));
    assert.ok(Number.isNaN(errors.service), `service ${errors.service}`);
    const note = v.reasons.find((r) => r.includes("the service's own view of the fault is not shown"));
    assert.ok(note, v.reasons.join('\n'));
    assert.match(note, /its metrics recorded nothing under POST \/orders \(1,000 requests answered to its clients\)/);
    // The same drill with the route labelled as the template: the service's view is shown.
    const labelled = judgeDrill(contract, evidence(drill('payments-down'), down));
    assert.ok(Number.isFinite(labelled.during.checks.find((c) => c.name === 'errors')!.service));
  });
});

describe('a latency failure during a dependency fault that a stall of the machine explains', () => {
  // The landing CI's recommendations-down: clients 98% within 200 ms, the service's own view
  // 99.76%, its event loop over its warn level in the fault. Here: 50 of 2,000 requests in the
  // fault 600 ms at the client (97.5% within 300 ms against 99%), the service's own view 100%.
  const STALLED_AT = 25_000;
  const stalled: Options = {
    behave: (t, r) => (t === STALLED_AT && r === 'get-product' ? [{ n: PER_SLICE, latencyMs: 600, status: 200 }] : [{ n: PER_SLICE, latencyMs: 40, status: 200 }]),
    depUp: (t) => !inFault(t),
    serviceLatencyMs: 40,
  };
  const loop = (ms: number) => (t: number) => (t >= STALLED_AT && t < STALLED_AT + SLICE ? ms : 10);

  it('is not judged when the service\'s loop stalled over its warn level in a fault that cannot stall it, its own view held, and the stall reaches enough requests: INCONCLUSIVE, with the numbers', () => {
    const v = verdict('payments-refused', { ...stalled, eventLoopDelay: loop(450) });
    assert.equal(v.outcome, 'inconclusive', v.reasons.join('\n'));
    assert.equal(v.detection.met, true);
    const latency = v.during.checks.find((c) => c.name.startsWith('latency'))!;
    assert.equal(latency.met, undefined);
    assert.equal(latency.client, 0.975);
    assert.equal(latency.service, 1);
    assert.match(checkText(latency), /^latency 300 ms 97\.5% \/ 100% \(objective 99%, not judged\)$/);
    assert.match(v.reasons.join(' '), /the latency check is not judged: the clients saw 97\.5% within 300 ms \(50 of 2000 over it\) against the 99% the drill requires, but the service's own metrics saw 100%, and its event loop stalled during the fault \(event-loop delay 450 ms at its worst, at or over its warn level 100 ms at 1 scrape\), which a dependency's error fault does not cause by itself/);
    assert.match(v.reasons.join(' '), /the stalls can reach 90 requests, enough to explain the 50/);
  });

  it('stands without a stall, with a stall too short to reach the slow requests, and when the service\'s own view missed too', () => {
    const quiet = verdict('payments-refused', { ...stalled, eventLoopDelay: () => 10 });
    assert.equal(quiet.outcome, 'fail', quiet.reasons.join('\n'));
    assert.match(quiet.reasons.join(' '), /during the fault only 97\.5% of requests finished within 300 ms/);
    // 120 ms reaches 24 requests: 50 - 24 = 26 slow, over the 20 that 99% of 2,000 allows.
    const short = verdict('payments-refused', { ...stalled, eventLoopDelay: loop(120) });
    assert.equal(short.outcome, 'fail', short.reasons.join('\n'));
    const seen = verdict('payments-refused', { ...stalled, serviceLatencyMs: undefined, eventLoopDelay: loop(450) });
    assert.equal(seen.outcome, 'fail', seen.reasons.join('\n'));
    assert.equal(seen.during.checks.find((c) => c.name.startsWith('latency'))!.met, false);
  });
});
