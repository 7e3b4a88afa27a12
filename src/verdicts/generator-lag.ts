// A load generator that sends late (a busy CI machine: another process on its core) does not make
// the run worthless. The driver (src/load/driver.ts, pump) measures every request's latency from
// its INTENDED send time, not from when it actually left: the lag is added to the latency, never
// subtracted (coordinated omission corrected). So the lag can only make the service look slower:
//  - a latency / errors / availability / throughput PASS despite the lag is a valid pass;
//  - a FAIL the lag could have caused is not judged (the run is INCONCLUSIVE, exit 4): a latency
//    share or percentile, an availability composite whose failing parts the lag could explain (its
//    latency part, unless a latency failure stood; REACH below), a timeout-class error
//    ratio, a throughput shortfall (the generator that could not send the rate cannot judge it), and
//    a p95 / error-ratio regression against the baseline;
//  - a FAIL the lag cannot cause stands: server errors (5xx) and other answered errors (the
//    client's, and any error ratio the service's own metrics fail), a route that answers 404
//    (contract `routes`), memory, concurrency (the service's own signals).
// The service's own LATENCY view is no alibi by itself: a late generator catches up in bursts (at
// 200/s a 124 ms lag releases ~25 requests at once), so the service sees a burstier arrival than
// the profile and queues; and a generator that lags is a sign of CPU contention, which can slow
// the service on the same machine. Measured: bench/RESULTS.md, "A lagging generator" (set A: the
// service's own latency check failed 5.8% of the time, the client saw 100%).
//
// But the lag is not unbounded, and a failure it cannot explain stands. Two bounds, either enough:
//  - REACH: the late sends, and the requests each catch-up burst can queue ahead of (the rate times
//    the worst lag), make the share the lag can touch (affectedShare). A failure that counting all
//    of them good would not mend stands: 1 late send of 360 cannot explain a route that answers in
//    250 ms against 100 ms (the CI run of 2026-12-04, test/gate-routes.test.ts). Not for the
//    availability composite: it scores latency and success per trial, met or not, so a few
//    reached requests can fail a trial's whole part (it once stood by reach while the latency
//    objective it failed on was withdrawn: one cause both withdrawn and counted). The composite
//    is judged by its PARTS instead (standingParts): a part stands on its own when what fails it
//    stood here (latency: a latency objective's share that failed and was not withdrawn; success:
//    an errors failure not withdrawn) or is the service's own view that no send time moves (a
//    critical dependency down). A run-wide failure that stands shows at least one trial missed
//    it without the lag (the run's share is the trials' shares weighted by their requests), so a
//    standing part counts at most 1 - the shortest trial's share of the time; the parts the lag
//    could explain (health: the contention behind a lag can delay the health endpoint's answers)
//    count met. Still failing: it stands, naming the parts. A user trial: p99 and the latency
//    share of a slow route stood (80% + 2.52% reach still misses 99%) while availability, whose
//    only failing part was latency 0%, was withdrawn: the cause counted as the service's in one
//    verdict and as the generator's in the other.
//  - SIZE: no send left more than the worst lag L late (maxLagMs is over every send). Delaying the
//    arrivals of a first-come-first-served server by at most L delays each answer by at most L
//    (Lindley: D_n = max(A_n, D_n-1) + S_n moves by at most the largest move of the A's), and the
//    latency counts from the intended time, so the send delay AND the queue behind a catch-up
//    burst together add at most L to a request. The contention that made the generator late can
//    stall the service too; a stall adds at most its length, taken as long as the generator's
//    worst, L again. So each request holds at most 2L of the lag (marginMs): a failure that holds
//    with every request 2L faster (lagProofView: the client's histograms shifted down by 2L,
//    judged again) is the service's own. On the service's side, a percentile whose histogram
//    bucket starts 2L or more above the ceiling is over it without the lag too; an availability
//    gauge that the service's own liveness, success and dependency checks fail (its latency check
//    counted met) is not the lag's. The service's own latency share cannot be re-read 2L higher
//    from its series, so alone it does not make a failure stand. A machine busy enough to stall
//    the service for longer than that is machine.ts' to judge (its CPU is measured, not guessed
//    from the lag): a starved trial withdraws the failures on its own evidence.
// Measured (test/verdicts-generator-lag.test.ts): 5 late sends of 2000, worst 42.7 ms, 2.5% of
// GET /items at 300 ms against a p99 ceiling of 100 ms: p99 fails by 200 ms, 2L is 85 ms, it
// stands; with a worst lag of 400 ms it is withdrawn.
// The same pattern as a starved machine (machine.ts, withdrawStarvedFailures): a withdrawn failure
// becomes a warning whose reason starts with LAG_NOTE_PREFIX and the numbers; a failure the lag
// reached but could not explain says so in its reason.
//
// Pure: data in, verdicts out (no clock, no I/O).
import { Histogram } from '../measure/histogram.ts';
import { failsObjective, measuredValue, serviceFails, verdictKey, withdrawFailures } from './withdraw.ts';
import { formatValue, formatVerdictValue } from './format.ts';
import type { GeneratorHealth, HistogramJson, LatencySummary, LoadResult, RouteResult } from '../measure/types.ts';
import type { AvailabilityPart, BaselineComparison, MetricComparison, ObjectiveVerdict } from './types.ts';

/** Starts the reason of every verdict this module withdrew (the reports list them by it). */
export const LAG_NOTE_PREFIX = 'not judged (the load generator lagged):';

/**
 * Late sends at or above this share make a lag even when the generator's self-check passed (it
 * allows 1%): in the hog bench (bench/RESULTS.md) a run with 0.45% of sends late, clustered in one
 * trial, had that trial's client latency share at 97.3% while the service measured 100%, and the
 * availability composite failed on it. Under 1 in 1000 is timer jitter.
 */
export const LAG_MIN_SHARE = 0.001;

/**
 * How much of the lag one request's latency can hold, in worst lags: once for its own late send
 * and the queue a catch-up burst forms ahead of it, once for a stall of the service as long as the
 * generator's worst (the header's SIZE bound).
 */
export const LAG_MARGIN_FACTOR = 2;

/** The achieved rate under this share of the requested one: the profile was not delivered (self-check.ts MIN_RATE_SHARE). */
const DELIVERED_SHARE = 0.99;

export interface GeneratorLag {
  /** Share of sends (sent + dropped) that left more than lateThresholdMs late; the worst lag, ms. */
  lateShare: number;
  lateThresholdMs: number;
  maxLagMs: number;
  /**
   * The generator's self-check passed (under 1% late) but LAG_MIN_SHARE or more were late. The
   * objectives' failures are withdrawn as for a bigger lag (the service's own view is no alibi:
   * in the hog bench a minor lag came with availability 95% at the client and 96.25% at the
   * service); the baseline comparison is still judged, since a slower build moves every trial.
   */
  minor: boolean;
  /**
   * The share of the judged requests the lag can have touched: the late sends, each with the
   * requests a catch-up burst can queue ahead of (achieved rate x worst lag), at most 1.
   */
  affectedShare: number;
  /**
   * The most of the lag one request's latency can hold, ms (LAG_MARGIN_FACTOR x the worst lag): a
   * failure that holds with every request this much faster is not the lag's doing.
   */
  marginMs: number;
  /** The rate the generator achieved, requests/s (what a throughput failure is weighed against). */
  achievedRate: number;
  /** The generator sent under 99% of the requested rate, or dropped sends: the service never saw the profile. */
  underDelivered: boolean;
  /**
   * The generator itself fell short: it gave up on sends it was behind on, or attempted under 99%
   * of the rate. Not when the only sends it dropped were due while its in-flight bound (10,000) was
   * held by a target that did not answer: those say the target is slow, and a failure then is the
   * target's (judged by the late sends' reach), though a pass still was not on the profile.
   */
  senderShort: boolean;
  /** Share of the judged requests (sent) that timed out at the client: the errors the lag can cause. */
  timeoutShare: number;
  /** "1.8% of sends (54 of 3000) left more than 10 ms late, worst 140 ms; achieved 198/s of 200/s". */
  text: string;
}

const pct = (x: number) => `${+(x * 100).toPrecision(3)}%`;
const ms = (x: number) => `${+x.toPrecision(3)} ms`;

/** The generator sent under 99% of the requested rate, or dropped sends: the service never saw the profile. */
export function underDelivered(g: GeneratorHealth): boolean {
  return g.droppedSends > 0 || (g.requestedRate !== null && g.requestedRate > 0 && g.achievedRate < DELIVERED_SHARE * g.requestedRate);
}

/** Whether the generator itself fell short (GeneratorLag.senderShort); with no known causes for its drops, whenever it under-delivered. */
export function senderShort(g: GeneratorHealth, sent: number): boolean {
  const d = g.drops;
  if (d === undefined || d.inFlight + d.behind !== g.droppedSends) return underDelivered(g);
  if (d.behind > 0) return true;
  if (g.requestedRate === null || !(g.requestedRate > 0)) return false;
  // The rate it attempted: what it sent, and what it would have sent had the target let it.
  const attempted = sent > 0 ? (g.achievedRate * (sent + d.inFlight)) / sent : g.achievedRate;
  return attempted < DELIVERED_SHARE * g.requestedRate;
}

/** What the generator's lag was, from its self-check and the merged load; undefined when it delivered the profile on time (under LAG_MIN_SHARE late). */
export function generatorLag(g: GeneratorHealth | undefined, load: Pick<LoadResult, 'sent' | 'timeouts'>): GeneratorLag | undefined {
  if (!g) return undefined;
  const sends = load.sent + g.droppedSends;
  const lateShare = sends > 0 ? g.lateSends / sends : 0;
  if (g.ok && lateShare < LAG_MIN_SHARE) return undefined;
  const parts = [`${pct(lateShare)} of sends (${g.lateSends} of ${sends}) left more than ${ms(g.lateThresholdMs)} after their intended time, worst ${ms(g.maxLagMs)}`];
  if (g.requestedRate !== null) parts.push(`achieved ${+g.achievedRate.toPrecision(4)}/s of ${+g.requestedRate.toPrecision(4)}/s`);
  if (g.droppedSends > 0) parts.push(`${g.droppedSends} scheduled requests never sent`);
  return {
    lateShare,
    affectedShare: Math.min(1, lateShare * (1 + (g.achievedRate * g.maxLagMs) / 1000)),
    marginMs: LAG_MARGIN_FACTOR * g.maxLagMs,
    achievedRate: g.achievedRate,
    minor: g.ok,
    lateThresholdMs: g.lateThresholdMs,
    maxLagMs: g.maxLagMs,
    underDelivered: underDelivered(g),
    senderShort: senderShort(g, load.sent),
    timeoutShare: load.sent > 0 ? load.timeouts / load.sent : 0,
    text: `${parts.join('; ')} (generator event-loop p99 ${ms(g.eventLoopDelayP99Ms)}, CPU ${Math.round(g.cpu * 100)}% of a core)`,
  };
}

const down = (x: number, by: number) => Math.max(0, x - by);

function shiftedSummary(s: LatencySummary, by: number): LatencySummary {
  return { ...s, min: down(s.min, by), mean: down(s.mean, by), max: down(s.max, by), p50: down(s.p50, by), p90: down(s.p90, by), p95: down(s.p95, by), p99: down(s.p99, by), p999: down(s.p999, by) };
}

const shiftedHistogram = (j: HistogramJson, us: number): HistogramJson => Histogram.fromJSON(j).shiftedDown(us).toJSON();

/**
 * The run with the lag taken off as far as it can reach: every request's latency less `marginMs`
 * (0 at the least; each histogram bucket from its low end, so never slower than the truth), and the
 * timeouts left out (a late or slowly read request can time out at the client: the errors rule
 * counts them as the generator's too). What still fails here, the lag cannot have caused.
 */
export function lagProofView(load: LoadResult, marginMs: number): LoadResult {
  const us = Math.round(marginMs * 1000);
  const route = (r: RouteResult): RouteResult => {
    const t = r.errors.timeout ?? 0;
    const { timeout: _t, ...errors } = r.errors;
    const { queuedTimeouts: _q, ...rest } = r;
    return { ...rest, sent: r.sent - t, errors, latency: shiftedSummary(r.latency, marginMs), histogram: shiftedHistogram(r.histogram, us) };
  };
  return { ...load, sent: load.sent - load.timeouts, errors: load.errors - load.timeouts, timeouts: 0, latency: shiftedSummary(load.latency, marginMs), routes: load.routes.map(route) };
}

/** What the lag does to a failed objective: explains it (withdraw), or reached it but cannot explain it, and why (the numbers). */
export interface LagJudgement {
  withdraw: boolean;
  /** Why a failure stands though the lag could reach it: "with every request 85.4 ms faster ... the client's 214 ms still exceeds 100 ms". */
  stands?: string;
  /** A withdrawn availability failure: the failing parts the lag could explain ("latency 0%: no latency objective's failure stood"). */
  explains?: string;
}

/**
 * What the lag does to this verdict: only a failure of latency, errors, availability or throughput
 * can be withdrawn (the header's rules). `lagProof`: the same objective judged on lagProofView (its
 * client side), when the caller judged it. `standing`: the latency and errors failures the lag
 * does not explain (judged first), what an availability composite's parts can stand on.
 */
export function judgeLag(lag: GeneratorLag, v: ObjectiveVerdict, lagProof?: ObjectiveVerdict, standing: readonly ObjectiveVerdict[] = []): LagJudgement {
  const no: LagJudgement = { withdraw: false };
  if (v.verdict !== 'fail') return no;
  if (!['latency', 'errors', 'availability', 'throughput'].includes(v.contract)) return no;
  if (v.contract === 'availability') {
    const parts = standingParts(v, standing);
    if (parts?.stands !== undefined) return { withdraw: false, stands: parts.stands };
    const size = lag.senderShort ? undefined : beyondSize(lag, v, lagProof);
    if (size) return { withdraw: false, stands: size };
    return { withdraw: true, ...(parts?.explains !== undefined ? { explains: parts.explains } : {}) };
  }
  if (v.contract === 'errors') {
    // Errors the service itself counted are its own: the lag adds time, it does not make a 5xx.
    if (serviceFails(v)) return no;
    // A generator that could not send the rate may have failed requests itself (late, in bursts):
    // only the service's own view can stand then (above).
    if (lag.senderShort) return { withdraw: true };
    // Only timeouts can come from the generator (a late or slowly read request). Without them,
    // would the answered errors (5xx, 4xx, resets) alone still fail? Then the failure stands. The
    // timeout share is unweighted while the ratio is class-weighted: an estimate, which can only
    // leave a failure standing when the answered errors alone miss the objective.
    if (lag.timeoutShare <= 0) return no;
    return failsObjective(v, v.measured + lag.timeoutShare)
      ? { withdraw: false, stands: `without the ${pct(lag.timeoutShare)} of requests that timed out (what the lag can cause) it is still ${formatVerdictValue(v, v.measured + lag.timeoutShare)}` }
      : { withdraw: true };
  }
  // The generator could not send the profile: its lag's reach is not a bound on what the service
  // never saw. (A target that held the in-flight bound stopped the sends itself: judged by reach.)
  if (lag.senderShort) return { withdraw: true };
  const reach = beyondReach(lag, v);
  if (reach) return { withdraw: false, stands: reach };
  const size = beyondSize(lag, v, lagProof);
  if (size) return { withdraw: false, stands: size };
  return { withdraw: true };
}

/**
 * An availability composite's failing parts (client side) against what stood (the header's
 * REACH paragraph): `stands` when, with each part that fails on its own counted at the most it can
 * be without the lag and every other part counted met, the composite still fails; else `explains`,
 * naming the failing parts the lag could explain. Undefined when no part of the client's fails.
 */
function standingParts(v: ObjectiveVerdict, standing: readonly ObjectiveVerdict[]): { stands?: string; explains?: string } | undefined {
  const parts = (v.parts ?? []).filter((p) => p.weight > 0 && Number.isFinite(p.client));
  const failing = parts.filter((p) => p.client < 1);
  if (failing.length === 0) return undefined;
  const show = (x: number) => formatValue(x, 'ratio');
  const names = (vs: readonly ObjectiveVerdict[]) => vs.map((x) => `${x.contract} ${x.name}`).join(', ');
  const own = new Map<AvailabilityPart, { value: number; why: string }>();
  const lagged: string[] = [];
  for (const p of failing) {
    const by = p.name === 'latency' ? standing.filter((x) => x.contract === 'latency' && x.unit === 'ratio') : p.name === 'success' ? standing.filter((x) => x.contract === 'errors') : [];
    if (by.length > 0) {
      // The run's failure shows one trial failed without the lag: at least the shortest trial's time.
      const atMost = Math.max(p.client, 1 - (p.shortestTrial ?? 1));
      const bound = atMost > p.client ? `, so at least one trial (${show(p.shortestTrial!)} of the time) missed it without the lag: counted at most ${show(atMost)}` : '';
      own.set(p, { value: atMost, why: `${p.name} ${show(p.client)} (${names(by)} failed and ${by.length === 1 ? 'stands' : 'stand'}${bound})` });
    } else if (p.name === 'dependencies') {
      own.set(p, { value: p.client, why: `dependencies ${show(p.client)} (a critical dependency down, by the service's own checks: no send time moves them)` });
    } else {
      lagged.push(
        p.name === 'latency'
          ? `latency ${show(p.client)} (no latency objective's failure stood)`
          : p.name === 'success'
            ? `success ${show(p.client)} (no errors failure stood)`
            : `health ${show(p.client)} (the health endpoint's answers, which the contention behind a lag can delay)`,
      );
    }
  }
  const weight = parts.reduce((a, p) => a + p.weight, 0);
  const composite = parts.reduce((a, p) => a + p.weight * (own.get(p)?.value ?? 1), 0) / weight;
  if (own.size > 0 && failsObjective(v, composite)) {
    const rest = lagged.length > 0 ? `the other failing part${lagged.length === 1 ? '' : 's'} (${lagged.join('; ')}) and every passing part counted met` : 'every other part counted met';
    return { stands: `the part${own.size === 1 ? '' : 's'} that fail${own.size === 1 ? 's' : ''} it stand${own.size === 1 ? 's' : ''} on ${own.size === 1 ? 'its' : 'their'} own: ${[...own.values()].map((x) => x.why).join('; ')}; with ${rest}, the composite is still ${show(composite)}, under ${show(v.objective)}` };
  }
  if (own.size === 0) return { explains: `the lag could explain the failing part${lagged.length === 1 ? '' : 's'}: ${lagged.join('; ')}` };
  const ownText = `${[...own.values()].map((x) => x.why).join('; ')} leaves the composite at ${show(composite)}, within ${show(v.objective)}`;
  return {
    explains: lagged.length > 0
      ? `the lag could explain the failing part${lagged.length === 1 ? '' : 's'} ${lagged.join('; ')}; what fails on its own, ${ownText}`
      : `the lag could explain the failing parts beyond what fails on its own: ${ownText}`,
  };
}

/**
 * Why counting every request the lag can have touched as good (lag.affectedShare) would not mend
 * this failure, or undefined when it would (or cannot be weighed): a latency share below its
 * objective by more than that, a percentile whose tail over the ceiling is wider than the
 * quantile allows plus that, or a throughput short by more than that share of the rate.
 */
function beyondReach(lag: GeneratorLag, v: ObjectiveVerdict): string | undefined {
  // The availability composite scores latency and success per trial, met or not: a few requests
  // the lag reached can fail a whole trial's part, so a share of requests is no bound on it.
  if (v.contract === 'availability') return undefined;
  const a = lag.affectedShare;
  const why = `the lag can reach at most ${pct(a)} of the requests (its ${pct(lag.lateShare)} late sends and the catch-up bursts behind them)`;
  if (v.unit === 'ratio' && v.direction === 'higher-is-better' && measuredValue(v.measured)) return failsObjective(v, v.measured + a) ? `${why}, and ${formatValue(v.measured, 'ratio')} + ${pct(a)} still misses ${formatValue(v.objective, 'ratio')}` : undefined;
  if (v.tail !== undefined) return v.tail.withinCeiling + a < v.tail.quantile ? `${why}, and ${pct(v.tail.withinCeiling)} within the ceiling + ${pct(a)} is still under ${pct(v.tail.quantile)}` : undefined;
  if (v.contract === 'throughput' && v.unit === 'rate' && measuredValue(v.measured)) return failsObjective(v, v.measured + a * lag.achievedRate) ? `${why}, and the rate short by more than that` : undefined;
  return undefined;
}

/**
 * Why the failure holds with every request lag.marginMs faster (the header's SIZE bound), or
 * undefined: on the client (its twin judged on lagProofView still fails), on the service's
 * histogram (a percentile whose bucket starts marginMs or more over the ceiling), or in the
 * service's own checks that no send time can move (availability).
 */
function beyondSize(lag: GeneratorLag, v: ObjectiveVerdict, lagProof: ObjectiveVerdict | undefined): string | undefined {
  const m = lag.marginMs;
  const faster = `with every request ${ms(m)} faster (twice the worst lag, ${ms(lag.maxLagMs)}: what the lag can add to one request)`;
  if (lagProof !== undefined && lagProof.verdict !== 'skipped' && measuredValue(lagProof.client) && failsObjective(v, lagProof.client)) {
    return `${faster} the client's ${formatValue(lagProof.client, v.unit)} still ${v.direction === 'lower-is-better' ? 'exceeds' : 'misses'} ${formatValue(v.objective, v.unit)}`;
  }
  if (v.contract === 'latency' && v.unit === 'ms' && v.direction === 'lower-is-better' && measuredValue(v.service)) {
    const b = v.serviceBucket;
    if (b !== undefined ? b.lower - m >= v.objective : v.service - m > v.objective) {
      return `the service's histogram, which holds no send delay, puts it ${b !== undefined ? `above ${ms(b.lower)}` : `at ${ms(v.service)}`}, over ${formatValue(v.objective, 'ms')} even ${ms(m)} faster (twice the worst lag, ${ms(lag.maxLagMs)})`;
    }
  }
  if (v.contract === 'availability' && serviceFails(v)) {
    const own = ownChecksAvailability(v);
    if (own !== undefined && failsObjective(v, own)) return `the service's own checks miss it without its latency check (${formatValue(own, 'ratio')} with latency counted met): liveness, success and dependencies are not moved by when requests were sent`;
  }
  return undefined;
}

/**
 * The availability composite from the service's own checks (as its health endpoint reported them,
 * AvailabilityPart.service) with the latency part counted met: the part a late send can move.
 * Undefined when the checks were not reported.
 */
function ownChecksAvailability(v: ObjectiveVerdict): number | undefined {
  const parts = (v.parts ?? []).filter((p) => p.weight > 0);
  const known = parts.filter((p) => p.name === 'latency' || Number.isFinite(p.service));
  if (known.length === 0 || !known.some((p) => p.name !== 'latency')) return undefined;
  if (parts.some((p) => p.name !== 'latency' && !Number.isFinite(p.service))) return undefined;
  const weight = known.reduce((a, p) => a + p.weight, 0);
  return known.reduce((a, p) => a + p.weight * (p.name === 'latency' ? 1 : p.service), 0) / weight;
}

/**
 * Takes back the failures the generator's lag could explain: each becomes a warning whose reason
 * starts with LAG_NOTE_PREFIX and the lag's numbers; failed p95 / error-ratio comparisons with the
 * baseline likewise (its overall verdict recomputed). `lagProof`: the objectives judged again on
 * lagProofView (judgeObjectives on it), so a failure that holds with every request lag.marginMs
 * faster stands; without it only the reach bound and the service's side can keep one. A failure
 * the lag reached but cannot explain keeps its verdict and says why in its reason. Returns what was
 * taken back ("latency api-latency failed (93.1% < 99%)"), for generatorLagReason. Passes are left alone.
 */
export function withdrawLagFailures(lag: GeneratorLag, verdicts: ObjectiveVerdict[], baseline?: BaselineComparison, lagProof?: readonly ObjectiveVerdict[]): string[] {
  const lagBound = new Set<MetricComparison['metric']>(['p95', 'errorRatio']);
  const twins = new Map((lagProof ?? []).map((v) => [verdictKey(v), v]));
  // The availability composite last: its parts stand on the latency and errors failures that stood.
  const judged = new Map<ObjectiveVerdict, LagJudgement>();
  for (const v of verdicts) if (v.contract !== 'availability') judged.set(v, judgeLag(lag, v, twins.get(verdictKey(v))));
  const standing = verdicts.filter((v) => v.verdict === 'fail' && (v.contract === 'latency' || v.contract === 'errors') && judged.get(v)?.withdraw === false);
  for (const v of verdicts) if (v.contract === 'availability') judged.set(v, judgeLag(lag, v, twins.get(verdictKey(v)), standing));
  const stands = new Map<ObjectiveVerdict, string>();
  const explains = new Map<ObjectiveVerdict, string>();
  const withdrawn = withdrawFailures({
    note: `${LAG_NOTE_PREFIX} ${lag.text}; latency counts from the intended send time, and each request can hold up to ${ms(lag.marginMs)} of the lag (twice the worst): this failure does not hold without that, so it could be the generator's doing.`,
    objective: (v) => {
      const j = judged.get(v) ?? judgeLag(lag, v, twins.get(verdictKey(v)));
      if (j.stands !== undefined) stands.set(v, j.stands);
      if (j.withdraw && j.explains !== undefined) explains.set(v, j.explains);
      return j.withdraw;
    },
    comparison: () => false,
  }, verdicts);
  for (const [v, why] of explains) v.reason += `; ${why}`;
  withdrawn.push(...withdrawFailures({
    note: `${LAG_NOTE_PREFIX} ${lag.text}; latency counts from the intended send time, so this failure could be the generator's doing.`,
    objective: () => false,
    // A minor lag leaves the baseline comparison judged: it is the client's view alone, with no service side to contradict it.
    comparison: (c) => !lag.minor && lagBound.has(c.metric),
  }, [], baseline));
  for (const [v, why] of stands) v.reason += `; the load generator lagged (${pct(lag.lateShare)} of sends late, worst ${ms(lag.maxLagMs)}), but that does not explain this failure: ${why}`;
  return withdrawn;
}

/** The outcome's reason: how late the generator was, what it withdrew (if anything), and what stands. */
/** How generatorLagReason opens (sloctl accept repeats the gate's note that does: verdicts/accept.ts). */
export const LAG_REASON_OPENING = 'the load generator could not deliver the profile';

export function generatorLagReason(lag: GeneratorLag, withdrawn: readonly string[]): string {
  const head = lag.underDelivered
    ? `${LAG_REASON_OPENING} (${lag.text}), so a pass at the lower load it sent is not a verdict on the profile`
    : // (The same opening as a rate shortfall: tests and scripts that retry a busy run look for it.)
      `${LAG_REASON_OPENING} on time: ${lag.text}`;
  if (withdrawn.length === 0) {
    return `${head}; latency counts from the intended send time, so the lag can only make the service look slower${lag.underDelivered ? '' : ': the passes stand'}`;
  }
  return `${head}; ${withdrawn.join(', ')}: ${withdrawn.length === 1 ? 'this failure' : 'these failures'} could be the generator's doing (latency counts from the intended send time), so ${withdrawn.length === 1 ? 'it is' : 'they are'} not judged; run the gate again on a quieter machine, or with --workers or a lower --rate`;
}
