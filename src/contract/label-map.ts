// Which labels of the service's series carry the route, the method and the outcome, and how an
// error class is selected from them. Pure: every reader of the service's HTTP series (the embedded
// engine, `status --prometheus`, the generated rules, the gate's service view, `validate --target`)
// asks this file, so they all count the same requests as errors.
//
// sloctl's SDK labels its series {method, route, status_class, error_class}, with the method in
// upper case and the error class decided in the process (errors.Is-style, along the cause chain).
// Other instrumentation labels differently:
//   - client_golang's promhttp: {handler (curried), method (lower case: "post"), code ("200")};
//   - gin/echo Prometheus middlewares: {handler or url or path, method, code or status};
//   - OpenTelemetry's Prometheus exporter: {http_route, http_request_method, http_response_status_code}.
// None of them has an error class, so the class is derived from the status-code label with the
// contract's `errorClasses[].status` (first class that matches wins, as in the SDK). Classes that
// only match thrown errors (`errors`, `codes`) cannot be seen in a status code: they are reported
// by `unseenClasses`, so the reader can say so.
import type { Contract } from './schema.ts';
import { UNMATCHED } from '../sdk/route-table.ts';
import { reEscapeLiteral as reEscape, routePathRegex } from './route-paths.ts';

/** A label matcher, the shape of PromQL's (and of the series store's). */
export interface LabelMatch {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface LabelMap {
  route: string;
  method: string;
  /** Match the method in any case (promhttp writes "post"): true when the contract maps labels. */
  methodAnyCase: boolean;
  /** Where the error class comes from. */
  errors: { from: 'errorClass'; label: string } | { from: 'status'; label: string };
  /** True when the contract's `metrics.labels` section exists (the service is not labelled by the SDK). */
  mapped: boolean;
  /**
   * Mapped only: the route label values of requests outside every SLI, which the service's own
   * instrumentation may record (sloctl's SDK and Go middleware record none of them): the health
   * and metrics paths and the probes given by path alone (outsideRoutes).
   */
  outside: readonly string[];
}

export const SDK_LABELS = { route: 'route', method: 'method', statusClass: 'status_class', errorClass: 'error_class' } as const;

/** What labelMap reads: the mapping, and where the requests outside every SLI go. */
export type LabelMapSource = Pick<Contract, 'metrics'> & Partial<Pick<Contract, 'target' | 'probes'>>;

/** The contract's label mapping, with the SDK's names where it says nothing. */
export function labelMap(c: LabelMapSource): LabelMap {
  const l = c.metrics?.labels;
  if (!l) return { route: SDK_LABELS.route, method: SDK_LABELS.method, methodAnyCase: false, errors: { from: 'errorClass', label: SDK_LABELS.errorClass }, mapped: false, outside: [] };
  const errors: LabelMap['errors'] =
    l.errorClass !== undefined ? { from: 'errorClass', label: l.errorClass } : l.status !== undefined ? { from: 'status', label: l.status } : { from: 'errorClass', label: SDK_LABELS.errorClass };
  return { route: l.route ?? SDK_LABELS.route, method: l.method ?? SDK_LABELS.method, methodAnyCase: true, errors, mapped: true, outside: outsideRoutes(c) };
}

/**
 * The paths of requests the contract keeps outside every SLI ("the health path always is", and the
 * probes), as a mapped route label would carry them: promhttp's curried `handler="/healthz"`,
 * express-prom-bundle's `path`, OpenTelemetry's `http_route`. The health and metrics paths (the
 * schema's defaults without a target) and each probe given by path alone; a probe that names a
 * method or a User-Agent is not one the route label can tell from other requests to its path.
 */
export function outsideRoutes(c: Partial<Pick<Contract, 'target' | 'probes'>>): string[] {
  const probes = (c.probes ?? []).flatMap((p) => (typeof p === 'string' ? [p] : p.method === undefined && p.userAgent === undefined ? [p.path] : []));
  return [...new Set([c.target?.health ?? '/healthz', c.target?.metrics ?? '/metrics', ...probes])];
}

/** "post" → "[Pp][Oo][Ss][Tt]": case-insensitive in RE2 and JavaScript alike (no `(?i)` in JS on Node 20). */
export function anyCase(s: string): string {
  return [...s].map((ch) => (ch.toLowerCase() !== ch.toUpperCase() ? `[${ch.toUpperCase()}${ch.toLowerCase()}]` : reEscape(ch))).join('');
}

/** The matcher for one or several methods (`negate`: any other method). */
export function methodMatcher(m: LabelMap, methods: readonly string[], negate = false): LabelMatch {
  const uniq = [...new Set(methods.map((x) => x.toUpperCase()))].sort();
  if (!m.methodAnyCase) {
    if (uniq.length === 1) return { name: m.method, op: negate ? '!=' : '=', value: uniq[0] };
    return { name: m.method, op: negate ? '!~' : '=~', value: uniq.map(reEscape).join('|') };
  }
  return { name: m.method, op: negate ? '!~' : '=~', value: uniq.map(anyCase).join('|') };
}

type StatusSpec = number | string;

/**
 * A regex (RE2 and JavaScript alike, anchored by the matcher) for the label values a status spec
 * covers: a code ("503"), a class ("5xx", matching codes "5.." and a class label "5xx"), a range.
 */
export function statusRegex(specs: readonly StatusSpec[]): string {
  const parts: string[] = [];
  for (const s of specs) {
    if (typeof s === 'number') parts.push(String(s));
    else if (/^[1-5]xx$/.test(s)) parts.push(`${s[0]}(?:[0-9][0-9]|xx)`);
    else {
      const [a, b] = s.split('-').map(Number);
      for (let code = a; code <= b; code++) parts.push(String(code));
    }
  }
  return parts.join('|');
}

/** One error class as label matchers over the service's request series. */
export interface ClassSelector {
  name: string;
  weight: number;
  good: boolean;
  /** All must match (one alternative); `undefined` when the class cannot be seen in these labels. */
  matchers: LabelMatch[] | undefined;
}

/**
 * Every error class of the contract as matchers. From an error-class label: `label="name"`. From a
 * status label: the class's statuses, minus every earlier class's (first match wins); a class with
 * no `status` has no matchers (it is only seen client-side, in thrown errors).
 */
export function classSelectors(c: Pick<Contract, 'metrics' | 'errorClasses'>): ClassSelector[] {
  const m = labelMap(c);
  const out: ClassSelector[] = [];
  const earlier: StatusSpec[] = [];
  for (const k of c.errorClasses) {
    let matchers: LabelMatch[] | undefined;
    if (m.errors.from === 'errorClass') matchers = [{ name: m.errors.label, op: '=', value: k.name }];
    else if (k.status && k.status.length > 0) {
      matchers = [{ name: m.errors.label, op: '=~', value: statusRegex(k.status) }];
      if (earlier.length > 0) matchers.push({ name: m.errors.label, op: '!~', value: statusRegex(earlier) });
    }
    if (m.errors.from === 'status' && k.status) earlier.push(...k.status);
    out.push({ name: k.name, weight: k.weight, good: k.good, matchers });
  }
  return out;
}

/** Classes the mapping cannot see (no status to derive them from), for a note to the user. */
export function unseenClasses(c: Pick<Contract, 'metrics' | 'errorClasses'>): string[] {
  return classSelectors(c).filter((k) => k.matchers === undefined && !k.good && k.weight > 0).map((k) => k.name);
}

/** The class a series' labels fall in (first class that matches), or undefined (a good request). */
export function classOf(selectors: readonly ClassSelector[], labels: Readonly<Record<string, string>>): string | undefined {
  for (const k of selectors) {
    if (!k.matchers) continue;
    if (k.matchers.every((x) => matches(x, labels[x.name] ?? ''))) return k.name;
  }
  return undefined;
}

/** Compiled anchored regexes by source: a class's few patterns, asked once per series per reader. */
const compiled = new Map<string, RegExp>();

function anchored(re: string): RegExp {
  let r = compiled.get(re);
  if (r === undefined) {
    r = new RegExp(`^(?:${re})$`);
    if (compiled.size < 1000) compiled.set(re, r);
  }
  return r;
}

function matches(x: LabelMatch, value: string): boolean {
  switch (x.op) {
    case '=':
      return value === x.value;
    case '!=':
      return value !== x.value;
    case '=~':
      return anchored(x.value).test(value);
    case '!~':
      return !anchored(x.value).test(value);
  }
}

/** Whether `labels` satisfy every matcher, as Prometheus reads them (a label not there is ""). */
export function matchesAll(matchers: readonly LabelMatch[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((x) => matches(x, labels[x.name] ?? ''));
}

/** `=` for one value, an anchored alternation for several (sorted, escaped), as the rules write them. */
export function oneOfMatcher(name: string, values: readonly string[], negate = false): LabelMatch {
  const uniq = [...new Set(values)].sort();
  if (uniq.length === 1) return { name, op: negate ? '!=' : '=', value: uniq[0] };
  return { name, op: negate ? '!~' : '=~', value: uniq.map(reEscape).join('|') };
}

/**
 * The matcher for one or several route templates on the route label (`negate`: any other).
 *
 * sloctl's SDK and Go middleware write the contract's own spelling, so without a mapping a route
 * is its path, `=`. A mapped label is written by another router's convention: promhttp curried
 * with gorilla/mux's or Go 1.22 ServeMux's `/orders/{id}`, chi's `/orders/{id:[0-9]+}`, gin's
 * `/files/*rest` for the contract's `/orders/:id` and `/files/*`. Those are the same route
 * (normalizeRoutePath), so the matcher takes every spelling (route-paths.ts routePathRegex):
 * matched verbatim, a route's own threshold and its errors went to the default's group.
 */
export function routeMatcher(m: LabelMap, paths: readonly string[], negate = false): LabelMatch {
  if (!m.mapped) return oneOfMatcher(m.route, paths, negate);
  const uniq = [...new Set(paths)].sort();
  const res = uniq.map((p) => routePathRegex(p));
  if (res.every((r) => r === undefined)) return oneOfMatcher(m.route, paths, negate);
  const alts = [...new Set(uniq.map((p, i) => res[i] ?? reEscape(p)))];
  return { name: m.route, op: negate ? '!~' : '=~', value: alts.join('|') };
}

/** A union of matcher lists: `[[]]` is every series; `[[a, b], [c]]` is (a and b) or c. */
export type MatchScope = LabelMatch[][];

interface RouteRef {
  method: string;
  path: string;
}

function pathsByMethod(routes: readonly RouteRef[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of routes) {
    const k = r.method.toUpperCase();
    out.set(k, [...(out.get(k) ?? []), r.path]);
  }
  return out;
}

/** The routes as (method, route template) pairs on the mapped labels, one alternative per method. */
export function routesMatchScope(m: LabelMap, routes: readonly RouteRef[]): MatchScope {
  return [...pathsByMethod(routes)].sort(([a], [b]) => a.localeCompare(b)).map(([method, paths]) => [methodMatcher(m, [method]), routeMatcher(m, paths)]);
}

/**
 * Everything except the given routes: other methods, and the given methods on other paths; of
 * the requests that reached a route (`reachedRouteMatchers`).
 */
export function exceptRoutesMatchScope(m: LabelMap, routes: readonly RouteRef[]): MatchScope {
  const reached = reachedRouteMatchers(m);
  if (routes.length === 0) return [reached];
  const byMethod = pathsByMethod(routes);
  const methods = [...byMethod.keys()].sort();
  return [[methodMatcher(m, methods, true), ...reached], ...methods.map((x) => [methodMatcher(m, [x]), routeMatcher(m, byMethod.get(x)!, true), ...reached])];
}

/**
 * The route label value sloctl's SDK (src/sdk/route-table.ts, where it is defined) and Go
 * middleware (go/sloctl routes.go) give a request that reached no route of the service: a path no
 * route matches (a scanner's `GET /wp-login.php`), a method no route takes, a request the
 * framework answered before routing (a malformed percent-escape; Fastify's own 503 while it closes).
 */
export const UNMATCHED_ROUTE = UNMATCHED;

/**
 * The matchers that keep requests that reached no route out of the built-in SLIs: `route!="unmatched"`
 * when the route label is the SDK's (`route`, by default or mapped to that name), none when the
 * contract maps the route to another library's label (promhttp's `handler`, OpenTelemetry's
 * `http_route`), whose value for such requests sloctl does not know.
 *
 * Every SLI selector over "all routes" carries them (the rules, `sloctl status` both ways, the
 * dashboard, the OpenSLO export): the SLOs judge what the SDK's health judges by default
 * (`health.judge: 'routes'`), so strangers sending junk can neither page on-call nor spend the
 * budget. Selectors naming routes (`route="/orders"`) exclude them already. All of them are left
 * out, 5xx included: a stranger can draw a 5xx on no route (Koa answers a method it does not know
 * with 501), so counting those would reopen the hole. Requests labelled "overflow" (templates past
 * the SDK's cap) reached a route and stay in.
 */
export function reachedRouteMatchers(m: LabelMap): LabelMatch[] {
  return [...unmatchedMatchers(m), ...outsideMatchers(m)];
}

/** `route!="unmatched"` where the route label is the SDK's (reachedRouteMatchers). */
export function unmatchedMatchers(m: LabelMap): LabelMatch[] {
  return m.route === SDK_LABELS.route ? [{ name: m.route, op: '!=', value: UNMATCHED_ROUTE }] : [];
}

/**
 * A mapped route label: the requests the contract keeps outside every SLI (`handler!~"/healthz|/metrics"`),
 * which a service's own instrumentation may record: a chi router wrapped whole by promhttp times
 * its /healthz (the orchestrator's probes, the gate's own health watch) and its /metrics (every
 * scrape), fast good requests that made its SLIs look better than its users' requests were.
 */
function outsideMatchers(m: LabelMap): LabelMatch[] {
  return m.mapped && m.outside.length > 0 ? [{ name: m.route, op: '!~', value: m.outside.map(reEscape).join('|') }] : [];
}

/** Every request that reached a route: the scope of an SLI over all routes. */
export function reachedScope(m: LabelMap): MatchScope {
  return [reachedRouteMatchers(m)];
}

/** The label an error class is read from (the error-class label, or the status label it is derived from). */
export function outcomeLabel(c: Pick<Contract, 'metrics'>): string {
  return labelMap(c).errors.label;
}

/** Label names that usually carry a status code, in the order a hint prefers them. */
const STATUS_LABEL_GUESSES = ['code', 'status', 'status_code', 'http_status_code', 'http_response_status_code', 'status_class'];

/**
 * Why the errors SLI cannot be measured from series with these label names, and what to write in
 * the contract: undefined when some series carries the label the mapping reads.
 */
export function unmeasurableErrors(c: Pick<Contract, 'metrics'>, metric: string, labelNames: Iterable<string>): string | undefined {
  const m = labelMap(c);
  const names = new Set(labelNames);
  if (names.has(m.errors.label)) return undefined;
  const guess = STATUS_LABEL_GUESSES.find((g) => names.has(g) && g !== m.errors.label);
  const carried = names.size > 0 ? `its labels are ${[...names].sort().join(', ')}` : 'it has no labels';
  const what = m.errors.from === 'status' ? `the status label \`${m.errors.label}\` (metrics.labels.status)` : `an \`${m.errors.label}\` label${m.mapped ? ' (metrics.labels.errorClass)' : " (sloctl's SDK adds it)"}`;
  const fix = guess !== undefined ? `map the status label: metrics.labels.status: ${guess}` : 'map the label that carries the status code: metrics.labels.status: <label>';
  return `errors cannot be measured: no ${metric} series carries ${what}, so no request can be classed as an error (${carried}); ${fix}`;
}
