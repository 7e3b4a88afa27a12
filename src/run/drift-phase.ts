// The drift phase `sloctl accept` runs last (issue 13, `objectives.drift`): push one declared drift
// signal past its threshold with a drill, hold a modest load of the contract's mix meanwhile, scrape
// /metrics every 500 ms (the signal's own value as the service exposes it, and
// sloctl_drift_action), remove the fault, and judge (src/verdicts/drift.ts). The I/O lives here;
// the judging is pure.
//
// Which signal. The first declared signal sloctl can push, in-process signals before dependency
// ones: an in-process fault (the SDK's drill endpoint) moves the very number the responder reads
// (the runtime's event-loop delay, utilization, heap, in-flight count), whatever the service's
// code does; a fault on a dependency's proxy moves `errors` or `latency` only through that code,
// and a well-built service absorbs it on purpose (its timeout, breaker and fallback keep errors
// and latency down), which would leave the responder untested. So: eventLoopDelay, then
// eventLoopUtilization, heap, inFlight (contract order among them), then errors, latency.
//
//   eventLoopDelay        event-loop-block, mode sleep: blocks of 1.5 × the threshold (at least
//                         threshold + 50 ms) with 100 ms free between them, so every responder
//                         window's p99 (10 ms resolution: ~1 long sample in 11) is a block; sleep
//                         (Atomics.wait) blocks the loop without burning a core on a shared machine.
//   eventLoopUtilization  event-loop-block, mode sleep, busy (threshold + its headroom / 2) of every
//                         second. Not cpu-burn: cpu-burn runs on worker threads and leaves the loop
//                         free by design (src/sdk/drill/cpu-burn.ts), so it cannot move the loop's
//                         utilization; a loop blocked in Atomics.wait counts as busy.
//   heap                  memory-leak, sized from the heap scraped before: reach 1.25 × the threshold
//                         within the first interval, capped at 64 MiB/s and at 80% of the heap
//                         limit (a drill must not kill the service by OOM).
//   inFlight              unsettled-promises, a share of requests held so 1.5 × the threshold are
//                         held within the first interval; the load's timeout is raised
//                         past the window, so the held requests are answered at the removal and
//                         are not counted lost (the fault holds them, not the responder).
//   errors                an http_error 503 toxic on a critical dependency's proxy.
//   latency               a latency toxic of 2 × the threshold on a critical dependency's proxy.
//
// How long: evaluations × interval + 2 intervals (the judge's allowance), capped at 60 s.
// Everything applied is registered with the Rollback at once and removed in a finally.
import { performance } from 'node:perf_hooks';
import type { Contract } from '../contract/schema.ts';
import { HEALTH_WINDOW_DEFAULT_MS } from '../sdk/core/health.ts';
import { wait } from '../faults/wait.ts';
import { HTTP_ROLES, NODE_RUNTIME_ROLES } from '../contract/metric-names.ts';
import type { FaultProxy } from '../faults/index.ts';
import type { ToxicSpec } from '../faults/proxy.ts';
import { runLoad } from '../load/run.ts';
import { phaseSeed } from '../load/prng.ts';
import type { LoadResult } from '../load/types.ts';
import type { MetricFamily } from '../observe/exposition.ts';
import { checkTargetUrl } from '../observe/scraper.ts';
import { DrillClient } from '../sdk/drill/client.ts';
import type { FaultName } from '../sdk/drill/types.ts';
import { MAX_HOLD_DOUBLINGS } from '../sdk/drift/decide.ts';
import { histogramQuantile } from '../sdk/drift/signals.ts';
import {
  judgeDrift, type DriftExposure, type DriftFault, type DriftObjectiveInput, type DriftRequestSlice, type DriftSample, type DriftSignalSpec, type DriftVerdict,
} from '../verdicts/drift.ts';
import { scrapeFamilies } from './observability-phase.ts';
import { gateProfile } from './profile.ts';
import type { Rollback } from './rollback.ts';
import { EXAMPLE_CONTRACT } from '../contract/example-path.ts';

export interface DriftPhaseOptions {
  contract: Contract;
  /** The service's base URL (loopback unless allowRemote). */
  url: string;
  allowRemote?: boolean;
  /** Pass-through proxies by dependency name (accept owns them: toxics are added and removed, never the proxies). */
  proxies?: ReadonlyMap<string, FaultProxy>;
  /** The drill token for the SDK's in-process faults; undefined: only proxy faults. */
  token?: string;
  rollback: Rollback;
  /** The contract's load rate (req/s); the phase holds min(rate, 50/s). */
  rate: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  seed?: number;
  /** Caps the fault's window (ms; tests). Default 60 s. */
  maxWindowMs?: number;
  /** Default 500 ms. */
  scrapeIntervalMs?: number;
}

export const DRIFT_SCRAPE_MS = 500;
export const MAX_DRIFT_WINDOW_MS = 60_000;
/** The load the phase holds: enough requests for the errors / latency readers' minimum, little CPU. */
export const DRIFT_MAX_RATE = 50;
/** Scrapes before the fault (the baseline: the action must be 0, the heap read). */
const LEAD_MS = 1000;
/** Observation after the removal: one more scrape. */
const TAIL_MS = 750;
const MAX_LEAK_BYTES_PER_SECOND = 64 * 1024 * 1024;

type Plan =
  | { kind: 'in-process'; spec: DriftSignalSpec; fault: FaultName; params: (ctx: { heapUsed?: number; heapLimit?: number }) => Record<string, number | string> }
  | { kind: 'proxy'; spec: DriftSignalSpec; dependency: string; proxy: FaultProxy; toxic: ToxicSpec };

const IN_PROCESS: ReadonlySet<string> = new Set(['eventLoopDelay', 'eventLoopUtilization', 'heap', 'inFlight']);
const ORDER = ['eventLoopDelay', 'eventLoopUtilization', 'heap', 'inFlight', 'errors', 'latency'];

/**
 * The fault window for a signal: the time to push it over (one interval, or `reachMs` when longer),
 * then evaluations × interval and one interval for the responder's phase; capped.
 */
export function driftWindowMs(interval: number, evaluations: number, cap = MAX_DRIFT_WINDOW_MS, reachMs = interval): number {
  return Math.min(cap, Math.max(interval, reachMs) + evaluations * interval + interval);
}

/**
 * How long the phase's load takes to push a signal over its threshold, when that depends on the
 * load: in-flight requests held at `rate` a second reach `threshold` + 1 after (threshold + 1) /
 * rate seconds (with a quarter more for an uneven start). A Hono trial's `inFlight: 30` at 250 ms
 * intervals got a 1 s window at the capped 50 req/s, crossed after it or not at all, and read
 * INCONCLUSIVE ("never crossed") with nothing a user could change. Other signals: one interval.
 */
export function driftReachMs(spec: DriftSignalSpec, interval: number, rate: number): number {
  if (spec.signal !== 'inFlight') return interval;
  return Math.ceil((((spec.threshold + 1) / Math.max(1, rate)) * 1000) * 1.25);
}

/** The signal to push and how, or why none can be (pure; exported for tests). */
export function planDrift(o: Pick<DriftPhaseOptions, 'contract' | 'token' | 'proxies' | 'rate'>, windowMs: (s: DriftSignalSpec) => number): { plan?: Plan; unpushable: Array<{ signal: string; why: string }> } {
  const drift = o.contract.objectives.drift!;
  const specs = drift.signals as readonly DriftSignalSpec[];
  const unpushable: Array<{ signal: string; why: string }> = [];
  const go = o.contract.service.runtime === 'go';
  const sorted = [...specs].sort((a, b) => ORDER.indexOf(a.signal) - ORDER.indexOf(b.signal));
  const rate = Math.min(o.rate, DRIFT_MAX_RATE);
  for (const spec of sorted) {
    if (IN_PROCESS.has(spec.signal)) {
      if (go) { unpushable.push({ signal: spec.signal, why: 'a Go service has no in-process drill endpoint' }); continue; }
      if (o.token === undefined) { unpushable.push({ signal: spec.signal, why: 'no drill token: start the service with SLOCTL_DRILL_TOKEN (accept does when it starts it)' }); continue; }
      // Heap and in-flight are pushed to cross within the first interval (or half the window,
      // when capped shorter): the window leaves evaluations × interval + one interval after that,
      // so a responder that never acts is seen past its deadline (a FAIL), not cut short.
      const reachMs = Math.min(windowMs(spec) / 2, drift.interval);
      switch (spec.signal) {
        case 'eventLoopDelay': {
          const blockMs = Math.ceil(Math.max(spec.threshold * 1.5, spec.threshold + 50));
          return { unpushable, plan: { kind: 'in-process', spec, fault: 'event-loop-block', params: () => ({ blockMs, everyMs: blockMs + 100, mode: 'sleep' }) } };
        }
        case 'eventLoopUtilization': {
          if (spec.threshold >= 0.99) { unpushable.push({ signal: spec.signal, why: `a threshold of ${spec.threshold * 100}% leaves no room for a block with a free turn` }); continue; }
          const everyMs = 1000;
          const blockMs = Math.min(everyMs - 10, Math.ceil((spec.threshold + (1 - spec.threshold) / 2) * everyMs));
          return { unpushable, plan: { kind: 'in-process', spec, fault: 'event-loop-block', params: () => ({ blockMs, everyMs, mode: 'sleep' }) } };
        }
        case 'heap':
          return {
            unpushable,
            plan: {
              kind: 'in-process', spec, fault: 'memory-leak',
              params: ({ heapUsed = 0, heapLimit }) => {
                const safe = heapLimit !== undefined ? heapLimit * 0.8 - heapUsed : Infinity;
                const want = Math.max(1024 * 1024, spec.threshold * 1.25 - heapUsed);
                const maxBytes = Math.max(1024 * 1024, Math.floor(Math.min(want, safe)));
                const bytesPerSecond = Math.min(MAX_LEAK_BYTES_PER_SECOND, Math.ceil(maxBytes / Math.max(0.25, reachMs / 1000)));
                return { bytesPerSecond, maxBytes };
              },
            },
          };
        case 'inFlight': {
          const share = Math.min(1, (spec.threshold * 1.5) / Math.max(1, rate * (reachMs / 1000)));
          return { unpushable, plan: { kind: 'in-process', spec, fault: 'unsettled-promises', params: () => ({ share: +share.toFixed(3), maxPending: Math.ceil(spec.threshold * 3) + 10 }) } };
        }
      }
    }
    // errors / latency: a critical dependency with a proxy in front of it.
    const deps = o.contract.dependencies.filter((d) => d.critical);
    const dep = deps.find((d) => o.proxies?.has(d.name));
    if (!dep) {
      unpushable.push({ signal: spec.signal, why: deps.length === 0 ? 'no critical dependency to fault' : `no fault proxy in front of a critical dependency (${deps.map((d) => d.name).join(', ')}: give it a url)` });
      continue;
    }
    const proxy = o.proxies!.get(dep.name)!;
    const toxic: ToxicSpec = spec.signal === 'errors'
      ? { name: 'sloctl_drift_error', type: 'http_error', stream: 'upstream', toxicity: 1, attributes: { status: 503 } }
      : { name: 'sloctl_drift_latency', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: Math.ceil(spec.threshold * 2), jitter: 0 } };
    return { unpushable, plan: { kind: 'proxy', spec, dependency: dep.name, proxy, toxic } };
  }
  return { unpushable };
}

/** Every sample of the families whose sample name is `name`. */
function samplesOf(families: readonly MetricFamily[], name: string): MetricFamily['samples'] {
  const out: MetricFamily['samples'] = [];
  for (const f of families) for (const s of f.samples) if (s.name === name) out.push(s);
  return out;
}

interface Scrape {
  atMs: number;
  families: readonly MetricFamily[];
}

/**
 * The signal's value per scrape, as the service exposes it, in the threshold's unit. Gauges read
 * directly; errors and latency are rates, computed from counter deltas over the window the
 * responder reads (errors: the health window; latency: one interval).
 */
export function signalSeries(contract: Contract, spec: DriftSignalSpec, scrapes: readonly Scrape[]): { series: DriftSample[]; source: string } {
  const m = (contract.metrics ?? {}) as Record<string, string | undefined>;
  const gauge = (name: string, scale: number, combine: 'max' | 'sum') => ({
    source: name,
    series: scrapes.flatMap((s) => {
      const v = samplesOf(s.families, name).map((x) => x.value).filter(Number.isFinite);
      if (v.length === 0) return [];
      return [{ atMs: s.atMs, value: (combine === 'max' ? Math.max(...v) : v.reduce((a, b) => a + b, 0)) * scale }];
    }),
  });
  switch (spec.signal) {
    case 'eventLoopDelay': return gauge(m.eventLoopDelay ?? NODE_RUNTIME_ROLES.eventLoopDelay.name, 1000, 'max');
    case 'eventLoopUtilization': return gauge(m.eventLoopUtilization ?? NODE_RUNTIME_ROLES.eventLoopUtilization.name, 1, 'max');
    case 'heap': return gauge(m.heapUsed ?? NODE_RUNTIME_ROLES.heapUsed.name, 1, 'sum');
    case 'inFlight': return gauge(m.inFlight ?? HTTP_ROLES.inFlight.name, 1, 'sum');
    case 'errors': {
      // The responder's errors signal reads the SDK's health window: the contract's, else the default.
      const errorsWindowMs = contract.health?.window ?? HEALTH_WINDOW_DEFAULT_MS;
      const name = m.requests ?? HTTP_ROLES.requests.name;
      const weightName = m.errorClassWeight ?? HTTP_ROLES.errorClassWeight.name;
      const declared = new Map(contract.errorClasses.map((c) => [c.name, c.good ? 0 : c.weight]));
      const totals = scrapes.map((s) => {
        const weights = new Map(samplesOf(s.families, weightName).map((x) => [x.labels.error_class, x.labels.good === 'true' ? 0 : x.value]));
        let total = 0;
        const byClass = new Map<string, number>();
        for (const x of samplesOf(s.families, name.endsWith('_total') ? name : `${name}_total`)) {
          total += x.value;
          const c = x.labels.error_class ?? 'none';
          byClass.set(c, (byClass.get(c) ?? 0) + x.value);
        }
        return { atMs: s.atMs, total, byClass, weights };
      });
      const series: DriftSample[] = [];
      for (let i = 0; i < totals.length; i++) {
        const now = totals[i];
        // The scrape at or before now - window (the first one when the run is shorter).
        let j = 0;
        while (j + 1 < i && totals[j + 1].atMs <= now.atMs - errorsWindowMs) j++;
        const then = totals[j];
        const total = now.total - then.total;
        if (i === j || total < 20) continue;
        let weighted = 0;
        for (const [c, v] of now.byClass) {
          if (c === 'none') continue;
          const w = now.weights.get(c) ?? declared.get(c) ?? 1;
          weighted += (v - (then.byClass.get(c) ?? 0)) * w;
        }
        series.push({ atMs: now.atMs, value: Math.min(1, Math.max(0, weighted / total)) });
      }
      return { source: `${name} weighted by ${weightName}`, series };
    }
    case 'latency': {
      const base = m.requestDuration ?? HTTP_ROLES.requestDuration.name;
      const objective = spec.objective !== undefined ? contract.objectives.latency?.find((o) => o.name === spec.objective) : undefined;
      const q = objective?.objective ?? 0.99;
      const routeKeys = objective?.routes === undefined ? undefined : new Set(contract.routes.filter((r) => objective.routes!.includes(r.name)).map((r) => `${r.method} ${r.path}`));
      const interval = contract.objectives.drift!.interval;
      const buckets = scrapes.map((s) => {
        const b = new Map<number, number>();
        for (const x of samplesOf(s.families, `${base}_bucket`)) {
          if (routeKeys !== undefined && !routeKeys.has(`${x.labels.method} ${x.labels.route}`)) continue;
          const le = x.labels.le === '+Inf' ? Infinity : Number(x.labels.le) * 1000;
          b.set(le, (b.get(le) ?? 0) + x.value);
        }
        return { atMs: s.atMs, b };
      });
      const series: DriftSample[] = [];
      for (let i = 1; i < buckets.length; i++) {
        let j = i - 1;
        while (j > 0 && buckets[j].atMs > buckets[i].atMs - interval) j--;
        const now = buckets[i].b;
        const then = buckets[j].b;
        const bounds = [...now.keys()].sort((a, b) => a - b);
        const delta = bounds.map((le) => [le, (now.get(le) ?? 0) - (then.get(le) ?? 0)] as const);
        if ((delta.at(-1)?.[1] ?? 0) < 20) continue;
        const v = histogramQuantile(q, delta);
        if (v !== undefined) series.push({ atMs: buckets[i].atMs, value: v });
      }
      return { source: `${base} p${+(q * 100).toFixed(2)}`, series };
    }
  }
}

/** Thrown inside the phase's try to skip to its end (nothing applied). */
class SkipPhase extends Error {}

/** Node SDK families the Go middleware and other instrumentations do not export. */
const NODE_SDK_ONLY = ['sloctl_shed_total', 'sloctl_drill_faults_active', 'sloctl_concurrency_limit', 'nodejs_eventloop_utilization', 'nodejs_heap_size_limit_bytes'];

export async function driftPhase(o: DriftPhaseOptions): Promise<DriftVerdict> {
  const drift = o.contract.objectives.drift;
  if (!drift) throw new Error(`driftPhase: the contract has no objectives.drift; add one (see ${EXAMPLE_CONTRACT}) or skip this phase`);
  const log = o.log ?? (() => {});
  const base = checkTargetUrl(o.url, o.allowRemote === true, 'push a drift signal on');
  const metricsUrl = checkTargetUrl(new URL(o.contract.target?.metrics ?? '/metrics', base).href, o.allowRemote === true, 'scrape').href;
  const scrapeMs = o.scrapeIntervalMs ?? DRIFT_SCRAPE_MS;
  const objective: DriftObjectiveInput = { interval: drift.interval, action: drift.action, maxLost: drift.maxLost, signals: drift.signals as readonly DriftSignalSpec[] };
  const windowOf = (s: DriftSignalSpec) => driftWindowMs(drift.interval, s.evaluations, o.maxWindowMs ?? MAX_DRIFT_WINDOW_MS, driftReachMs(s, drift.interval, Math.min(o.rate, DRIFT_MAX_RATE)));
  const { plan, unpushable } = planDrift(o, windowOf);
  const runtime = o.contract.service.runtime;
  const empty = { scrapeIntervalMs: scrapeMs, signalSeries: [], actionSeries: {}, exposure: 'none' as DriftExposure, runtime, requests: [], windowEndMs: 0 };
  if (!plan || runtime === 'go') return judgeDrift({ objective, unpushable, ...empty });
  const spec = plan.spec;
  const windowMs = windowOf(spec);

  // One clock for everything: performance's epoch axis, which is the one the load's onStart and
  // slices use (LoadOptions.onStart), so slices, scrapes and the fault line up.
  const now = () => performance.timeOrigin + performance.now();
  const stop = new AbortController();
  const onAbort = () => stop.abort(new Error('interrupted'));
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const scrapes: Array<{ at: number; families: readonly MetricFamily[] }> = [];
  const scrapeErrors: string[] = [];
  let scrapeTimer: NodeJS.Timeout | undefined;
  let scraping: Promise<void> | undefined;
  const scrapeOnce = async () => {
    const r = await scrapeFamilies(metricsUrl, 2000);
    // Stamped when the answer came: a blocked loop answers late, and what it says is how things
    // stood then (the signal and the action alike, so the delay between them keeps its sign).
    const at = now();
    if (r.ok) scrapes.push({ at, families: r.families as unknown as MetricFamily[] });
    else scrapeErrors.push(r.error);
  };
  const loop = () => {
    scrapeTimer = setTimeout(() => {
      scraping = scrapeOnce().finally(() => {
        scraping = undefined;
        if (scrapeTimer !== undefined) loop();
      });
    }, scrapeMs);
  };

  let faultAt: number | undefined;
  let removedAt: number | undefined;
  let fault: DriftFault | undefined;
  let applyError: string | undefined;
  let sdkAnswered = false;
  let thrown: { e: unknown } | undefined;
  let undo: (() => Promise<void>) | undefined;
  let forget: (() => void) | undefined;
  let load: LoadResult | undefined;
  let loadRun: Promise<void> | undefined;
  let loadStartedAt: number | undefined;
  const profile = gateProfile(o.contract, { rate: Math.max(1, Math.min(o.rate, DRIFT_MAX_RATE)) });
  if (typeof profile === 'string') throw new Error(`driftPhase: ${profile}`);
  const rate = profile.rate as number;
  // unsettled-promises holds requests until its removal: they must not time out as lost, and each
  // holds a connection (HTTP/1.1), so the pool must hold more than the threshold for in-flight to pass it.
  const holds = plan.kind === 'in-process' && plan.fault === 'unsettled-promises';
  const connections = holds ? Math.min(1000, Math.max(profile.connections, Math.ceil(spec.threshold * 2) + 16)) : Math.min(profile.connections, 32);
  const timeoutMs = holds ? Math.max(profile.timeoutMs, windowMs + 5000) : profile.timeoutMs;

  await scrapeOnce();
  // A service whose response sloctl cannot see (no sloctl_drift_action and not the Node SDK: a Go
  // service, another instrumentation) is not faulted for nothing: the verdict would be
  // INCONCLUSIVE whatever the fault did.
  const first = scrapes.at(-1)?.families;
  if (first !== undefined && !first.some((f) => f.name === 'sloctl_drift_action') && (!first.some((f) => NODE_SDK_ONLY.includes(f.name)))) {
    o.signal?.removeEventListener('abort', onAbort);
    return judgeDrift({ objective, signal: spec, ...empty, exposure: 'none', interrupted: o.signal?.aborted === true });
  }
  // The action may still be in force from an earlier phase (a drill blocked the loop): wait for
  // the responder to relax it (its own evaluations under 0.9 × the threshold), or the response to
  // this fault could not be timed. An action that came back soon after a lift (the drills, then
  // the dependency timeouts, each tripping it) waits up to 2^MAX_HOLD_DOUBLINGS times as many
  // recovered evaluations before its next lift (src/sdk/drift/decide.ts): wait for that too.
  const activeNow = () => samplesOf(scrapes.at(-1)?.families ?? [], 'sloctl_drift_action').some((x) => x.labels.action === drift.action && x.value >= 0.5);
  if (activeNow() && drift.action !== 'drain') {
    const waitMs = Math.min(MAX_DRIFT_WINDOW_MS, (2 ** MAX_HOLD_DOUBLINGS * Math.max(...drift.signals.map((x) => x.evaluations)) + 2) * drift.interval);
    log(`drift: the ${drift.action} is still in force from before; waiting up to ${Math.round(waitMs / 1000)} s for the responder to relax it`);
    const end = now() + waitMs;
    while (activeNow() && now() < end && !stop.signal.aborted) {
      await wait(scrapeMs, stop.signal);
      await scrapeOnce();
    }
  }
  const skip = activeNow() || stop.signal.aborted;

  try {
    if (skip) throw new SkipPhase();
    let started!: () => void;
    const startedP = new Promise<void>((r) => { started = r; });
    loadRun = runLoad({
      url: base.href, requests: profile.requests, stages: [{ rate, durationMs: LEAD_MS + windowMs + TAIL_MS }],
      connections, timeoutMs, workers: 1, seed: phaseSeed(o.seed ?? 1, 13), allowRemote: o.allowRemote,
      signal: stop.signal, sliceMs: 250,
      onStart: (t) => { loadStartedAt = t; started(); },
    }).then((r) => { load = r; }, (e: unknown) => { applyError ??= `the load failed: ${(e as Error).message}`; }).finally(() => started());
    await startedP;
    loop();
    await wait(LEAD_MS, stop.signal);

    if (!stop.signal.aborted) {
      const durationMs = windowMs + 2000;
      if (plan.kind === 'in-process') {
        const client = new DrillClient({ url: base, token: o.token!, timeoutMs: 3000, healthPath: o.contract.target?.health });
        const last = scrapes.at(-1)?.families ?? [];
        const heapUsed = samplesOf(last, o.contract.metrics?.heapUsed ?? NODE_RUNTIME_ROLES.heapUsed.name)[0]?.value;
        const heapLimit = samplesOf(last, NODE_RUNTIME_ROLES.heapLimit.name)[0]?.value;
        const params = plan.params({ heapUsed, heapLimit });
        try {
          faultAt = now();
          // Its own duration is the backstop: if sloctl dies, the fault expires by itself.
          const state = await client.apply(plan.fault, params as never, durationMs);
          sdkAnswered = true;
          const id = state.id;
          undo = async () => { await client.remove(id); };
          forget = o.rollback.add(`remove the drift fault ${plan.fault} (${id}) from the service`, undo);
          fault = { kind: 'in-process', name: plan.fault, params: state.params ?? params, durationMs: windowMs };
          log(`drift: ${plan.fault} ${JSON.stringify(state.params ?? params)} for ${Math.round(windowMs / 1000)} s to push ${spec.signal} past ${spec.threshold}`);
        } catch (e) {
          applyError = `${plan.fault} could not be applied through the drill endpoint: ${(e as Error).message}`;
          faultAt = undefined;
          // Nothing to observe: the load stops now.
          stop.abort(new Error(applyError));
        }
      } else {
        faultAt = now();
        const active = plan.proxy.addToxic(plan.toxic);
        const name = active.name;
        undo = async () => { plan.proxy.removeToxic(name); };
        forget = o.rollback.add(`remove the drift toxic ${name} from the proxy of ${plan.dependency}`, undo);
        fault = { kind: 'proxy', name: plan.toxic.type, params: plan.toxic.attributes as Record<string, number | string>, dependency: plan.dependency, durationMs: windowMs };
        log(`drift: ${plan.toxic.type} on the proxy of ${plan.dependency} for ${Math.round(windowMs / 1000)} s to push ${spec.signal} past ${spec.threshold}`);
      }
      if (faultAt !== undefined) {
        await wait(windowMs, stop.signal);
        removedAt = now();
      }
    }
  } catch (e) {
    // Anything else is rethrown once the load and the scrapes are stopped (below).
    if (!(e instanceof SkipPhase)) {
      thrown = { e };
      stop.abort(e);
    }
  } finally {
    if (undo) {
      try {
        await undo();
      } catch (e) {
        // The drain action ends the service: a fault it took with it needs no removing.
        if (drift.action !== 'drain') log(`drift: removing the fault failed: ${(e as Error).message}`);
      }
      forget?.();
    }
  }
  // One more scrape after the removal, then the load's tail; the load is stopped if interrupted.
  if (!skip) await wait(TAIL_MS, stop.signal);
  if (scrapeTimer !== undefined) clearTimeout(scrapeTimer);
  scrapeTimer = undefined;
  await scraping;
  // The load ends with its stage (plus the answers still due, at most its timeout); an interrupt stops it.
  await loadRun;
  o.signal?.removeEventListener('abort', onAbort);
  if (thrown) throw thrown.e;

  const interrupted = o.signal?.aborted === true;
  const origin = faultAt ?? removedAt ?? now();
  const rel = scrapes.map((s) => ({ atMs: s.at - origin, families: s.families }));
  const actionSeries: Record<string, DriftSample[]> = {};
  let gaugeSeen = false;
  for (const s of rel) {
    for (const x of samplesOf(s.families, 'sloctl_drift_action')) {
      gaugeSeen = true;
      (actionSeries[x.labels.action ?? ''] ??= []).push({ atMs: s.atMs, value: x.value });
    }
  }
  // The drain action: whether the SDK had a server to drain (its last reading; the service may be gone after).
  let drainServer: boolean | undefined;
  for (const s of rel) for (const x of samplesOf(s.families, 'sloctl_drain_server')) drainServer = x.value >= 0.5;
  const sdkSeen = sdkAnswered || rel.some((s) => s.families.some((f) => NODE_SDK_ONLY.includes(f.name)));
  const exposure: DriftExposure = gaugeSeen ? 'gauge' : sdkSeen ? 'sdk-without-responder' : 'none';
  const { series, source } = signalSeries(o.contract, spec, rel);
  const slices: DriftRequestSlice[] = (load?.slices ?? []).map((sl) => {
    const statuses: Record<string, number> = {};
    const errors: Record<string, number> = {};
    let sent = 0;
    for (const r of sl.routes) {
      sent += r.sent;
      for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    }
    return { atMs: (loadStartedAt ?? origin) + sl.startMs - origin, sent, statuses, errors };
  });
  const windowEndMs = rel.length > 0 ? rel[rel.length - 1].atMs : 0;
  const scrapeNote = scrapeErrors.length > 0 && series.length === 0 ? `; the scrapes failed: ${scrapeErrors[0]}` : '';
  return judgeDrift({
    objective, signal: spec, ...(fault ? { fault } : {}), scrapeIntervalMs: scrapeMs,
    signalSeries: series, signalSource: source, actionSeries, exposure, runtime, requests: faultAt === undefined ? [] : slices, windowEndMs,
    interrupted, ...(drainServer !== undefined ? { drainServer } : {}), ...(applyError !== undefined && faultAt === undefined && !interrupted ? { error: applyError + scrapeNote } : {}),
  });
}
