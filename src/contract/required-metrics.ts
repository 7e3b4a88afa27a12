// Which metrics a contract reads, and where in the contract each need comes from, so the code
// check can say "objectives.latency (line 12) reads a histogram the code never registers".
import type { PathSegment } from './diagnostic.ts';
import {
  GO_RUNTIME_ROLES, HTTP_ROLES, NODE_RUNTIME_ROLES, seriesNamesOf,
  type MetricType, type Role,
} from './metric-names.ts';
import { checkPromql } from './promql.ts';
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
    if (role) need(role, path, `the ${s.signal} drift signal`);
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
export function findRegistration<T extends RegisteredName>(required: RequiredMetric, registered: readonly T[]): T | undefined {
  return registered.find((r) => r.name === required.name || seriesNamesOf(r.name, r.type).includes(required.name) ||
    (required.type === 'counter' && r.type === 'counter' && seriesNamesOf(required.name, 'counter').includes(r.name)));
}

/** A registered metric that looks like an SLI source (for --strict): histograms and request/error counters. */
export function looksLikeSli(m: RegisteredName): boolean {
  return m.type === 'histogram' || /(^|_)(requests?|errors?|failures?|latency|duration)(_|$)/.test(m.name);
}
