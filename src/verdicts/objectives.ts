// One verdict per objective, from both sides of the wire: the client's (the load run, corrected
// latency, what users see) and the service's (its own /metrics over the same span, evaluated by
// the embedded engine). Pure: views in, verdicts out; no clock, no I/O.
//
// The rules, in short (README "sloctl gate"):
// - Ratios (latency share within threshold, weighted success, availability): either view below
//   the objective fails. Passing with less than a tenth of the allowed bad share left warns.
// - Percentile ceilings and throughput: the client view decides (it is exact; the service's
//   percentiles are estimates between histogram buckets). A service view beyond the line warns.
//   A percentile the service's histogram alone speaks for is judged by the bucket it lies in:
//   over when the ceiling is at or below the bucket, within when at or above it, else not judged.
// - Memory: the service's heap and RSS peaks against warn/critical; growth per request from the
//   heap's floor over the run: a floor rising through the run fails, growth over the limit the run
//   cannot call a leak warns, a service that restarted has no growth per request (memory.ts).
// - Concurrency: each declared signal's peak over the measured phase against warn/critical; a signal
//   the service does not export is skipped, naming the series and the `metrics:` role (concurrency.ts).
// - A contract route the client got answers on (20 or more) and the service's series recorded
//   nothing under, while they recorded other routes (its route label is not the template): a WARN
//   naming the route and the labels used instead, and the objectives covering it have their
//   service side INCONCLUSIVE (routes.ts, UNRECORDED_MIN_REQUESTS).
// - Custom PromQL SLIs need Prometheus: skipped, with the command that evaluates them.
// - Sections the gate does not judge (dependencies, resilience, drift, observability): sloctl
//   accept's other phases judge them (src/accept/run.ts); the gate leaves them out.
import { unseenClasses } from '../contract/label-map.ts';
import { CLUSTER_WORKER, HTTP_ROLES } from '../contract/metric-names.ts';
import { formatDuration, formatElapsed, formatSeconds } from '../contract/units.ts';
import { ceilingSide, type QuantileBucket } from '../engine/histogram.ts';
import type { Contract, LatencyObjective } from '../contract/schema.ts';
import type { SloStatus } from '../evaluate/report.ts';
import type { ThinSamples } from '../evaluate/thin-evidence.ts';
import type { LoadResult, RouteResult } from '../measure/types.ts';
import { businessWeight, classifierOf, clientCounts, mergedHistogram, routeOf, rowsFor } from './client-view.ts';
import { concurrencyVerdicts, unjudgedSections, type ConcurrencyPeak } from './concurrency.ts';
import { formatBound, formatValue, formatVerdictValue, lowestBucketBound } from './format.ts';
import { shortOfObjective } from './stats.ts';
import { intervalMissBound, intervalMissStands } from '../engine/interval-miss.ts';
import type { HealthStats } from './health.ts';
import { memoryVerdicts, takingTurnsText, type HeapReading, type ServiceRestart, type TakingTurns } from './memory.ts';
import { causesText, errorCauses, latencyShareCauses, missingBuckets, missingBucketsText, percentileCauses, routeEvidence, throughputCauses, unrecordedRoutes, unrecordedRoutesText, type RouteEvidence } from './routes.ts';
import type { AvailabilityPart, ObjectiveVerdict, RouteCause, Unit } from './types.ts';
import { percentileQuantile } from '../contract/percentiles.ts';
import { failsObjective, measuredValue, serviceFails, withdrawFailures } from './withdraw.ts';

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
  /** The heap gauge and the request counter at each scrape of the measured phase (the heap's floor: memory.ts). */
  heapSeries?: HeapReading[];
  /** The metric HeapReading.majorGcs is read from, as a selector (memory.ts names it in its reasons). */
  majorGcMetric?: string;
  /** Restarts of the service seen between scrapes (its start time changed, its request counter went down). */
  restarts?: ServiceRestart[];
  /** Mean of the critical dependencies' up gauges over the scrapes, 0..1. */
  dependencyUpShare?: number;
  /** Each critical dependency's up gauge averaged over the same scrapes, 0..1: which one was down, and how much. */
  dependencyUpShares?: Record<string, number>;
  /** Per declared concurrency signal, its peak over the measured phase (src/verdicts/concurrency.ts). */
  concurrency?: ConcurrencyPeak[];
  /** Processes took turns answering the service's /metrics (cluster mode): its own ratios mix them (memory.ts TakingTurns). */
  takingTurns?: TakingTurns;
  /** The SDK's sloctl_cluster_worker at the scrapes: its /metrics is this node:cluster worker's alone. */
  clusterWorker?: number;
  /** Why there is no service view at all (the metrics could not be read). */
  unavailable?: string;
  /**
   * The availability gauge judges the service's last N seconds of requests, which reached back
   * before the measured phase (the warm-up, requests sloctl did not send) at `composed` of the
   * `carried` scrapes that had it: at those the composite was computed from its parts instead
   * (the scrape interval's latency and success, liveness, critical dependencies). `windowMs`: the
   * window, when the health body said. Absent when the gauge was read at every scrape.
   */
  availabilityComposed?: { carried: number; composed: number; windowMs?: number };
  /**
   * Why the service's series cannot tell errors from successes (no error-class or status label
   * where the contract's `metrics.labels` says), with the fix: its errors ratio is INCONCLUSIVE.
   */
  errorsUnseen?: string;
  /**
   * The route label the contract reads (`metrics.labels.route`, or the SDK's `route` when the
   * mapping names none: `mapped` false) is on no series of the service's latency histogram (or,
   * without one, its request counter): `carried` are the label names its series have.
   */
  routeLabelMissing?: { metric: string; kind: 'histogram' | 'counter'; label: string; mapped: boolean; carried: string[] };
  /**
   * The service's request counter (sloctl's SDK's, or the one `metrics.requests` maps), when its
   * metrics declare it, and how many requests it counted over the measured phase (0 when it has
   * no series at all). Absent when the service exports no such counter.
   */
  requestCounter?: { name: string; counted: number };
}

export interface GateViews {
  client: LoadResult;
  /**
   * The client's trials one by one (the availability composite scores latency and success per
   * trial, as the SDK scores them per moment); default: the merged client view as one trial.
   */
  trials?: readonly LoadResult[];
  /** Share of health checks during the measured phase that said UP. */
  healthUpShare?: number;
  /** What the health endpoint said over the measured phase, check by check. */
  health?: HealthStats;
  service: ServiceView;
  /** Per-route evidence from both views; default: the client's rows alone. */
  routes?: RouteEvidence[];
}

/** The per-route evidence of the views (the client's alone when the caller gave none). */
function evidence(contract: Contract, views: GateViews): RouteEvidence[] {
  return (views.routes ??= routeEvidence(contract, views.client, undefined));
}

/**
 * Adds the routes causing a failed verdict to it (structured and in its reason), each with the
 * dependencies the contract declares it calls and what the health endpoint said of them.
 */
function blame(v: ObjectiveVerdict, causes: () => RouteCause[], views: GateViews): ObjectiveVerdict {
  if (v.verdict !== 'fail') return v;
  const c = causes();
  if (c.length === 0) return v;
  v.routes = c;
  v.reason += causesText(c, dependenciesSaid(views));
  return v;
}

/** Each check the health endpoint reported failing during the run, in words: "reported failing 20% of the measured time by the health endpoint: circuit breaker open". */
function dependenciesSaid(views: GateViews): Map<string, string> {
  return new Map((views.health?.failing ?? []).map((f) => [f.name, `reported failing ${formatValue(f.share, 'ratio')} of the measured time by the health endpoint: ${f.reason ?? f.status}`]));
}

/** Which view failed a ratio verdict: the client's when it is below, else the service's. */
function failingView(v: ObjectiveVerdict): 'client' | 'service' {
  return v.client !== undefined && Number.isFinite(v.client) && v.client < v.objective ? 'client' : v.service !== undefined && Number.isFinite(v.service) ? 'service' : 'client';
}

/**
 * A ratio objective judged on `events` requests of which `bad` were bad: when the
 * objective's budget is under one request of them, no bad request cannot show it met (100 clean
 * requests cannot tell 99.9% from 99%), and a few cannot show it missed. Such a verdict becomes
 * `unmeasurable` (skipped, with the requests it needs), unless the bad ones are too many for the
 * objective to explain (P(X >= bad) < 5% at the objective's bad share): then the failure stands.
 * The same line as validate's SLO_BUDGET_UNMEASURABLE, on what the run sent, since --duration,
 * --rate and --trials can shorten it.
 */
function measurableOrNot(v: ObjectiveVerdict, events: number, bad: number): ObjectiveVerdict {
  // `bad`: how many of the `events` were bad, each counted once.
  const short = v.verdict === 'skipped' ? undefined : shortOfObjective(events, bad, v.objective);
  if (short === undefined) return v;
  const show = (x: number) => formatValue(x, 'ratio');
  const { bad: k, tail, needed } = short;
  const what = `objective ${show(v.objective)} allows ${+short.allowedBad.toPrecision(2)} bad requests in the ${events} this run measured`;
  if (v.verdict === 'fail' && short.tooMany) {
    v.reason += `; the run was short for this objective (${what}), but ${k} bad would happen with probability ${tail.toPrecision(2)} if it were met: the failure stands`;
    return v;
  }
  const seen = k > 0 ? `${k} bad (probability ${tail.toPrecision(2)} even if it were met)` : 'none bad';
  return {
    ...v, verdict: 'skipped', unmeasurable: true, routes: undefined,
    reason: `not measurable by this run: ${what}, and it saw ${seen}, which cannot say whether ${show(v.objective)} was met; send at least ${needed} requests to these routes (a longer --duration or a higher --rate, or the contract's load.duration/load.rate); measured: ${v.reason}`,
  };
}

/** Why an interval below its objective was not a miss: what the objective itself gives by chance. */
function noiseText(n: number, objective: number): string {
  return `${formatValue(objective, 'ratio')} gives up to ${Math.floor(intervalMissBound(n, objective))} bad in ${n} by chance (95%): not a miss`;
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
  const show = (v: number) => formatValue(v, 'ratio');
  // The views as read: a weighted success below 0% says 0% and why (formatVerdictValue).
  const view = (v: number) => formatVerdictValue(base, v);
  const views = [has(client) ? `client ${view(client)}` : 'client n/a', has(service) ? `service ${view(service)}` : 'service n/a'].join(', ');
  // A service ratio interpolated inside a bucket is an estimate: with a client view beside it, it
  // can warn but not fail (the same rule as the percentiles).
  const serviceFails = has(service) && service < objective && !(serviceIsEstimate && has(client));
  // The value the verdict stands on: the client's, unless the service's own view fails it, then
  // the lower of the two (a failure only the service saw must not show the client's passing value
  // and a positive margin beside FAIL).
  const measured = serviceFails ? (has(client) ? Math.min(client, service) : service) : has(client) ? client : service;
  const margin = measured - objective;
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

/**
 * A ratio verdict whose service side cannot be judged (`why`: the reason and the fix): the client
 * decides a failure; a pass is only a warning, since one side could not say; with no client view
 * there is no verdict (skipped). Never a pass on evidence that cannot support one.
 */
function inconclusiveServiceVerdict(contract: string, name: string, objective: number, client: number, what: string, why: string): ObjectiveVerdict {
  const v = ratioVerdict(contract, name, objective, client, NaN, what);
  const note = `the service side is INCONCLUSIVE: ${why}`;
  if (v.verdict === 'skipped') v.reason = `no ${what} measured by the client, and ${note}`;
  else if (v.verdict === 'fail') v.reason += `; ${note}`;
  else {
    v.verdict = 'warn';
    v.reason = `${what} meets ${formatValue(objective, 'ratio')} at the client (client ${formatVerdictValue(v, client)}), but ${note}`;
  }
  return v;
}

/** "le=0.25" / "le=+Inf": a bucket bound as the histogram's `le` label writes it (seconds). */
function leLabel(ms: number): string {
  return `le=${ms === Infinity ? '+Inf' : +(ms / 1000).toPrecision(6)}`;
}

/** What the service's histogram says of a percentile: "between 100 ms and 250 ms (bucket le=0.25)". */
function bucketText(b: QuantileBucket): string {
  const show = formatBound;
  if (b.upper === Infinity) return `above ${show(b.lower)} by the service's histogram (its ${leLabel(Infinity)} bucket)`;
  if (!(b.lower > 0)) return `at most ${show(b.upper)} by the service's histogram (its lowest bucket, ${leLabel(b.upper)})`;
  return `between ${show(b.lower)} and ${show(b.upper)} by the service's histogram (bucket ${leLabel(b.upper)})`;
}

/**
 * A value that must stay at or under a ceiling (percentiles); the client view decides. The
 * service's value is histogram_quantile's guess inside the bucket the quantile lies in
 * (`serviceBucket`, ms): alone, it fails only when the ceiling is at or below that bucket's lower
 * bound, passes only when the ceiling is at or above its upper bound, and is not judged (skipped)
 * when the ceiling lies inside it. Without the bucket, the value is taken as it is.
 */
function ceilingVerdict(contract: string, name: string, ceiling: number, unit: Unit, client: number, service: number, what: string, serviceBucket?: QuantileBucket, histogram: string = HTTP_ROLES.requestDuration.name): ObjectiveVerdict {
  const has = (v: number) => Number.isFinite(v);
  const base = { contract, name, objective: ceiling, unit, direction: 'lower-is-better' as const, client, service };
  const show = (v: number) => formatValue(v, unit);
  const measured = has(client) ? client : service;
  if (!has(measured)) return { ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: `no ${what} measured by either side` };
  const margin = ceiling - measured;
  const bucket = has(service) ? serviceBucket : undefined;
  // Which side of the ceiling the service's histogram puts the percentile, by its bucket.
  const side = !has(service) ? undefined : bucket ? ceilingSide(bucket, ceiling) : service > ceiling ? 'over' : 'within';
  // Inside the lowest bucket histogram_quantile interpolates from 0, which says nothing: the
  // bucket is what the service's histogram knows (the route table prints it "≤ 5 ms" too).
  const lowest = lowestBucketBound(bucket);
  const svc = !has(service) ? ''
    : side === 'undecided' && bucket ? `; the service's histogram estimate is ${show(service)}, ${bucketText(bucket)}`
    : lowest !== undefined ? `; the service's histogram puts it at or under ${formatBound(lowest)} (its lowest bucket, ${leLabel(lowest)})`
    : `; the service's histogram estimate is ${show(service)}`;
  if (!has(client)) {
    if (side === 'undecided') {
      return {
        ...base, verdict: 'skipped', measured: NaN, margin: NaN,
        reason: `${what} is ${bucketText(bucket!)}, which cannot say whether it is within ${show(ceiling)}: add a bucket at ${leLabel(ceiling)} to ${histogram}, or let the client measure it (it got no answer on the objective's routes to take a percentile from: a load.mix that covers them, answered within load.timeout); the service's estimate ${show(service)} is a guess inside that bucket`,
      };
    }
    if (side === 'over') {
      const where = bucket ? `, ${bucketText(bucket)}, all of it over the ceiling` : '';
      return { ...base, verdict: 'fail', measured, margin, reason: `${what} ${show(measured)} is over the ceiling ${show(ceiling)}; no client view: the service's estimate${where}` };
    }
  }
  if (has(client) && client > ceiling) return { ...base, verdict: 'fail', measured, margin, reason: `${what} ${show(measured)} is over the ceiling ${show(ceiling)} (the client measured)${svc}` };
  if (has(client) && side === 'over') {
    const where = bucket ? `, ${bucketText(bucket)}` : '';
    return { ...base, verdict: 'warn', measured, margin, reason: `${what} ${show(client)} is within ${show(ceiling)} at the client, but the service's histogram puts it at ${show(service)}${where}: check the bucket boundaries near the ceiling` };
  }
  const alone = has(client) ? '' : `; no client view: the service's estimate${bucket ? `, ${bucketText(bucket)}` : ''}`;
  if (measured > (1 - WARN_HEADROOM) * ceiling) return { ...base, verdict: 'warn', measured, margin, reason: `${what} ${show(measured)} is within ${WARN_HEADROOM * 100}% of the ceiling ${show(ceiling)}${alone}${has(client) ? svc : ''}` };
  return { ...base, verdict: 'pass', measured, margin, reason: `${what} ${show(measured)} is within ${show(ceiling)}${alone}${has(client) ? svc : ''}` };
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

/**
 * Why the service's share for an objective over all routes is not that objective's, when its
 * series carry no route label (ServiceView.routeLabelMissing) and a route has a threshold of its
 * own: the selectors that judge that route at its own threshold select nothing, the one for "every
 * other route" selects every request, so that route's requests were held to the objective's
 * threshold. A slower route within its own threshold would fail the objective on the service side
 * alone: that side is INCONCLUSIVE, the client (which tells routes apart) decides. '' otherwise.
 */
function blendedRoutesText(contract: Contract, service: ServiceView, o: LatencyObjective): string {
  const missing = service.routeLabelMissing;
  if (missing === undefined || service.unavailable || o.routes !== undefined) return '';
  const own = routesOfOtherThreshold(contract, o);
  if (own.length === 0) return '';
  return `the service's ${missing.metric} has no \`${missing.label}\` label, so its share held every route's requests to ${formatDuration(o.threshold)}, ${own.map((r) => `${r.method} ${r.path}'s (its own threshold ${formatDuration(r.latency!)})`).join(', ')} too`;
}

/** The contract's routes with a latency threshold of their own other than the objective's: without a route label, the service holds them to the objective's (blendedRoutesText, routeLabelNote). */
function routesOfOtherThreshold(contract: Contract, o: LatencyObjective): Contract['routes'] {
  return contract.routes.filter((r) => r.latency !== undefined && r.latency !== o.threshold);
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
    const what = `share of requests within ${formatValue(o.threshold, 'ms')}`;
    // A route whose threshold has no bucket on the service's histogram: the service's share is a
    // guess inside a bucket, so its side is INCONCLUSIVE (naming the buckets there and the one to add).
    const noBucket = views.routes !== undefined ? missingBuckets(evidence(contract, views), o) : [];
    // A covered route the service recorded no requests under (its label is not the template): its
    // ratio leaves that route out or counts it under another label, so its side is INCONCLUSIVE too.
    const unrecorded = views.routes !== undefined ? unrecordedRoutes(evidence(contract, views), o) : [];
    const why = [
      noBucket.length > 0 ? missingBucketsText(noBucket, contract.metrics?.requestDuration ?? HTTP_ROLES.requestDuration.name) : '',
      unrecorded.length > 0 ? unrecordedRoutesText(unrecorded) : '',
      blendedRoutesText(contract, views.service, o),
    ].filter(Boolean).join('; and ');
    const share = why !== ''
      ? inconclusiveServiceVerdict('latency', o.name, o.objective, client, what, why)
      : ratioVerdict('latency', o.name, o.objective, client, service, what, serviceEstimated(views.service, o.name, 'latency'));
    out.push(measurableOrNot(blame(share, () => latencyShareCauses(evidence(contract, views), o, failingView(share)), views), c.total, c.total - c.withinThreshold));
    const svc = views.service.slos.find((s) => s.name === o.name && s.kind === 'latency');
    for (const [label, ceiling] of Object.entries(o.percentiles ?? {})) {
      if (ceiling === undefined) continue;
      const q = percentileQuantile(label);
      const clientValue = hist.count > 0 ? hist.valueAtPercentile(q * 100) : summaryPercentile(views.client, rows, label);
      const sp = svc?.percentiles.find((p) => p.label === label);
      const serviceValue = sp && Number.isFinite(sp.valueSeconds) ? sp.valueSeconds * 1000 : NaN;
      const serviceBucket = sp?.bucket ? { lower: sp.bucket.lowerSeconds * 1000, upper: sp.bucket.upperSeconds * 1000 } : undefined;
      const v = ceilingVerdict('latency', `${o.name} ${label}`, ceiling, 'ms', clientValue, serviceValue, label, serviceBucket, contract.metrics?.requestDuration ?? HTTP_ROLES.requestDuration.name);
      // The client decides a ceiling; the service's estimate beside it leaves those routes out.
      if (unrecorded.length > 0 && Number.isFinite(serviceValue)) v.reason += `; the service's estimate leaves out ${unrecorded.map((e) => e.label).join(', ')} (no requests under ${unrecorded.length === 1 ? 'that route' : 'those routes'} in its series)`;
      if (hist.count > 0) v.tail = { quantile: q, withinCeiling: hist.countAtOrBelowMs(ceiling) / hist.count };
      if (serviceBucket && Number.isFinite(serviceValue)) v.serviceBucket = serviceBucket;
      out.push(blame(v, () => percentileCauses(contract, evidence(contract, views), o, label, ceiling, Number.isFinite(clientValue) ? 'client' : 'service'), views));
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
  // Series without the label errors are read from would count every request as a success; a
  // covered route the service recorded nothing under is not in its ratio as that route.
  const unrecorded = views.routes !== undefined ? unrecordedRoutes(evidence(contract, views), e) : [];
  const why = [
    views.service.errorsUnseen !== undefined && !views.service.unavailable ? views.service.errorsUnseen : '',
    unrecorded.length > 0 ? unrecordedRoutesText(unrecorded) : '',
  ].filter(Boolean).join('; and ');
  const v = why !== ''
    ? inconclusiveServiceVerdict('errors', e.name, e.objective, client, 'weighted success', why)
    : ratioVerdict('errors', e.name, e.objective, client, service, 'weighted success');
  if (c.classes.size > 0) v.reason += `; client errors by class: ${[...c.classes].map(([k, n]) => `${k} ${n}${c.refused.get(k) ? ` (connection refused ${c.refused.get(k)}${views.service.restarts?.length ? ': the service was restarting' : ''})` : ''}`).join(', ')}`;
  // Classes a status label cannot show (only `errors:` / `codes:`): the client alone counts them.
  const unseen = views.service.errorsUnseen === undefined ? unseenClasses(contract) : [];
  if (unseen.length > 0) v.reason += `; the service's status label cannot show ${unseen.length === 1 ? 'the class' : 'the classes'} ${unseen.join(', ')} (no \`status:\`): only the client counts ${unseen.length === 1 ? 'it' : 'them'}`;
  // The bad requests counted one each (the tail asks how many, not how heavy).
  const bad = [...c.classes.values()].reduce((a, n) => a + n, 0);
  return measurableOrNot(blame(v, () => errorCauses(evidence(contract, views), e, failingView(v)), views), c.total, bad);
}

/**
 * Business-weighted good requests per second: answered, not an error under the contract's
 * classes, and within the latency objectives that apply. The histogram does not split latency by
 * status, so errors are assumed to have been fast: the count is a lower bound, never flattering.
 */
function clientGoodWeightedRate(contract: Contract, load: LoadResult, atLatency: readonly LatencyObjective[], missing: ReadonlySet<string>): number {
  if (!(load.durationMs > 0)) return NaN;
  let weighted = 0;
  for (const row of load.routes) {
    // A route the service does not have served nobody, whatever class its 404s fall in.
    if (missing.has(row.name)) continue;
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
  const ev = evidence(contract, views);
  const missing = new Set(views.client.routes.filter((_, i) => ev[i]?.missing !== undefined).map((r) => r.name));
  const client = clientGoodWeightedRate(contract, views.client, atLatency, missing);
  const service = views.service.weightedRate ?? NaN;
  const base = { contract: 'throughput', name: t.name, objective: t.minimum, unit: 'rate' as Unit, direction: 'higher-is-better' as const, client, service };
  const show = (v: number) => formatValue(v, 'rate');
  if (offeredWeightedRate !== undefined && offeredWeightedRate < t.minimum) {
    return { ...base, verdict: 'skipped', measured: client, margin: client - t.minimum, reason: `the load profile offers only ${show(offeredWeightedRate)} business-weighted, below the minimum ${show(t.minimum)}: raise load.rate (or --rate) to test it` };
  }
  if (!Number.isFinite(client)) return { ...base, verdict: 'skipped', measured: NaN, margin: NaN, reason: 'no requests measured' };
  const svc = Number.isFinite(service) ? `; the service finished ${show(service)} weighted (all statuses)` : '';
  const margin = client - t.minimum;
  if (client < t.minimum) return blame({ ...base, verdict: 'fail', measured: client, margin, reason: `sustained ${show(client)} business-weighted good requests, under the minimum ${show(t.minimum)}${svc}` }, () => throughputCauses(contract, ev, atLatency), views);
  return { ...base, verdict: 'pass', measured: client, margin, reason: `sustained ${show(client)} business-weighted good requests within the latency objectives (minimum ${show(t.minimum)})${svc}` };
}

/**
 * Per trial (weighted by its duration), whether the client's numbers met `meets`: 0..1, NaN when
 * no trial could be judged. Also the per-trial words for the reason.
 */
function trialShare(trials: readonly LoadResult[], judge: (t: LoadResult) => { met: boolean; text: string } | undefined): { share: number; met: number; judged: number; texts: string[]; shortest: number } {
  let ms = 0;
  let metMs = 0;
  let met = 0;
  let shortestMs = Infinity;
  const texts: string[] = [];
  for (const t of trials) {
    const j = judge(t);
    if (!j) continue;
    const d = t.durationMs > 0 ? t.durationMs : 1;
    ms += d;
    shortestMs = Math.min(shortestMs, d);
    if (j.met) {
      metMs += d;
      met++;
    }
    texts.push(j.text);
  }
  return { share: ms > 0 ? metMs / ms : NaN, met, judged: texts.length, texts, shortest: ms > 0 ? shortestMs / ms : NaN };
}

/**
 * The availability composite, from the client's side, without counting a signal twice:
 *
 *   A = (w_h·H + w_l·L + w_s·S + w_d·D) / (sum of the weights of the parts measured)
 *
 *   H  share of the measured time the health endpoint answered with the process live (its liveness
 *      check UP; a body that does not say: UP or DEGRADED). Not "said UP": UP already folds in the
 *      other three parts, which would count them twice.
 *   L  share of the measured time (trial by trial) in which every latency objective's share of
 *      requests within threshold, as the client measured it, met its objective.
 *   S  the same for the weighted success ratio against the errors objective.
 *   D  share of the measured time no critical dependency was down (the health body's dependency
 *      check, else the service's sloctl_dependency_up gauges).
 *
 * Like the SDK, a part with nothing to compare with (no latency objective, no errors objective,
 * no critical dependency) scores 1. The service's value is its sloctl_availability gauge averaged
 * over the run; its parts are its own checks as its health endpoint reported them.
 */
/**
 * A check's reason that no busy machine explains: it threw an error of its own (the SDK writes
 * "check threw: <message>"), not a timeout or a connection failure, which a starved machine can
 * cause ("check timed out after 200ms", "check returned false", "circuit breaker open" may be one).
 */
function thrownByItself(reason: string | undefined): boolean {
  return reason !== undefined && reason.startsWith('check threw: ') && !/time[d ]?\s?out|abort|ECONN|EPIPE|socket|EAI_AGAIN|network|fetch failed|unreachable/i.test(reason);
}

function availabilityVerdict(contract: Contract, views: GateViews): ObjectiveVerdict | undefined {
  const a = contract.objectives.availability;
  if (!a) return undefined;
  const trials = views.trials && views.trials.length > 0 ? views.trials : [views.client];
  const show = (v: number) => formatValue(v, 'ratio');
  const health = views.health;
  const checks = health?.checkShares;
  const failing = health?.failing ?? [];
  const failingText = (names?: ReadonlySet<string>) =>
    failing
      .filter((f) => names === undefined || names.has(f.name))
      .map((f) => `${f.name}: ${f.reason ?? f.status} (failing ${show(f.share)} of the time)`)
      .join('; ');

  // H: the process live.
  const live = health?.liveShare ?? views.healthUpShare ?? NaN;
  const hDetail = Number.isFinite(live)
    ? `the health endpoint answered with the process live ${show(live)} of the measured time`
    : 'the health endpoint was not watched';

  // L: every latency objective met, trial by trial.
  const latencyObjectives = contract.objectives.latency ?? [];
  let latencyPart: number;
  let lDetail: string;
  let lShortest: number | undefined;
  if (latencyObjectives.length === 0) {
    latencyPart = 1;
    lDetail = 'no latency objective: counted as met, as the SDK does';
  } else {
    const r = trialShare(trials, (t) => {
      const shares = latencyObjectives.map((o) => {
        const rows = rowsFor(contract, t, o.routes);
        const c = clientCounts(contract, rows, (row) => thresholdFor(contract, o, row));
        return { o, n: c.total, within: c.withinThreshold, share: c.total > 0 && mergedHistogram(rows).count > 0 ? c.withinThreshold / c.total : NaN };
      });
      const known = shares.filter((x) => Number.isFinite(x.share));
      if (known.length === 0) return undefined;
      // A trial below an objective misses it only when its slow requests could not happen at the
      // objective (intervalMissStands): a few over the threshold in a short trial are its noise.
      const noise = known.filter((x) => x.share < x.o.objective && !intervalMissStands(x.n, x.n - x.within, x.o.objective));
      return {
        met: known.every((x) => x.share >= x.o.objective || noise.includes(x)),
        text: known.map((x) => `${x.o.name} ${show(x.share)}${noise.includes(x) ? ` (${x.n - x.within} of ${x.n} over the threshold, ${noiseText(x.n, x.o.objective)})` : ''}`).join(', '),
      };
    });
    latencyPart = r.share;
    if (r.judged > 0) lShortest = r.shortest;
    lDetail = r.judged === 0
      ? 'no trial had latency to judge'
      : `latency objectives met in ${r.met} of ${r.judged} trial${r.judged === 1 ? '' : 's'} (${r.texts.join('; ')} within threshold; objective${latencyObjectives.length === 1 ? '' : 's'} ${latencyObjectives.map((o) => show(o.objective)).join(', ')})`;
  }

  // S: the errors objective met, trial by trial.
  const e = contract.objectives.errors;
  let successPart: number;
  let sDetail: string;
  let sShortest: number | undefined;
  if (!e) {
    successPart = 1;
    sDetail = 'no errors objective: counted as met, as the SDK does';
  } else {
    const r = trialShare(trials, (t) => {
      const c = clientCounts(contract, rowsFor(contract, t, e.routes));
      if (c.total === 0) return undefined;
      const ratio = Math.max(0, 1 - c.errorRatio);
      // Bad requests weighted by class, as the objective counts them (a 500: 2.5).
      if (ratio < e.objective && !intervalMissStands(c.total, c.weightedErrors, e.objective)) {
        return { met: true, text: `${show(ratio)} (${+c.weightedErrors.toPrecision(4)} weighted bad of ${c.total}, ${noiseText(c.total, e.objective)})` };
      }
      return { met: ratio >= e.objective, text: show(ratio) };
    });
    successPart = r.share;
    if (r.judged > 0) sShortest = r.shortest;
    sDetail = r.judged === 0 ? 'no trial had requests' : `weighted success met ${show(e.objective)} in ${r.met} of ${r.judged} trial${r.judged === 1 ? '' : 's'} (${r.texts.join(', ')})`;
  }

  // D: no critical dependency down.
  const critical = contract.dependencies.filter((d) => d.critical).map((d) => d.name);
  let depsPart: number;
  let dDetail: string;
  let depsNotBusy = false;
  if (critical.length === 0) {
    depsPart = 1;
    dDetail = 'no critical dependency';
  } else if (checks !== undefined) {
    depsPart = checks.dependencies;
    const names = new Set(contract.dependencies.map((d) => d.name));
    const why = failingText(names);
    dDetail = `the health endpoint's dependency check was up ${show(depsPart)} of the measured time${why ? `; down: ${why}` : ''}`;
    depsNotBusy = failing.some((f) => names.has(f.name) && thrownByItself(f.reason));
  } else if (views.service.dependencyUpShare !== undefined) {
    depsPart = views.service.dependencyUpShare;
    // Which dependency was down, by its own gauge: a verdict about a dependency names it, with its number.
    const down = Object.entries(views.service.dependencyUpShares ?? {}).filter(([, up]) => up < 1).map(([d, up]) => `${d} up ${show(up)}`);
    dDetail = `the service's dependency gauges (${critical.join(', ')}) were all up ${show(depsPart)} of its scrapes${down.length > 0 ? `; down at times: ${down.join(', ')}` : ''}`;
  } else {
    depsPart = NaN;
    dDetail = `not measured: the health body does not report the dependencies and the service exports no dependency gauge for ${critical.join(', ')}`;
  }

  const svcCheck = (k: 'liveness' | 'latency' | 'success' | 'dependencies') => checks?.[k] ?? NaN;
  const parts: AvailabilityPart[] = [
    { name: 'health', weight: a.weights.health, client: live, service: svcCheck('liveness'), detail: hDetail },
    { name: 'latency', weight: a.weights.latency, client: latencyPart, service: svcCheck('latency'), detail: lDetail, ...(lShortest !== undefined ? { shortestTrial: lShortest } : {}) },
    { name: 'success', weight: a.weights.success, client: successPart, service: svcCheck('success'), detail: sDetail, ...(sShortest !== undefined ? { shortestTrial: sShortest } : {}) },
    { name: 'dependencies', weight: a.weights.dependencies, client: depsPart, service: svcCheck('dependencies'), detail: dDetail, ...(depsNotBusy ? { busyExplains: false as const } : {}) },
  ];
  const known = parts.filter((p) => p.weight > 0 && Number.isFinite(p.client));
  const weight = known.reduce((sum, p) => sum + p.weight, 0);
  const client = weight > 0 ? known.reduce((sum, p) => sum + p.weight * p.client, 0) / weight : NaN;
  // The service's composite over fewer independent observations than its objective can judge
  // (SloStatus.thinSamples, the rule `sloctl status` applies: budget under one observation) is
  // INCONCLUSIVE: it neither fails nor passes the verdict, which rests on the client's view.
  const thin = views.service.slos.find((x) => x.name === a.name && x.kind === 'availability')?.thinSamples;
  const read = serviceRatio(views.service, a.name, 'availability');
  const service = thin !== undefined ? NaN : read;
  const v = thin !== undefined ? thinServiceVerdict(a.name, a.objective, client, read, thin) : ratioVerdict('availability', a.name, a.objective, client, service, 'composite availability');
  v.parts = parts;
  // The service's gauge judges its last N seconds of requests: where they reached back before the
  // measured phase, the evaluator composed the scrape from its parts instead (embedded.ts).
  const composed = views.service.availabilityComposed;
  if (composed !== undefined) {
    const window = composed.windowMs !== undefined ? `${formatSeconds(composed.windowMs)} ` : '';
    v.reason += composed.composed < composed.carried
      ? `; the service's availability is its gauge at ${composed.carried - composed.composed} of ${composed.carried} scrapes, and composed from its parts (liveness, each scrape interval's latency and success, critical dependencies) at the ${composed.composed} where the gauge's ${window}window reached back before the measured phase (the warm-up's requests, or others')`
      : `; the service's availability is composed from its parts (liveness, each scrape interval's latency and success, critical dependencies) at all ${composed.carried} scrapes: its gauge's ${window}window reached back before the measured phase (the warm-up's requests, or others') at every one; a measured phase longer than the window would read the gauge`;
  }
  const missing = parts.filter((p) => p.weight > 0 && !Number.isFinite(p.client)).map((p) => p.name);
  const formula = parts.map((p) => `${p.weight} x ${p.name} ${show(p.client)}`).join(' + ');
  v.reason += `; client ${show(client)} = ${missing.length > 0 ? `(${formula}) / ${+weight.toFixed(4)}` : formula}`;
  if (missing.length > 0) v.reason += ` (${missing.join(', ')} not measured: left out, the other weights renormalised)`;
  const failingParts = parts.filter((p) => Number.isFinite(p.client) && p.client < 1 && p.weight > 0);
  if (failingParts.length > 0) v.reason += `; ${failingParts.map((p) => `${p.name}: ${p.detail}`).join('; ')}`;
  if (checks !== undefined) {
    v.reason += `; the service's own checks over the run (its health endpoint): ${parts.map((p) => `${p.name === 'health' ? 'liveness' : p.name} ${show(p.service)}`).join(', ')}`;
  }
  const others = failingText();
  if (others && !failingParts.some((p) => p.name === 'dependencies')) v.reason += `; the health endpoint reported failing: ${others}`;
  // The service's composite (from its parts, per scrape interval) says which part missed where.
  if (v.verdict === 'fail' && Number.isFinite(service) && service < a.objective) {
    const notes = views.service.slos.find((x) => x.name === a.name && x.kind === 'availability')?.notes ?? [];
    const why = notes.find((n) => n.startsWith("the composite's parts missed"));
    if (why !== undefined) v.reason += `; the service's ${show(service)}: ${why}`;
  }
  return blame(v, () => availabilityCauses(contract, views, v, parts), views);
}

/**
 * Availability whose service side had too few independent observations (thin-evidence.ts
 * SampleEvidence): a 6 s run scrapes the SDK's gauge 3 times, each over the same 30 s health window,
 * one observation where 99% needs 100 (one allowed bad). Before, 3 such samples at 0.75 failed the
 * gate (service 75%) and 3 clean ones passed it on the service's word. The client's view decides;
 * with none, no verdict (skipped, unmeasurable: the gate is INCONCLUSIVE). The reason carries the
 * numbers: samples, observations, the spacing, what it needs.
 */
function thinServiceVerdict(name: string, objective: number, client: number, read: number, thin: ThinSamples): ObjectiveVerdict {
  const what = 'composite availability';
  const note = `the service side is INCONCLUSIVE: ${thinServiceText(objective, read, thin)}`;
  const v = ratioVerdict('availability', name, objective, client, NaN, what);
  v.service = NaN;
  if (v.verdict === 'skipped') return { ...v, unmeasurable: true, reason: `not measurable by this run: no ${what} measured by the client, and ${note}` };
  v.reason += `; judged on the client's view alone: ${note}`;
  return v;
}

/** What the service's thin availability read, from what, and what it needs, in the gate's words. */
function thinServiceText(objective: number, read: number, thin: ThinSamples): string {
  const show = (x: number) => formatValue(x, 'ratio');
  const count = (k: number, one: string, many = `${one}s`) => `${k.toLocaleString('en-US')} ${k === 1 ? one : many}`;
  const spacing = formatElapsed(thin.spacingMs);
  const closer = thin.independent < thin.samples ? `, ${count(thin.independent, 'independent observation')} (samples closer than the ${spacing} ${thin.spacingWhat} count as one)` : '';
  return `its composite read ${Number.isFinite(read) ? show(read) : 'n/a'} from ${count(thin.samples, 'sample')} over ${formatElapsed(thin.spanMs)}${closer}, and ${show(objective)} allows ${+(thin.independent * (1 - objective)).toPrecision(2)} bad ones in ${thin.independent === 1 ? 'it' : 'them'}, which cannot say whether it was met; it needs ${count(thin.needed, 'observation')} at least ${spacing} apart (a measured phase of ${formatElapsed(thin.needed * thin.spacingMs)})`;
}

/**
 * The routes behind a failed availability composite's request parts, in the view that failed it:
 * those its latency objectives blame when its latency part was missed, those the errors objective
 * blames when its success part was (the health and dependency parts are not any route's).
 */
function availabilityCauses(contract: Contract, views: GateViews, v: ObjectiveVerdict, parts: readonly AvailabilityPart[]): RouteCause[] {
  const view = failingView(v);
  const missed = (name: AvailabilityPart['name']) => parts.some((p) => p.name === name && p.weight > 0 && p[view] < 1);
  const ev = evidence(contract, views);
  const out: RouteCause[] = [];
  if (missed('latency')) {
    for (const o of contract.objectives.latency ?? []) out.push(...latencyShareCauses(ev, o, view).map((c) => ({ ...c, detail: `latency (${o.name}): ${c.detail}` })));
  }
  const e = contract.objectives.errors;
  if (e && missed('success')) out.push(...errorCauses(ev, e, view).map((c) => ({ ...c, detail: `errors: ${c.detail}` })));
  return out;
}

/**
 * A contract route the service does not have (every request answered 404, or counted as
 * unmatched by the service) fails, whatever class its 404s fall in: nothing on it was tested, and
 * a "good" 404 would even raise the throughput.
 */
function routeVerdicts(contract: Contract, views: GateViews): ObjectiveVerdict[] {
  const c404 = classifierOf(contract).classifyStatus(404);
  const good404 = c404.weight === 0 ? `its 404s fall in the error class "${c404.class}", which weighs 0, so no other objective would notice; ` : '';
  const ev = evidence(contract, views);
  const missing = ev
    .filter((e) => e.missing !== undefined)
    .map((e) => ({
      contract: 'routes', name: e.label, verdict: 'fail' as const, measured: e.missingCount ?? NaN, objective: 0, unit: 'count' as Unit,
      direction: 'lower-is-better' as const, margin: -(e.missingCount ?? NaN),
      client: e.client?.notFound ?? NaN, ...(e.service ? { service: e.service.notFound } : {}),
      reason: `${e.missing}; ${good404}${e.missingKind === 'untested' ? 'give load.mix paths or parameters the service answers' : 'add the route to the service, or remove it from the contract and load.mix'}`,
      routes: [{ route: e.label, view: 'client' as const, value: e.missingCount ?? NaN, unit: 'count' as Unit, detail: e.missing! }],
    }));
  // A route the client got answers on and the service recorded nothing under (its route label is
  // not the template): the client's view still judges it, so a warning, not a failure; the
  // objectives covering it say their service side is INCONCLUSIVE.
  const unrecorded = ev
    .filter((e) => e.unrecorded !== undefined)
    .map((e): ObjectiveVerdict => ({
      contract: 'routes', name: e.label, verdict: 'warn', measured: e.unrecordedCount ?? NaN, objective: 0, unit: 'count',
      direction: 'lower-is-better', margin: -(e.unrecordedCount ?? NaN),
      client: e.unrecordedCount ?? NaN, service: 0,
      reason: e.unrecorded!,
    }));
  return [...missing, ...unrecorded];
}

function customVerdicts(contract: Contract): ObjectiveVerdict[] {
  return contract.slis.map((s) => ({
    contract: 'custom', name: s.name, verdict: 'skipped' as const, measured: NaN, objective: s.objective, unit: 'ratio' as Unit,
    direction: 'higher-is-better' as const, margin: NaN,
    reason: 'a custom PromQL SLI: the gate cannot evaluate PromQL; check it with `sloctl status --prometheus URL`',
  }));
}

/**
 * One line per route the service recorded nothing under ("routes GET /a/:id: <reason>"), for the
 * notes beside the outcome: a pass must not read "every objective met" over a route one view never saw.
 */
export function unrecordedRouteReasons(verdicts: readonly ObjectiveVerdict[]): string[] {
  return verdicts.filter((v) => v.contract === 'routes' && v.verdict === 'warn').map((v) => `${v.contract} ${v.name}: ${v.reason}`);
}

/**
 * What a pass must not hide, one line each, for the notes beside the outcome: a verdict that
 * warned (its reason: a service side INCONCLUSIVE, little headroom left), and a ratio the client
 * alone judged while the service was scraped (why the service could not say). A route the service
 * recorded nothing under is said by unrecordedRouteReasons.
 */
export function caveatReasons(verdicts: readonly ObjectiveVerdict[], service: ServiceView): string[] {
  const out: string[] = [];
  for (const v of verdicts) {
    if (v.contract === 'routes') continue;
    if (v.verdict === 'warn') out.push(`${v.contract} ${v.name}: ${v.reason}`);
    else if (v.verdict === 'pass' && v.unit === 'ratio' && service.unavailable === undefined && v.service !== undefined && !Number.isFinite(v.service)) {
      const s = service.slos.find((x) => x.name === v.name);
      // Status's thin-samples reason names status's flags (--samples); the gate's words instead.
      const why = s?.thinSamples !== undefined ? thinServiceText(v.objective, s.counts.total > 0 ? 1 - s.counts.bad / s.counts.total : NaN, s.thinSamples)
        : s?.reason ?? s?.notes.at(-1) ?? 'its metrics gave no value for it';
      out.push(`${v.contract} ${v.name}: ${CLIENT_VIEW_ALONE_MARK} alone; the service's view is missing (${why})`);
    }
  }
  return out;
}

/**
 * The words in every note saying objectives were judged on the client's view alone because the
 * service's could not speak to them (caveatReasons: a thin sample, no value; blindInstrumentation:
 * its counters saw none or part of the run); sloctl accept repeats those notes (verdicts/accept.ts).
 */
export const CLIENT_VIEW_ALONE_MARK = "judged on the client's view";

/** How the gate's note on a service view it could not read opens (accept repeats it). */
export const SERVICE_VIEW_MISSING_OPENING = 'the service view is missing';

/** The words that mark routeLabelNote's note among the gate's notes (accept repeats it: verdicts/accept.ts). */
export const ROUTE_LABEL_NOTE_MARK = 'so its side cannot tell the routes apart';

/** Label names that usually carry a route template, in the order a hint prefers them. */
const ROUTE_LABEL_GUESSES = ['handler', 'route', 'path', 'http_route', 'endpoint', 'url'];

/**
 * The note for a service whose series carry no route label where the contract reads one
 * (ServiceView.routeLabelMissing; promhttp's handlers without a curried `handler`): its side
 * selects routes by a label none of its series has, so an "all other routes" selector takes every
 * request and a route's own selector none. Said once, naming the metric and the label, with the
 * objectives the client's view alone judged for it, and the fix.
 */
export function routeLabelNote(contract: Contract, missing: NonNullable<ServiceView['routeLabelMissing']>): string | undefined {
  if (contract.routes.length === 0) return undefined;
  const reads = missing.mapped ? `the contract maps \`metrics.labels.route: ${missing.label}\`` : `\`metrics.labels\` names no route label, so sloctl reads \`${missing.label}\``;
  // What the client's view alone judged: an objective over all routes that a route of its own
  // threshold is in (its service side is INCONCLUSIVE: blendedRoutesText), and those naming routes.
  const blended = objectivesNeedingRouteLabel(contract);
  const effects: string[] = [];
  for (const b of blended) {
    if (b.own.length > 0) effects.push(`latency ${b.name} (its side would hold ${b.own.map((r) => `${r.method} ${r.path} to ${formatDuration(b.threshold!)}, not its own ${formatDuration(r.latency!)}`).join('; ')})`);
  }
  const named = blended.filter((b) => b.namesRoutes).map((b) => `${b.kind} ${b.name}`);
  if (named.length > 0) effects.push(`${named.join(', ')} (${named.length === 1 ? 'it names' : 'they name'} routes)`);
  const judged = effects.length > 0
    ? `: ${effects.join(', and ')} ${effects.length === 1 && named.length <= 1 ? 'was' : 'were'} judged by the client's view alone`
    : ' (the objectives cover all routes together, which it can still judge)';
  return `${routeLabelMissingText(missing)} (its series carry ${carriedText(missing)}; ${reads}), ${ROUTE_LABEL_NOTE_MARK}${judged}; the route table shows the client's view alone. To judge each route on its own, ${routeLabelFix(contract, missing)}`;
}

/** "the service's histogram M has no `route` label": the start of every text about a missing route label. */
export function routeLabelMissingText(missing: NonNullable<ServiceView['routeLabelMissing']>): string {
  return `the service's ${missing.kind} ${missing.metric} has no \`${missing.label}\` label`;
}

function carriedText(missing: NonNullable<ServiceView['routeLabelMissing']>): string {
  return missing.carried.length > 0 ? `{${missing.carried.join(', ')}}` : 'no labels';
}

/** How to give a service's series the route label the contract reads (routeLabelNote, and status's note). */
export function routeLabelFix(contract: Contract, missing: NonNullable<ServiceView['routeLabelMissing']>): string {
  const guess = missing.carried.find((n) => ROUTE_LABEL_GUESSES.includes(n) && n !== missing.label);
  return guess !== undefined
    ? `if \`${guess}\` holds the route template, map it: \`metrics: { labels: { route: ${guess} } }\``
    : `label the requests with the route template and map that label (\`metrics: { labels: { route: <label> } }\`)${contract.service.runtime === 'go' ? '; with promhttp, curry it into each route\'s handler: `duration.MustCurryWith(prometheus.Labels{"handler": "/orders"})` and `metrics: { labels: { route: handler } }`' : ''}`;
}

/**
 * An objective that series without a route label cannot judge: a latency objective over all
 * routes with routes of another threshold in it (`own`: the selectors for those routes select
 * nothing, the one for every other route selects every request), or an objective naming routes
 * (`namesRoutes`: its selector selects nothing). The gate judges these by the client's view alone
 * (routeLabelNote, blendedRoutesText); status, which has only the service's view, cannot judge them.
 * An objective holding every route to the same threshold can still be judged from blended series.
 */
export interface RouteLabelObjective {
  kind: 'latency' | 'errors';
  name: string;
  /** The latency objective's threshold (ms). */
  threshold?: number;
  own: Contract['routes'];
  namesRoutes: boolean;
  /** The routes an objective naming routes names. */
  named?: readonly string[];
}

export function objectivesNeedingRouteLabel(contract: Contract): RouteLabelObjective[] {
  const out: RouteLabelObjective[] = [];
  for (const o of contract.objectives.latency ?? []) {
    if (o.routes !== undefined) out.push({ kind: 'latency', name: o.name, threshold: o.threshold, own: [], namesRoutes: true, named: o.routes });
    else {
      const own = routesOfOtherThreshold(contract, o);
      if (own.length > 0) out.push({ kind: 'latency', name: o.name, threshold: o.threshold, own, namesRoutes: false });
    }
  }
  const e = contract.objectives.errors;
  if (e?.routes !== undefined) out.push({ kind: 'errors', name: e.name, own: [], namesRoutes: true, named: e.routes });
  return out;
}

/**
 * Why the service's view alone cannot judge an objective (objectivesNeedingRouteLabel) when its
 * series carry no route label: for `sloctl status`, which has no client view to fall back on.
 */
export function routeLabelUnjudgedText(missing: NonNullable<ServiceView['routeLabelMissing']>, b: RouteLabelObjective): string {
  const head = `${routeLabelMissingText(missing)} (its series carry ${carriedText(missing)}), so it cannot tell the routes apart`;
  if (b.namesRoutes) return `${head}: ${b.kind} ${b.name} covers only ${b.named!.join(', ')}, and no series says which route its requests went to`;
  return `${head}: ${b.kind} ${b.name}'s share would hold ${b.own.map((r) => `${r.method} ${r.path} to ${formatDuration(b.threshold!)}, not its own ${formatDuration(r.latency!)}`).join('; ')}`;
}

/** One line per objective the run was too short to measure, for an INCONCLUSIVE outcome's reasons. */
export function unmeasurableReasons(verdicts: readonly ObjectiveVerdict[]): string[] {
  return verdicts.filter((v) => v.unmeasurable).map((v) => `${v.contract} ${v.name}: ${v.reason}`);
}

/** One line per failed verdict, "latency api-latency p50: <reason>", for the outcome's reasons. */
export function failureReasons(verdicts: readonly ObjectiveVerdict[]): string[] {
  return verdicts.filter((v) => v.verdict === 'fail').map((v) => `${v.contract} ${v.name}: ${v.reason}`);
}

export interface JudgeOptions {
  /** The business-weighted rate the load profile offers (for the throughput objective). */
  offeredWeightedRate?: number;
}

/**
 * Answers the generator must have got before a service that counted under PARTIAL_SHARE of them is
 * called blind or partial: fewer say too little (a short run's window edges).
 */
export const BLIND_MIN_ANSWERS = 20;
/**
 * Under this share of the answered requests counted by the service, its counters saw only part of
 * the run. Why 0.75: on its own a single process counts every answered request, and more: the
 * service's window opens with a scrape after the warm-up finished and closes with one after the
 * last answer (gate/run.ts), so only a request the client gave up on can be missing there, and
 * other clients, the gate's own health checks and scrapes only add (the comparison is on the
 * contract's routes, where the health and metrics paths are not). One process of N workers (node:
 * cluster, PM2) sharing the load counts about 1/N: 0.5 for two workers, the usual case, which an
 * uneven share (Linux's round-robin is even; the kernel's own balancing is not) still keeps well
 * under 0.75. Measured: 2 workers, 1,034 of 2,000; a single process, 100% (the SDK, Go promhttp).
 */
export const PARTIAL_SHARE = 0.75;

/** A service whose request counter did not see all of the run's requests (blindInstrumentation). */
export interface BlindInstrumentation {
  counted: number;
  answered: number;
  counter: string;
  /** The contract routes compared, with what each view counted (absent: the counter's total against the answers). */
  routes?: Array<{ label: string; counted: number; answered: number }>;
  /** The sentence, with the numbers and the fix. */
  reason: string;
}

const AGGREGATE_FIX = 'serve one /metrics for all the workers (prom-client\'s AggregatorRegistry on the primary: sloctl/sdk README, "Cluster mode")';
const MIDDLEWARE_FIX = 'register the SDK\'s middleware before the routers (sloctl/sdk/koa: app.use(middleware(sdk)) before app.use(router.routes()); sloctl/sdk/express: app.use(middleware(sdk)) before the routes; sloctl/sdk/hono: app.use(\'*\', middleware(sdk)) first), or make the instrumentation wrap every request';

/**
 * What the service counted of the answered requests on the contract's routes it recorded (a route
 * it recorded nothing under has its own WARN, routes.ts unrecorded; a route it does not have
 * counts 404s elsewhere): undefined when the service's series have no routes to compare.
 */
function routeCounts(routes: readonly RouteEvidence[] | undefined): BlindInstrumentation['routes'] {
  if (routes === undefined) return undefined;
  const out = routes
    .filter((r) => r.client !== undefined && r.service !== undefined && r.unrecorded === undefined && r.missing === undefined)
    .map((r) => ({ label: r.label, counted: r.service!.total, answered: r.client!.total - (r.client!.unanswered ?? 0) }))
    .filter((r) => r.answered > 0);
  return out.length > 0 ? out : undefined;
}

/**
 * The service exports its request counter (sloctl's SDK's, or the mapped one) and, over the
 * measured phase, it counted none of the requests the generator got answers for (blind: its
 * instrumentation does not see them, sloctl's Koa or Express middleware registered after the
 * routers), or under PARTIAL_SHARE of them, on the contract's routes it recorded or in all
 * (partial: its /metrics is one process of several, node:cluster or PM2 with one scrape
 * connection kept open to one worker, or one instance of several behind the target, or the
 * instrumentation misses some requests). That is no missing view: the service's own numbers,
 * which its health, its availability gauge and its production alerts read, judged part of the
 * run or none of it. Undefined when the service exports no such counter, its metrics could not be
 * read, too few requests were answered, or processes took turns answering /metrics (their counts
 * mix, and that is said on its own: memory.ts TakingTurns); nor partial when the service restarted.
 */
export function blindInstrumentation(views: Pick<GateViews, 'client' | 'service' | 'routes'>): BlindInstrumentation | undefined {
  const rc = views.service.requestCounter;
  if (rc === undefined || views.service.unavailable !== undefined || views.service.takingTurns !== undefined) return undefined;
  const answered = views.client.completed;
  if (!(answered >= BLIND_MIN_ANSWERS)) return undefined;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  // (A cluster worker's /metrics that saw none: the load's connections all went to other workers.)
  if (rc.counted === 0 && views.service.clusterWorker === undefined) {
    return {
      counted: 0,
      answered,
      counter: rc.name,
      reason: `the service counted 0 of the ${n(answered)} requests the generator got answers for (${rc.name} over the measured phase): its instrumentation does not see them: ${MIDDLEWARE_FIX}; `
        + `the objectives are ${CLIENT_VIEW_ALONE_MARK} alone, and the service's health, availability gauge and alerts read numbers that miss these requests`,
    };
  }
  // A service that restarted lost what it counted since the scrape before each restart (measured:
  // 398 of 440 over one restart, test/gate-memory.test.ts): the restart is said on its own, and a
  // shortfall is no sign of several processes.
  if ((views.service.restarts?.length ?? 0) > 0) return undefined;
  // The routes first: the counter's total also holds other clients' and other paths' requests.
  const routes = routeCounts(views.routes);
  const onRoutes = routes && { counted: routes.reduce((a, r) => a + r.counted, 0), answered: routes.reduce((a, r) => a + r.answered, 0) };
  const partialOnRoutes = onRoutes !== undefined && onRoutes.answered >= BLIND_MIN_ANSWERS && onRoutes.counted < PARTIAL_SHARE * onRoutes.answered;
  if (!partialOnRoutes && rc.counted >= PARTIAL_SHARE * answered) return undefined;
  const seen = partialOnRoutes
    ? `the service's counters saw ${n(onRoutes.counted)} of the ${n(onRoutes.answered)} requests the load got answers for on ${routes!.length === 1 ? routes![0].label : `the contract's routes (${routes!.map((r) => `${r.label} ${n(r.counted)} of ${n(r.answered)}`).join('; ')})`} (${rc.name} over the measured phase)`
    : `the service's counters saw ${n(rc.counted)} of the ${n(answered)} requests the load got answers for (${rc.name} over the measured phase)`;
  return {
    counted: partialOnRoutes ? onRoutes.counted : rc.counted,
    answered: partialOnRoutes ? onRoutes.answered : answered,
    counter: rc.name,
    ...(partialOnRoutes ? { routes } : {}),
    reason: views.service.clusterWorker !== undefined
      ? `${seen}: its /metrics is node:cluster worker ${views.service.clusterWorker}'s alone (${CLUSTER_WORKER.name}), one process of several sharing the port; `
        + `${AGGREGATE_FIX}; until then the service's side of the objectives is INCONCLUSIVE and they are judged on the client's view`
      : `${seen}: its /metrics is one process of several (node:cluster, PM2's cluster mode) or one instance of several behind the target, or its instrumentation misses some requests or counts them under other routes; `
        + `${AGGREGATE_FIX}, or ${MIDDLEWARE_FIX}; until then the service's side of the objectives is INCONCLUSIVE and they are judged on the client's view`,
  };
}

/**
 * Ratio objectives a blind (or partial) service cannot speak to: a pass is a warning saying why
 * (as inconclusiveServiceVerdict does); a failure only its view shows is taken back by the gate
 * (withdrawServiceSideFailures).
 */
function blindVerdicts(verdicts: ObjectiveVerdict[], blind: BlindInstrumentation): void {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const note = blind.counted === 0 && !blind.reason.includes(CLUSTER_WORKER.name)
    ? `the service side is INCONCLUSIVE: its request counter ${blind.counter} counted 0 of the ${n(blind.answered)} requests answered (its instrumentation does not see them)`
    : `the service side is INCONCLUSIVE: its counters saw ${n(blind.counted)} of the ${n(blind.answered)} requests answered (one process of several, or one instance's)`;
  for (const v of verdicts) {
    if (!['latency', 'errors', 'availability', 'throughput'].includes(v.contract)) continue;
    if (v.verdict === 'fail') v.reason += `; ${note}`;
    else if (v.verdict === 'pass' || v.verdict === 'warn') {
      v.verdict = 'warn';
      v.reason += `; but ${note}`;
    }
  }
}

/** How withdrawServiceSideFailures' reason opens (sloctl accept repeats it: verdicts/accept.ts). */
export const SIDE_WITHDRAWN_OPENING = "only the service's own view failed, and";

/**
 * A failure only the service's view shows, while its side is INCONCLUSIVE (its counters saw part
 * of the run: `blind`; or processes took turns answering /metrics: `turns`): taken back as a
 * warning (withdraw.ts), listed for the outcome's reason; the gate is then INCONCLUSIVE, not FAIL.
 * A failure the client's view shows stands: the client saw every request.
 */
export function withdrawServiceSideFailures(verdicts: ObjectiveVerdict[], side: { blind?: BlindInstrumentation; turns?: TakingTurns }): { withdrawn: string[]; reason?: string } {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const why = side.turns !== undefined
    ? takingTurnsText(side.turns)
    : side.blind !== undefined && side.blind.counted > 0
      ? `the service's counters saw ${n(side.blind.counted)} of the ${n(side.blind.answered)} requests answered`
      : undefined;
  if (why === undefined) return { withdrawn: [] };
  const withdrawn = withdrawFailures({
    note: `not judged (only the service's view failed, and ${why}):`,
    objective: (v) => ['latency', 'errors', 'availability', 'throughput'].includes(v.contract) && serviceFails(v) && !(measuredValue(v.client) && failsObjective(v, v.client)),
    comparison: () => false,
  }, verdicts);
  return withdrawn.length > 0
    ? { withdrawn, reason: `${SIDE_WITHDRAWN_OPENING} ${why}: ${withdrawn.join('; ')}, where the client's view of every request met the objective` }
    : { withdrawn };
}

/**
 * Processes took turns answering /metrics: the service's ratios were computed over counters of
 * several processes read alternately, so its side is INCONCLUSIVE (as blindVerdicts): the client
 * decides a failure; a pass is a warning saying why.
 */
function takingTurnsVerdicts(verdicts: ObjectiveVerdict[], turns: TakingTurns): void {
  const note = `the service side is INCONCLUSIVE: ${takingTurnsText(turns)}`;
  for (const v of verdicts) {
    if (!['latency', 'errors', 'availability'].includes(v.contract)) continue;
    if (v.verdict === 'fail') v.reason += `; ${note}`;
    else if (v.verdict === 'pass' || v.verdict === 'warn') {
      v.verdict = 'warn';
      v.reason += `; but ${note}`;
    }
  }
}

/** Every objective the gate can judge, in contract order. */
export function judgeObjectives(contract: Contract, views: GateViews, options: JudgeOptions = {}): ObjectiveVerdict[] {
  const latency = latencyVerdicts(contract, views);
  const errors = errorsVerdict(contract, views);
  const out = [...latency];
  if (errors) out.push(errors);
  const throughput = throughputVerdict(contract, views, options.offeredWeightedRate);
  if (throughput) out.push(throughput);
  const availability = availabilityVerdict(contract, views);
  if (availability) out.push(availability);
  out.push(...routeVerdicts(contract, views));
  out.push(...memoryVerdicts(contract, views.service));
  out.push(...concurrencyVerdicts(contract, views.service.unavailable ? undefined : views.service.concurrency, views.service.unavailable));
  out.push(...customVerdicts(contract), ...unjudgedSections(contract));
  const blind = blindInstrumentation(views);
  if (blind) blindVerdicts(out, blind);
  if (views.service.takingTurns) takingTurnsVerdicts(out, views.service.takingTurns);
  return out;
}
