// Which metrics a contract reads, and where in the contract each need comes from, so the code
// check can say "objectives.latency (line 12) reads a histogram the code never registers".
import type { PathSegment } from './diagnostic.ts';
import {
  GO_RUNTIME_ROLES, HTTP_ROLES, NODE_RUNTIME_ROLES, seriesNamesOf,
  type MetricType, type Role,
} from './metric-names.ts';
import { checkPromql } from './promql.ts';
import { unmeasuredDependencies } from './availability-parts.ts';
import type { Contract } from './schema.ts';

export interface RequiredMetric {
  /** The metric name (a family name for roles; a series name for PromQL selectors). */
  name: string;
  /** Known for roles; unknown for names read from PromQL. */
  type?: MetricType;
  role?: Role;
  /** Where the need comes from (the section or query), and whether a `metrics:` override set the name. */
  path: PathSegment[];
  at: 'key' | 'value';
  why: string;
  /**
   * Set when the contract works without the metric, saying how (the availability gauge: the rules
   * compose availability from its parts when the service does not export it). Such a need is a
   * note, never an error.
   */
  optional?: string;
}

export interface RegisteredName {
  name: string;
  type: MetricType | 'untyped';
}

function roleMetric(c: Contract, role: Role): { name: string; type: MetricType; overridden: boolean } {
  const runtimeRoles: Record<string, { name: string; type: MetricType }> =
    c.service.runtime === 'go' ? GO_RUNTIME_ROLES : NODE_RUNTIME_ROLES;
  const def = (HTTP_ROLES as Record<string, { name: string; type: MetricType }>)[role] ?? runtimeRoles[role] ??
    (NODE_RUNTIME_ROLES as Record<string, { name: string; type: MetricType }>)[role] ??
    (GO_RUNTIME_ROLES as Record<string, { name: string; type: MetricType }>)[role];
  const override = c.metrics?.[role];
  return { name: override ?? def.name, type: def.type, overridden: override !== undefined };
}

/** The verb after `why`: "the latency objectives read", "the error objective reads". */
export function reads(need: Pick<RequiredMetric, 'why'>): 'read' | 'reads' {
  return /(objectives|thresholds|drills)$/.test(need.why) ? 'read' : 'reads';
}

export function requiredMetrics(c: Contract): RequiredMetric[] {
  const out: RequiredMetric[] = [];
  const need = (role: Role, path: PathSegment[], why: string) => {
    const m = roleMetric(c, role);
    // An override is where a person typed the name: point there.
    const at = m.overridden ? { path: ['metrics', role], at: 'value' as const } : { path, at: 'key' as const };
    out.push({ name: m.name, type: m.type, role, ...at, why });
  };
  const o = c.objectives;
  if (o.latency) need('requestDuration', ['objectives', 'latency'], 'the latency objectives');
  if (o.errors) need('requests', ['objectives', 'errors'], 'the error objective');
  if (o.throughput) need('requests', ['objectives', 'throughput'], 'the throughput objective');
  if (o.availability) {
    need('availability', ['objectives', 'availability'], 'the availability objective');
    const u = unmeasuredDependencies(c);
    out[out.length - 1].optional = u === undefined || u.measuredWeight <= 0
      ? 'without it, the rules compose availability from its parts (health, latency, success, dependencies)'
      : `without it, the rules compose availability from its parts (health, latency, success, renormalised; the dependencies part is left out: no \`metrics.dependencyUp\` gauge for ${u.dependencies.join(', ')})`;
  }
  if (o.memory?.heap) need('heapUsed', ['objectives', 'memory', 'heap'], 'the heap thresholds');
  if (o.memory?.rss) need('rss', ['objectives', 'memory', 'rss'], 'the RSS thresholds');
  const k = o.concurrency;
  if (k) {
    const node = c.service.runtime !== 'go';
    if (k.eventLoopDelay && node) need('eventLoopDelay', ['objectives', 'concurrency', 'eventLoopDelay'], 'the event-loop delay thresholds');
    if (k.eventLoopUtilization && node) need('eventLoopUtilization', ['objectives', 'concurrency', 'eventLoopUtilization'], 'the event-loop utilization thresholds');
    if (k.handles && node) need('handles', ['objectives', 'concurrency', 'handles'], 'the active-handle thresholds');
    if (k.inFlight) need('inFlight', ['objectives', 'concurrency', 'inFlight'], 'the in-flight thresholds');
    if (k.goroutines && !node) need('goroutines', ['objectives', 'concurrency', 'goroutines'], 'the goroutine thresholds');
  }
  o.drift?.signals.forEach((s, i) => {
    const path = ['objectives', 'drift', 'signals', i, 'signal'];
    const role: Role | undefined = ({ latency: 'requestDuration', errors: 'requests', eventLoopDelay: 'eventLoopDelay', eventLoopUtilization: 'eventLoopUtilization', heap: 'heapUsed', inFlight: 'inFlight' } as const)[s.signal];
    // A Node-only signal on a Go service reads nothing (semantic.ts warns about it), so needs nothing.
    const nodeOnly = role === 'eventLoopDelay' || role === 'eventLoopUtilization';
    if (role && !(nodeOnly && c.service.runtime === 'go')) need(role, path, `the ${s.signal} drift signal`);
  });
  c.slis.forEach((s, i) => {
    const queries: Array<[PathSegment[], string | undefined, string]> = [
      [['slis', i, 'good'], s.good, 'good'], [['slis', i, 'bad'], s.bad, 'bad'], [['slis', i, 'total'], s.total, 'total'],
      [['slis', i, 'errorRatio'], s.errorRatio, 'errorRatio'], [['slis', i, 'threshold', 'query'], s.threshold?.query, 'threshold'],
    ];
    for (const [path, q, key] of queries) {
      if (q === undefined) continue;
      for (const name of checkPromql(q).metrics) out.push({ name, path, at: 'value', why: `the ${key} query of custom SLI "${s.name}"` });
    }
  });
  // One finding per metric and place: two sections reading the same counter are one need each.
  const seen = new Set<string>();
  return out.filter((r) => {
    const key = `${r.name}|${r.path.join('.')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The registration that provides a required metric, if any. */
export function findRegistration<T extends RegisteredName>(required: Pick<RequiredMetric, 'name' | 'type'>, registered: readonly T[]): T | undefined {
  return registered.find((r) => r.name === required.name || seriesNamesOf(r.name, r.type).includes(required.name) ||
    (required.type === 'counter' && r.type === 'counter' && seriesNamesOf(required.name, 'counter').includes(r.name)));
}

/** A registered metric that looks like an SLI source (for --strict): histograms and request/error counters. */
export function looksLikeSli(m: RegisteredName): boolean {
  return m.type === 'histogram' || /(^|_)(requests?|errors?|failures?|latency|duration)(_|$)/.test(m.name);
}

/** A declared dependency's name for a hint's example (the first critical one). */
function dependencyExample(c: Contract): string {
  return (c.dependencies.find((d) => d.critical) ?? c.dependencies[0])?.name ?? 'payments';
}

/** client_golang's `prometheus.DefBuckets`: the buckets of a Go histogram that sets none. */
export const GO_DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A latency the latency histogram must have a bucket boundary at, and where the contract sets it. */
export interface LatencyBound {
  /** In seconds, as `le` is written. */
  seconds: number;
  kind: 'threshold' | 'percentile';
  /** What it is, for a message: `the threshold of objective "api"`, `the p99 ceiling of objective "api"`, `the latency of route "checkout"`. */
  what: string;
  path: PathSegment[];
}

/**
 * Every latency threshold (each objective's, each route's own) and percentile ceiling of the
 * contract, in contract order: a bucket boundary at each makes the SLI exact (a count, not an
 * estimate), and the generated rules read the bucket at each threshold by its `le`.
 */
export function latencyBounds(c: Contract): LatencyBound[] {
  const out: LatencyBound[] = [];
  c.objectives.latency?.forEach((o, i) => {
    out.push({ seconds: o.threshold / 1000, kind: 'threshold', what: `the threshold of objective "${o.name}"`, path: ['objectives', 'latency', i, 'threshold'] });
    for (const [p, ms] of Object.entries(o.percentiles ?? {})) {
      if (ms !== undefined) out.push({ seconds: ms / 1000, kind: 'percentile', what: `the ${p} ceiling of objective "${o.name}"`, path: ['objectives', 'latency', i, 'percentiles', p] });
    }
  });
  if (c.objectives.latency) {
    c.routes.forEach((r, i) => {
      if (r.latency !== undefined) out.push({ seconds: r.latency / 1000, kind: 'threshold', what: `the latency of route "${r.name}"`, path: ['routes', i, 'latency'] });
    });
  }
  return out;
}

/** `values` merged with `extra`, sorted, each once (equal up to float noise; +Inf kept). */
export function mergeBounds(values: readonly number[], extra: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of [...values, ...extra].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (out.length === 0 || (v !== last && (!Number.isFinite(v) || Math.abs(last - v) > 1e-9 * Math.max(Math.abs(v), 1e-12)))) out.push(v);
  }
  return out;
}

/** Seconds as a Go or JavaScript float literal: 0.3, 2.5, 10. */
export function floatLiteral(s: number): string {
  return String(+s.toPrecision(12));
}

/** prom-client's default histogram buckets (the same as client_golang's). */
export const PROM_CLIENT_DEFAULT_BUCKETS: readonly number[] = GO_DEFAULT_BUCKETS;

const GO_LABELS = '[]string{"handler", "method", "code"}';

/**
 * How to make the service export a metric the contract reads, for its runtime: client_golang for
 * Go (the usual promauto/promhttp calls), sloctl/sdk or prom-client for Node. One clause, without
 * the `metrics:` alternative (the caller adds it when the need has a role).
 */
export function registrationHint(c: Contract, need: Pick<RequiredMetric, 'name' | 'type' | 'role'>): string {
  const runtime = c.service.runtime;
  const role = need.role;
  const type = need.type;
  if (runtime === 'go') {
    // promhttp's handlers label {handler, method, code}: the contract maps them.
    const mapLabels = c.metrics?.labels ? '' : '; then map promhttp\'s labels: `metrics: { labels: { route: handler, status: code } }`';
    if (role === 'goroutines' || role === 'heapUsed' || role === 'rss') {
      return 'client_golang\'s Go and process collectors export it: serve promhttp.Handler() (the default registry has them), or on your own registry `reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))`';
    }
    if (role === 'requestDuration') {
      const buckets = mergeBounds(GO_DEFAULT_BUCKETS, latencyBounds(c).map((b) => b.seconds)).map(floatLiteral).join(', ');
      return `register it with client_golang: \`promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "${need.name}", Buckets: []float64{${buckets}}}, ${GO_LABELS})\` (a bucket at every threshold), and wrap each handler with \`promhttp.InstrumentHandlerDuration(hist.MustCurryWith(prometheus.Labels{"handler": "/route"}), h)\`${mapLabels}`;
    }
    if (role === 'requests') {
      return `register it with client_golang: \`promauto.NewCounterVec(prometheus.CounterOpts{Name: "${need.name.replace(/_total$/, '')}_total"}, ${GO_LABELS})\`, and wrap each handler with \`promhttp.InstrumentHandlerCounter(counter.MustCurryWith(prometheus.Labels{"handler": "/route"}), h)\`${mapLabels}`;
    }
    if (role === 'inFlight') {
      return `register it with client_golang: \`promauto.NewGauge(prometheus.GaugeOpts{Name: "${need.name}"})\`, and wrap the handler with \`promhttp.InstrumentHandlerInFlight(gauge, h)\``;
    }
    if (role === 'dependencyUp') {
      return `register it with client_golang: \`promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "${need.name}"}, []string{"dependency"})\`, and set it per declared dependency, 1 while usable and 0 when not: \`up.WithLabelValues("${dependencyExample(c)}").Set(1)\``;
    }
    if (!role) return 'register it with client_golang (`promauto.NewCounterVec(...)`, `promauto.NewHistogramVec(...)`, or `prometheus.MustRegister(...)`)';
    const ctor = type === 'histogram' ? 'NewHistogramVec(prometheus.HistogramOpts' : type === 'gauge' ? 'NewGaugeVec(prometheus.GaugeOpts' : type === 'summary' ? 'NewSummaryVec(prometheus.SummaryOpts' : 'NewCounterVec(prometheus.CounterOpts';
    return `register it with client_golang: \`promauto.${ctor}{Name: "${need.name}"}, labels)\` (or \`prometheus.MustRegister(...)\`)`;
  }
  if (runtime === 'node') {
    if (role === 'eventLoopUtilization' || role === 'heapLimit') return 'sloctl/sdk\'s instrument() registers it (prom-client\'s default metrics lack it)';
    if (role === 'eventLoopDelay' || role === 'heapUsed' || role === 'handles' || role === 'rss') {
      return 'prom-client\'s `collectDefaultMetrics()` registers it (sloctl/sdk\'s instrument() turns the defaults on)';
    }
    if (role === 'dependencyUp' && need.name !== HTTP_ROLES.dependencyUp.name) {
      return `register it with prom-client: \`new client.Gauge({ name: '${need.name}', help: '…', labelNames: ['dependency'] })\`, set per declared dependency, 1 while usable and 0 when not: \`up.set({ dependency: '${dependencyExample(c)}' }, 1)\``;
    }
    const cls = type === 'histogram' ? 'Histogram' : type === 'gauge' ? 'Gauge' : type === 'summary' ? 'Summary' : 'Counter';
    const extra = role === 'requestDuration' ? `, buckets: [${mergeBounds(PROM_CLIENT_DEFAULT_BUCKETS, latencyBounds(c).map((b) => b.seconds)).map(floatLiteral).join(', ')}]` : '';
    if (role) return `register it (sloctl/sdk's instrument() does), or with prom-client: \`new client.${cls}({ name: '${need.name}', help: '…', labelNames: [...]${extra} })\``;
    return 'register it with prom-client (`new client.Counter({ name, help })`, `new client.Histogram(...)`)';
  }
  return 'register it in the service\'s instrumentation';
}
