// The live facts a contract depends on, checked against one scrape of the running service
// (`sloctl validate --target URL`): what the service really exposes, beside what the contract
// assumes it does.
//
//   a. a bucket boundary at every latency threshold and percentile ceiling, on the mapped latency
//      histogram (the generated rules read the bucket at a threshold by its `le`; a percentile
//      between two bounds is only known to lie between them);
//   b. the labels the contract maps (metrics.labels, or the SDK's names) on the series that need
//      them;
//   c. every metric the contract reads (requiredMetrics), with the runtime's way to export it;
//   d. error classes a status-code label cannot show;
//   e. a series for each contract route, its route label matching the route's template in any
//      router's spelling (a warning when none: promhttp has none before the route's first request),
//      and route label values that are not templates (raw paths, one empty value, names);
//   f. the mapped dependency gauge (metrics.dependencyUp): a series per declared dependency.
//
// A family the service declares (`# TYPE`) with no sample yet is exposed: prom-client writes a
// labelled metric that way before its first observation. What only its series can show (buckets,
// labels) is then a warning that it could not be checked yet, not an error.
//
// Pure: the scraped series and the contract in, findings with contract paths out (the caller
// locates them in the file). No clock, no network.
import type { DiagnosticCode, PathSegment, Severity } from './diagnostic.ts';
import { labelMap, matchesAll, methodMatcher, routeMatcher, unseenClasses, UNMATCHED_ROUTE, type LabelMap } from './label-map.ts';
import { HTTP_ROLES } from './metric-names.ts';
import {
  floatLiteral, latencyBounds, mergeBounds, reads, registrationHint, requiredMetrics,
  type LatencyBound, type RequiredMetric,
} from './required-metrics.ts';
import { reEscapeLiteral as reEscape, routePathRegex, routeSegments } from './route-paths.ts';
import type { Contract } from './schema.ts';
import { editDistance } from './suggest.ts';
import { formatDuration } from './units.ts';

/** One scraped sample: its own name (`x_bucket`, `x_total`), its labels, and its family's declared type. */
export interface LiveSeries {
  name: string;
  labels: Readonly<Record<string, string>>;
  type?: string;
}

/** One family the scrape named, with its sample count: 0 when only declared (`# TYPE`, no sample yet). */
export interface LiveFamily {
  name: string;
  type?: string;
  samples: number;
}

export interface LiveFinding {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  hint?: string;
  path: PathSegment[];
  at: 'key' | 'value';
}

export interface LiveFacts {
  findings: LiveFinding[];
  /** Lines for the summary: what was read, and what is fine without a metric. */
  notes: string[];
  /** The latency histogram as read, when the service exposes it. */
  histogram?: { name: string; series: number; buckets: number[] };
}

/** A bucket within this share of a bound counts as at it ("near"). */
export const NEAR = 0.01;

function near(le: number, bound: number): boolean {
  return Math.abs(le - bound) <= NEAR * Math.abs(bound) || le === bound;
}

/** The same bound up to float noise (how the engine and the rules' `le` see it). */
function exactly(le: number, bound: number): boolean {
  return le === bound || floatLiteral(le) === floatLiteral(bound);
}

/** `0.005, 0.01, …, 10, +Inf` */
function showBuckets(bounds: readonly number[]): string {
  return bounds.map((b) => (b === Infinity ? '+Inf' : floatLiteral(b))).join(', ');
}

function showSeconds(s: number): string {
  return `${floatLiteral(s)} s`;
}

/** Labels that carry a meaning under another name, in the order they are suggested. */
const SYNONYMS: Record<'route' | 'method' | 'status' | 'errorClass', readonly string[]> = {
  route: ['route', 'handler', 'http_route', 'path', 'url', 'url_path', 'endpoint', 'uri', 'pattern'],
  method: ['method', 'http_method', 'http_request_method', 'verb'],
  status: ['code', 'status', 'status_code', 'http_status', 'http_status_code', 'http_response_status_code', 'status_class'],
  errorClass: ['error_class', 'error_type', 'error', 'class'],
};

/** The label with the same meaning under another name, if the series carry one. */
function synonymOf(key: keyof typeof SYNONYMS, present: ReadonlySet<string>): string | undefined {
  return SYNONYMS[key].find((l) => present.has(l));
}

/** The name a scraped sample belongs to: `x` for `x_bucket`/`x_sum`/`x_count` of a histogram or summary. */
function familyName(s: LiveSeries): string {
  if (s.type === 'histogram') return s.name.replace(/_(bucket|sum|count|created)$/, '');
  if (s.type === 'summary') return s.name.replace(/_(sum|count|created)$/, '');
  return s.name;
}

interface Exposed {
  names: Set<string>;
  /** Declared type by sample name and by family name. */
  types: Map<string, string>;
  byName: Map<string, LiveSeries[]>;
  /** Names shown only by a family declared with no sample yet. */
  empty: Set<string>;
  /** The exporter lists families before their first observation (prom-client does; client_golang does not). */
  listsEmpty: boolean;
}

/** The sample names a declared family will show (`x`, `x_bucket`, `x_count`, … for a histogram). */
function declaredNames(f: LiveFamily): string[] {
  if (f.type === 'histogram' || f.type === 'gaugehistogram') return [f.name, `${f.name}_bucket`, `${f.name}_count`, `${f.name}_sum`];
  if (f.type === 'summary') return [f.name, `${f.name}_count`, `${f.name}_sum`];
  // OpenMetrics declares a counter without its `_total`.
  if (f.type === 'counter' && !f.name.endsWith('_total')) return [f.name, `${f.name}_total`];
  return [f.name];
}

function index(series: readonly LiveSeries[], families: readonly LiveFamily[]): Exposed {
  const names = new Set<string>();
  const types = new Map<string, string>();
  const byName = new Map<string, LiveSeries[]>();
  for (const s of series) {
    names.add(s.name);
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
    if (s.type) {
      types.set(s.name, s.type);
      types.set(familyName(s), s.type);
    }
  }
  for (const s of series) names.add(familyName(s));
  const empty = new Set<string>();
  for (const f of families) {
    if (f.samples > 0) continue;
    for (const n of declaredNames(f)) {
      if (names.has(n)) continue;
      names.add(n);
      empty.add(n);
      if (f.type) types.set(n, f.type);
    }
  }
  return { names, types, byName, empty, listsEmpty: families.some((f) => f.samples === 0) };
}

/** The sample names that show a metric read as `name` (a family, a `_total` counter, a histogram's parts). */
function shownAs(need: Pick<RequiredMetric, 'name' | 'type'>, e: Exposed): string | undefined {
  const candidates = need.type === 'histogram' ? [`${need.name}_bucket`, need.name] : need.type === 'counter' && !need.name.endsWith('_total') ? [need.name, `${need.name}_total`] : [need.name];
  return candidates.find((n) => e.names.has(n));
}

/** Exposed metrics of the same type that could be the one a role means (to map it). */
function lookalikes(need: RequiredMetric, e: Exposed): string[] {
  if (!need.type) return [];
  const families = new Set<string>();
  for (const [name, type] of e.types) {
    if (type !== need.type) continue;
    if (need.type === 'histogram' && (name.endsWith('_bucket') || name.endsWith('_sum') || name.endsWith('_count'))) continue;
    if (need.role === 'requestDuration' && !/(duration|latency)/.test(name)) continue;
    if (need.role === 'requests' && !/request/.test(name)) continue;
    if (need.role === 'inFlight' && !/(in_?flight|active|concurrent)/.test(name)) continue;
    if (!['requestDuration', 'requests', 'inFlight'].includes(need.role ?? '') && editDistance(name, need.name) > 3) continue;
    families.add(name);
  }
  return [...families].sort().slice(0, 5);
}

/**
 * `families` are the families the scrape named with their sample counts (without them, a family
 * declared with no sample yet reads as not exposed).
 */
/**
 * What validate knows of the histogram's maker beyond the scrape: sloctl's Go middleware, which
 * sets its buckets from the contract JSON the service loads (`sloctl generate contract`), so a
 * missing bucket means that JSON is out of date, not that HistogramOpts needs editing.
 */
export interface HistogramSource {
  /** The code check found the middleware switched on: `github.com/…/sloctl New() at main.go:12:9`. */
  goMiddleware?: string;
  /** The contract file as shown, for the command to regenerate its JSON. */
  contractFile?: string;
  /** A contract JSON beside the contract (`slo.json`), and whether it is what the contract generates now. */
  contractJson?: { file: string; current: boolean };
  /** How the code check found the histogram registered (RegisteredMetric.via), for the fix in its own words. */
  registeredVia?: string;
}

export function checkLiveFacts(c: Contract, series: readonly LiveSeries[], url: string, families: readonly LiveFamily[] = [], source: HistogramSource = {}): LiveFacts {
  const out: LiveFinding[] = [];
  const notes: string[] = [];
  const e = index(series, families);
  const where = url;
  const needs = [...requiredMetrics(c), ...dependencyGaugeNeeds(c)];
  /** Declared metrics with no sample yet, and what about each could not be checked. */
  const unchecked = new Map<string, string[]>();
  const cannotCheck = (metric: string, what: string) => unchecked.set(metric, [...(unchecked.get(metric) ?? []), what]);

  // c. Metrics the contract reads.
  for (const need of needs) {
    const shown = shownAs(need, e);
    if (shown) {
      const type = e.types.get(shown);
      // A histogram's or summary's `_count` is a counter (OpenTelemetry has no separate request counter).
      const countOf = need.type === 'counter' && /_count$/.test(shown) && (type === 'histogram' || type === 'summary');
      if (need.type && type && type !== need.type && type !== 'untyped' && type !== 'unknown' && !countOf) {
        out.push({ code: 'SLO_METRIC_TYPE', severity: 'error', path: need.path, at: need.at, message: `${need.why} ${reads(need)} \`${need.name}\` as a ${need.type}, but ${where} exposes it as a ${type}`, hint: need.role ? `map the role to a ${need.type}: \`metrics: { ${need.role}: <name> }\`` : undefined });
      }
      continue;
    }
    if (need.optional) {
      notes.push(`  note: ${where} does not expose \`${need.name}\` (${need.why}): ${need.optional}`);
      continue;
    }
    const kind = need.type ? `the ${need.type} ` : '';
    const alike = lookalikes(need, e);
    const lazy = e.listsEmpty
      ? ` (not even declared: ${where} lists its metrics with a \`# TYPE\` line before their first observation, and has none for this one)`
      : need.role === 'dependencyUp'
        ? ' (a labelled gauge shows a series only once it is set: set it for every declared dependency when the service starts)'
        : need.role === 'requestDuration' || need.role === 'requests' || need.role === 'weightedRequests'
        ? ' (a labelled metric shows series only after its first observation: if the service has served no request yet, send one and run again)'
        : '';
    const register = registrationHint(c, need);
    const hint = need.role
      ? alike.length > 0
        ? `${where} exposes ${alike.map((n) => `\`${n}\``).join(', ')}: if ${alike.length > 1 ? 'one of them' : 'that'} is it, map it with \`metrics: { ${need.role}: ${alike[0]} }\`; otherwise ${register}`
        : `${register}; or map the role to the metric the service has: \`metrics: { ${need.role}: <name> }\``
      : `${register}, or fix the metric name in the query`;
    out.push({ code: 'SLO_METRIC_NOT_EXPOSED', severity: 'error', path: need.path, at: need.at, message: `${need.why} ${reads(need)} ${kind}\`${need.name}\`, which ${where} does not expose${lazy}`, hint });
  }

  // a. A bucket at every threshold and percentile ceiling.
  const histName = c.metrics?.requestDuration ?? HTTP_ROLES.requestDuration.name;
  const bucketSeries = (e.byName.get(`${histName}_bucket`) ?? []).filter((s) => s.labels.le !== undefined);
  let histogram: LiveFacts['histogram'];
  if (bucketSeries.length > 0) {
    const layouts = new Map<string, Set<number>>();
    for (const s of bucketSeries) {
      const key = Object.keys(s.labels).filter((k) => k !== 'le').sort().map((k) => `${k}=${s.labels[k]}`).join(',');
      const le = parseLe(s.labels.le);
      if (Number.isNaN(le)) continue;
      const set = layouts.get(key);
      if (set) set.add(le);
      else layouts.set(key, new Set([le]));
    }
    const lists = [...layouts.values()].map((set) => [...set].sort((a, b) => a - b));
    const union = mergeBounds(lists.flat(), []);
    histogram = { name: histName, series: lists.length, buckets: union };
    // sloctl's Go middleware owns the default histogram: the code check saw it switched on, or the
    // service exports the SDK's own series beside it (the Node SDK's and the middleware's alike).
    const sdkSeries = e.names.has(HTTP_ROLES.weightedRequests.name) || e.names.has(HTTP_ROLES.errorClassWeight.name);
    const middleware = c.service.runtime === 'go' && histName === HTTP_ROLES.requestDuration.name && (source.goMiddleware !== undefined || sdkSeries)
      ? { ...source, goMiddleware: source.goMiddleware ?? `the service exports ${HTTP_ROLES.weightedRequests.name}, sloctl's own series` }
      : undefined;
    out.push(...missingBuckets(c, histName, lists, `on ${where}`, middleware));
  } else if (e.empty.has(`${histName}_bucket`) && latencyBounds(c).length > 0) {
    cannotCheck(histName, 'its buckets at the latency thresholds');
  }

  // b. The labels the contract maps, on the series that need them.
  const m = labelMap(c);
  const observed: LabelsObserved[] = [];
  for (const { metric, keys } of labelNeeds(c)) {
    const samples = metric === histName
      ? bucketSeries
      : [...(e.byName.get(metric) ?? []), ...(metric.endsWith('_total') ? [] : e.byName.get(`${metric}_total`) ?? [])];
    if (samples.length === 0) {
      // Declared, no sample yet: its labels cannot be read. Not exposed at all: reported above.
      const declared = e.empty.has(metric) || (!metric.endsWith('_total') && e.empty.has(`${metric}_total`));
      if (declared) cannotCheck(metric, `its labels ${keys.map((k) => `\`${labelFor(m, k)}\``).join(', ')}`);
      continue;
    }
    observed.push({ metric, keys, present: new Set(samples.flatMap((s) => Object.keys(s.labels)).filter((k) => k !== 'le')) });
  }
  for (const { metrics: _, ...f } of missingLabels(c, observed, `on ${where}`)) out.push(f);

  // e. Each contract route as series of the metrics that carry the route (the label is there: b.).
  const routeSamples: Array<{ metric: string; samples: LiveSeries[] }> = [];
  for (const { metric, keys } of labelNeeds(c)) {
    if (!keys.includes('route')) continue;
    const samples = metric === histName ? bucketSeries : [...(e.byName.get(metric) ?? []), ...(metric.endsWith('_total') ? [] : e.byName.get(`${metric}_total`) ?? [])];
    const labelled = samples.filter((s) => s.labels[m.route] !== undefined);
    if (labelled.length > 0) routeSamples.push({ metric, samples: labelled });
  }
  if (routeSamples.length > 0) out.push(...routeFindings(c, m, routeSamples, where));

  // f. The mapped dependency gauge: a series per declared dependency (exposed at all: c.).
  const depGauge = dependencyGaugeNeeds(c)[0];
  if (depGauge) {
    const samples = e.byName.get(depGauge.name) ?? [];
    if (samples.length > 0) out.push(...dependencyFindings(c, depGauge.name, samples, where));
    else if (e.empty.has(depGauge.name)) cannotCheck(depGauge.name, 'its series per dependency (`dependency="<name>"`)');
  }

  // What only samples show, on a metric declared with none yet: a warning, not a verdict.
  for (const [metric, what] of unchecked) {
    const need = needs.find((n) => n.name === metric || (n.type === 'counter' && n.name === `${metric}_total`));
    const bound = metric === histName ? latencyBounds(c)[0] : undefined;
    const path: PathSegment[] = need?.path ?? bound?.path ?? ['objectives'];
    const type = e.types.get(metric) ?? e.types.get(`${metric}_total`);
    out.push({
      code: 'SLO_METRIC_NO_SAMPLES', severity: 'warning', path, at: need?.at ?? (bound ? 'value' : 'key'),
      message: `\`${metric}\` is declared on ${where}${type ? ` as a ${type}` : ''} but has no samples yet (a labelled metric shows series only after its first observation), so ${what.join(' and ')} could not be checked`,
      hint: 'send one request to the service (a route the contract lists) and run again',
    });
  }

  // d. Classes a status-code label cannot show.
  if (m.errors.from === 'status') {
    const unseen = unseenClasses(c);
    if (unseen.length > 0) {
      out.push({
        code: 'SLO_ERROR_CLASS_UNSEEN', severity: 'warning', path: ['metrics', 'labels', 'status'], at: 'value',
        message: `error classes come from the status label \`${m.errors.label}\`, and ${unseen.map((n) => `"${n}"`).join(', ')} ${unseen.length === 1 ? 'has' : 'have'} no \`status:\` list: the service's series never count ${unseen.length === 1 ? 'it' : 'them'} (only the client side sees thrown errors)`,
        hint: 'give each a `status:` list in errorClasses, or label the series with the class and map it with `metrics.labels.errorClass`',
      });
    }
  }

  return { findings: out, notes, ...(histogram ? { histogram } : {}) };
}

/**
 * The mapped `metrics.dependencyUp` gauge, when the contract declares dependencies: the
 * availability composite's dependencies part (critical ones), the gate's service view and the
 * drills read it, one series per `dependency="<name>"`. Not in requiredMetrics: the code check
 * does not ask for it (yet); the live check does.
 */
function dependencyGaugeNeeds(c: Contract): RequiredMetric[] {
  const name = c.metrics?.dependencyUp;
  if (name === undefined || c.dependencies.length === 0) return [];
  const a = c.objectives.availability;
  const composite = a !== undefined && a.weights.dependencies > 0 && c.dependencies.some((d) => d.critical);
  const why = composite ? 'the availability objective\'s dependencies part and the drills' : 'the drills';
  return [{ name, type: 'gauge', role: 'dependencyUp', path: ['metrics', 'dependencyUp'], at: 'value', why }];
}

function quoted(values: readonly string[], max = 3): string {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v)).join(', ');
  return values.length > max ? `${shown}, … (${values.length} in all)` : shown;
}

/** One finding per declared dependency the gauge has no series for. */
function dependencyFindings(c: Contract, gauge: string, samples: readonly LiveSeries[], where: string): LiveFinding[] {
  const out: LiveFinding[] = [];
  const have = [...new Set(samples.map((s) => s.labels.dependency ?? '').filter((v) => v !== ''))].sort();
  const labels = [...new Set(samples.flatMap((s) => Object.keys(s.labels)))].sort();
  const a = c.objectives.availability;
  const composite = a !== undefined && a.weights.dependencies > 0;
  c.dependencies.forEach((d, i) => {
    if (have.includes(d.name)) return;
    const has = have.length > 0 ? `it has ${quoted(have, 5)}` : `its series have labels {${labels.join(', ')}} and no \`dependency\``;
    const effect = d.critical && composite
      ? 'the availability composite has no sample while a critical dependency\'s series is missing (SLIMissing fires), the gate cannot measure the dependencies part from the gauge, and a drill that takes it down cannot see it in the gauge'
      : 'a drill that takes it down cannot see it in the gauge, only in other signals';
    const set = c.service.runtime === 'go'
      ? `\`up.WithLabelValues("${d.name}").Set(1)\` (0 while it is not usable)`
      : c.service.runtime === 'node'
        ? `\`up.set({ dependency: '${d.name}' }, 1)\` (0 while it is not usable)`
        : `\`${gauge}{dependency="${d.name}"}\`, 1 while usable and 0 when not`;
    const hint = have.length > 0 || labels.includes('dependency')
      ? `set the gauge for it when the service starts: ${set}; or fix the dependency's name here to the one the service uses`
      : `label the gauge \`dependency\` (the label sloctl reads; it cannot be mapped) with each declared dependency's name: ${set}`;
    out.push({
      code: 'SLO_DEPENDENCY_NO_SERIES', severity: 'warning', path: ['dependencies', i, 'name'], at: 'value',
      message: `\`${gauge}\` on ${where} has no series for dependency "${d.name}" (\`dependency="${d.name}"\`); ${has}: ${effect}`,
      hint,
    });
  });
  return out;
}

/** A path segment a router never writes in a template: a number, a UUID, a long hex id. */
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[0-9a-f]*[0-9])[0-9a-f]{16,})$/i;

/** A route label value that is a request's path, not a template: an id segment, or a query string. */
function looksRaw(value: string): boolean {
  if (/[{}:*]/.test(value)) return false; // a template, in some router's spelling
  return value.includes('?') || value.split('/').some((seg) => ID_SEGMENT.test(seg));
}

/**
 * The route's template with its parameters filled in, as a raw path would be (`/orders/:id`:
 * `/orders/123`, `/orders/abc`); undefined for a route without parameter or wildcard.
 */
function filledIn(path: string): RegExp | undefined {
  const segments = routeSegments(path);
  if (!segments.some((x) => x.includes(':') || x === '*')) return undefined;
  const parts = segments.map((x) => (x === '*' ? '.*' : x.split(':').map(reEscape).join('[^/]+')));
  return new RegExp(`^/${parts.join('/')}/?$`);
}

/** The route template as Go's routers (promhttp's curried label) spell it: `/orders/{id}`. */
function goSpelling(path: string): string {
  return path.replace(/:([A-Za-z0-9_$]+)(\([^)]*\))?\??/g, '{$1}').replace(/\*([A-Za-z0-9_]*)/g, (_, n: string) => `{${n || 'rest'}...}`);
}

/**
 * Each contract route needs a series whose route label matches its template (any router's
 * spelling: routeMatcher) and method, on a metric that carries the route. None is a warning (a
 * promhttp service has a route's series only after its first request; the SDK makes them at
 * start); the label's values are looked at too, and values that are not templates (raw paths, one
 * value for everything, names) are one warning at the label.
 */
function routeFindings(c: Contract, m: LabelMap, metrics: ReadonlyArray<{ metric: string; samples: readonly LiveSeries[] }>, where: string): LiveFinding[] {
  const out: LiveFinding[] = [];
  const all = metrics.flatMap((x) => x.samples);
  const values = [...new Set(all.map((s) => s.labels[m.route]))].sort();
  const real = values.filter((v) => v !== '' && v !== UNMATCHED_ROUTE);
  const names = metrics.map((x) => `\`${x.metric}\``).join(' or ');
  const go = c.service.runtime === 'go';
  const example = c.routes.find((r) => routePathRegex(r.path) !== undefined) ?? c.routes[0];
  // The fix, with the template of the route a finding is about (the label-wide finding: the first
  // route with a parameter), not always the first one.
  const templateFix = (path: string) => go
    ? `curry the route template into \`${m.route}\`, never the request path: \`hist.MustCurryWith(prometheus.Labels{"${m.route}": "${goSpelling(path)}"})\`, and the same for the counter (any router's spelling of the template matches)`
    : `label the series with the route template (\`${path}\` in any router's spelling: Express' \`req.route.path\`, Fastify's \`request.routeOptions.url\`), never the request path; sloctl/sdk does`;

  c.routes.forEach((route, i) => {
    const byRoute = [routeMatcher(m, [route.path])];
    const byMethod = methodMatcher(m, [route.method]);
    const onPath = all.filter((s) => matchesAll(byRoute, s.labels));
    if (onPath.some((s) => s.labels[m.method] === undefined || matchesAll([byMethod], s.labels))) return;
    const details: string[] = [];
    const methods = [...new Set(onPath.map((s) => s.labels[m.method]))].sort();
    const shape = filledIn(route.path);
    const raw = shape ? real.filter((v) => shape.test(v) && !/[{}:*]/.test(v)) : [];
    if (raw.length > 0) details.push(`\`${m.route}\` has ${raw.length === 1 ? 'a value that looks' : `${raw.length} values that look`} like it with the parameter filled in (${quoted(raw)}): the label holds raw paths, not the template`);
    const seen = real.length > 0 ? `\`${m.route}\` holds ${quoted(real)}` : `\`${m.route}\` is empty on every series`;
    out.push({
      code: 'SLO_ROUTE_NO_SERIES', severity: 'warning', path: ['routes', i, 'path'], at: 'value',
      message: `no series for \`${route.method} ${route.path}\` (route "${route.name}")${raw.length > 0 ? '' : ' yet'} on ${where}: ${onPath.length > 0 ? `its path has series of ${names} with \`${m.method}\` ${quoted(methods, 5)} only` : `no series of ${names} has a \`${m.route}\` that matches its template`}${details.length > 0 ? `; ${details.join('; ')}` : ''}; the rules, \`status\` and the gate select the route by that label, and read no per-route numbers for it until one does`,
      hint: raw.length > 0
        ? templateFix(route.path)
        : onPath.length > 0
          ? `send it a ${route.method} request and run again (promhttp and prom-client make a method's series at its first request), or check that the service serves ${route.method} there`
          : `send it a request and run again (sloctl's SDK makes a declared route's series at start; promhttp and prom-client only at its first request), or check the route label: ${seen}, and must hold the route template (\`${route.path}\` in any router's spelling)`,
    });
  });

  // The label's values as a whole.
  const path: PathSegment[] = c.metrics?.labels?.route !== undefined ? ['metrics', 'labels', 'route'] : ['routes'];
  const at = c.metrics?.labels?.route !== undefined ? 'value' : 'key';
  const which = metrics.map((x) => `\`${x.metric}\``).join(' and ');
  const rawValues = real.filter(looksRaw);
  let message: string | undefined;
  if (values.length === 1 && values[0] === '') {
    message = `on ${where}, \`${m.route}\` is empty on every series of ${which} (Prometheus reads an empty label as no label): every request is counted under one route, so no contract route has a series of its own`;
  } else if (rawValues.length > 0) {
    message = `on ${where}, \`${m.route}\` looks like it holds raw request paths, not route templates: ${quoted(rawValues)} (${rawValues.length} of its ${real.length} values): each path is a series of its own, which no route template selects, and their number grows with the ids requested`;
  } else if (real.length > 0 && !real.some((v) => v.startsWith('/'))) {
    message = `on ${where}, no value of \`${m.route}\` is a path (${quoted(real)}): the contract's routes are paths, matched against it as templates, so none of them selects a series`;
  } else if (real.length > Math.max(20, 5 * c.routes.length)) {
    message = `on ${where}, \`${m.route}\` has ${real.length} distinct values (${quoted(real)}) for the contract's ${c.routes.length} route${c.routes.length === 1 ? '' : 's'}: it looks like it holds raw request paths, not route templates`;
  }
  if (message) out.push({ code: 'SLO_ROUTE_LABEL_VALUES', severity: 'warning', path, at, message, hint: templateFix(example.path) });
  return out;
}

/**
 * The thresholds and percentile ceilings with no bucket at or near them, in any of the
 * histogram's bucket layouts (`lists`: one per series, sorted; the code check passes the one its
 * registration sets). `source` says where the buckets were read: `on http://…/metrics`, `as
 * registered at metrics.go:11:11`.
 */
export function missingBuckets(c: Contract, histName: string, lists: readonly (readonly number[])[], source: string, middleware?: HistogramSource): LiveFinding[] {
  const out: LiveFinding[] = [];
  const missing: Array<{ bound: LatencyBound; lacking: Array<readonly number[]> }> = [];
  for (const bound of latencyBounds(c)) {
    const lacking = lists.filter((l) => !l.some((le) => near(le, bound.seconds)));
    if (lacking.length > 0) missing.push({ bound, lacking });
  }
  // A bucket near a threshold but not at it: sloctl's own reading is all but exact, the generated
  // rules are not (they select the bucket by its exact `le`).
  for (const bound of latencyBounds(c)) {
    if (bound.kind !== 'threshold' || missing.some((m) => m.bound === bound)) continue;
    const l = lists.find((x) => !x.some((le) => exactly(le, bound.seconds)));
    const close = l?.find((le) => near(le, bound.seconds));
    if (close === undefined) continue;
    out.push({
      code: 'SLO_BUCKET_MISSING', severity: 'warning', path: bound.path, at: 'value',
      message: `${bound.what} is ${formatDuration(bound.seconds * 1000)}, and \`${histName}\` ${source} has a bucket near it (le="${floatLiteral(close)}"), not at it: status and the gate read it as the threshold, but the generated rules select le="${floatLiteral(bound.seconds)}" exactly and find no series`,
      hint: `make the bucket ${floatLiteral(bound.seconds)}, or the threshold ${formatDuration(close * 1000)}`,
    });
  }
  if (missing.length === 0) return out;
  const have = missing[0].lacking[0];
  const finite = have.filter(Number.isFinite);
  const add = mergeBounds(missing.map((m) => m.bound.seconds), []);
  const wanted = mergeBounds(finite, add);
  const fix = middleware?.goMiddleware !== undefined ? middlewareFix(middleware) : bucketFix(c, histName, wanted, add, middleware?.registeredVia);
  for (const { bound, lacking } of missing) {
    const l = lacking[0];
    const below = [...l].reverse().find((le) => le < bound.seconds);
    const above = l.find((le) => le > bound.seconds);
    const part = lacking.length < lists.length ? ` (${lacking.length} of its ${lists.length} series)` : '';
    const between = `${below === undefined ? '0' : showSeconds(below)} and ${above === undefined ? '+Inf' : showSeconds(above)}`;
    const effect = bound.kind === 'threshold'
      ? `the generated rules count good requests from the bucket le="${floatLiteral(bound.seconds)}" and find none, so in Prometheus the SLI reads 0 good; status and the gate can only estimate it, interpolating between the bounds ${between}`
      : `the percentile is interpolated between the bounds ${between}: a value anywhere in that range reads the same, so the ceiling cannot be judged`;
    out.push({
      code: 'SLO_BUCKET_MISSING', severity: bound.kind === 'threshold' ? 'error' : 'warning', path: bound.path, at: 'value',
      message: `${bound.what} is ${formatDuration(bound.seconds * 1000)}, and \`${histName}\` ${source} has no bucket at ${showSeconds(bound.seconds)}${part}: its buckets are ${showBuckets(l.includes(Infinity) ? l : [...l, Infinity])}; ${effect}`,
      hint: fix,
    });
  }
  return out;
}

/** Parses an `le` value as Prometheus does (`+Inf`, decimals, exponents). */
function parseLe(text: string): number {
  const s = text.trim();
  if (/^\+?inf$/i.test(s)) return Infinity;
  return s === '' ? NaN : Number(s);
}

/**
 * sloctl's Go middleware makes the histogram with a bucket at every threshold of the contract JSON
 * it loads: a threshold without one means the service runs with an older JSON (or another
 * contract's). The fix is to regenerate it and restart, not to edit HistogramOpts.
 */
function middlewareFix(m: HistogramSource): string {
  const contract = m.contractFile ?? 'slo.yaml';
  const json = m.contractJson?.file ?? 'slo.json';
  const command = `\`sloctl generate contract ${contract} -o ${json}\``;
  const whose = `the histogram is sloctl's Go middleware's (${m.goMiddleware}), which takes its buckets from the contract JSON the service loads`;
  if (m.contractJson?.current === true) {
    return `${whose}; ${json} beside the contract is current, so the running service loaded an older one: restart it (rebuild it if it embeds ${json} with //go:embed), or check that it loads ${json} (sloctl.LoadFile) and not another file`;
  }
  const stale = m.contractJson ? `; ${json} beside the contract is out of date` : '';
  return `${whose}${stale}: regenerate it, ${command}, and restart the service (rebuild it if it embeds ${json} with //go:embed)`;
}

/** The runtime's way to give the histogram the buckets `wanted` (adding `add`). */
function bucketFix(c: Contract, hist: string, wanted: readonly number[], add: readonly number[], via?: string): string {
  const list = showBuckets(wanted);
  const adding = `add ${add.length === 1 ? 'the bucket' : 'the buckets'} ${showBuckets(add)}`;
  if (c.service.runtime === 'go') {
    return `${adding}: \`prometheus.HistogramOpts{Name: "${hist}", Buckets: []float64{${list}}}\` (sorted: client_golang panics on buckets out of increasing order, so not \`append(prometheus.DefBuckets, …)\`)`;
  }
  if (via?.startsWith('express-prom-bundle')) {
    return `${adding}: express-prom-bundle's \`buckets\` option, \`promBundle({ …, buckets: [${list}] })\``;
  }
  if (c.service.runtime === 'node') {
    const sdk = c.metrics?.requestDuration === undefined
      ? 'sloctl/sdk\'s instrument() adds a bucket at every threshold of the contract it is given, so this histogram is not the SDK\'s (or the SDK runs with another contract); '
      : '';
    return `${sdk}${adding}: with prom-client, \`new client.Histogram({ name: '${hist}', help: '…', labelNames: [...], buckets: [${list}] })\``;
  }
  return `${adding} to the histogram: ${list}`;
}

/** What a label finding is about: the route, the method, or the error class (or status) a request is counted under. */
export type LabelKey = 'route' | 'method' | 'errors';

/** The label the contract maps for `key` (metrics.labels, or the SDK's names). */
function labelFor(m: LabelMap, key: LabelKey): string {
  return key === 'route' ? m.route : key === 'method' ? m.method : m.errors.label;
}

/**
 * Which of the service's HTTP metrics must carry which of the contract's labels: the latency
 * histogram its route and method (per-route objectives), the request counter those and the error
 * class (or status) the error and availability objectives count by.
 */
export function labelNeeds(c: Contract): LabelNeed[] {
  const out: LabelNeed[] = [];
  const perRoute = c.routes.length > 0;
  if (c.objectives.latency && perRoute) out.push({ metric: c.metrics?.requestDuration ?? HTTP_ROLES.requestDuration.name, type: 'histogram', keys: ['route', 'method'] });
  const keys: LabelKey[] = [];
  if ((c.objectives.errors || c.objectives.throughput) && perRoute) keys.push('route', 'method');
  if (c.objectives.errors || c.objectives.availability) keys.push('errors');
  if (keys.length > 0) out.push({ metric: c.metrics?.requests ?? HTTP_ROLES.requests.name, type: 'counter', keys });
  return out;
}

export interface LabelNeed {
  metric: string;
  type: 'histogram' | 'counter';
  keys: LabelKey[];
}

/** The label names a metric's series carry (scraped, or as the code registers it), and which of the contract's it needs. */
export interface LabelsObserved {
  metric: string;
  keys: readonly LabelKey[];
  present: ReadonlySet<string>;
}

/**
 * One finding per label the contract maps that a metric needing it lacks, naming every such
 * metric with the labels it has, and the label to map when it has one of the same meaning.
 * `where` completes "…, `x` has labels {…}": "on http://…/metrics", "in the code under src/".
 */
export function missingLabels(c: Contract, observed: readonly LabelsObserved[], where: string): Array<LiveFinding & { metrics: string[] }> {
  const out: Array<LiveFinding & { metrics: string[] }> = [];
  const m = labelMap(c);
  const mapped = c.metrics?.labels;
  const lacking = new Map<LabelKey, Array<{ metric: string; present: ReadonlySet<string> }>>();
  for (const { metric, keys, present } of observed) {
    for (const key of keys) {
      if (present.has(labelFor(m, key))) continue;
      lacking.set(key, [...(lacking.get(key) ?? []), { metric, present }]);
    }
  }
  for (const [key, metrics] of lacking) {
    const label = labelFor(m, key);
    const labelSets = new Map<string, string[]>();
    for (const x of metrics) {
      const set = `{${[...x.present].sort().join(', ')}}`;
      labelSets.set(set, [...(labelSets.get(set) ?? []), `\`${x.metric}\``]);
    }
    const shown = [...labelSets].map(([set, names]) => `${names.join(' and ')} ${names.length > 1 ? 'have' : 'has'} labels ${set}`).join(', ');
    const present = new Set(metrics.flatMap((x) => [...x.present]));
    const mapKey: 'route' | 'method' | 'status' | 'errorClass' = key === 'errors' ? (m.errors.from === 'status' ? 'status' : 'errorClass') : key;
    const typed = mapped?.[mapKey] !== undefined;
    const path: PathSegment[] = typed ? ['metrics', 'labels', mapKey] : key === 'errors' ? (c.objectives.errors ? ['objectives', 'errors'] : ['objectives', 'availability']) : ['routes'];
    let alt = synonymOf(mapKey, present);
    let altKey = mapKey;
    // No error-class label, but a status code: error classes come from it.
    if (!alt && mapKey === 'errorClass') {
      alt = synonymOf('status', present);
      altKey = 'status';
    }
    const effect = key === 'route'
      ? 'the rules and status select each route by it, so per-route objectives match no series'
      : key === 'method'
        ? 'routes are told apart by method with it, so per-route thresholds never apply'
        : 'the error objective counts errors by it, so the service\'s errors SLI counts none and reads 100% good';
    const hint = alt
      ? `map it with \`metrics.labels.${altKey}: ${alt}\`${altKey === 'status' ? ' (error classes then come from errorClasses[].status)' : ''}`
      : key === 'route'
        ? c.service.runtime === 'go'
          ? 'label the series with the route template: with promhttp, curry it in, `hist.MustCurryWith(prometheus.Labels{"handler": "/orders"})`, and map it with `metrics.labels.route: handler`'
          : 'label the series with the route template (sloctl/sdk does), and map that label with `metrics.labels.route`'
        : `label the series with it, or map the label the service uses with \`metrics.labels.${mapKey}\``;
    out.push({ code: 'SLO_LABEL_MISSING', severity: 'error', path, at: typed ? 'value' : 'key', message: `${where}, ${shown}; no \`${label}\`: ${effect}`, hint, metrics: metrics.map((x) => x.metric) });
  }
  return out;
}
