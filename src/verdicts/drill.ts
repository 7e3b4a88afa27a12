// The drill judge: what a resilience drill proved about the service. Pure: evidence in (the
// runner's measurements on one timeline, drill-types.ts), verdict out; no clock, no I/O.
//
// The rules (the product's definition of a drill verdict):
// - Windows. Client numbers come from the load generator's slices (requests by intended send
//   time): a slice belongs to a window when it lies inside it (when none does, the slices whose
//   middle does). Latency share = requests answered within the threshold / requests (a failure
//   without an answer is never within); errors = weighted success under the contract's error
//   classes (client-view.ts). Service numbers come from the difference of the first and the last
//   scrape inside the window (NaN when fewer than two, or no bucket layout to read).
// - Steady [steadyFromMs, faultAtMs − guard): every latency objective of the contract (its threshold
//   and objective, route overrides included) and the errors objective hold on the client view, and
//   health is UP at the last probe before the fault. Otherwise the drill is INCONCLUSIVE: a drill
//   on a service that already misses its objectives proves nothing. The guard (steadyGuardMs) is
//   one slice or the route's latency threshold, whichever is larger: slices hold requests by
//   INTENDED send time, so the last ones before the fault are still in flight (or sent late by a
//   busy generator) when it is applied, and their errors are the fault's, not the steady state's.
//   The runner schedules the guard on top of --steady, so the judged window keeps its length.
// - During [faultAtMs, removedAtMs): judged only when the drill declares `degraded`. Its latency
//   {threshold, objective} over all routes and its errors objective; the client view decides, the
//   service view is shown (a disagreement is said). The routes that missed are listed, those that
//   call the attacked dependency first.
// - Detection: the first of the service's own signals at or after the fault's start, while the
//   fault is in place: a health probe not UP; a dependency gauge down; a saturation signal at or
//   over the contract's warn level for two consecutive scrapes in the fault, dated at the second
//   (one spike on a busy machine is no detection; never when it was at it at the last sample
//   before the fault; for a dependency's fault only inFlight and handles, and only when the fault
//   is slow: latency, blackhole, bandwidth); an error class of the
//   service's counters rising: at least DETECT_MIN_EVENTS events in one scrape interval at a rate
//   over max(2 × its steady rate, its steady rate + 1/s). ms = sample time − fault start, met when
//   ms ≤ detectWithin; its resolution is the slower of the scrape and probe intervals. Nothing
//   shown while the fault lasted: not detected, failed.
// - Recovery: from the fault's removal, the earliest time from which every sliding window of
//   RECOVERY_WINDOW_MS (whole slices; windows with fewer than RECOVERY_MIN_REQUESTS requests are
//   not evidence) keeps the steady objectives until the end of the watch, and health is UP from
//   then on. ms = that time − removal, met when ms ≤ recoverWithin.
// - Removal: the runner checks that no fault is left in place; one left is a failure.
// - Outcome: INCONCLUSIVE when the fault could not be applied, the load generator under-delivered
//   the profile or dropped sends, no request was measured before the fault, or the steady
//   objectives were missed; else FAIL when a judged check failed, unless the generator sent late
//   in the drill's own window (src/verdicts/window-generator.ts): then INCONCLUSIVE, the lag could
//   have caused it; else PASS, a lag noted (it only makes the service look worse: latency counts
//   from each request's intended send time, and the runner's own probes see the fault later, not
//   sooner. Not covered: a catch-up burst that itself trips a signal the drill watches).
// - Score: per drill, the share of its judged checks (during when judged, detection, recovery,
//   removal) that held; NaN when inconclusive. The report's resilience score is 100 × the mean
//   over the drills that were not inconclusive (NaN when none); its outcome is FAIL when a drill
//   failed, else INCONCLUSIVE when one was, else PASS.
import { normalizeRoutePath } from '../contract/route-paths.ts';
import type { Contract, Dependency, Drill, Route } from '../contract/schema.ts';
import { formatDuration } from '../contract/units.ts';
import { bucketDeltas, goodRatioAtThreshold } from '../engine/histogram.ts';
import { Histogram } from '../measure/histogram.ts';
import { classMarksOf } from '../measure/class-marks.ts';
import type { HistogramJson, LoadSlice, RouteResult } from '../measure/types.ts';
import { classifierOf, clientCounts, routeOf } from './client-view.ts';
import type { DrillEvidence, DrillOutcome, DrillReport, DrillVerdict, HealthSample, ServiceSnapshot, WindowCheck } from './drill-types.ts';
import { formatSuccess, formatValue } from './format.ts';
import { bucketList, type ServiceRoute, type ServiceRoutes } from './service-routes.ts';
import { UNRECORDED_MIN_REQUESTS } from './routes.ts';
import { dependencyStateHint } from './drill-dependency-state.ts';
import { stallWithheld, type LatencyWindow } from './drill-stall.ts';
import { detectingSaturation, faultCanRaise, saturationWarn, SLOW_DEPENDENCY_FAULTS, type SaturationSignal } from './drill-saturation.ts';

/** Sliding window the recovery is judged on, and the fewest requests that make a window evidence. */
export const RECOVERY_WINDOW_MS = 3000;
export const RECOVERY_MIN_REQUESTS = 10;
/** An error class counts as risen in a scrape interval with at least this many events. */
export const DETECT_MIN_EVENTS = 3;

export const SCORE_RULE =
  'resilience score = 100 × the mean, over the drills that could be judged, of each drill’s share of held checks (the during-fault objectives when the drill declares them, detection, recovery, removal); inconclusive drills do not count';

const PROXY_FAULTS: ReadonlySet<string> = new Set(['latency', 'error', 'abort', 'reset', 'blackhole', 'bandwidth']);
const OUTAGES: ReadonlySet<string> = new Set(['error', 'abort', 'reset', 'blackhole']);
const EPS = 1e-9;

type SliceRow = LoadSlice['routes'][number];

const share = (r: number) => (Number.isFinite(r) ? `${+(r * 100).toFixed(1)}%` : 'n/a');
/** A weighted success ratio: below 0% it says 0% and why (format.ts formatSuccess); the number in the verdict is kept. */
const success = (r: number) => (r < 0 ? formatSuccess(r) : share(r));
const ms = (v: number) => formatValue(v, 'ms');
const secs = (v: number) => `${+(v / 1000).toFixed(1)} s`;
const count = (n: number) => Math.round(n).toLocaleString('en-US');
const HEALTH_WORD: Record<HealthSample['state'], string> = { up: 'UP', degraded: 'DEGRADED', down: 'DOWN', unreachable: 'UNREACHABLE' };

// ---------------------------------------------------------------------------------------------
// Client windows

/** The slices of a window: those inside it; when none is (slices wider than the window), those whose middle is. */
function slicesOf(ev: DrillEvidence, from: number, to: number): LoadSlice[] {
  const inside = ev.client.filter((s) => s.startMs >= from - EPS && s.startMs + ev.sliceMs <= to + EPS);
  if (inside.length > 0) return inside;
  return ev.client.filter((s) => s.startMs + ev.sliceMs / 2 >= from && s.startMs + ev.sliceMs / 2 < to);
}

/** The largest latency threshold any latency objective applies to a route (its override first); 0 when none does. */
function routeThreshold(contract: Contract, route: Route | undefined): number {
  let t = 0;
  for (const o of contract.objectives.latency ?? []) {
    if (o.routes !== undefined && !(route !== undefined && o.routes.includes(route.name))) continue;
    t = Math.max(t, route?.latency ?? o.threshold);
  }
  return t;
}

/**
 * How long before the fault the steady window ends (ms): one slice or the route's latency
 * threshold, whichever is larger. A request intended in the last slice before the fault is still
 * in flight (or not yet sent, when the generator runs late) when the fault is applied; counted in
 * the steady window, the fault's own errors and delays would be held against the steady state.
 * Without a route: the largest over every route the contract's objectives cover (the runner
 * schedules this much on top of the steady window, so the window judged keeps its length).
 */
export function steadyGuardMs(contract: Contract, sliceMs: number, routeName?: string): number {
  if (routeName !== undefined) return Math.max(sliceMs, routeThreshold(contract, routeOf(contract, { name: routeName })));
  let t = routeThreshold(contract, undefined);
  for (const r of contract.routes) t = Math.max(t, routeThreshold(contract, r));
  return Math.max(sliceMs, t);
}

/**
 * The steady window's slices: from steadyFromMs to one slice before the fault, each route's row
 * kept only where its slice ends its own guard (steadyGuardMs) before the fault.
 */
function steadySlices(contract: Contract, ev: DrillEvidence): LoadSlice[] {
  const guards = new Map<string, number>();
  const guardOf = (name: string) => {
    let g = guards.get(name);
    if (g === undefined) guards.set(name, (g = steadyGuardMs(contract, ev.sliceMs, name)));
    return g;
  };
  return slicesOf(ev, ev.steadyFromMs, ev.faultAtMs - ev.sliceMs)
    .map((s) => ({ startMs: s.startMs, routes: s.routes.filter((r) => s.startMs + ev.sliceMs <= ev.faultAtMs - guardOf(r.name) + EPS) }))
    .filter((s) => s.routes.length > 0);
}

/**
 * The slices' rows merged per route. The result has RouteResult's shape where the client view
 * reads it (counts, statuses, errors, histogram); the summaries it does not read are left out.
 * Histograms of one layout (the generator's) are merged on their sparse JSON, without building
 * a Histogram (a 190 KB array) per slice and route: the recovery watch merges windows every
 * 250 ms on the thread that relays the fault proxy's traffic.
 */
function mergeRows(slices: readonly LoadSlice[]): RouteResult[] {
  const byName = new Map<string, { row: SliceRow; parts: HistogramJson[] }>();
  for (const s of slices) {
    for (const r of s.routes) {
      const prev = byName.get(r.name);
      if (!prev) {
        byName.set(r.name, { row: { name: r.name, sent: r.sent, completed: r.completed, statuses: { ...r.statuses }, errors: { ...r.errors }, histogram: r.histogram, ...(r.shed ? { shed: r.shed } : {}), ...classMarksOf([r]) }, parts: [r.histogram] });
        continue;
      }
      prev.row.sent += r.sent;
      prev.row.completed += r.completed;
      if (r.shed) prev.row.shed = (prev.row.shed ?? 0) + r.shed;
      if (r.errorClasses) prev.row.errorClasses = classMarksOf([prev.row, r]).errorClasses;
      for (const [k, n] of Object.entries(r.statuses)) prev.row.statuses[k] = (prev.row.statuses[k] ?? 0) + n;
      for (const [k, n] of Object.entries(r.errors)) prev.row.errors[k] = (prev.row.errors[k] ?? 0) + n;
      prev.parts.push(r.histogram);
    }
  }
  // clientCounts takes RouteResult rows and reads only the fields a slice row has.
  return [...byName.values()].map(({ row, parts }) => ({ ...row, histogram: mergeHistograms(parts) }) as RouteResult);
}

/** The merge of serialized histograms: on their sparse counts when they share a layout, else through Histogram. */
function mergeHistograms(parts: readonly HistogramJson[]): HistogramJson {
  if (parts.length === 1) return parts[0];
  const [first] = parts;
  const sameLayout = parts.every((p) => p !== null && typeof p === 'object' && Array.isArray(p.counts) && p.lowestUs === first.lowestUs && p.highestUs === first.highestUs && p.digits === first.digits);
  if (!sameLayout) {
    const h = Histogram.fromJSON(first);
    for (let i = 1; i < parts.length; i++) h.merge(Histogram.fromJSON(parts[i]));
    return h.toJSON();
  }
  const counts = new Map<number, number>();
  let overflow = 0;
  for (const p of parts) {
    for (const [i, c] of p.counts) counts.set(i, (counts.get(i) ?? 0) + c);
    overflow += p.overflow ?? 0;
  }
  // Read back through Histogram.fromJSON by the client view, which checks indexes and counts.
  return { lowestUs: first.lowestUs, highestUs: first.highestUs, digits: first.digits, counts: [...counts].sort((a, b) => a[0] - b[0]), overflow };
}

function covers(contract: Contract, routes: readonly string[] | undefined, row: RouteResult): boolean {
  if (routes === undefined) return true;
  const r = routeOf(contract, row);
  return r !== undefined && routes.includes(r.name);
}

function clientLatency(contract: Contract, rows: readonly RouteResult[], routes: readonly string[] | undefined, threshold: (row: RouteResult) => number): { value: number; total: number } {
  const c = clientCounts(contract, rows.filter((r) => covers(contract, routes, r)), threshold);
  return { value: c.total > 0 ? c.withinThreshold / c.total : NaN, total: c.total };
}

function clientSuccess(contract: Contract, rows: readonly RouteResult[], routes: readonly string[] | undefined): { value: number; total: number; classes: Map<string, number> } {
  const c = clientCounts(contract, rows.filter((r) => covers(contract, routes, r)));
  return { value: c.total > 0 ? 1 - c.errorRatio : NaN, total: c.total, classes: c.classes };
}

function requestsIn(rows: readonly RouteResult[]): number {
  let n = 0;
  for (const r of rows) n += r.completed + Object.values(r.errors).reduce((a, b) => a + b, 0);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Service windows

/** The service's counters over a window: the last scrape inside it minus the first. */
function serviceDelta(ev: DrillEvidence, from: number, to: number): ServiceRoutes | undefined {
  const inside = ev.service.filter((s) => s.atMs >= from - EPS && s.atMs <= to + EPS);
  if (inside.length < 2) return undefined;
  return diffRoutes(inside[0].routes, inside[inside.length - 1].routes);
}

function diffRoutes(a: ServiceRoutes, b: ServiceRoutes): ServiceRoutes {
  const out: ServiceRoutes = new Map();
  for (const [key, r] of b) {
    const p = a.get(key);
    if (!p) {
      out.set(key, r);
      continue;
    }
    const d = bucketDeltas(bucketList(p), bucketList(r));
    // A counter that went down is a restarted process: the later value is itself the increase.
    const reset = d.reset || r.requests < p.requests;
    const classes = new Map<string, number>();
    for (const [c, n] of r.classes) classes.set(c, reset ? n : Math.max(0, n - (p.classes.get(c) ?? 0)));
    out.set(key, { method: r.method, route: r.route, buckets: new Map(d.buckets.map((x) => [x.le, x.count])), requests: reset ? r.requests : r.requests - p.requests, classes });
  }
  return out;
}

function contractRouteOf(contract: Contract, r: ServiceRoute): Route | undefined {
  const path = normalizeRoutePath(r.route);
  return contract.routes.find((c) => c.method === r.method && normalizeRoutePath(c.path) === path);
}

/** Service routes an objective covers: its routes, else every contract route (or every labelled route when the contract lists none). */
function serviceRoutesFor(contract: Contract, delta: ServiceRoutes, routes: readonly string[] | undefined): Array<{ r: ServiceRoute; route?: Route }> {
  const out: Array<{ r: ServiceRoute; route?: Route }> = [];
  for (const r of delta.values()) {
    const route = contractRouteOf(contract, r);
    if (routes !== undefined ? route !== undefined && routes.includes(route.name) : route !== undefined || (contract.routes.length === 0 && r.route !== 'unmatched' && r.route !== 'overflow')) out.push({ r, route });
  }
  return out;
}

function serviceLatency(contract: Contract, delta: ServiceRoutes | undefined, routes: readonly string[] | undefined, threshold: (route: Route | undefined) => number): number {
  if (!delta) return NaN;
  let good = 0;
  let total = 0;
  for (const { r, route } of serviceRoutesFor(contract, delta, routes)) {
    if (r.buckets.size === 0) continue;
    const g = goodRatioAtThreshold(bucketList(r), threshold(route) / 1000);
    if (!Number.isFinite(g.good)) return NaN;
    good += g.good;
    total += g.total;
  }
  return total > 0 ? good / total : NaN;
}

function serviceSuccess(contract: Contract, delta: ServiceRoutes | undefined, routes: readonly string[] | undefined): number {
  return serviceSuccessCounts(contract, delta, routes).value;
}

/** The service's weighted success over a window, with the requests it counted and its bad ones by class (weight above 0). */
function serviceSuccessCounts(contract: Contract, delta: ServiceRoutes | undefined, routes: readonly string[] | undefined): { value: number; total: number; classes: Map<string, number> } {
  const classes = new Map<string, number>();
  if (!delta) return { value: NaN, total: 0, classes };
  const weights = classWeights(contract);
  let total = 0;
  let weighted = 0;
  for (const { r } of serviceRoutesFor(contract, delta, routes)) {
    total += r.requests;
    for (const [c, n] of r.classes) {
      const w = weights.get(c) ?? (c === 'none' ? 0 : 1);
      weighted += w * n;
      if (w > 0 && n > 0) classes.set(c, (classes.get(c) ?? 0) + n);
    }
  }
  return { value: total > 0 ? 1 - weighted / total : NaN, total, classes };
}

/**
 * Of the requests its clients sent in a window (`sent`), the share the service must have counted
 * for a disagreement between the two views to be one of classification, not of requests the
 * service never saw (its window, between two scrapes, and the client's slices do not line up to
 * the request).
 */
const SAW_THEM_ALL = 0.95;

/** The note beside a drill whose two views disagree during the fault: what they said, and why they can differ. */
export function disagreementNote(parts: readonly string[], errors: { client: { total: number; classes: ReadonlyMap<string, number> }; service: { total: number; classes: ReadonlyMap<string, number> } } | undefined, latencyDisagrees: boolean): string {
  const head = `note: the service's own metrics disagree with its clients during the fault: ${parts.join(', ')}`;
  const byClass = (m: ReadonlyMap<string, number>) => (m.size > 0 ? [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c, n]) => `${c} ${count(n)}`).join(', ') : 'no errors');
  if (errors !== undefined && errors.client.total > 0 && errors.service.total >= SAW_THEM_ALL * errors.client.total) {
    const { client, service } = errors;
    const saw = service.total >= client.total ? `all ${count(client.total)} requests its clients sent (it counted ${count(service.total)})` : `${count(service.total)} of the ${count(client.total)} requests its clients sent`;
    const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const extra = sum(service.classes) - sum(client.classes);
    // More errors at the service than error answers at the client: errors recorded on answers
    // that succeeded (a handler that reported its dependency's error and answered from a
    // fallback), which no mark can change: a 200 is a success to the client.
    const onSuccess = extra > 0 && extra >= 0.01 * client.total
      ? `; the service counted ${count(extra)} more errors than its clients got error answers: errors recorded on answers that succeeded (a handler that reported an error, then answered 2xx from a fallback), which the client view counts as successes`
      : '';
    return `${head}; the service saw ${saw}, so the difference is how the requests were classed, not requests it never saw: errors by class, client ${byClass(client.classes)}; service ${byClass(service.classes)}${onSuccess}. `
      + `The client view decides: it classes an answer by its status, unless the service marks the class it gave an error answer (sloctl's SDKs send sloctl-error-class for an error they classed by name, code or cause; other instrumentation, or an SDK before this header, does not)`
      + (latencyDisagrees ? `; on latency it also counts time spent queueing` : '');
  }
  const counted = errors !== undefined && errors.client.total > 0
    ? ` (the service counted ${count(errors.service.total)} of the ${count(errors.client.total)} requests its clients sent)`
    : '';
  return `${head}${counted}; the client view decides (it counts time spent queueing and requests the service never saw)`;
}

function classWeights(contract: Contract): Map<string, number> {
  return new Map(classifierOf(contract).classes.map((c) => [c.class, c.weight]));
}

// ---------------------------------------------------------------------------------------------
// Checks

const ratioCheck = (name: string, objective: number, client: number, service: number): WindowCheck => ({
  name,
  objective,
  unit: 'ratio',
  client,
  service,
  met: Number.isFinite(client) ? client >= objective - EPS : undefined,
});

/** The contract's own objectives over a window of client rows (and the service's counters). */
function contractChecks(contract: Contract, rows: readonly RouteResult[], delta: ServiceRoutes | undefined): WindowCheck[] {
  const out: WindowCheck[] = [];
  for (const o of contract.objectives.latency ?? []) {
    const client = clientLatency(contract, rows, o.routes, (row) => routeOf(contract, row)?.latency ?? o.threshold).value;
    const service = serviceLatency(contract, delta, o.routes, (route) => route?.latency ?? o.threshold);
    out.push(ratioCheck(`latency ${ms(o.threshold)}`, o.objective, client, service));
  }
  const e = contract.objectives.errors;
  if (e) out.push(ratioCheck('errors', e.objective, clientSuccess(contract, rows, e.routes).value, serviceSuccess(contract, delta, e.routes)));
  return out;
}

function checkText(c: WindowCheck): string {
  return c.name === 'errors'
    ? `errors (weighted success ${success(c.client)}, objective ${share(c.objective)})`
    : c.name.startsWith('health')
      ? c.name
      : `${c.name} (${share(c.client)} within, objective ${share(c.objective)})`;
}

// ---------------------------------------------------------------------------------------------
// The verdict

export function judgeDrill(contract: Contract, ev: DrillEvidence): DrillVerdict {
  const drill = ev.drill;
  if (!ev.applied.ok) return notRun(ev, ev.applied);
  const dependency = drill.dependency !== undefined ? contract.dependencies.find((d) => d.name === drill.dependency) : undefined;
  const faultEnd = ev.removedAtMs ?? ev.endMs;
  const reasons: string[] = [];
  const inconclusive: string[] = [];

  // Steady state, ending the guard before the fault (see steadyGuardMs).
  const guardMs = steadyGuardMs(contract, ev.sliceMs);
  const steadyRows = mergeRows(steadySlices(contract, ev));
  const steadyChecks = contractChecks(contract, steadyRows, serviceDelta(ev, ev.steadyFromMs, ev.faultAtMs - guardMs));
  const lastProbe = [...ev.health].reverse().find((h) => h.atMs < ev.faultAtMs);
  if (lastProbe) {
    const up = lastProbe.state === 'up';
    steadyChecks.push({ name: `health ${HEALTH_WORD[lastProbe.state]} at the last probe before the fault${lastProbe.failing.length ? ` (failing: ${lastProbe.failing.join(', ')})` : ''}`, objective: 1, unit: 'ratio', client: NaN, service: up ? 1 : 0, met: up });
  }
  const steadyRequests = requestsIn(steadyRows);
  const steadyMissed = steadyChecks.filter((c) => c.met === false);
  const steadyMet = steadyRequests === 0 ? undefined : steadyMissed.length === 0;

  // A generator that only sent late (passStands) can only have made the service look worse: a
  // drill that held everything passes, one that failed a check is not judged (below). One that
  // under-delivered or dropped sends never showed the service its load: nothing is judged.
  const lagged = !ev.generator.ok && ev.generator.passStands === true;
  const lagText = ev.generator.reasons.join('; ') || 'no reason given';
  if (!ev.generator.ok && !lagged) inconclusive.push(`the load generator did not deliver the load, so the service's answers cannot be judged: ${lagText}`);
  if (steadyRequests === 0) {
    inconclusive.push(ev.faultAtMs - ev.steadyFromMs < guardMs + ev.sliceMs - EPS
      ? `the steady window (${secs(ev.faultAtMs - ev.steadyFromMs)}) is too short to measure: it ends ${secs(guardMs)} before the fault (one slice, or the largest latency threshold: requests still in flight when the fault starts are not steady state); give the steady window more than ${secs(guardMs + ev.sliceMs)}`
      : `no request was measured before the fault (${secs(ev.steadyFromMs)} to ${secs(ev.faultAtMs - guardMs)} of the run): there is no steady state to compare with; check that the load reached the service`);
  }
  if (steadyMissed.length > 0) {
    const objectives = steadyMissed.filter((c) => !c.name.startsWith('health'));
    const health = steadyMissed.find((c) => c.name.startsWith('health'));
    const parts = [
      objectives.length > 0 ? `the service missed ${objectives.map(checkText).join(' and ')} before the fault` : '',
      health && lastProbe ? `${objectives.length > 0 ? 'its' : 'the service\'s'} health was ${HEALTH_WORD[lastProbe.state]} at the last probe before the fault${lastProbe.failing.length ? ` (failing: ${lastProbe.failing.join(', ')})` : ''}` : '',
    ].filter(Boolean);
    inconclusive.push(`${parts.join(', and ')}; a drill on a failing service proves nothing: make \`sloctl gate\` pass first`);
  }

  // During the fault.
  const duringSlices = slicesOf(ev, ev.faultAtMs, faultEnd);
  const duringRows = mergeRows(duringSlices);
  const during = duringChecks(contract, ev, duringRows, serviceDelta(ev, ev.faultAtMs, faultEnd), dependency, { fromMs: ev.faultAtMs, toMs: faultEnd });
  if (!drill.degraded) during.note = 'not judged: the drill declares no `degraded` objectives for the fault';
  // A latency failure a stall of the machine explains (the service's loop stalled in a fault that
  // cannot stall it, and its own view held): not judged (drill-stall.ts).
  const stall = during.judged && during.latency ? stallWithheld(contract, drill, ev.saturation, during.latency.window) : undefined;
  if (stall !== undefined && during.latency) {
    during.latency.check.met = undefined;
    during.reasons = during.reasons.filter((r) => r !== during.latency!.reason);
  }

  // Detection.
  const resolutionMs = Math.max(ev.scrapeIntervalMs, ev.probeIntervalMs);
  const detection: DrillVerdict['detection'] = { withinMs: drill.detectWithin, resolutionMs, met: undefined };
  const found = detect(contract, ev, faultEnd);
  if (found) {
    detection.ms = Math.max(0, found.atMs - ev.faultAtMs);
    detection.signal = found.signal;
    detection.met = detection.ms <= drill.detectWithin + EPS;
  } else detection.met = false;

  // Recovery.
  const recovery: DrillVerdict['recovery'] = { withinMs: drill.recoverWithin, met: undefined };
  let recoveryWhy: string | undefined;
  if (ev.removedAtMs !== undefined) {
    const r = recover(contract, ev, ev.removedAtMs);
    recoveryWhy = r.why;
    if (r.atMs !== undefined) {
      recovery.ms = Math.max(0, r.atMs - ev.removedAtMs);
      recovery.met = recovery.ms <= drill.recoverWithin + EPS;
    } else recovery.met = r.judged ? false : undefined;
  }

  // Reasons for what failed, most telling first.
  const failed: string[] = [];
  failed.push(...timeoutSentences(contract, drill, dependency, duringRows));
  if (during.judged) failed.push(...during.reasons);
  if (detection.met === false) failed.push(detectionSentence(contract, ev, detection, dependency, faultEnd));
  if (recovery.met === false) {
    failed.push(recovery.ms !== undefined
      ? `the service took ${secs(recovery.ms)} after the fault was removed to hold its objectives again, longer than the ${formatDuration(drill.recoverWithin)} recoverWithin${recoveryWhy ? `: ${recoveryWhy}` : ''}`
      : `the service had not recovered ${secs(ev.endMs - ev.removedAtMs!)} after the fault was removed (recoverWithin ${formatDuration(drill.recoverWithin)})${recoveryWhy ? `: ${recoveryWhy}` : ''}${windowHint(ev, drill.recoverWithin)}`);
  } else if (recovery.met === undefined && recoveryWhy) failed.push(`recovery not judged: ${recoveryWhy}`);
  if (!ev.removed.ok) failed.push(`the fault was still in place after removal: ${ev.removed.detail}`);

  const judgedChecks: boolean[] = [];
  const duringMet = during.checks.some((c) => c.met === false) ? false : during.checks.some((c) => c.met === true) ? true : undefined;
  if (during.judged && duringMet !== undefined) judgedChecks.push(duringMet);
  if (detection.met !== undefined) judgedChecks.push(detection.met);
  if (recovery.met !== undefined) judgedChecks.push(recovery.met);
  judgedChecks.push(ev.removed.ok);

  let outcome: DrillOutcome;
  if (inconclusive.length > 0) {
    outcome = 'inconclusive';
    reasons.push(...inconclusive);
    if (lagged) reasons.push(`the load generator also lagged: ${lagText}`);
    if (!ev.removed.ok) reasons.push(`the fault was still in place after removal: ${ev.removed.detail}`);
  } else if (lagged && (duringMet === false || detection.met === false || recovery.met === false)) {
    // The lag could have caused it (a late send's latency counts from its intended time; the
    // catch-up burst queues the service), so it is not judged; what failed is said. A fault left
    // in place is the runner's finding, which no lag causes: that one fails below.
    outcome = 'inconclusive';
    reasons.push(`the load generator lagged in this drill's window, which could have caused what failed, so it is not judged: ${lagText}`);
    reasons.push(...failed.map((f) => `failed under the lag: ${f}`));
  } else if (judgedChecks.includes(false)) {
    outcome = 'fail';
    // A timeout sentence alone (the during-fault objectives held anyway) is not a failure: keep
    // it only beside a check that failed.
    reasons.push(...failed);
    if (stall !== undefined) reasons.push(`note: ${stall}`);
  } else if (stall !== undefined) {
    outcome = 'inconclusive';
    reasons.push(stall);
    if (lagged) reasons.push(`the load generator also lagged: ${lagText}`);
  } else if (ev.removedAtMs !== undefined && recovery.met === undefined) {
    // Nothing failed, but the fault was removed and the service never seen to recover (the run
    // ended, or was interrupted, too soon after removal): a pass would claim what was not seen.
    outcome = 'inconclusive';
    reasons.push(`recovery not judged: ${recoveryWhy ?? 'no window after the fault was removed'}`);
    if (lagged) reasons.push(`the load generator also lagged: ${lagText}`);
  } else {
    outcome = 'pass';
    if (lagged) reasons.push(`note: judged although the load generator lagged (a lag only makes the service look worse): ${lagText}`);
    if (during.note) reasons.push(`during the fault: ${during.note}`);
    // The drill held, but the contract's timeout is not what the code does: worth knowing.
    reasons.push(...timeoutSentences(contract, drill, dependency, duringRows).map((t) => `note: ${t}`));
  }
  if (outcome !== 'inconclusive' && during.judged && during.disagreement) reasons.push(during.disagreement);

  const held = judgedChecks.filter(Boolean).length;
  return {
    name: drill.name,
    fault: drill.fault,
    target: PROXY_FAULTS.has(drill.fault) ? `dependency ${drill.dependency ?? '(none named)'}` : 'service (in-process)',
    outcome,
    steady: { met: steadyMet, checks: steadyChecks },
    during: { judged: during.judged, checks: during.checks, ...(during.judged ? {} : { why: 'no degraded objectives' }) },
    detection,
    recovery,
    removed: ev.removed,
    reasons,
    score: outcome === 'inconclusive' || judgedChecks.length === 0 ? NaN : held / judgedChecks.length,
  };
}

/**
 * A drill whose fault never ran (it could not be planned or applied, or the run ended first): that
 * is all it says, with the fix. Nothing else is judged: not the steady state, not the degraded
 * objectives, not the generator (the runner stops the load when no drill is left to run, so a
 * load cut off on purpose would read as one that fell short).
 */
function notRun(ev: DrillEvidence, applied: { reason: string; fix: string }): DrillVerdict {
  const drill = ev.drill;
  const reasons = [`the fault could not be applied: ${applied.reason}; ${applied.fix}`];
  if (!ev.removed.ok) reasons.push(`the fault was still in place after removal: ${ev.removed.detail}`);
  return {
    name: drill.name,
    fault: drill.fault,
    target: PROXY_FAULTS.has(drill.fault) ? `dependency ${drill.dependency ?? '(none named)'}` : 'service (in-process)',
    outcome: 'inconclusive',
    notRun: true,
    steady: { met: undefined, checks: [] },
    during: { judged: false, checks: [], why: drill.degraded ? 'the fault never ran' : 'no degraded objectives' },
    detection: { withinMs: drill.detectWithin, resolutionMs: Math.max(ev.scrapeIntervalMs, ev.probeIntervalMs), met: undefined },
    recovery: { withinMs: drill.recoverWithin, met: undefined },
    removed: ev.removed,
    reasons,
    score: NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// During the fault

interface During {
  judged: boolean;
  checks: WindowCheck[];
  reasons: string[];
  note?: string;
  disagreement?: string;
  /** The degraded latency check's numbers, for stallWithheld (drill-stall.ts). */
  latency?: { check: WindowCheck; reason?: string; window: LatencyWindow };
}

function callsDependency(contract: Contract, row: RouteResult, dep: Dependency | undefined): boolean {
  return dep !== undefined && (routeOf(contract, row)?.dependencies.includes(dep.name) ?? false);
}

function routeName(contract: Contract, row: RouteResult): string {
  return routeOf(contract, row)?.name ?? row.name;
}

function duringChecks(contract: Contract, ev: DrillEvidence, rows: readonly RouteResult[], delta: ServiceRoutes | undefined, dep: Dependency | undefined, window: { fromMs: number; toMs: number }): During {
  const d = ev.drill.degraded;
  if (!d || !ev.applied.ok) return { judged: false, checks: [], reasons: [] };
  const out: During = { judged: true, checks: [], reasons: [] };
  const order = (a: { calls: boolean; value: number }, b: { calls: boolean; value: number }) => Number(b.calls) - Number(a.calls) || a.value - b.value;
  // Routes the clients got answers on that the service's metrics recorded nothing under (its route
  // label is not the template): its numbers leave them out, and a service view of 100% beside the
  // client's 38% read as a measurement of the fault (a user trial: every failing request was on the
  // route it did not see). Its view is then not shown (n/a), and the note says why.
  const unseen = unrecordedRoutes(contract, rows, delta);
  const disagree: string[] = [];
  let latencyDisagrees = false;
  let errorsDisagree: Parameters<typeof disagreementNote>[1];
  if (d.latency) {
    const { threshold, objective } = d.latency;
    const clientCounts = clientLatency(contract, rows, undefined, () => threshold);
    const client = clientCounts.value;
    const service = unseen.length > 0 ? NaN : serviceLatency(contract, delta, undefined, () => threshold);
    const check = ratioCheck(`latency ${ms(threshold)}`, objective, client, service);
    out.latency = { check, window: { threshold, objective, total: clientCounts.total, clientShare: client, serviceShare: service, fromMs: window.fromMs, toMs: window.toMs } };
    const missed = rows
      .map((row) => ({ row, calls: callsDependency(contract, row, dep), ...clientLatency(contract, [row], undefined, () => threshold) }))
      .filter((x) => x.total > 0 && x.value < objective - EPS)
      .sort(order);
    check.routes = missed.map((x) => ({ route: routeName(contract, x.row), value: x.value, requests: x.total, ...(x.calls ? { note: `calls ${dep!.name}` } : {}) }));
    out.checks.push(check);
    if (check.met === false) {
      const list = missed.slice(0, 3).map((x) => `${routeName(contract, x.row)}${x.calls ? ` (calls ${dep!.name})` : ''} ${share(x.value)} of ${count(x.total)}`);
      out.latency.reason = `during the fault only ${share(client)} of requests finished within ${ms(threshold)}, below the ${share(objective)} the drill requires${list.length ? `: ${list.join(', ')}` : ''}`;
      out.reasons.push(out.latency.reason);
    }
    if (Number.isFinite(service) && check.met !== undefined && service >= objective - EPS !== check.met) {
      disagree.push(`latency ${ms(threshold)} ${share(service)} (client ${share(client)})`);
      latencyDisagrees = true;
    }
  }
  if (d.errors !== undefined) {
    const objective = d.errors;
    const c = clientSuccess(contract, rows, undefined);
    const svc = serviceSuccessCounts(contract, delta, undefined);
    const service = unseen.length > 0 ? NaN : svc.value;
    const check = ratioCheck('errors', objective, c.value, service);
    const missed = rows
      .map((row) => ({ row, calls: callsDependency(contract, row, dep), ...clientSuccess(contract, [row], undefined) }))
      .filter((x) => x.total > 0 && x.value < objective - EPS)
      .sort(order);
    check.routes = missed.map((x) => ({ route: routeName(contract, x.row), value: x.value, requests: x.total, note: [x.calls ? `calls ${dep!.name}` : '', classList(x.classes)].filter(Boolean).join('; ') }));
    out.checks.push(check);
    if (check.met === false) {
      const list = missed.slice(0, 3).map((x) => {
        const [cls, n] = [...x.classes].sort((a, b) => b[1] - a[1])[0] ?? ['error', 0];
        return `${routeName(contract, x.row)}${x.calls ? ` (calls ${dep!.name})` : ''} answered ${count(n)} of ${count(x.total)} requests (${share(n / x.total)}) with ${cls} errors`;
      });
      out.reasons.push(`during the fault the weighted success fell to ${success(c.value)}, below the ${share(objective)} the drill allows${list.length ? `: ${list.join('; ')}` : ''}`);
    }
    if (Number.isFinite(service) && check.met !== undefined && service >= objective - EPS !== check.met) {
      disagree.push(`weighted success ${success(service)} (client ${success(c.value)})`);
      errorsDisagree = { client: c, service: svc };
    }
  }
  if (disagree.length > 0) out.disagreement = disagreementNote(disagree, errorsDisagree, latencyDisagrees);
  if (unseen.length > 0 && (d.latency || d.errors !== undefined)) {
    out.disagreement = `note: the service's own view of the fault is not shown: its metrics recorded nothing under ${unseen.map((u) => `${u.label} (${count(u.answered)} requests answered to its clients)`).join(', ')}; its route label does not match the template, so its numbers leave ${unseen.length === 1 ? 'that route' : 'those routes'} out: label the requests with the route template`;
  }
  return out;
}

/** Contract routes the clients got UNRECORDED_MIN_REQUESTS (20) or more answers on in a window, with no request the service counted under them. */
function unrecordedRoutes(contract: Contract, rows: readonly RouteResult[], delta: ServiceRoutes | undefined): Array<{ label: string; answered: number }> {
  if (!delta) return [];
  const seen = new Set<string>();
  for (const r of delta.values()) {
    const route = r.requests > 0 ? contractRouteOf(contract, r) : undefined;
    if (route) seen.add(route.name);
  }
  const out: Array<{ label: string; answered: number }> = [];
  for (const row of rows) {
    const route = routeOf(contract, row);
    if (!route || row.completed < UNRECORDED_MIN_REQUESTS || seen.has(route.name)) continue;
    out.push({ label: `${route.method} ${route.path}`, answered: row.completed });
  }
  return out;
}

function classList(classes: Map<string, number>): string {
  return [...classes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${count(n)}`).join(', ');
}

/**
 * A latency fault longer than the dependency's declared timeout, and a dependent route that
 * still waited the fault's whole delay: the timeout the contract promises is not in the code.
 */
function timeoutSentences(contract: Contract, drill: Drill, dep: Dependency | undefined, rows: readonly RouteResult[]): string[] {
  if (drill.fault !== 'latency' || !dep || drill.delay === undefined || dep.timeout >= drill.delay) return [];
  const out: string[] = [];
  for (const row of rows) {
    if (!callsDependency(contract, row, dep)) continue;
    const h = Histogram.fromJSON(row.histogram);
    if (h.count === 0) continue;
    const p50 = h.valueAtPercentile(50);
    if (p50 < drill.delay) continue;
    out.push(`${routeName(contract, row)} waited for ${dep.name.endsWith('s') ? `${dep.name}'` : `${dep.name}'s`} full ${ms(drill.delay)} (p50 ${ms(p50)} during the fault): the ${ms(dep.timeout)} timeout the contract declares for ${dep.name} did not cut the calls`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Detection

interface Detected {
  atMs: number;
  signal: string;
}

function saturationValue(signal: string, v: number): string {
  if (signal === 'eventLoopDelay') return ms(v);
  if (signal === 'eventLoopUtilization') return share(v);
  if (signal === 'heap' || signal === 'rss') return formatValue(v, 'bytes');
  return count(v);
}

/** Error events per class (weight > 0), summed over the service's routes. */
function classTotals(contract: Contract, routes: ServiceRoutes): Map<string, number> {
  const weights = classWeights(contract);
  const out = new Map<string, number>();
  for (const r of routes.values()) {
    for (const [c, n] of r.classes) if ((weights.get(c) ?? (c === 'none' ? 0 : 1)) > 0) out.set(c, (out.get(c) ?? 0) + n);
  }
  return out;
}

function detect(contract: Contract, ev: DrillEvidence, faultEnd: number): Detected | undefined {
  const inFault = (t: number) => t >= ev.faultAtMs - EPS && t <= faultEnd + EPS;
  const found: Detected[] = [];
  const h = ev.health.find((s) => inFault(s.atMs) && s.state !== 'up');
  if (h) found.push({ atMs: h.atMs, signal: `health ${HEALTH_WORD[h.state]}${h.failing.length ? ` (failing: ${h.failing.join(', ')})` : ''}` });
  const attacked = ev.drill.dependency;
  const dep = ev.dependencies.find((s) => inFault(s.atMs) && !s.up);
  if (dep) found.push({ atMs: dep.atMs, signal: `dependency ${dep.dependency} reported down${attacked !== undefined && dep.dependency !== attacked ? ` (the drill attacked ${attacked})` : ''}` });
  const signals = new Set(ev.saturation.map((s) => s.signal));
  // A dependency's fault shows in the service's own process only as requests waiting on it (in
  // flight, their sockets) and only when it is slow: its errors, aborts and resets fail fast.
  // Anything else at its warn level then is the machine (the example's drill without its breaker
  // passed on an event-loop delay of 85 ms over two scrapes while three runs shared two cores).
  const counted = new Set(detectingSaturation(contract, ev.drill));
  for (const signal of signals) {
    if (!counted.has(signal)) continue;
    const warn = saturationWarn(contract, signal)!;
    const series = ev.saturation.filter((s) => s.signal === signal).sort((a, b) => a.atMs - b.atMs);
    const before = series.filter((s) => s.atMs < ev.faultAtMs);
    // A signal already at its warn level before the fault cannot show the fault.
    if (before.length > 0 && before[before.length - 1].value >= warn) continue;
    // Two scrapes in a row over warn, dated at the second (when it was shown, not suspected). One
    // alone is a busy machine as often as the fault (GC, another process): a clean steady window
    // of three samples does not rule that out, and the example's drill without its breaker passed
    // on one 161 ms event-loop delay sample while three runs shared two cores.
    const i = series.findIndex((x, k) => k > 0 && inFault(x.atMs) && x.value >= warn && inFault(series[k - 1].atMs) && series[k - 1].value >= warn);
    if (i < 0) continue;
    const s = series[i];
    found.push({ atMs: s.atMs, signal: `${signal} ${saturationValue(signal, s.value)}, at or over its warn level ${saturationValue(signal, warn)} for 2 scrapes in a row` });
  }
  const e = errorRise(contract, ev, inFault);
  if (e) found.push(e);
  return found.sort((a, b) => a.atMs - b.atMs)[0];
}

/** Saturation signals at their warn level in the fault that its kind cannot raise (not detection: said as such). */
function unrelatedCrossings(contract: Contract, ev: DrillEvidence, faultEnd: number): string[] {
  const out = new Set<string>();
  for (const s of ev.saturation) {
    if (s.atMs < ev.faultAtMs - EPS || s.atMs > faultEnd + EPS || faultCanRaise(ev.drill, s.signal)) continue;
    const warn = saturationWarn(contract, s.signal);
    if (warn !== undefined && s.value >= warn) out.add(s.signal);
  }
  return [...out];
}

function snapshotRate(contract: Contract, a: ServiceSnapshot, b: ServiceSnapshot): Map<string, { n: number; rate: number }> {
  const ta = classTotals(contract, a.routes);
  const tb = classTotals(contract, b.routes);
  const dt = (b.atMs - a.atMs) / 1000;
  const out = new Map<string, { n: number; rate: number }>();
  for (const [c, n] of tb) {
    const prev = ta.get(c) ?? 0;
    const d = n >= prev ? n - prev : n;
    out.set(c, { n: d, rate: dt > 0 ? d / dt : 0 });
  }
  return out;
}

/** The first scrape interval in the fault where an error class rose well above its steady rate. */
function errorRise(contract: Contract, ev: DrillEvidence, inFault: (t: number) => boolean): Detected | undefined {
  const steady = ev.service.filter((s) => s.atMs >= ev.steadyFromMs - EPS && s.atMs <= ev.faultAtMs + EPS);
  const steadyRates = steady.length >= 2 ? snapshotRate(contract, steady[0], steady[steady.length - 1]) : new Map<string, { n: number; rate: number }>();
  for (let i = 1; i < ev.service.length; i++) {
    const b = ev.service[i];
    if (!inFault(b.atMs) || b.atMs <= ev.faultAtMs) continue;
    for (const [c, { n, rate }] of snapshotRate(contract, ev.service[i - 1], b)) {
      const base = steadyRates.get(c)?.rate ?? 0;
      if (n >= DETECT_MIN_EVENTS && rate > Math.max(2 * base, base + 1)) {
        return { atMs: b.atMs, signal: `${c} errors in the service's counters at ${+rate.toFixed(1)}/s (steady ${+base.toFixed(2)}/s)` };
      }
    }
  }
  return undefined;
}

function countIn<T extends { atMs: number }>(samples: readonly T[], from: number, to: number, read: (s: T) => number): number | undefined {
  const inside = samples.filter((s) => s.atMs >= from - EPS && s.atMs <= to + EPS);
  if (inside.length < 2) return undefined;
  return read(inside[inside.length - 1]) - read(inside[0]);
}

function detectionSentence(contract: Contract, ev: DrillEvidence, det: DrillVerdict['detection'], dep: Dependency | undefined, faultEnd: number): string {
  const drill = ev.drill;
  if (det.ms !== undefined) {
    return `the service showed the fault only after ${secs(det.ms)} (${det.signal}), later than the ${formatDuration(drill.detectWithin)} detectWithin (resolution ${secs(det.resolutionMs)})`;
  }
  const span = faultEnd - ev.faultAtMs;
  const probes = ev.health.filter((s) => s.atMs >= ev.faultAtMs - EPS && s.atMs <= faultEnd + EPS);
  const healthText = probes.length > 0 ? `health stayed UP at all ${count(probes.length)} probes` : 'health was not probed';
  const depSamples = dep ? ev.dependencies.filter((s) => s.dependency === dep.name) : [];
  const gauge = dep ? (depSamples.length > 0 ? (dep.breaker ? 'no breaker opened' : `its ${dep.name} gauge stayed up (the contract declares no breaker for ${dep.name})`) : `it exports no gauge for ${dep.name} (${dep.breaker ? 'so no breaker state either; ' : ''}${dependencyStateHint(contract, dep.name)})`) : undefined;
  // "Kept calling it and never reported it down" is the fault only when the dependency was down
  // for the service: an outage, or a delay its calls time out on. A delay under the timeout leaves
  // every call answered; calling on is right then (a chi user trial: +50 ms under an 80 ms timeout
  // was told it "never reported it down"), and the sentence below says what showed nothing.
  const downForTheService = OUTAGES.has(drill.fault) || (drill.fault === 'latency' && dep !== undefined && drill.delay !== undefined && drill.delay >= dep.timeout);
  if (dep && downForTheService && ev.traffic && ev.traffic.length > 0) {
    const framed = ev.traffic.some((t) => t.requests > 0);
    const read = (t: { requests: number; connections: number }) => (framed ? t.requests : t.connections);
    const during = countIn(ev.traffic, ev.faultAtMs, faultEnd, read);
    const before = countIn(ev.traffic, ev.steadyFromMs, ev.faultAtMs, read);
    if (during !== undefined && before !== undefined && before > 0) {
      const ratio = (during / span) / (before / (ev.faultAtMs - ev.steadyFromMs));
      if (ratio >= 0.5) {
        const how = ratio > 1.25 ? `${+ratio.toFixed(1)}× as many as before it` : ratio >= 0.8 ? 'as many as before it' : `${Math.round(ratio * 100)}% of its steady rate`;
        const what = OUTAGES.has(drill.fault) ? 'the outage' : 'the fault';
        return `the service kept calling ${dep.name} throughout ${what} (${count(during)} ${framed ? 'requests' : 'connections'} in ${secs(span)}, ${how}) and never reported it down: ${gauge}, ${healthText}`;
      }
    }
  }
  const parts = [healthText];
  if (gauge) parts.push(gauge);
  else if (ev.dependencies.length === 0) parts.push('it exports no dependency gauge');
  const unrelated = unrelatedCrossings(contract, ev, faultEnd);
  // With no warn level on what a slow dependency raises, "none held its warn level" says nothing: say what to set.
  const unwatched = SLOW_DEPENDENCY_FAULTS.has(drill.fault) && drill.dependency !== undefined && detectingSaturation(contract, drill).length === 0;
  const mapInFlight = contract.metrics?.labels !== undefined && contract.metrics.inFlight === undefined ? ", and map the service's in-flight gauge as metrics.inFlight" : '';
  parts.push(ev.saturation.length === 0 ? 'it exports no saturation signal the contract has a warn level for'
    : unwatched && unrelated.length === 0 ? `the contract gives no warn level to inFlight or handles, the saturation a slow dependency raises (requests waiting on it): set objectives.concurrency.inFlight: { warn: … }${mapInFlight}`
    : unrelated.length === 0 ? `no saturation signal held its warn level for 2 scrapes in a row${peaksText(contract, ev, faultEnd)}`
    : `no saturation signal that a dependency's ${drill.fault} fault can raise reached its warn level (${unrelated.join(' and ')} did, not counted: ${SLOW_DEPENDENCY_FAULTS.has(drill.fault) ? 'a slow dependency shows in the service only as requests waiting on it, inFlight and handles' : 'a dependency failing fast leaves nothing waiting in the service'}, so the machine's load raised it)`);
  parts.push(ev.service.length > 0 ? 'no error class rose above its steady rate' : 'its error counters could not be read');
  return `nothing sloctl read from the service showed the ${drill.fault} fault in its ${secs(span)}: ${parts.join(', ')}`;
}

/** " (eventLoopDelay peaked at 32.4 ms, warn 100 ms; inFlight 3, warn 50)": each signal's highest scrape in the fault. */
function peaksText(contract: Contract, ev: DrillEvidence, faultEnd: number): string {
  const peaks = new Map<string, number>();
  for (const s of ev.saturation) {
    if (s.atMs < ev.faultAtMs - EPS || s.atMs > faultEnd + EPS || saturationWarn(contract, s.signal) === undefined) continue;
    peaks.set(s.signal, Math.max(peaks.get(s.signal) ?? -Infinity, s.value));
  }
  if (peaks.size === 0) return '';
  const each = [...peaks].map(([signal, v], i) => `${signal} ${i === 0 ? 'peaked at ' : ''}${saturationValue(signal, v)}, warn ${saturationValue(signal, saturationWarn(contract, signal as SaturationSignal)!)}`);
  return ` (${each.join('; ')})`;
}

// ---------------------------------------------------------------------------------------------
// Recovery

/** What recovery is judged on: the client slices and health probes up to the end of the watch. */
type RecoveryEvidence = Pick<DrillEvidence, 'sliceMs' | 'endMs' | 'client' | 'health'>;

/**
 * What one recovery watch has judged so far: each client window's verdict by its first slice's
 * start. The runner's slices are final once given, so a window is judged once per watch, and a
 * call of recoveryHeld costs the windows new since the last one, not every window since the
 * removal (a cost that grew with the watch, on the thread that relays the fault proxy's traffic,
 * until the proxy stalled past the service's timeouts: the "not recovered" it then measured was
 * sloctl's own). One memo per watch (per drill, per removal time).
 */
export type RecoveryMemo = Map<number, { lastStartMs: number; holds: boolean | undefined; missed: WindowCheck[] }>;

/**
 * Whether a recovery watch may end at `ev.endMs` (the runner asks while the load goes, on the
 * slices final so far): the judge's recovery point is known, and from it every window kept
 * holding, health UP, for a whole RECOVERY_WINDOW_MS plus `holdMs` more. Judged on the same
 * evidence afterwards, the drill gets the same recovery time; a relapse after the watch ends is
 * not seen, as a relapse after recoverWithin plus the tail was not before. `memo`: the watch's
 * own (RecoveryMemo), so each call judges only the windows new since the last.
 */
export function recoveryHeld(contract: Contract, ev: RecoveryEvidence, removedAtMs: number, holdMs: number, memo?: RecoveryMemo): { atMs: number } | undefined {
  const r = recover(contract, ev, removedAtMs, memo);
  if (r.atMs === undefined || ev.endMs - r.atMs < RECOVERY_WINDOW_MS + holdMs - EPS) return undefined;
  return { atMs: r.atMs };
}

function recover(contract: Contract, ev: RecoveryEvidence, removedAt: number, memo?: RecoveryMemo): { atMs?: number; judged: boolean; why?: string } {
  const k = Math.max(1, Math.ceil(RECOVERY_WINDOW_MS / ev.sliceMs - EPS));
  const after = ev.client.filter((s) => s.startMs >= removedAt - EPS).sort((a, b) => a.startMs - b.startMs);
  const windows: Array<{ startMs: number; holds: boolean | undefined; missed: WindowCheck[] }> = [];
  for (let i = 0; i + k <= after.length; i++) {
    const startMs = after[i].startMs;
    const lastStartMs = after[i + k - 1].startMs;
    if (lastStartMs + ev.sliceMs > ev.endMs + EPS) break;
    const known = memo?.get(startMs);
    if (known && known.lastStartMs === lastStartMs) {
      windows.push({ startMs, holds: known.holds, missed: known.missed });
      continue;
    }
    const rows = mergeRows(after.slice(i, i + k));
    let w: { holds: boolean | undefined; missed: WindowCheck[] } = { holds: undefined, missed: [] };
    if (requestsIn(rows) >= RECOVERY_MIN_REQUESTS) {
      const missed = contractChecks(contract, rows, undefined).filter((c) => c.met === false);
      w = { holds: missed.length === 0, missed };
    }
    memo?.set(startMs, { lastStartMs, ...w });
    windows.push({ startMs, ...w });
  }
  const judged = windows.filter((w) => w.holds !== undefined);
  if (judged.length === 0) {
    return { judged: false, why: windows.length === 0 ? `the watch after removal (${secs(ev.endMs - removedAt)}) is shorter than one ${secs(k * ev.sliceMs)} window` : `fewer than ${RECOVERY_MIN_REQUESTS} requests in every ${secs(k * ev.sliceMs)} window after removal` };
  }
  const lastFail = windows.map((w) => w.holds).lastIndexOf(false);
  const lastJudged = windows.indexOf(judged[judged.length - 1]);
  let clientAt: number | undefined;
  let why: string | undefined;
  if (lastFail >= 0) why = `in the ${secs(k * ev.sliceMs)} from ${secs(windows[lastFail].startMs - removedAt)} after removal it still missed ${windows[lastFail].missed.map(checkText).join(' and ')}`;
  if (lastFail < 0) clientAt = windows[0].startMs;
  else if (lastFail < lastJudged) clientAt = windows[lastFail + 1].startMs;

  // Health: UP from some probe on, to the end of the watch.
  const probes = ev.health.filter((s) => s.atMs >= removedAt - EPS);
  const lastBad = probes.map((s) => s.state !== 'up').lastIndexOf(true);
  const before = [...ev.health].reverse().find((s) => s.atMs < removedAt);
  let healthAt: number | undefined = removedAt;
  if (lastBad >= 0) {
    healthAt = probes[lastBad + 1]?.atMs;
    const bad = probes[lastBad];
    if (healthAt === undefined) why = [why, `health was still ${HEALTH_WORD[bad.state]} at the last probe${bad.failing.length ? ` (failing: ${bad.failing.join(', ')})` : ''}`].filter(Boolean).join('; ');
    else if (clientAt !== undefined && healthAt > clientAt) why = `health was ${HEALTH_WORD[bad.state]} until ${secs(healthAt - removedAt)} after removal${bad.failing.length ? ` (failing: ${bad.failing.join(', ')})` : ''}`;
  } else if (before && before.state !== 'up') healthAt = probes[0]?.atMs ?? undefined;
  if (clientAt === undefined || healthAt === undefined) return { judged: true, why };
  return { atMs: Math.max(clientAt, healthAt), judged: true, why };
}

// ---------------------------------------------------------------------------------------------
// The report

export function judgeDrills(contract: Contract, items: ReadonlyArray<DrillVerdict | DrillEvidence>): DrillReport {
  const drills = items.map((x) => ('client' in x ? judgeDrill(contract, x) : x));
  const judged = drills.filter((d) => d.outcome !== 'inconclusive' && Number.isFinite(d.score));
  const resilienceScore = judged.length > 0 ? (100 * judged.reduce((a, d) => a + d.score, 0)) / judged.length : NaN;
  const outcome: DrillOutcome = drills.some((d) => d.outcome === 'fail') ? 'fail' : drills.some((d) => d.outcome === 'inconclusive') || drills.length === 0 ? 'inconclusive' : 'pass';
  const reasons = drills.filter((d) => d.outcome !== 'pass').flatMap((d) => d.reasons.map((r) => `${d.name}: ${r}`));
  if (drills.length === 0) reasons.push('no drill was run: declare drills under objectives.resilience.drills');
  return { service: contract.service.name, outcome, resilienceScore, scoreRule: SCORE_RULE, drills, reasons };
}

/**
 * Why health cannot read UP in time when its checks judge a window of recent requests longer than
 * recoverWithin (the SDK's default is the last 30 s): the fault's own failed or slow requests stay
 * in that window after the fault is gone. Said when the last probe was still failing such a check.
 */
function windowHint(ev: RecoveryEvidence, recoverWithinMs: number): string {
  const last = ev.health.at(-1);
  const w = last !== undefined && last.state !== 'up' ? last.windowMs : undefined;
  if (w === undefined || w <= recoverWithinMs) return '';
  return `; its health judges the last ${secs(w)} of requests, longer than recoverWithin, so the fault's own requests keep it failing after the fault is gone: give recoverWithin more than that window, or judge a shorter one (the SDK: instrument({ health: { windowMs } }))`;
}
