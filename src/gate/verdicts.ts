// One verdict per objective, from both sides of the wire: the client's (the load run, corrected
// latency, what users see) and the service's (its own /metrics over the same span, evaluated by
// the embedded engine). Pure: views in, verdicts out; no clock, no I/O.
//
// The rules, in short (README "sloctl gate"):
// - Ratios (latency share within threshold, weighted success, availability): either view below
//   the objective fails. Passing with less than a tenth of the allowed bad share left warns.
// - Percentile ceilings and throughput: the client view decides (it is exact; the service's
//   percentiles are estimates between histogram buckets). A service view beyond the line warns.
// - Memory: the service's heap and RSS peaks against warn/critical; growth per request warns only,
//   since one run cannot tell a leak from the timing of a garbage collection.
// - Custom PromQL SLIs need Prometheus: skipped, with the command that evaluates them.
import type { Contract, LatencyObjective } from '../contract/schema.ts';
import type { SloStatus } from '../evaluate/report.ts';
import type { LoadResult, RouteResult } from '../load/types.ts';
import { businessWeight, clientCounts, mergedHistogram, routeOf, rowsFor } from './client-view.ts';
import { formatValue } from './format.ts';
import type { ObjectiveVerdict, Unit } from './types.ts';

/** What the service's own metrics said over the measured phase. */
export interface ServiceView {
  /** Statuses from the embedded evaluator whose first scrape opened the measured phase. */
  slos: SloStatus[];
  /** Business-weighted requests the service finished, per second (sloctl_weighted_requests_total). */
  weightedRate?: number;
  heapMaxBytes?: number;
  rssMaxBytes?: number;
  /** Heap used at the end minus at the start, and requests the service finished meanwhile. */
  heapGrowthBytes?: number;
  requests?: number;
  /** Mean of the critical dependencies' up gauges over the scrapes, 0..1. */
  dependencyUpShare?: number;
  /** Why there is no service view at all (the metrics could not be read). */
  unavailable?: string;
}

export interface GateViews {
  client: LoadResult;
  /** Share of health checks during the measured phase that said UP. */
  healthUpShare?: number;
  service: ServiceView;
}

/** Share of the allowed bad ratio under which a pass becomes a warning: less than 10% left. */
const WARN_HEADROOM = 0.1;

function serviceRatio(service: ServiceView, name: string, kind: SloStatus['kind']): number {
  const s = service.slos.find((x) => x.name === name && x.kind === kind);
  if (!s || s.state === 'skipped' || !(s.counts.total > 0)) return NaN;
  return 1 - s.counts.bad / s.counts.total;
}

/** The service's ratio is an interpolation inside a histogram bucket (no bucket at the threshold). */
function serviceEstimated(service: ServiceView, name: string, kind: SloStatus['kind']): boolean {
  const s = service.slos.find((x) => x.name === name && x.kind === kind);
  return s?.notes.some((n) => n.includes('no bucket at le=')) ?? false;
}

function ratioVerdict(contract: string, name: string, objective: number, client: number, service: number, what: string, serviceIsEstimate = false): ObjectiveVerdict {
  const has = (v: number) => Number.isFinite(v);
  const base = { contract, name, objective, unit: 'ratio' as Unit, direction: 'higher-is-better' as const, client, service };
  if (!has(client) && !has(service)) {
    return { ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: `no ${what} measured by either side` };
  }
  const measured = has(client) ? client : service;
  const margin = measured - objective;
  const show = (v: number) => formatValue(v, 'ratio');
  const views = [has(client) ? `client ${show(client)}` : 'client n/a', has(service) ? `service ${show(service)}` : 'service n/a'].join(', ');
  // A service ratio interpolated inside a bucket is an estimate: with a client view beside it, it
  // can warn but not fail (the same rule as the percentiles).
  const serviceFails = has(service) && service < objective && !(serviceIsEstimate && has(client));
  const failing = [has(client) && client < objective ? 'the client' : '', serviceFails ? 'the service' : ''].filter(Boolean);
  if (failing.length > 0) {
    return { ...base, verdict: 'fail', measured, margin, reason: `${what} below the objective ${show(objective)} as ${failing.join(' and ')} measured it (${views})` };
  }
  if (has(service) && service < objective) {
    return { ...base, verdict: 'warn', measured, margin, reason: `${what} meets ${show(objective)} at the client, but the service's histogram has no bucket at the threshold and its interpolated estimate is below (${views}): give the histogram a bucket at the threshold` };
  }
  const worst = Math.min(...[client, service].filter(has));
  if (1 - worst > (1 - WARN_HEADROOM) * (1 - objective)) {
    return { ...base, verdict: 'warn', measured, margin, reason: `${what} meets ${show(objective)} with less than ${WARN_HEADROOM * 100}% of the allowed bad share left (${views})` };
  }
  return { ...base, verdict: 'pass', measured, margin, reason: `${what} meets ${show(objective)} (${views})` };
}

/** A value that must stay at or under a ceiling (percentiles); the client view decides. */
function ceilingVerdict(contract: string, name: string, ceiling: number, unit: Unit, client: number, service: number, what: string): ObjectiveVerdict {
  const has = (v: number) => Number.isFinite(v);
  const base = { contract, name, objective: ceiling, unit, direction: 'lower-is-better' as const, client, service };
  const show = (v: number) => formatValue(v, unit);
  const measured = has(client) ? client : service;
  if (!has(measured)) return { ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: `no ${what} measured by either side` };
  const margin = ceiling - measured;
  const svc = has(service) ? `; the service's histogram estimate is ${show(service)}` : '';
  const by = has(client) ? 'the client measured' : 'the service estimated (no client view)';
  if (measured > ceiling) return { ...base, verdict: 'fail', measured, margin, reason: `${what} ${show(measured)} is over the ceiling ${show(ceiling)} (${by})${svc}` };
  if (has(client) && has(service) && service > ceiling) {
    return { ...base, verdict: 'warn', measured, margin, reason: `${what} ${show(client)} is within ${show(ceiling)} at the client, but the service's histogram puts it at ${show(service)}: check the bucket boundaries near the ceiling` };
  }
  if (measured > (1 - WARN_HEADROOM) * ceiling) return { ...base, verdict: 'warn', measured, margin, reason: `${what} ${show(measured)} is within ${WARN_HEADROOM * 100}% of the ceiling ${show(ceiling)}${svc}` };
  return { ...base, verdict: 'pass', measured, margin, reason: `${what} ${show(measured)} is within ${show(ceiling)}${svc}` };
}

/**
 * A percentile from a result without histograms: the whole run's summary, when the rows are all
 * of it and the summary has that percentile (imports name what they lack in `absent`).
 */
function summaryPercentile(load: LoadResult, rows: readonly RouteResult[], label: string): number {
  if (rows.length !== load.routes.length || load.latency.count === 0) return NaN;
  const key = label as keyof LoadResult['latency'];
  if (load.latency.absent?.includes(key as never)) return NaN;
  const v = load.latency[key];
  return typeof v === 'number' ? v : NaN;
}

/** The latency threshold of a row under an objective: the route's own, else the objective's. */
function thresholdFor(contract: Contract, o: LatencyObjective, row: RouteResult): number {
  return routeOf(contract, row)?.latency ?? o.threshold;
}

function latencyVerdicts(contract: Contract, views: GateViews): ObjectiveVerdict[] {
  const out: ObjectiveVerdict[] = [];
  for (const o of contract.objectives.latency ?? []) {
    const rows = rowsFor(contract, views.client, o.routes);
    const c = clientCounts(contract, rows, (row) => thresholdFor(contract, o, row));
    const hist = mergedHistogram(rows);
    // An imported summary (a vegeta report, a k6 summary) has counts but no histogram: the share
    // within a threshold cannot be known from it, only the percentiles it reports.
    const client = c.total > 0 && hist.count > 0 ? c.withinThreshold / c.total : NaN;
    const service = serviceRatio(views.service, o.name, 'latency');
    out.push(ratioVerdict('latency', o.name, o.objective, client, service, `share of requests within ${formatValue(o.threshold, 'ms')}`, serviceEstimated(views.service, o.name, 'latency')));
    const svc = views.service.slos.find((s) => s.name === o.name && s.kind === 'latency');
    for (const [label, ceiling] of Object.entries(o.percentiles ?? {})) {
      if (ceiling === undefined) continue;
      const q = Number(`0.${label.slice(1)}`);
      const clientValue = hist.count > 0 ? hist.valueAtPercentile(q * 100) : summaryPercentile(views.client, rows, label);
      const sp = svc?.percentiles.find((p) => p.label === label);
      const serviceValue = sp && Number.isFinite(sp.valueSeconds) ? sp.valueSeconds * 1000 : NaN;
      out.push(ceilingVerdict('latency', `${o.name} ${label}`, ceiling, 'ms', clientValue, serviceValue, label));
    }
  }
  return out;
}

function errorsVerdict(contract: Contract, views: GateViews): ObjectiveVerdict | undefined {
  const e = contract.objectives.errors;
  if (!e) return undefined;
  const c = clientCounts(contract, rowsFor(contract, views.client, e.routes));
  const client = c.total > 0 ? 1 - c.errorRatio : NaN;
  const service = serviceRatio(views.service, e.name, 'errors');
  const v = ratioVerdict('errors', e.name, e.objective, client, service, 'weighted success');
  if (c.classes.size > 0) v.reason += `; client errors by class: ${[...c.classes].map(([k, n]) => `${k} ${n}`).join(', ')}`;
  return v;
}

/**
 * Business-weighted good requests per second: answered, not an error under the contract's
 * classes, and within the latency objectives that apply. The histogram does not split latency by
 * status, so errors are assumed to have been fast: the count is a lower bound, never flattering.
 */
function clientGoodWeightedRate(contract: Contract, load: LoadResult, atLatency: readonly LatencyObjective[]): number {
  if (!(load.durationMs > 0)) return NaN;
  let weighted = 0;
  for (const row of load.routes) {
    const covering = atLatency.filter((o) => o.routes === undefined || o.routes.includes(routeOf(contract, row)?.name ?? ''));
    const threshold = covering.length > 0 ? Math.min(...covering.map((o) => thresholdFor(contract, o, row))) : undefined;
    const c = clientCounts(contract, [row], () => threshold);
    const within = threshold === undefined ? row.completed : c.withinThreshold;
    weighted += businessWeight(contract, row) * Math.max(0, within - c.badResponses);
  }
  return weighted / (load.durationMs / 1000);
}

function throughputVerdict(contract: Contract, views: GateViews, offeredWeightedRate: number | undefined): ObjectiveVerdict | undefined {
  const t = contract.objectives.throughput;
  if (!t) return undefined;
  const atLatency = (contract.objectives.latency ?? []).filter((o) => t.atLatency === undefined || t.atLatency.includes(o.name));
  const client = clientGoodWeightedRate(contract, views.client, atLatency);
  const service = views.service.weightedRate ?? NaN;
  const base = { contract: 'throughput', name: t.name, objective: t.minimum, unit: 'rate' as Unit, direction: 'higher-is-better' as const, client, service };
  const show = (v: number) => formatValue(v, 'rate');
  if (offeredWeightedRate !== undefined && offeredWeightedRate < t.minimum) {
    return { ...base, verdict: 'skipped', measured: client, margin: client - t.minimum, reason: `the load profile offers only ${show(offeredWeightedRate)} business-weighted, below the minimum ${show(t.minimum)}: raise load.rate (or --rate) to test it` };
  }
  if (!Number.isFinite(client)) return { ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: 'no requests measured' };
  const svc = Number.isFinite(service) ? `; the service finished ${show(service)} weighted (all statuses)` : '';
  const margin = client - t.minimum;
  if (client < t.minimum) return { ...base, verdict: 'fail', measured: client, margin, reason: `sustained ${show(client)} business-weighted good requests, under the minimum ${show(t.minimum)}${svc}` };
  return { ...base, verdict: 'pass', measured: client, margin, reason: `sustained ${show(client)} business-weighted good requests within the latency objectives (minimum ${show(t.minimum)})${svc}` };
}

function availabilityVerdict(contract: Contract, views: GateViews, latency: readonly ObjectiveVerdict[], errors: ObjectiveVerdict | undefined): ObjectiveVerdict | undefined {
  const a = contract.objectives.availability;
  if (!a) return undefined;
  // The client's composite from the same parts the SDK's gauge uses; parts nobody measured are
  // left out and the remaining weights renormalised (said in the reason).
  // The first latency objective's share within its threshold (its percentile verdicts are in ms).
  const firstLatency = latency.find((v) => v.unit === 'ratio');
  const latencyPart = firstLatency?.client ?? NaN;
  const successPart = errors?.client ?? (() => {
    const c = clientCounts(contract, views.client.routes);
    return c.total > 0 ? 1 - c.errorRatio : NaN;
  })();
  const parts: Array<[string, number, number]> = [
    ['health', a.weights.health, views.healthUpShare ?? NaN],
    ['latency', a.weights.latency, latencyPart],
    ['success', a.weights.success, Math.max(0, Math.min(1, successPart))],
    ['dependencies', a.weights.dependencies, views.service.dependencyUpShare ?? (contract.dependencies.some((d) => d.critical) ? NaN : 1)],
  ];
  const known = parts.filter(([, w, v]) => w > 0 && Number.isFinite(v));
  const weight = known.reduce((s, [, w]) => s + w, 0);
  const client = weight > 0 ? known.reduce((s, [, w, v]) => s + w * v, 0) / weight : NaN;
  const service = serviceRatio(views.service, a.name, 'availability');
  const v = ratioVerdict('availability', a.name, a.objective, client, service, 'composite availability');
  const missing = parts.filter(([, w, val]) => w > 0 && !Number.isFinite(val)).map(([n]) => n);
  if (missing.length > 0) v.reason += `; the client composite leaves out ${missing.join(', ')} (not measured) and renormalises the other weights`;
  return v;
}

function memoryVerdicts(contract: Contract, service: ServiceView): ObjectiveVerdict[] {
  const m = contract.objectives.memory;
  if (!m) return [];
  const out: ObjectiveVerdict[] = [];
  const peak = (name: string, th: { warn: number; critical: number } | undefined, value: number | undefined, what: string) => {
    if (!th) return;
    const base = { contract: 'memory', name, objective: th.critical, unit: 'bytes' as Unit, direction: 'lower-is-better' as const, service: value ?? NaN };
    const show = (v: number) => formatValue(v, 'bytes');
    if (value === undefined) {
      out.push({ ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: `the service does not expose its ${what} (${service.unavailable ?? 'metric missing'})` });
      return;
    }
    const margin = th.critical - value;
    if (value >= th.critical) out.push({ ...base, verdict: 'fail', measured: value, margin, reason: `${what} peaked at ${show(value)}, at or over critical ${show(th.critical)}` });
    else if (value >= th.warn) out.push({ ...base, verdict: 'warn', measured: value, margin, reason: `${what} peaked at ${show(value)}, over warn ${show(th.warn)} (critical ${show(th.critical)})` });
    else out.push({ ...base, verdict: 'pass', measured: value, margin, reason: `${what} peaked at ${show(value)}, under warn ${show(th.warn)}` });
  };
  peak('heap', m.heap, service.heapMaxBytes, 'heap used');
  peak('rss', m.rss, service.rssMaxBytes, 'resident memory');
  if (m.perRequest !== undefined) {
    const per = service.heapGrowthBytes !== undefined && service.requests ? service.heapGrowthBytes / service.requests : undefined;
    const base = { contract: 'memory', name: 'per-request', objective: m.perRequest, unit: 'bytes' as Unit, direction: 'lower-is-better' as const, service: per ?? NaN };
    const show = (v: number) => formatValue(v, 'bytes');
    if (per === undefined) out.push({ ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: 'heap growth per request needs the heap gauge and the request counter from the service' });
    else if (per > m.perRequest) out.push({ ...base, verdict: 'warn', measured: per, margin: m.perRequest - per, reason: `heap grew ${show(per)} per request (limit ${show(m.perRequest)}); one run cannot tell a leak from garbage-collection timing: compare with the baseline over trials, or run the memory-leak drill` });
    else out.push({ ...base, verdict: 'pass', measured: per, margin: m.perRequest - per, reason: `heap grew ${show(per)} per request, within ${show(m.perRequest)}` });
  }
  return out;
}

function customVerdicts(contract: Contract): ObjectiveVerdict[] {
  return contract.slis.map((s) => ({
    contract: 'custom', name: s.name, verdict: 'skipped' as const, measured: NaN, objective: s.objective, unit: 'ratio' as Unit,
    direction: 'higher-is-better' as const, margin: NaN,
    reason: 'a custom PromQL SLI: the gate cannot evaluate PromQL; check it with `sloctl status --prometheus URL`',
  }));
}

/** One line per failed verdict, "latency api-latency p50: <reason>", for the outcome's reasons. */
export function failureReasons(verdicts: readonly ObjectiveVerdict[]): string[] {
  return verdicts.filter((v) => v.verdict === 'fail').map((v) => `${v.contract} ${v.name}: ${v.reason}`);
}

export interface JudgeOptions {
  /** The business-weighted rate the load profile offers (for the throughput objective). */
  offeredWeightedRate?: number;
}

/** Every objective the gate can judge, in contract order. */
export function judgeObjectives(contract: Contract, views: GateViews, options: JudgeOptions = {}): ObjectiveVerdict[] {
  const latency = latencyVerdicts(contract, views);
  const errors = errorsVerdict(contract, views);
  const out = [...latency];
  if (errors) out.push(errors);
  const throughput = throughputVerdict(contract, views, options.offeredWeightedRate);
  if (throughput) out.push(throughput);
  const availability = availabilityVerdict(contract, views, latency, errors);
  if (availability) out.push(availability);
  out.push(...memoryVerdicts(contract, views.service), ...customVerdicts(contract));
  return out;
}
