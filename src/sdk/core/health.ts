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
// Status: DOWN when liveness fails or availability < `downBelow`; UP when availability is 1 (a
// failing signal the contract weights 0 is reported but changes nothing); DEGRADED otherwise. The HTTP status is 200 for UP and 503 for DOWN and (by default)
// DEGRADED. A service that put itself in degraded mode (`degradedReason`: the drift responder's
// degrade action) is DEGRADED where it would be UP, saying why. Pure: inputs in, report out.
import type { RecentTotals } from './recent.ts';

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

export interface LatencyCheck extends Check {
  ratio?: number;
  objective?: number;
  requests: number;
  windowMs: number;
}

export interface SuccessCheck extends Check {
  ratio?: number;
  objective?: number;
  requests: number;
  windowMs: number;
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
  const latencyStatus: CheckStatus = latencyRatio === undefined || policy.latencyObjective === undefined
    ? 'UNKNOWN' : latencyRatio >= policy.latencyObjective ? 'UP' : 'DOWN';
  const latency: LatencyCheck = {
    status: latencyStatus, score: latencyStatus === 'DOWN' ? 0 : 1, weight: w.latency,
    ...(latencyRatio !== undefined ? { ratio: round(latencyRatio) } : {}),
    ...(policy.latencyObjective !== undefined ? { objective: policy.latencyObjective } : {}),
    requests: recent.total, windowMs: Math.round(recent.spanMs),
  };

  const successRatio = enough ? Math.max(0, 1 - recent.weightedErrors / recent.total) : undefined;
  const successStatus: CheckStatus = successRatio === undefined || policy.successObjective === undefined
    ? 'UNKNOWN' : successRatio >= policy.successObjective ? 'UP' : 'DOWN';
  const success: SuccessCheck = {
    status: successStatus, score: successStatus === 'DOWN' ? 0 : 1, weight: w.success,
    ...(successRatio !== undefined ? { ratio: round(successRatio) } : {}),
    ...(policy.successObjective !== undefined ? { objective: policy.successObjective } : {}),
    requests: recent.total, windowMs: Math.round(recent.spanMs),
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
