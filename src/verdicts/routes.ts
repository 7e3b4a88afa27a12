// Per-route answers: each route of the load mix (method + template) from both views, the routes
// that make a failing objective fail (worst first, with their numbers), and the contract routes
// the service does not have. Pure: a load result, the service's series per route and the contract
// in, numbers out.
//
// The client's numbers are exact (its HDR histogram per route); the service's come from its
// latency histogram by `method` and `route` label, so its percentiles and shares are estimates
// between bucket bounds (exact at a bound).
import { normalizeRoutePath, routeSegments } from '../contract/route-paths.ts';
import type { Contract, LatencyObjective, Route } from '../contract/schema.ts';
import { goodRatioAtThreshold, histogramQuantile, sameBound } from '../engine/histogram.ts';
import { Histogram } from '../measure/histogram.ts';
import type { LoadResult, RouteResult } from '../measure/types.ts';
import { classifierOf, clientCounts, routeOf } from './client-view.ts';
import { formatValue } from './format.ts';
import { bucketList, type ServiceRoute, type ServiceRoutes } from './service-routes.ts';
import type { ObjectiveVerdict, RouteCause, RouteNumbers, RouteReport, Unit } from './types.ts';
import { percentileQuantile } from '../contract/percentiles.ts';

/** One route's requests as one view saw them: enough to rank the route under any objective. */
export interface RouteSample {
  view: 'client' | 'service';
  /** Requests judged: answered plus unanswered (client), finished (service). */
  total: number;
  /** Requests within `ms` (the service's is interpolated inside a bucket when `ms` is no bound). */
  within(ms: number): number;
  /** Whether `within(ms)` is a measurement, not an estimate: always for the client; for the service, when its histogram has a bucket at `ms`. */
  exactAt(ms: number): boolean;
  /** The service's histogram bucket bounds (seconds, finite, ascending); absent for the client. */
  bounds?: number[];
  /** The latency at quantile q (0..1), ms; NaN when there is nothing to measure. */
  percentile(q: number): number;
  weightedErrors: number;
  /** Error events by class, for classes that weigh more than 0. */
  classes: Map<string, number>;
  /** Of those, the requests refused a connection (ECONNREFUSED), per class: the client's only. */
  refused?: Map<string, number>;
  /** What one event of a class weighs (the contract's classes and the classifier's built-in ones). */
  weightOf(cls: string): number;
  /** Answers 404/405 (client); for a route the service has no series for, its unmatched requests of that method (service). */
  notFound: number;
  /** Requests judged that got no answer (refused, reset, timed out): the client's only; they count as not within any threshold. */
  unanswered?: number;
}

export interface RouteEvidence {
  /** "GET /orders/:id". */
  label: string;
  method: string;
  path: string;
  route?: Route;
  client?: RouteSample;
  service?: RouteSample;
  /** Why the service does not have this route (it answered 404 / counted it as unmatched every time). */
  missing?: string;
  /** Count of the requests that showed it (for the verdict). */
  missingCount?: number;
  /** Why it counts as missing: the service lacks the route, or has it but the mix's requests find nothing there. */
  missingKind?: 'absent' | 'untested';
  /**
   * The client got answers on this contract route and the service's series recorded none under
   * it, while they recorded requests under other labels: the service's route label does not match
   * the contract's template (a raw path, a mount prefix left out). The words, with the numbers.
   */
  unrecorded?: string;
  /** The client's answered requests on the route (not 404/405) that the service recorded none of. */
  unrecordedCount?: number;
}

/**
 * Answered requests (not 404/405) a route needs, with none under its label at the service, before
 * the gate says the service did not record it. The service's window opens with a scrape before the
 * first measured request and closes with one after the last answer (a series born meanwhile counts
 * from 0), so a route the service labels right loses none of its requests there; 20 answers with
 * none recorded is no timing accident, and below that a route is too thin a slice of the mix to
 * speak about on its own (the per-route table still shows both views).
 */
export const UNRECORDED_MIN_REQUESTS = 20;

/**
 * A class's weight as the contract's classifier gives it; a class it does not know (a service's own
 * error_class label) weighs 1, "none" 0, as the service view counts them.
 */
function classWeights(contract: Contract): (cls: string) => number {
  const weights = new Map(classifierOf(contract).classes.map((c) => [c.class, c.weight]));
  return (cls) => weights.get(cls) ?? (cls === 'none' ? 0 : 1);
}

function clientSample(contract: Contract, row: RouteResult): RouteSample {
  const h = Histogram.fromJSON(row.histogram);
  const c = clientCounts(contract, [row]);
  const answered = row.completed;
  const notFound = (row.statuses['404'] ?? 0) + (row.statuses['405'] ?? 0);
  const labels: Record<number, 'p50' | 'p90' | 'p95' | 'p99' | 'p999'> = { 0.5: 'p50', 0.9: 'p90', 0.95: 'p95', 0.99: 'p99', 0.999: 'p999' };
  return {
    view: 'client',
    total: c.total,
    within: (ms) => Math.min(h.countAtOrBelowMs(ms), answered),
    exactAt: () => true,
    percentile: (q) => {
      if (h.count > 0) return h.valueAtPercentile(q * 100);
      const label = labels[q];
      if (label === undefined || row.latency.count === 0 || row.latency.absent?.includes(label)) return NaN;
      return row.latency[label];
    },
    weightedErrors: c.weightedErrors,
    classes: c.classes,
    ...(c.refused.size > 0 ? { refused: c.refused } : {}),
    weightOf: classWeights(contract),
    notFound,
    ...(c.total > answered ? { unanswered: c.total - answered } : {}),
  };
}

function serviceSample(contract: Contract, r: ServiceRoute | undefined, unmatched: number): RouteSample {
  const buckets = r ? bucketList(r) : [];
  const weightOf = classWeights(contract);
  const classes = new Map<string, number>();
  let weighted = 0;
  for (const [cls, n] of r?.classes ?? []) {
    const w = weightOf(cls);
    weighted += w * n;
    if (w > 0 && n > 0) classes.set(cls, n);
  }
  const inf = buckets.find((b) => b.le === Infinity)?.count;
  const total = r ? (r.requests > 0 ? r.requests : inf ?? 0) : 0;
  const bounds = buckets.map((b) => b.le).filter((le) => Number.isFinite(le)).sort((a, b) => a - b);
  return {
    view: 'service',
    total,
    within: (ms) => {
      const g = goodRatioAtThreshold(buckets, ms / 1000);
      return Number.isFinite(g.good) ? g.good : NaN;
    },
    exactAt: (ms) => bounds.some((le) => sameBound(le, ms / 1000)),
    bounds,
    percentile: (q) => histogramQuantile(q, buckets) * 1000,
    weightedErrors: weighted,
    classes,
    weightOf,
    notFound: unmatched,
  };
}


/** The name a load row is shown under in route rows and reasons: "GET /orders/{id}". */
export function routeLabel(contract: Contract, row: RouteResult): string {
  const { method, path } = methodPath(contract, row);
  return labelOf(method, path);
}

function labelOf(method: string, path: string): string {
  return method === '' ? path : `${method} ${path}`;
}

/** Method and path of a load row: its contract route's, else "METHOD /path" from the row name. */
function methodPath(contract: Contract, row: RouteResult): { method: string; path: string; route?: Route } {
  const route = routeOf(contract, row);
  if (route) return { method: route.method, path: route.path, route };
  const m = /^([A-Z]+) (\/\S*)$/.exec(row.name);
  return m ? { method: m[1], path: m[2] } : { method: '', path: row.name };
}

/**
 * The evidence per route of the load mix. `service` is the service's series per (method, route
 * label) over the measured phase, when it could be read.
 */
export function routeEvidence(contract: Contract, load: LoadResult, service: ServiceRoutes | undefined): RouteEvidence[] {
  const byKey = new Map<string, ServiceRoute>();
  const unmatched = new Map<string, number>();
  for (const r of service?.values() ?? []) {
    if (r.route === 'unmatched') unmatched.set(r.method, (unmatched.get(r.method) ?? 0) + r.requests);
    else {
      const key = `${r.method} ${normalizeRoutePath(r.route)}`;
      const prev = byKey.get(key);
      if (!prev) byKey.set(key, r);
      else {
        // Two labels for one template (e.g. /a/:id and /a/:name): merged.
        const merged: ServiceRoute = { method: r.method, route: prev.route, buckets: new Map(prev.buckets), requests: prev.requests + r.requests, classes: new Map(prev.classes) };
        for (const [le, n] of r.buckets) merged.buckets.set(le, (merged.buckets.get(le) ?? 0) + n);
        for (const [c, n] of r.classes) merged.classes.set(c, (merged.classes.get(c) ?? 0) + n);
        byKey.set(key, merged);
      }
    }
  }
  return load.routes.map((row) => {
    const { method, path, route } = methodPath(contract, row);
    const label = labelOf(method, path);
    const ev: RouteEvidence = { label, method, path, client: clientSample(contract, row) };
    if (route) ev.route = route;
    const matched = byKey.get(`${method} ${normalizeRoutePath(path)}`);
    const unmatchedN = unmatched.get(method) ?? 0;
    // The service's unmatched requests are per method: they speak for a route only when the
    // service has no series for it.
    if (service) ev.service = serviceSample(contract, matched, (matched?.requests ?? 0) > 0 ? 0 : unmatchedN);
    const answered = row.completed;
    const c = ev.client!;
    const serviceMatched = (matched?.requests ?? 0) > 0;
    if (answered > 0 && c.notFound === answered) {
      const codes = Object.keys(row.statuses).sort().join('/');
      if (serviceMatched) {
        ev.missing = `every one of the ${num(answered)} answered requests to ${label} got ${codes}, although the service matched the route (its series count ${num(matched!.requests)}): the mix's paths or parameters find nothing, so the route was not tested (check load.mix)`;
        ev.missingKind = 'untested';
      } else {
        const svc = service === undefined
          ? ''
          : unmatchedN > 0
            ? `, and the service counted ${num(unmatchedN)} ${method} requests as unmatched and none for ${path}`
            : `, and the service's series have no requests for ${path}`;
        ev.missing = `the service does not have ${label}: all ${num(answered)} answered requests got ${codes}${svc}`;
        ev.missingKind = 'absent';
      }
      ev.missingCount = answered;
    } else if (service !== undefined && !serviceMatched && unmatchedN > 0 && answered > 0 && unmatchedN >= 0.9 * answered) {
      ev.missing = `the service does not have ${label}: it counted ${num(unmatchedN)} ${method} requests as unmatched and none for ${path}, while the client got answers (${statusList(row)}): a catch-all answered them`;
      ev.missingCount = unmatchedN;
      ev.missingKind = 'absent';
    } else if (route && service !== undefined && ev.service!.total === 0) {
      const got = answered - c.notFound;
      const elsewhere = [...service.values()].some((r) => r.requests > 0 && !(r.method === method && normalizeRoutePath(r.route) === normalizeRoutePath(path)));
      if (got >= UNRECORDED_MIN_REQUESTS && elsewhere) {
        ev.unrecorded = redirectedText(contract, row, label, route.name, path, got) ?? unrecordedText(contract, row, label, method, path, got, [...service.values()], unmatchedN);
        ev.unrecordedCount = got;
      }
    }
    return ev;
  });
}

/** Whether a service's route label is the template with its parameters filled in ("/users/7/orders/:oid" for "/users/:uid/orders/:oid"). */
function fillsIn(template: readonly string[], label: readonly string[]): boolean {
  for (let i = 0; i < template.length; i++) {
    if (template[i] === '*' && i === template.length - 1) return label.length >= i;
    if (i >= label.length) return false;
    if (template[i] !== ':' && template[i] !== label[i]) return false;
  }
  return template.length === label.length;
}

/**
 * Every answer a redirect (3xx) the service's metrics recorded none of: its router answered before
 * the route (and the middleware that records it) ran, so it is not the route label. The usual
 * cause is a mix path that differs from the route's by a trailing `/` (a user trial: a gin service,
 * `path: /products/` for `GET /products`, 301 from RedirectTrailingSlash; gorilla's StrictSlash and
 * ServeMux redirect too). Undefined when any answer was not a redirect.
 */
function redirectedText(contract: Contract, row: RouteResult, label: string, routeName: string, path: string, got: number): string | undefined {
  const redirects = Object.entries(row.statuses).reduce((n, [status, k]) => (/^3\d\d$/.test(status) ? n + k : n), 0);
  if (redirects === 0 || redirects < got) return undefined;
  const sent = (contract.load?.mix ?? []).filter((m) => m.route === routeName && m.path !== undefined).map((m) => m.path!);
  const bare = (p: string) => p.split('?')[0];
  const slash = sent.find((p) => bare(p) !== '/' && bare(p).endsWith('/') !== path.endsWith('/'));
  const fix = slash === undefined ? '' : `: load.mix sends ${slash} for ${path}, which differs from it by ${bare(slash).endsWith('/') ? 'a trailing / the route does not have' : 'the trailing / the route has'}; write the path as the code registers it`;
  return `the client sent ${num(row.sent)} requests to ${label} and every answer was a redirect (${statusList(row)}), which the service's metrics recorded none of: its router redirected them before the route ran (a path that differs from the registered one by a trailing /: gin's RedirectTrailingSlash, gorilla's StrictSlash(true) and Go's ServeMux answer 301; or a redirect the service means), so ${label} was not tested${fix}`;
}

/**
 * "the client sent 100 requests to GET /a/:id and got 100 answers (100 x 200), but the service's
 * metrics recorded none under that route: ..." with what its series hold instead.
 */
function unrecordedText(contract: Contract, row: RouteResult, label: string, method: string, path: string, got: number, service: readonly ServiceRoute[], unmatchedN: number): string {
  const template = routeSegments(path);
  const contractPaths = new Set(contract.routes.filter((r) => r.method.toUpperCase() === method).map((r) => normalizeRoutePath(r.path)));
  const count = (r: ServiceRoute) => (r.requests > 0 ? r.requests : bucketList(r).find((b) => b.le === Infinity)?.count ?? 0);
  // The method's labels no contract route has (its "unmatched" and "overflow" apart), most requests first.
  const strays = service
    .filter((r) => r.method === method && r.route !== 'unmatched' && r.route !== 'overflow' && !contractPaths.has(normalizeRoutePath(r.route)) && count(r) > 0)
    .sort((a, b) => count(b) - count(a));
  const filled = strays.filter((r) => fillsIn(template, routeSegments(r.route)));
  const other = strays.filter((r) => !filled.includes(r));
  const sum = (rs: readonly ServiceRoute[]) => rs.reduce((n, r) => n + count(r), 0);
  const quote = (rs: readonly ServiceRoute[]) => `${rs.slice(0, 3).map((r) => `"${r.route}" (${num(count(r))})`).join(', ')}${rs.length > 3 ? `, and ${rs.length - 3} more` : ''}`;
  const overflow = service.filter((r) => r.method === method && r.route === 'overflow').reduce((n, r) => n + count(r), 0);
  const parts = [`the client sent ${num(row.sent)} requests to ${label} and got ${num(got)} answers (${statusList(row)}), but the service's metrics recorded none under that route: its route label does not match the contract's template ${path}`];
  if (filled.length > 0) {
    parts.push(`its series hold ${num(sum(filled))} ${method} requests under ${filled.length === 1 ? 'a label' : `${num(filled.length)} labels`} with the template's parameters filled in, ${quote(filled)}: the label it uses is the raw path (or part of it), not the template`);
  } else {
    parts.push(`the label it uses may be the raw path, or lack a router's mount prefix${other.length > 0 ? `; its ${method} series hold ${num(sum(other))} requests under labels no contract route has: ${quote(other)}` : ''}`);
  }
  if (overflow > 0) parts.push(`${num(overflow)} ${method} requests are labelled "overflow" (the SDK's cap on distinct route labels, which raw paths reach)`);
  if (unmatchedN > 0) parts.push(`it counted ${num(unmatchedN)} ${method} requests as unmatched`);
  parts.push(`so the service's view cannot judge ${label}: label its requests with the template ${path}`);
  return parts.join('; ');
}

/** The routes an objective covers whose requests the service did not record under their label (routeEvidence's `unrecorded`). */
export function unrecordedRoutes(ev: readonly RouteEvidence[], o: { routes?: readonly string[] }): RouteEvidence[] {
  return ev.filter((e) => e.unrecorded !== undefined && covers(o, e));
}

/** "the client got answers to 100 requests to GET /a/:id and the service's metrics recorded none under that route ...", for an objective's service side. */
export function unrecordedRoutesText(routes: readonly RouteEvidence[]): string {
  const each = routes.map((e) => `${num(e.unrecordedCount ?? NaN)} requests to ${e.label}`);
  const one = routes.length === 1;
  return `the client got answers to ${each.join(', ')} and the service's metrics recorded none under ${one ? 'that route' : 'those routes'} (its route label does not match the contract's template: see routes ${routes.map((e) => e.label).join(', ')}), so its numbers do not speak for ${one ? 'it' : 'them'}`;
}

function statusList(row: RouteResult): string {
  return Object.entries(row.statuses).map(([s, n]) => `${num(n)} x ${s}`).join(', ');
}

const num = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => formatValue(x, 'ms');
const pct = (x: number) => formatValue(x, 'ratio');

/** Latency objectives that cover a route: those that list it, and those that list none. */
function covers(o: { routes?: readonly string[] }, ev: RouteEvidence): boolean {
  return o.routes === undefined || (ev.route !== undefined && o.routes.includes(ev.route.name));
}

/** The route's threshold: its own in the contract, else its first covering latency objective's. */
export function routeThreshold(contract: Contract, ev: RouteEvidence): number | undefined {
  return ev.route?.latency ?? (contract.objectives.latency ?? []).find((o) => covers(o, ev))?.threshold;
}

function sampleOf(ev: RouteEvidence, view: 'client' | 'service'): RouteSample | undefined {
  const s = ev[view];
  return s && s.total > 0 ? s : undefined;
}

/** "p95 254 ms, 84% within 100 ms". */
function latencyDetail(s: RouteSample, q: number, label: string, thresholdMs: number | undefined): string {
  const parts = [`${label} ${ms(s.percentile(q))}`];
  if (thresholdMs !== undefined) parts.push(`${pct(s.within(thresholdMs) / s.total)} within ${ms(thresholdMs)}`);
  return parts.join(', ');
}

/**
 * "113 of 360 requests failed (31.389%); weighted by error class: server 113 × 2.5 = 282.5
 * (78.472%)": the raw count and share first, then the contract-weighted figure the errors objective
 * judges, with its sum written out so a reader can check it by hand. The weighted share alone
 * ("weighted errors 78.5%") read as the share of requests that failed, and can pass 100%.
 */
function errorsDetail(s: RouteSample): string {
  let failed = 0;
  for (const n of s.classes.values()) failed += n;
  const refused = (k: string) => (s.refused?.get(k) ? ` (connection refused ${num(s.refused.get(k)!)})` : '');
  const sum = [...s.classes].map(([k, n]) => `${k} ${num(n)}${refused(k)} × ${s.weightOf(k)}`).join(' + ');
  return `${num(failed)} of ${num(s.total)} requests failed (${pct(failed / s.total)}); weighted by error class: ${sum} = ${formatValue(s.weightedErrors, 'count')} (${pct(s.weightedErrors / s.total)})`;
}

const cause = (ev: RouteEvidence, s: RouteSample, value: number, unit: Unit, detail: string): RouteCause => ({
  route: ev.label, view: s.view, value, unit, detail,
  ...(ev.route && ev.route.dependencies.length > 0 ? { dependencies: [...ev.route.dependencies] } : {}),
});

/** Routes that make a latency share objective fail: by requests over their threshold, most first. */
export function latencyShareCauses(ev: readonly RouteEvidence[], o: LatencyObjective, view: 'client' | 'service'): RouteCause[] {
  const rows: Array<{ c: RouteCause; own: number }> = [];
  for (const e of ev) {
    const s = sampleOf(e, view);
    if (!s || !covers(o, e)) continue;
    const t = e.route?.latency ?? o.threshold;
    // An interpolation inside a bucket cannot blame a route (missingBuckets says what to add).
    if (!s.exactAt(t)) continue;
    const within = s.within(t);
    if (!Number.isFinite(within)) continue;
    const bad = s.total - within;
    if (bad <= 0.5) continue;
    // Requests without an answer count as not within the threshold, but were not slow: say which is which.
    const unanswered = Math.min(bad, s.unanswered ?? 0);
    const over = bad - unanswered;
    const split = unanswered === 0 ? `${num(bad)} of ${num(s.total)} requests over it`
      : over > 0.5 ? `${num(over)} of ${num(s.total)} requests over it, ${num(unanswered)} without an answer`
        : `${num(unanswered)} of ${num(s.total)} requests without an answer, none answered over it`;
    rows.push({ own: within / s.total, c: cause(e, s, bad, 'count', `${latencyDetail(s, 0.95, 'p95', t)} (${split})`) });
  }
  return pick(rows, (r) => r.own < o.objective, (a, b) => b.c.value - a.c.value);
}

/** A route whose threshold the service's histogram has no bucket at: its service-side share is an estimate. */
export interface MissingBucket {
  route: string;
  thresholdMs: number;
  /** The bounds the histogram has (seconds, ascending). */
  bounds: number[];
}

/** The routes under a latency objective whose threshold (their own, else the objective's) has no bucket on the service's histogram. */
export function missingBuckets(ev: readonly RouteEvidence[], o: LatencyObjective): MissingBucket[] {
  const out: MissingBucket[] = [];
  for (const e of ev) {
    const s = sampleOf(e, 'service');
    if (!s || !covers(o, e)) continue;
    const t = e.route?.latency ?? o.threshold;
    // No histogram series for the route at all (a counter alone): nothing to say about its buckets.
    if (!s.bounds || s.bounds.length === 0) continue;
    if (!s.exactAt(t)) out.push({ route: e.label, thresholdMs: t, bounds: s.bounds });
  }
  return out;
}

/**
 * "POST /orders at 300 ms: the service's histogram http_request_duration_seconds has buckets at
 * 0.005, 0.01, ... 10 (seconds) and none at 0.3: add 0.3 to its buckets".
 */
export function missingBucketsText(missing: readonly MissingBucket[], histogram: string): string {
  const sec = (x: number) => String(+x.toPrecision(6));
  const byBounds = new Map<string, MissingBucket[]>();
  for (const m of missing) {
    const k = m.bounds.join(',');
    byBounds.set(k, [...(byBounds.get(k) ?? []), m]);
  }
  return [...byBounds.values()]
    .map((group) => {
      const add = [...new Set(group.map((m) => m.thresholdMs / 1000))].sort((a, b) => a - b).map(sec);
      return `${group.map((m) => `${m.route} at ${ms(m.thresholdMs)}`).join(', ')}: the service's histogram ${histogram} has buckets at ${group[0].bounds.map(sec).join(', ')} (seconds) and none at ${add.join(' or ')}, so its share within the threshold would be a guess: add ${add.join(', ')} to its buckets`;
    })
    .join('; ');
}

/** Routes that make a percentile ceiling fail: their own percentile over it, highest first. */
export function percentileCauses(contract: Contract, ev: readonly RouteEvidence[], o: LatencyObjective, label: string, ceiling: number, view: 'client' | 'service'): RouteCause[] {
  const q = percentileQuantile(label);
  const rows: Array<{ c: RouteCause; over: boolean; above: number }> = [];
  for (const e of ev) {
    const s = sampleOf(e, view);
    if (!s || !covers(o, e)) continue;
    const v = s.percentile(q);
    if (!Number.isFinite(v)) continue;
    const above = s.total - s.within(ceiling);
    if (!(v > ceiling) && !(above > 0.5)) continue;
    rows.push({ over: v > ceiling, above, c: cause(e, s, v, 'ms', latencyDetail(s, q, label, routeThreshold(contract, e))) });
  }
  const over = rows.filter((r) => r.over).sort((a, b) => b.c.value - a.c.value);
  if (over.length > 0) return over.map((r) => r.c);
  // No route is over on its own: the ones with most requests over the ceiling tip the mix.
  return rows.sort((a, b) => b.above - a.above).slice(0, 3).map((r) => r.c);
}

/** Routes that make the errors objective fail: by weighted errors, most first. */
export function errorCauses(ev: readonly RouteEvidence[], o: { routes?: readonly string[]; objective: number }, view: 'client' | 'service'): RouteCause[] {
  const rows: Array<{ c: RouteCause; own: number }> = [];
  for (const e of ev) {
    const s = sampleOf(e, view);
    if (!s || !covers(o, e) || !(s.weightedErrors > 0)) continue;
    rows.push({ own: 1 - s.weightedErrors / s.total, c: cause(e, s, s.weightedErrors, 'count', errorsDetail(s)) });
  }
  return pick(rows, (r) => r.own < o.objective, (a, b) => b.c.value - a.c.value);
}

/** Routes that cost the most business-weighted good requests (the throughput objective). */
export function throughputCauses(contract: Contract, ev: readonly RouteEvidence[], atLatency: readonly LatencyObjective[]): RouteCause[] {
  const rows: Array<{ c: RouteCause; own: number }> = [];
  for (const e of ev) {
    const s = sampleOf(e, 'client');
    if (!s) continue;
    const weight = e.route?.weight ?? 1;
    const covering = atLatency.filter((o) => covers(o, e));
    const t = covering.length > 0 ? Math.min(...covering.map((o) => e.route?.latency ?? o.threshold)) : undefined;
    const within = e.missing !== undefined ? 0 : t === undefined ? s.total : s.within(t);
    const bad = [...s.classes.values()].reduce((x, y) => x + y, 0);
    const good = e.missing !== undefined ? 0 : Math.max(0, within - bad);
    const lost = weight * (s.total - good);
    if (!(lost > 0.5)) continue;
    const why = e.missing !== undefined ? 'the service does not have the route' : [t !== undefined ? `${pct(within / s.total)} within ${ms(t)}` : '', bad > 0 ? `${num(bad)} errors` : ''].filter(Boolean).join(', ');
    rows.push({ own: good / s.total, c: cause(e, s, lost, 'count', `${num(s.total - good)} of ${num(s.total)} requests not good${why ? ` (${why})` : ''}, business weight ${weight}`) });
  }
  return rows.sort((a, b) => b.c.value - a.c.value).slice(0, 5).map((r) => r.c);
}

/** The rows that fail on their own, ranked; else the top three of all (none fails alone: together they do). */
function pick<T extends { c: RouteCause }>(rows: T[], failsAlone: (r: T) => boolean, order: (a: T, b: T) => number): RouteCause[] {
  const alone = rows.filter(failsAlone).sort(order);
  if (alone.length > 0) return alone.map((r) => r.c);
  return rows.sort(order).slice(0, 3).map((r) => r.c);
}

/**
 * "; caused by GET /slow: p95 254 ms, 48% within 100 ms; GET /x: ..." (at most five named). A route
 * the contract declares dependencies for names them, with what the service said of each when
 * `said` has it: "POST /orders (calls payments, reported failing 20% of the measured time by the
 * health endpoint: circuit breaker open): 113 of 360 requests failed ...".
 */
export function causesText(causes: readonly RouteCause[], said: ReadonlyMap<string, string> = new Map()): string {
  if (causes.length === 0) return '';
  const calls = (c: RouteCause) => (c.dependencies?.length ? ` (calls ${c.dependencies.map((d) => (said.has(d) ? `${d}, ${said.get(d)}` : d)).join('; and ')})` : '');
  const shown = causes.slice(0, 5).map((c) => `${c.route}${calls(c)}: ${c.detail}${c.view === 'service' ? ' (service view)' : ''}`);
  const more = causes.length > 5 ? `; and ${causes.length - 5} more routes` : '';
  return `; caused by ${shown.join('; ')}${more}`;
}

function numbers(s: RouteSample | undefined, thresholdMs: number | undefined): RouteNumbers | undefined {
  if (!s) return undefined;
  const has = s.total > 0;
  return {
    requests: s.total,
    p50: has ? s.percentile(0.5) : NaN,
    p95: has ? s.percentile(0.95) : NaN,
    p99: has ? s.percentile(0.99) : NaN,
    // The service's share at a threshold its histogram has no bucket at would be a guess: not measured.
    withinThreshold: has && thresholdMs !== undefined && s.exactAt(thresholdMs) ? s.within(thresholdMs) / s.total : NaN,
    weightedErrors: s.weightedErrors,
    errorRatio: has ? s.weightedErrors / s.total : NaN,
    errorsByClass: Object.fromEntries(s.classes),
    ...(s.refused !== undefined ? { refusedByClass: Object.fromEntries(s.refused) } : {}),
    notFound: s.notFound,
    ...(s.bounds !== undefined && s.bounds[0] > 0 ? { lowestBucketMs: s.bounds[0] * 1000 } : {}),
  };
}

/** The report's row per route, with the objectives each one makes fail. */
export function routeReports(contract: Contract, ev: readonly RouteEvidence[], verdicts: readonly ObjectiveVerdict[]): RouteReport[] {
  return ev.map((e) => {
    const t = routeThreshold(contract, e);
    const r: RouteReport = { route: e.label, method: e.method, path: e.path, causes: [] };
    if (e.route) r.name = e.route.name;
    if (t !== undefined) r.thresholdMs = t;
    const client = numbers(e.client, t);
    const service = numbers(e.service, t);
    if (client) r.client = client;
    if (service) r.service = service;
    for (const v of verdicts) {
      if (v.verdict !== 'fail') continue;
      if (v.routes?.some((c) => c.route === e.label) || (v.contract === 'routes' && v.name === e.label)) r.causes.push(`${v.contract} ${v.name}`);
    }
    return r;
  });
}
