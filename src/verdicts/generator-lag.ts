// A load generator that sends late (a busy CI machine: another process on its core) does not make
// the run worthless. The driver (src/load/driver.ts, pump) measures every request's latency from
// its INTENDED send time, not from when it actually left: the lag is added to the latency, never
// subtracted (coordinated omission corrected). So the lag can only make the service look slower:
//  - a latency / errors / availability / throughput PASS despite the lag is a valid pass;
//  - a FAIL the lag could have caused is not judged (the run is INCONCLUSIVE, exit 4): a latency
//    share or percentile, an availability composite (it has a latency part), a timeout-class error
//    ratio, a throughput shortfall (the generator that could not send the rate cannot judge it), and
//    a p95 / error-ratio regression against the baseline;
//  - a FAIL the lag cannot cause stands: server errors (5xx) and other answered errors (the
//    client's, and any error ratio the service's own metrics fail), a route that answers 404
//    (contract `routes`), memory, concurrency (the service's own signals).
// Latency and availability are withdrawn even when the SERVICE's own view fails: a late generator
// catches up in bursts (at 200/s a 124 ms lag releases ~25 requests at once), so the service sees
// a burstier arrival than the profile and queues. Measured: bench/RESULTS.md, "A lagging generator".
// But only as far as the lag reaches: the late sends, and the requests each catch-up burst can
// queue ahead of (the rate times the worst lag), make the share the lag can touch (affectedShare).
// A failure that counting all of them good would not mend stands: 1 late send of 360 cannot
// explain a route that answers in 250 ms against 100 ms (the case the CI run of 2026-12-04 showed,
// test/gate-routes.test.ts, where the lag had withdrawn it).
// The same pattern as a starved machine (machine.ts, withdrawStarvedFailures): a withdrawn failure
// becomes a warning whose reason starts with LAG_NOTE_PREFIX and the numbers.
//
// Pure: data in, verdicts out (no clock, no I/O).
import { failsObjective, measuredValue, serviceFails, withdrawFailures } from './withdraw.ts';
import type { GeneratorHealth, LoadResult } from '../measure/types.ts';
import type { BaselineComparison, MetricComparison, ObjectiveVerdict } from './types.ts';

/** Starts the reason of every verdict this module withdrew (the reports list them by it). */
export const LAG_NOTE_PREFIX = 'not judged (the load generator lagged):';

/**
 * Late sends at or above this share make a lag even when the generator's self-check passed (it
 * allows 1%): in the hog bench (bench/RESULTS.md) a run with 0.45% of sends late, clustered in one
 * trial, had that trial's client latency share at 97.3% while the service measured 100%, and the
 * availability composite failed on it. Under 1 in 1000 is timer jitter.
 */
export const LAG_MIN_SHARE = 0.001;

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

/** Whether the generator's lag alone could explain this failed objective. */
export function lagCouldCause(lag: GeneratorLag, v: ObjectiveVerdict): boolean {
  if (v.verdict !== 'fail') return false;
  if (!['latency', 'errors', 'availability', 'throughput'].includes(v.contract)) return false;
  if (v.contract === 'errors') {
    // Errors the service itself counted are its own: the lag adds time, it does not make a 5xx.
    if (serviceFails(v)) return false;
    // A generator that could not send the rate may have failed requests itself (late, in bursts):
    // only the service's own view can stand then (above).
    if (lag.senderShort) return true;
    // Only timeouts can come from the generator (a late or slowly read request). Without them,
    // would the answered errors (5xx, 4xx, resets) alone still fail? Then the failure stands. The
    // timeout share is unweighted while the ratio is class-weighted: an estimate, which can only
    // leave a failure standing when the answered errors alone miss the objective.
    if (lag.timeoutShare <= 0) return false;
    return !failsObjective(v, v.measured + lag.timeoutShare);
  }
  // The generator could not send the profile: its lag's reach is not a bound on what the service
  // never saw. (A target that held the in-flight bound stopped the sends itself: judged by reach.)
  if (lag.senderShort) return true;
  return withinReach(lag, v);
}

/**
 * Whether counting every request the lag can have touched as good (lag.affectedShare) would mend
 * this failure: a share (latency, availability) below its objective by more than that, a
 * percentile whose tail over the ceiling is wider than the quantile allows plus that, or a
 * throughput short by more than that share of the rate, is the service's own.
 */
function withinReach(lag: GeneratorLag, v: ObjectiveVerdict): boolean {
  const a = lag.affectedShare;
  if (v.unit === 'ratio' && v.direction === 'higher-is-better' && measuredValue(v.measured)) return !failsObjective(v, v.measured + a);
  if (v.tail !== undefined) return v.tail.withinCeiling + a >= v.tail.quantile;
  if (v.contract === 'throughput' && v.unit === 'rate' && measuredValue(v.measured)) return !failsObjective(v, v.measured + a * lag.achievedRate);
  // A value the lag's reach cannot be weighed against (a service-only percentile): not judged.
  return true;
}

/**
 * Takes back the failures the generator's lag could explain: each becomes a warning whose reason
 * starts with LAG_NOTE_PREFIX and the lag's numbers; failed p95 / error-ratio comparisons with the
 * baseline likewise (its overall verdict recomputed). Returns what was taken back
 * ("latency api-latency failed (93.1% < 99%)"), for generatorLagReason. Passes are left alone.
 */
export function withdrawLagFailures(lag: GeneratorLag, verdicts: ObjectiveVerdict[], baseline?: BaselineComparison): string[] {
  const lagBound = new Set<MetricComparison['metric']>(['p95', 'errorRatio']);
  return withdrawFailures({
    note: `${LAG_NOTE_PREFIX} ${lag.text}; latency counts from the intended send time, so this failure could be the generator's doing.`,
    objective: (v) => lagCouldCause(lag, v),
    // A minor lag leaves the baseline comparison judged: it is the client's view alone, with no service side to contradict it.
    comparison: (c) => !lag.minor && lagBound.has(c.metric),
  }, verdicts, baseline);
}

/** The outcome's reason: how late the generator was, what it withdrew (if anything), and what stands. */
export function generatorLagReason(lag: GeneratorLag, withdrawn: readonly string[]): string {
  const head = lag.underDelivered
    ? `the load generator could not deliver the profile (${lag.text}), so a pass at the lower load it sent is not a verdict on the profile`
    : // (The same opening as a rate shortfall: tests and scripts that retry a busy run look for it.)
      `the load generator could not deliver the profile on time: ${lag.text}`;
  if (withdrawn.length === 0) {
    return `${head}; latency counts from the intended send time, so the lag can only make the service look slower${lag.underDelivered ? '' : ': the passes stand'}`;
  }
  return `${head}; ${withdrawn.join(', ')}: ${withdrawn.length === 1 ? 'this failure' : 'these failures'} could be the generator's doing (latency counts from the intended send time), so ${withdrawn.length === 1 ? 'it is' : 'they are'} not judged; run the gate again on a quieter machine, or with --workers or a lower --rate`;
}
