// The health composite: the contract's availability weights applied to four signals.
//
//   availability = w.health       x liveness      (the process serves and is not draining)
//                + w.latency      x latency ok    (recent share within threshold >= the objective)
//                + w.success      x success ok    (recent weighted success ratio >= the objective)
//                + w.dependencies x deps ok       (no critical dependency down: breaker open or check failing)
//
// Each signal scores 1 or 0, as in the seed article's composite. A signal with too little
// evidence (fewer than `minRequests` recent requests, no objective to compare with, a dependency
// nobody reports on) is UNKNOWN and scores 1: an idle service is not unhealthy, and the report
// says UNKNOWN so no one mistakes it for a measurement.
//
// Latency and success go DOWN only when the recent ratio is under the objective by more than the
// objective itself gives by chance: the bad requests (slow ones; for success, the requests that
// were errors, counted once, against the objective's share divided by their mean class weight, so
// a 500 weighing 2.5 is allowed at 1/2.5 of the share) are more than the one-sided 95% bound
// src/engine/interval-miss.ts computes, n·p + 1.645·√(n·p·(1−p)) + 0.5, the bound the availability
// composite judges scrape intervals with. One slow request of 20 at 99% is what a service meeting
// 99% shows 18% of the time: below the objective, but UNKNOWN (scores 1), not DOWN; two of 20 (1.7%
// of the time at 99%) are DOWN. A false DOWN costs a whole replica its place behind the load
// balancer (DEGRADED answers 503 by default). Every recent request bad is DOWN whatever the bound,
// so an outage goes DOWN at `minRequests` requests, as before. O(1), computed when health is asked,
// never per request.
//
// Status: DOWN when liveness fails or availability < `downBelow`; UP when availability is 1 (a
// failing signal the contract weights 0 is reported but changes nothing); DEGRADED otherwise. The HTTP status is 200 for UP and 503 for DOWN and (by default)
// DEGRADED. A service that put itself in degraded mode (`degradedReason`: the drift responder's
// degrade action) is DEGRADED where it would be UP, saying why. Pure: inputs in, report out.
import type { RecentTotals } from './recent.ts';
import { intervalMissBound } from '../../engine/interval-miss.ts';

export type HealthStatus = 'UP' | 'DEGRADED' | 'DOWN';
export type CheckStatus = 'UP' | 'DOWN' | 'UNKNOWN';

export interface HealthWeights {
  health: number;
  latency: number;
  success: number;
  dependencies: number;
}

export const DEFAULT_WEIGHTS: Readonly<HealthWeights> = Object.freeze({ health: 0.3, latency: 0.25, success: 0.25, dependencies: 0.2 });

/** How far back latency and success are judged when neither the contract (`health.window`) nor the code says (ms); the Go middleware's default too. */
export const HEALTH_WINDOW_DEFAULT_MS = 30_000;

export interface HealthPolicy {
  weights: HealthWeights;
  /** Share of recent requests that must be within their latency threshold (the strictest latency objective). */
  latencyObjective?: number;
  /** Weighted success ratio recent requests must reach (the errors objective). */
  successObjective?: number;
  /** Fewer recent requests than this and latency / success are UNKNOWN. */
  minRequests: number;
  /** Availability below this is DOWN (not just DEGRADED). */
  downBelow: number;
}

export interface DependencyState {
  name: string;
  critical: boolean;
  /** up: usable; down: breaker open or check failing; unknown: no breaker or check attached yet. */
  state: 'up' | 'down' | 'unknown';
  /** The breaker's state, when a breaker reports it. */
  breaker?: 'closed' | 'open' | 'half-open';
  /** Why, for a failed or thrown check. */
  reason?: string;
}

export interface HealthInputs {
  live: boolean;
  /** Why liveness fails (e.g. "draining"). */
  liveReason?: string;
  recent: RecentTotals;
  dependencies: readonly DependencyState[];
  /** Set by the drift responder's `degrade` action (or sdk.degrade()): an UP service reports DEGRADED, with this reason. */
  degradedReason?: string;
}

export interface Check {
  status: CheckStatus;
  score: 0 | 1;
  weight: number;
}

/**
 * A ratio below its objective by no more bad requests than the objective gives by chance (95%):
 * `bad` of the check's requests (slow ones; for success, errors counted once), where up to `upTo`
 * happen at the objective. The check is UNKNOWN, not DOWN.
 */
export interface WithinNoise {
  bad: number;
  upTo: number;
}

export interface LatencyCheck extends Check {
  ratio?: number;
  objective?: number;
  requests: number;
  windowMs: number;
  withinNoise?: WithinNoise;
}

export interface SuccessCheck extends Check {
  ratio?: number;
  objective?: number;
  requests: number;
  windowMs: number;
  withinNoise?: WithinNoise;
}

/**
 * A check's status from `bad` of `total` recent requests against `objective`, where each bad one
 * costs `weight` of the objective's share (1 for latency; success: the errors' mean class weight).
 * Below the objective, DOWN only when the bad ones are more than the objective gives by chance, or
 * every request was bad (an outage goes DOWN at once); else UNKNOWN, with the numbers.
 */
function ratioCheck(below: boolean, total: number, bad: number, objective: number, weight: number): { status: CheckStatus; withinNoise?: WithinNoise } {
  if (!below) return { status: 'UP' };
  const share = Math.min(1, (1 - objective) / Math.max(weight, 1e-9));
  const upTo = intervalMissBound(total, 1 - share);
  if (bad >= total || bad > upTo) return { status: 'DOWN' };
  return { status: 'UNKNOWN', withinNoise: { bad, upTo: Math.floor(upTo) } };
}

export interface DependenciesCheck extends Check {
  details: Record<string, Omit<DependencyState, 'name'> & { status: CheckStatus }>;
}

export interface HealthReport {
  status: HealthStatus;
  /** The composite, 0..1. */
  availability: number;
  /** Why the service put itself in DEGRADED (sdk.degrade(), the drift responder); availability is the composite as measured. */
  degraded?: { reason: string };
  checks: {
    liveness: Check & { reason?: string };
    latency: LatencyCheck;
    success: SuccessCheck;
    dependencies: DependenciesCheck;
  };
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;

export function composeHealth(inputs: HealthInputs, policy: HealthPolicy): HealthReport {
  const w = policy.weights;
  const { recent } = inputs;
  const enough = recent.total >= policy.minRequests && recent.total > 0;

  const liveness: HealthReport['checks']['liveness'] = {
    status: inputs.live ? 'UP' : 'DOWN', score: inputs.live ? 1 : 0, weight: w.health,
    ...(inputs.liveReason !== undefined && !inputs.live ? { reason: inputs.liveReason } : {}),
  };

  const latencyRatio = enough ? recent.fast / recent.total : undefined;
  const lat = latencyRatio === undefined || policy.latencyObjective === undefined
    ? { status: 'UNKNOWN' as const }
    : ratioCheck(latencyRatio < policy.latencyObjective, recent.total, recent.total - recent.fast, policy.latencyObjective, 1);
  const latency: LatencyCheck = {
    status: lat.status, score: lat.status === 'DOWN' ? 0 : 1, weight: w.latency,
    ...(latencyRatio !== undefined ? { ratio: round(latencyRatio) } : {}),
    ...(policy.latencyObjective !== undefined ? { objective: policy.latencyObjective } : {}),
    requests: recent.total, windowMs: Math.round(recent.spanMs),
    ...(lat.withinNoise !== undefined ? { withinNoise: lat.withinNoise } : {}),
  };

  const successRatio = enough ? Math.max(0, 1 - recent.weightedErrors / recent.total) : undefined;
  // Errors counted once; their mean class weight scales the share the objective allows them.
  const errors = recent.errors ?? recent.weightedErrors;
  const suc = successRatio === undefined || policy.successObjective === undefined
    ? { status: 'UNKNOWN' as const }
    : ratioCheck(successRatio < policy.successObjective, recent.total, errors, policy.successObjective, errors > 0 ? recent.weightedErrors / errors : 1);
  const success: SuccessCheck = {
    status: suc.status, score: suc.status === 'DOWN' ? 0 : 1, weight: w.success,
    ...(successRatio !== undefined ? { ratio: round(successRatio) } : {}),
    ...(policy.successObjective !== undefined ? { objective: policy.successObjective } : {}),
    requests: recent.total, windowMs: Math.round(recent.spanMs),
    ...(suc.withinNoise !== undefined ? { withinNoise: suc.withinNoise } : {}),
  };

  const details: DependenciesCheck['details'] = {};
  let criticalDown = false;
  let anyKnown = false;
  for (const d of inputs.dependencies) {
    const status: CheckStatus = d.state === 'up' ? 'UP' : d.state === 'down' ? 'DOWN' : 'UNKNOWN';
    if (d.state !== 'unknown' && d.critical) anyKnown = true;
    if (d.state === 'down' && d.critical) criticalDown = true;
    const { name, ...rest } = d;
    details[name] = { status, ...rest };
  }
  const depsStatus: CheckStatus = criticalDown ? 'DOWN' : anyKnown ? 'UP' : 'UNKNOWN';
  const dependencies: DependenciesCheck = { status: depsStatus, score: criticalDown ? 0 : 1, weight: w.dependencies, details };

  const availability = round(Math.max(0, Math.min(1,
    1 - w.health * (1 - liveness.score) - w.latency * (1 - latency.score) - w.success * (1 - success.score) - w.dependencies * (1 - dependencies.score))));
  const measured: HealthStatus = !inputs.live || availability < policy.downBelow ? 'DOWN' : availability >= 1 ? 'UP' : 'DEGRADED';
  // A self-declared degraded mode never hides DOWN, and never makes an UP service look UP.
  const status: HealthStatus = inputs.degradedReason !== undefined && measured === 'UP' ? 'DEGRADED' : measured;
  return {
    status, availability,
    ...(inputs.degradedReason !== undefined ? { degraded: { reason: inputs.degradedReason } } : {}),
    checks: { liveness, latency, success, dependencies },
  };
}

/** The HTTP status the health endpoint answers with. */
export function healthHttpStatus(status: HealthStatus, degradedStatus: 200 | 503 = 503): number {
  return status === 'UP' ? 200 : status === 'DOWN' ? 503 : degradedStatus;
}
